package io.flowport.env.local;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LaunchException;
import io.flowport.core.LocalDirectoryStorage;
import io.flowport.core.Runner;
import io.flowport.core.RunLogs;
import io.flowport.core.RunnerSettings;
import io.flowport.core.State;
import io.flowport.core.StateType;
import io.flowport.core.TaskRun;
import io.flowport.core.internal.ClassPaths;
import io.flowport.core.internal.Processes;
import io.flowport.core.spi.CallObservation;
import io.flowport.core.spi.RunObservation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs each flow run in a child process: the embedded stand-in for a container. A Java flow runs in a child
 * JVM through the runner entry point ({@link Runner}), with this environment, the storage and the parameters
 * passed as {@code FLOWPORT__*} variables, so the whole serialization path is exercised. A command flow runs
 * its command as the process itself, as a container would.
 *
 * <p>The child's class path is, in order: the {@code classpath} setting; else the storage's directory for a
 * {@link LocalDirectoryStorage}; else this JVM's class path. Exit code 0 gives {@code Success}; the runner's
 * result line gives the state of a failed run; a process killed or exiting with another code gives
 * {@code Crashed}. Cancellation kills the process tree. Output lines are the run's logs.
 */
@JsonDeserialize(builder = LocalProcessEnvironment.Builder.class)
public final class LocalProcessEnvironment extends AbstractEnvironment {

    private static final Logger LOG = LoggerFactory.getLogger(LocalProcessEnvironment.class);
    private static final int MAX_LOG_LINES = 10_000;
    /** The backend name under which the process start is reported to instrumentation. */
    static final String BACKEND = "process";

    private final String javaCommand;
    private final List<String> jvmOptions;
    private final List<Path> classpath;
    private final Map<String, String> environment;
    private final Path workingDirectory;

    private LocalProcessEnvironment(Builder b) {
        super(b);
        this.javaCommand = b.javaCommand;
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.classpath = List.copyOf(b.classpath);
        this.environment = Collections.unmodifiableMap(new LinkedHashMap<>(b.environment));
        this.workingDirectory = b.workingDirectory;
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The {@code java} launcher (default: the one running this JVM). */
    @JsonProperty("javaCommand")
    public String javaCommand() {
        return javaCommand;
    }

    /** Options for the child JVM, such as {@code -Xmx256m}. */
    @JsonProperty("jvmOptions")
    public List<String> jvmOptions() {
        return jvmOptions;
    }

    /** Explicit class path of the child JVM; empty means derived from the storage or this JVM. */
    @JsonProperty("classpath")
    public List<Path> classpath() {
        return classpath;
    }

    /** Extra environment variables of the child (the {@code FLOWPORT__*} ones always win). */
    @JsonProperty("environment")
    public Map<String, String> environment() {
        return environment;
    }

    /** The child's working directory (default: this process's). */
    @JsonProperty("workingDirectory")
    public Path workingDirectory() {
        return workingDirectory;
    }

    @Override
    protected List<String> validate(Flow flow) {
        List<String> problems = new ArrayList<>();
        if (javaCommand != null && javaCommand.isBlank()) {
            problems.add("javaCommand must not be blank; leave it unset to use this JVM's java");
        }
        for (Path p : classpath) {
            if (!Files.exists(p)) {
                problems.add("classpath entry " + p + " does not exist");
            }
        }
        if (workingDirectory != null && !Files.isDirectory(workingDirectory)) {
            problems.add("workingDirectory " + workingDirectory + " is not a directory");
        }
        for (String key : environment.keySet()) {
            if (key.startsWith("FLOWPORT__")) {
                problems.add("environment: " + key + " is set by Flowport for each run; remove it");
            }
        }
        return problems;
    }

    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run) {
        return doExecute(flow, run, RunObservation.NONE);
    }

