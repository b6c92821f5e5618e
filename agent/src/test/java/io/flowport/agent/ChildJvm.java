package io.flowport.agent;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A JVM started from the tests with their class path, whose output is kept (and written to a log file), so that a
 * test can wait for a line, kill it with {@code SIGKILL} ({@link #kill()}) or stop it with {@code SIGTERM}
 * ({@link #terminate()}).
 */
final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    private ChildJvm(Process process, Path log) {
        this.process = process;
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
                 var out = java.nio.file.Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    out.write(line);
                    out.newLine();
                    out.flush();
                }
            } catch (IOException e) {
                // the process died; what was read is kept
            } finally {
                drained.complete(null);
            }
        }, "child-jvm-output");
        t.setDaemon(true);
        t.start();
    }

    /** A new log file for a child's output in {@code target/child-logs}, kept after the test for reading. */
    static Path log(String name) throws IOException {
        Path dir = java.nio.file.Paths.get("target", "child-logs");
        java.nio.file.Files.createDirectories(dir);
        return dir.resolve(name + "-" + System.nanoTime() + ".log");
    }

    /** Starts {@code main} in a JVM with the tests' class path, extra system properties and arguments. */
    static ChildJvm start(Class<?> main, Path log, List<String> jvmOptions, String... args) throws IOException {
        return start(main, System.getProperty("java.class.path"), log, jvmOptions, args);
    }

    /** Starts {@code main} in a JVM with this class path. */
    static ChildJvm start(Class<?> main, String classpath, Path log, List<String> jvmOptions, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-Xmx256m");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(cmd).redirectErrorStream(true).start(), log);
    }

    /** Waits for an output line, at most {@code timeout}; fails with the output when the JVM ends first. */
    String await(Predicate<String> line, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        while (System.nanoTime() < deadline) {
            synchronized (lines) {
                for (; seen < lines.size(); seen++) {
                    if (line.test(lines.get(seen))) {
                        return lines.get(seen);
                    }
                }
            }
            if (!process.isAlive() && drained.isDone()) {
                throw new IllegalStateException("child JVM ended (" + process.exitValue() + ") before the line:\n"
                        + String.join("\n", lines));
            }
            try {
                drained.get(50, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // keep waiting
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("no matching line within " + timeout + ":\n" + String.join("\n", lines));
    }

    /** {@code kill -9}: no shutdown hook runs. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** {@code kill -TERM}: shutdown hooks run; waits at most {@code timeout} for the exit. */
    int terminate(Duration timeout) throws InterruptedException {
        // through the handle: Process.destroy() would also close our end of its output, losing what it writes while
        // it shuts down (and making its writes fail)
        process.toHandle().destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            throw new IllegalStateException("child JVM did not stop within " + timeout);
        }
        try {
            drained.get(30, TimeUnit.SECONDS); // every line it wrote is read
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the output of the child JVM was not read to its end", e);
        }
        return process.exitValue();
    }

    /** The output so far. */
    List<String> output() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
