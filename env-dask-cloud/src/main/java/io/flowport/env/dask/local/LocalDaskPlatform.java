package io.flowport.env.dask.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.LaunchException;
import io.flowport.env.dask.spi.DaskPlatform;
import io.flowport.env.dask.spi.DaskProcess;
import io.flowport.env.dask.spi.ProcessSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Dask processes on this machine: {@code dask-scheduler} and {@code dask-worker} from the Python given by
 * {@code pythonExecutable} (default {@code /usr/bin/python3}, Debian's {@code python3-distributed}), listening on
 * 127.0.0.1 only. Each process watches its stdin, which this JVM holds open: when the cluster is torn down, or this
 * JVM dies — even by {@code kill -9} — every process of the cluster exits at once and kills the commands its tasks
 * started. Logs go to files in a temporary directory of the cluster, removed at teardown.
 */
public final class LocalDaskPlatform implements DaskPlatform {

    private static final Logger LOG = LoggerFactory.getLogger(LocalDaskPlatform.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Marks the command lines of the processes, to find leftovers by listing processes. */
    static final String MARKER = "flowport_dask_process.py";
    private static final String SCHEDULER_FILE = "scheduler.json";

    private final String python;
    private final Path bootstrap;
    private final Map<String, Path> clusterDirs = new ConcurrentHashMap<>();
    private final Map<String, List<LocalProcess>> processes = new ConcurrentHashMap<>();
    private final ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flowport-dask-local");
        t.setDaemon(true);
        return t;
    });

    LocalDaskPlatform(String python, Path bootstrap) {
        this.python = python;
        this.bootstrap = bootstrap;
    }

    @Override
    public String name() {
        return "local";
    }

    private Path clusterDir(String clusterId) {
        return clusterDirs.computeIfAbsent(clusterId, id -> {
            try {
                return Files.createTempDirectory("flowport-dask-" + id + "-");
            } catch (IOException e) {
                throw new LaunchException("could not create a directory for Dask cluster " + id + ": " + e, e);
            }
        });
    }

    /** The scheduler writes its address to a file in the cluster's directory; workers wait for it and read it. */
    @Override
    public Optional<List<String>> schedulerLocator(String clusterId) {
        return Optional.of(List.of("--scheduler-file", clusterDir(clusterId).resolve(SCHEDULER_FILE).toString()));
    }

    @Override
    public DaskProcess launch(ProcessSpec spec) {
        Path dir = clusterDir(spec.clusterId());
        List<String> cmd = new ArrayList<>(List.of(python, "-u", bootstrap.toString(), spec.clusterId(),
                spec.module()));
        cmd.addAll(spec.args());
        Path schedulerFile = dir.resolve(SCHEDULER_FILE);
        if (spec.role() == ProcessSpec.Role.SCHEDULER) {
            cmd.addAll(List.of("--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
                    "--scheduler-file", schedulerFile.toString()));
        } else {
            cmd.addAll(List.of("--host", "127.0.0.1", "--local-directory", dir.resolve("space").toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(spec.name() + ".log").toFile());
        pb.environment().putAll(spec.environment());
        Path commands = dir.resolve("commands").resolve(spec.name());
        if (spec.role() == ProcessSpec.Role.WORKER) {
            try {
                Files.createDirectories(commands);
            } catch (IOException e) {
                throw new LaunchException("could not create " + commands + ": " + e, e);
            }
            pb.environment().put("FLOWPORT_DASK_COMMAND_DIR", commands.toString());
        }
        pb.environment().put("FLOWPORT_DASK_WATCH_STDIN", "1");
        // the launcher's and Dask's temporary files go to the cluster's directory, removed at teardown
        pb.environment().put("TMPDIR", dir.toString());
        pb.environment().put("PYTHONUNBUFFERED", "1");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new LaunchException("could not start " + spec.module() + " with '" + python + "' (set"
                    + " providerSettings.pythonExecutable to a Python that has Dask's distributed package, e.g."
                    + " apt-get install python3-distributed): " + e.getMessage(), e);
        }
        LocalProcess lp = new LocalProcess(spec.name(), p, dir.resolve(spec.name() + ".log"));
        if (spec.role() == ProcessSpec.Role.WORKER) {
            // a worker that dies (killed, out of memory) cannot kill the commands its tasks started: this JVM does
            p.onExit().thenRun(() -> killCommands(commands));
        }
        processes.computeIfAbsent(spec.clusterId(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(lp);
        LOG.debug("local: started {} (pid {}) of cluster {}", spec.name(), p.pid(), spec.clusterId());
        if (spec.role() == ProcessSpec.Role.SCHEDULER) {
            lp.watchSchedulerFile(schedulerFile);
        } else {
            lp.endpoint.complete(new DaskProcess.Endpoint("127.0.0.1", 0, 0));
        }
        return lp;
    }

    @Override
    public int stopAll(String clusterId) {
        int stopped = 0;
        List<LocalProcess> mine = processes.remove(clusterId);
        if (mine != null) {
            for (LocalProcess p : mine) {
                if (p.process.isAlive()) {
                    stopped++;
                }
                p.stop();
            }
            for (LocalProcess p : mine) {
                p.awaitExit();
            }
        }
        // processes of this cluster that another JVM (a driver that died) started, found by their command line
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            List<ProcessHandle> strays = all.filter(h -> isOf(h, clusterId)).toList();
            for (ProcessHandle h : strays) {
                LOG.info("local: stopping leftover Dask process {} of cluster {}", h.pid(), clusterId);
                h.destroyForcibly();
                stopped++;
            }
        }
        Path dir = clusterDirs.remove(clusterId);
        if (dir != null) {
            deleteQuietly(dir);
        }
        return stopped;
    }

    /** Kills the process group of every command a dead worker left running (their ids are file names). */
    private static void killCommands(Path commands) {
        try (Stream<Path> files = Files.list(commands)) {
            for (Path f : files.toList()) {
                String pgid = f.getFileName().toString();
                if (pgid.matches("\\d+")) {
                    LOG.info("local: killing command group {} left by a worker that ended", pgid);
                    try {
                        new ProcessBuilder("kill", "-KILL", "--", "-" + pgid).redirectErrorStream(true)
                                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
                    } catch (IOException e) {
                        LOG.warn("local: could not kill command group {}: {}", pgid, e.toString());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            LOG.debug("local: no commands to kill in {}: {}", commands, e.toString());
        }
    }

    /** Whether {@code h} is a process of cluster {@code clusterId} (by its command line). */
    static boolean isOf(ProcessHandle h, String clusterId) {
        if (h.pid() == ProcessHandle.current().pid()) {
            return false;
        }
        Optional<String[]> args = h.info().arguments();
        if (args.isEmpty()) {
            return false;
        }
        String[] a = args.get();
        for (int i = 0; i + 1 < a.length; i++) {
            if (a[i].endsWith(MARKER) && a[i + 1].equals(clusterId)) {
                return true;
            }
        }
        return false;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("could not delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.debug("could not delete {}: {}", dir, e.toString());
        }
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }

    /** One local Dask process. */
    private final class LocalProcess implements DaskProcess {
        private final String name;
        private final Process process;
        private final Path log;
        private final CompletableFuture<Endpoint> endpoint = new CompletableFuture<>();
        private final OutputStream stdin;
        private volatile boolean stopped;

        LocalProcess(String name, Process process, Path log) {
            this.name = name;
            this.process = process;
            this.log = log;
            this.stdin = process.getOutputStream();
            process.onExit().thenRun(() -> endpoint.completeExceptionally(new LaunchException(name + " exited with"
                    + " code " + process.exitValue() + " before it was ready; its log: " + String.join(" | ",
                    logTail(8)))));
        }

        void watchSchedulerFile(Path file) {
            ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
            task[0] = watcher.scheduleWithFixedDelay(() -> {
                if (endpoint.isDone()) {
                    task[0].cancel(false);
                    return;
                }
                try {
                    if (Files.size(file) > 0) {
                        JsonNode n = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
                        String address = n.path("address").asText();
                        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
                        int dashboard = n.path("services").path("dashboard").asInt();
                        endpoint.complete(new Endpoint("127.0.0.1", port, dashboard));
                    }
                } catch (IOException | RuntimeException e) {
                    // not written yet, or written in part: look again
                }
            }, 20, 50, TimeUnit.MILLISECONDS);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public CompletableFuture<Endpoint> endpoint() {
            return endpoint;
        }

        @Override
        public Optional<String> ended() {
            if (process.isAlive()) {
                return Optional.empty();
            }
            return Optional.of((stopped ? "stopped" : "exited") + " with code " + process.exitValue());
        }

        @Override
        public void stop() {
            stopped = true;
            try {
                stdin.close(); // the process's watchdog sees end of input and exits at once
            } catch (IOException e) {
                process.destroy();
            }
        }

        void awaitExit() {
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public List<String> logTail(int lines) {
            try {
                List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
                return all.subList(Math.max(0, all.size() - lines), all.size());
            } catch (IOException e) {
                return List.of();
            }
        }
    }
}