    /**
     * Starts the child process with the run's trace context among its variables ({@code FLOWPORT__TRACEPARENT}), so
     * that the runner's spans join the caller's trace, and reports the process start as a {@code launch} call.
     */
    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run, RunObservation observation) {
        Instant start = Instant.now();
        List<String> command = childCommand(flow, run);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (workingDirectory != null) {
            pb.directory(workingDirectory.toFile());
        }
        Map<String, String> runnerVariables = new LinkedHashMap<>(RunnerSettings.variables(flow, run, this));
        runnerVariables.putAll(RunnerSettings.traceVariables(observation.traceContext()));
        pb.environment().putAll(childEnvironment(flow, runnerVariables));
        Process process;
        CallObservation call = observation.call(BACKEND, "launch");
        try {
            process = pb.start();
            call.succeeded();
        } catch (IOException e) {
            call.failed(e);
            throw new LaunchException("flow run " + run.id() + ": cannot start " + command.get(0) + ": "
                    + e.getMessage(), e);
        }
        LOG.info("flow run {} of '{}' started as process {}", run.id(), flow.name(), process.pid());
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader = pump(process.getInputStream(), lines, run.id());
        AutoCloseable hook = run.cancellation().onCancel(() -> Processes.killTree(process));
        boolean timedOut = false;
        try {
            if (run.timeout().isPresent()) {
                long remaining = run.timeout().get().toNanos() - Duration.between(start, Instant.now()).toNanos();
                if (!process.waitFor(Math.max(0, remaining), TimeUnit.NANOSECONDS)) {
                    timedOut = true;
                    Processes.killTree(process);
                }
            }
            process.waitFor();
            reader.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.cancellation().cancel("the thread following the run was interrupted");
        } finally {
            try {
                hook.close();
            } catch (Exception e) {
                LOG.debug("could not remove cancel hook", e);
            }
        }
        int exit = process.isAlive() ? -1 : process.exitValue();
        List<String> snapshot;
        synchronized (lines) {
            snapshot = List.copyOf(lines);
        }
        State state = outcome(flow, run, exit, timedOut, snapshot);
        LOG.info("flow run {} of '{}' ended: {}", run.id(), flow.name(), state);
        RunLogs logs = RunLogs.of("process " + process.pid(), snapshot);
        // the runner's line carries each task's attempts: the caller's result shows them as for an in-process run
        Map<String, TaskRun> tasks = flow.commandSpec().isPresent() ? Map.of()
                : RunnerSettings.reportedRun(snapshot).map(RunnerSettings.ReportedRun::tasks).orElse(Map.of());
        return new FlowRunResult(run.id(), flow.name(), state, tasks, start, Duration.between(start, Instant.now()),
                List.of(), logs);
    }

    private State outcome(Flow flow, FlowRun run, int exit, boolean timedOut, List<String> lines) {
        if (timedOut) {
            return State.timedOut("run exceeded its timeout of " + run.timeout().orElseThrow()
                    + "; the process tree was killed");
        }
        if (run.cancellation().isCancelled()) {
            return State.cancelled(run.cancellation().reason());
        }
        java.util.Optional<State> reported = RunnerSettings.reportedState(lines);
        if (reported.isPresent()) {
            return reported.get();
        }
        if (exit == 0) {
            return State.success("process exited with code 0");
        }
        if (flow.commandSpec().isPresent()) {
            return State.of(StateType.FAILED, "command exited with code " + exit + lastLine(lines));
        }
        if (exit == RunnerSettings.EXIT_BAD_INPUT) {
            return State.of(StateType.FAILED, "the runner refused its input" + lastLine(lines));
        }
        return State.crashed("process exited with code " + exit + " without reporting a result" + lastLine(lines),
                null);
    }

    private static String lastLine(List<String> lines) {
        return lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1);
    }

    /**
     * The child's environment variables for a run: this environment's {@code environment}, then the flow's
     * command's own, then {@code runnerVariables} (the runner's {@code FLOWPORT__*} variables). For launchers that
     * start the child themselves (an agent starts it detached, so that it outlives the agent).
     */
    public Map<String, String> childEnvironment(Flow flow, Map<String, String> runnerVariables) {
        return RunnerSettings.mergeEnvironment(environment, flow, runnerVariables);
    }

    /**
     * The child's command line for a run: a command flow's own command, or {@code javaCommand} with
     * {@code jvmOptions} running the runner entry point on {@code classpath} (else the run's local storage's class
     * path, else this JVM's). For launchers that start the child themselves.
     */
    public List<String> childCommand(Flow flow, FlowRun run) {
        if (flow.commandSpec().isPresent()) {
            return flow.commandSpec().get().command();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(javaCommand != null ? javaCommand
                : Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, childClasspath(run).stream().map(Path::toString).toList()));
        cmd.add(RunnerSettings.MAIN_CLASS);
        return cmd;
    }

    private List<Path> childClasspath(FlowRun run) {
        if (!classpath.isEmpty()) {
            return classpath;
        }
        if (run.storage().orElse(null) instanceof LocalDirectoryStorage dir && !dir.classpath().isEmpty()) {
            return dir.classpath();
        }
        return ClassPaths.current();
    }

    private static Thread pump(InputStream in, List<String> lines, String runId) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    LOG.debug("[{}] {}", runId, line);
                    synchronized (lines) {
                        if (lines.size() >= MAX_LOG_LINES) {
                            lines.remove(0);
                        }
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                // the stream closes when the process dies; what was read is kept
            }
        }, "flowport-process-" + runId);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Override
    public String toString() {
        return "LocalProcessEnvironment[executor=" + executor() + ", labels=" + labels() + "]";
    }

    /** Builds a {@link LocalProcessEnvironment}. */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        private String javaCommand;
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<Path> classpath = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Path workingDirectory;

        private Builder() {
        }

        /** The {@code java} launcher of the child (default: this JVM's). */
        @JsonProperty("javaCommand")
        public Builder javaCommand(String value) {
            this.javaCommand = value;
            return this;
        }

        /** Adds options for the child JVM. */
        @JsonProperty("jvmOptions")
        public Builder jvmOptions(List<String> values) {
            jvmOptions.addAll(values);
            return this;
        }

        /** Sets an explicit class path for the child JVM. */
        @JsonProperty("classpath")
        public Builder classpath(List<Path> values) {
            classpath.addAll(values);
            return this;
        }

        /** Adds environment variables for the child. */
        @JsonProperty("environment")
        public Builder environment(Map<String, String> values) {
            environment.putAll(values);
            return this;
        }

        /** Adds one environment variable for the child. */
        public Builder environment(String name, String value) {
            environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** The child's working directory. */
        @JsonProperty("workingDirectory")
        public Builder workingDirectory(Path value) {
            this.workingDirectory = value;
            return this;
        }

        /** Builds the environment. */
        public LocalProcessEnvironment build() {
            return new LocalProcessEnvironment(this);
        }
    }
}
