package io.flowport.agent.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import io.flowport.core.Flow;
import io.flowport.core.LaunchException;
import io.flowport.core.RunLogs;
import io.flowport.core.RunnerSettings;
import io.flowport.core.State;
import io.flowport.core.TransientException;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.Definition;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.Names;
import io.flowport.core.spi.Observation;
import io.flowport.core.spi.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Local processes that outlive the agent that started them: each run is an OS process started through a small
 * {@code sh} wrapper that writes its own pid, sends the run's output to a file and writes the exit code when the
 * run ends — so that after the agent is killed (even with {@code kill -9}) the next agent on the machine finds the
 * run by its labels (a {@code unit.json} in the run's directory), follows it while it runs, and reads its outcome
 * (exit code, and the runner's result line in the output) once it ended. A unit is a directory
 * {@code <root>/<run id>}: creating it is the idempotent launch (a second launch with the same token finds it and
 * starts nothing). POSIX only ({@code sh}). Not public API.
 */
public final class ProcessBackend implements Backend, Observation.Polling {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessBackend.class);
    /** The wrapper: pid first, then the command with its output in a file, then its exit code. */
    private static final String WRAPPER = "echo $$ > \"$0/pid.tmp\" && mv \"$0/pid.tmp\" \"$0/pid\"; \"$@\" "
            + "> \"$0/output.log\" 2>&1 < /dev/null; echo $? > \"$0/exit.tmp\"; mv \"$0/exit.tmp\" \"$0/exit\"";
    /** A unit that never wrote its pid within this long after its launch did not start. */
    private static final Duration START_GRACE = Duration.ofSeconds(60);
    private static final Names.Rule DIRECTORY = Names.Rule.of("[^A-Za-z0-9_-]", 100, false, "run");

    private final Path root;
    private final Path workingDirectory;

    /** Units live under {@code root}; commands run in {@code workingDirectory} (null: this process's). */
    public ProcessBackend(Path root, Path workingDirectory) {
        this.root = root;
        this.workingDirectory = workingDirectory;
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public Definition prepare(Flow flow) {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new LaunchException("cannot create the directory of local processes " + root + ": " + e.getMessage(), e);
        }
        return new Definition("process:" + flow.name(), Names.sha256Hex(flow.name()), false);
    }

    @Override
    public Launch launch(Definition definition, LaunchRequest request) {
        Path dir = root.resolve(Names.sanitize(request.idempotencyToken(), DIRECTORY));
        try {
            Files.createDirectories(root);
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            // launched before with this token (an answer lost, or an agent that died): the same unit
            return readUnit(dir).orElseThrow(() -> new TransientException("unit " + dir + " is being created"));
        } catch (IOException e) {
            throw new LaunchException("cannot create unit directory " + dir + ": " + e.getMessage(), e);
        }
        Instant now = Instant.now();
        Map<String, Object> unit = new LinkedHashMap<>();
        unit.put("flowRunId", request.flowRunId());
        unit.put("labels", request.labels());
        unit.put("launchedAt", now.toString());
        unit.put("command", request.command());
        writeAtomically(dir.resolve("unit.json"), AgentJson.write(unit));
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", WRAPPER, dir.toString()));
        cmd.addAll(request.command());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (workingDirectory != null) {
            pb.directory(workingDirectory.toFile());
        }
        pb.environment().putAll(request.environment());
        try {
            Process p = pb.start();
            LOG.info("flow run {} started as process {} ({})", request.flowRunId(), p.pid(), dir);
        } catch (IOException e) {
            writeAtomically(dir.resolve("exit"), "127\n"); // a unit that could not start is finished, not pending
            throw new LaunchException("flow run " + request.flowRunId() + ": cannot start " + request.command().get(0)
                    + ": " + e.getMessage(), e);
        }
        return new Launch(dir.getFileName().toString(), request.flowRunId(), request.labels(), now);
    }

    @Override
    public Observation observation() {
        return this;
    }

    @Override
    public int maxBatch() {
        return 1000;
    }

    @Override
    public double readsPerSecond() {
        return 20; // a few file checks per unit
    }

    @Override
    public Map<String, RunStatus> describe(List<Launch> launches) {
        Map<String, RunStatus> out = new HashMap<>();
        for (Launch l : launches) {
            Path dir = root.resolve(l.id());
            if (Files.isDirectory(dir)) {
                out.put(l.id(), status(dir, l.launchedAt()));
            }
        }
        return out;
    }

    private RunStatus status(Path dir, Instant launchedAt) {
        Optional<Integer> exit = readInt(dir.resolve("exit"));
        if (exit.isPresent()) {
            return RunStatus.finished(outcome(dir, exit.get()), "exited with code " + exit.get());
        }
        Optional<Integer> pid = readInt(dir.resolve("pid"));
        if (pid.isEmpty()) {
            if (Duration.between(launchedAt, Instant.now()).compareTo(START_GRACE) > 0) {
                return RunStatus.finished(State.crashed("the process of " + dir + " never started", null),
                        "never started");
            }
            return RunStatus.of(RunStatus.Phase.PENDING, "starting");
        }
        if (alive(pid.get(), dir)) {
            return RunStatus.of(RunStatus.Phase.RUNNING, "process " + pid.get());
        }
        // the wrapper writes the exit code before it ends; check once more, it may have just ended
        exit = readInt(dir.resolve("exit"));
        if (exit.isPresent()) {
            return RunStatus.finished(outcome(dir, exit.get()), "exited with code " + exit.get());
        }
        return RunStatus.finished(State.crashed("process " + pid.get() + " of " + dir + " ended without an exit code "
                + "(it was killed with its wrapper)", null), "vanished");
    }

    /** Alive, and really the wrapper of this unit (its arguments name the unit's directory), not a reused pid. */
    private static boolean alive(int pid, Path dir) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        Optional<String[]> args = h.get().info().arguments();
        return args.isEmpty() || List.of(args.get()).contains(dir.toString());
    }

    private State outcome(Path dir, int exit) {
        List<String> tail = tail(dir.resolve("output.log"), 50);
        Optional<State> reported = RunnerSettings.reportedState(tail);
        if (reported.isPresent()) {
            return reported.get();
        }
        if (exit == 0) {
            return State.success("process exited with code 0");
        }
        String last = tail.isEmpty() ? "" : ": " + tail.get(tail.size() - 1);
        boolean runner = readUnitCommand(dir).contains(RunnerSettings.MAIN_CLASS);
        if (!runner) {
            return State.failed("command exited with code " + exit + last, null);
        }
        if (exit == RunnerSettings.EXIT_BAD_INPUT) {
            return State.failed("the runner refused its input" + last, null);
        }
        if (exit == 143 || exit == 137) {
            return State.cancelled("process was stopped (exit code " + exit + ")");
        }
        return State.crashed("process exited with code " + exit + " without reporting a result" + last, null);
    }

    @Override
    public void stop(Launch launch, String reason) {
        Path dir = root.resolve(launch.id());
        Optional<Integer> pid = readInt(dir.resolve("pid"));
        if (pid.isEmpty() || !alive(pid.get(), dir)) {
            return;
        }
        // the command and what it started; the wrapper lives on to write the exit code
        ProcessHandle.of(pid.get()).ifPresent(h -> h.descendants().forEach(ProcessHandle::destroy));
    }

    @Override
    public RunLogs logs(Launch launch) {
        Path file = root.resolve(launch.id()).resolve("output.log");
        return new RunLogs() {
            @Override
            public List<String> lines() {
                try {
                    return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public List<String> tail(int maxLines) {
                return ProcessBackend.tail(file, maxLines);
            }

            @Override
            public String location() {
                return file.toString();
            }
        };
    }

    @Override
    public List<Found> find(Map<String, String> labels) {
        List<Found> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                Optional<Launch> unit = readUnit(dir);
                if (unit.isEmpty() || !unit.get().labels().entrySet().containsAll(labels.entrySet())) {
                    continue;
                }
                RunStatus s = status(dir, unit.get().launchedAt());
                Instant finished = null;
                if (s.isFinished()) {
                    Path exit = dir.resolve("exit");
                    finished = Files.exists(exit) ? Files.getLastModifiedTime(exit).toInstant() : Instant.now();
                }
                out.add(new Found(unit.get(), s, finished));
            }
        } catch (IOException e) {
            throw new TransientException("cannot list local processes in " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void delete(Launch launch) {
        Path dir = root.resolve(launch.id());
        if (!Files.exists(dir.resolve("exit"))) {
            return; // never a unit that may still run
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // deleted meanwhile
        } catch (IOException e) {
            throw new TransientException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    private Optional<Launch> readUnit(Path dir) {
        try {
            Map<String, Object> unit = AgentJson.mapper().readValue(Files.readString(dir.resolve("unit.json")),
                    new TypeReference<Map<String, Object>>() {
                    });
            @SuppressWarnings("unchecked")
            Map<String, String> labels = (Map<String, String>) unit.get("labels");
            return Optional.of(new Launch(dir.getFileName().toString(), (String) unit.get("flowRunId"), labels,
                    Instant.parse((String) unit.get("launchedAt"))));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // being created, or not a unit
        } catch (IOException | RuntimeException e) {
            LOG.debug("{} is not a readable unit: {}", dir, e.toString());
            return Optional.empty();
        }
    }

    private static String readUnitCommand(Path dir) {
        try {
            return Files.readString(dir.resolve("unit.json"));
        } catch (IOException e) {
            return "";
        }
    }

    private static Optional<Integer> readInt(Path file) {
        try {
            return Optional.of(Integer.parseInt(Files.readString(file).trim()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void writeAtomically(Path file, String text) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new LaunchException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The last lines of a file, read from its end (at most 64 KiB). */
    static List<String> tail(Path file, int maxLines) {
        if (maxLines < 0) {
            throw new IllegalArgumentException("maxLines must be >= 0, was " + maxLines);
        }
        if (!Files.exists(file) || maxLines == 0) {
            return List.of();
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            int n = (int) Math.min(len, 64 * 1024);
            byte[] buf = new byte[n];
            f.seek(len - n);
            f.readFully(buf);
            String[] lines = new String(buf, StandardCharsets.UTF_8).split("\r?\n", -1);
            List<String> all = new ArrayList<>(List.of(lines));
            if (!all.isEmpty() && all.get(all.size() - 1).isEmpty()) {
                all.remove(all.size() - 1);
            }
            if (n < len && !all.isEmpty()) {
                all.remove(0); // cut in the middle
            }
            return List.copyOf(all.subList(Math.max(0, all.size() - maxLines), all.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
