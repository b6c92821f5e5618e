package io.flowport.core;

import io.flowport.core.internal.Processes;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A task body that runs an OS command and returns its {@link CommandResult}. A non-zero exit code fails the
 * task with a {@link CommandFailedException}. On timeout, interruption (task timeout) or cancellation the
 * whole process tree is killed.
 */
public final class CommandTask implements TaskFunction {

    /** How much of each output stream is kept. */
    public static final int MAX_CAPTURED_CHARS = 64 * 1024;

    private final CommandSpec spec;

    /** A task body for {@code spec}. */
    public CommandTask(CommandSpec spec) {
        this.spec = Objects.requireNonNull(spec, "spec");
    }

    /** The command this task runs (executors that run commands elsewhere, e.g. on a Dask worker, read it). */
    public CommandSpec spec() {
        return spec;
    }

    @Override
    public Object run(TaskContext context) throws Exception {
        CommandResult result = execute(spec);
        if (result.exitCode() != 0) {
            throw new CommandFailedException(spec.command().get(0), result);
        }
        return result;
    }

    /**
     * Runs {@code spec} and waits for it. Blocking.
     *
     * @throws InterruptedException if the calling thread is interrupted (the process tree is killed first)
     * @throws TaskTimeoutException if the command's own timeout passes (the process tree is killed first)
     * @throws IOException          if the program cannot be started
     */
    public static CommandResult execute(CommandSpec spec) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(spec.command());
        pb.environment().putAll(spec.environment());
        if (spec.workingDir() != null) {
            pb.directory(spec.workingDir().toFile());
        }
        long start = System.nanoTime();
        Process process = pb.start();
        process.getOutputStream().close();
        Capture out = new Capture(process.getInputStream(), "stdout");
        Capture err = new Capture(process.getErrorStream(), "stderr");
        boolean done = false;
        try {
            if (spec.timeout() == null) {
                process.waitFor();
                done = true;
            } else {
                done = process.waitFor(spec.timeout().toNanos(), TimeUnit.NANOSECONDS);
                if (!done) {
                    Processes.killTree(process);
                    throw new TaskTimeoutException("command '" + spec.command().get(0) + "' timed out after "
                            + spec.timeout() + "; its process tree was killed");
                }
            }
        } finally {
            if (!done) {
                Processes.killTree(process);
            }
        }
        out.join();
        err.join();
        return new CommandResult(process.exitValue(), out.text(), err.text(),
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** Reads one output stream on a daemon thread, keeping the last {@link #MAX_CAPTURED_CHARS} characters. */
    private static final class Capture {
        private final StringBuilder buf = new StringBuilder();
        private final Thread thread;

        Capture(InputStream in, String name) {
            thread = new Thread(() -> read(in), "flowport-command-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        private void read(InputStream in) {
            char[] chunk = new char[8192];
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                int n;
                while ((n = r.read(chunk)) >= 0) {
                    synchronized (buf) {
                        buf.append(chunk, 0, n);
                        if (buf.length() > 2 * MAX_CAPTURED_CHARS) {
                            buf.delete(0, buf.length() - MAX_CAPTURED_CHARS);
                        }
                    }
                }
            } catch (IOException e) {
                // the stream closes when the process is killed; what was read is kept
            }
        }

        void join() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }

        String text() {
            synchronized (buf) {
                int from = Math.max(0, buf.length() - MAX_CAPTURED_CHARS);
                return buf.substring(from);
            }
        }
    }
}
