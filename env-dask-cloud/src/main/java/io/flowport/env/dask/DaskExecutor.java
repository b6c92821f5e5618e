package io.flowport.env.dask;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.flowport.core.CommandFailedException;
import io.flowport.core.CommandResult;
import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.FlowportException;
import io.flowport.core.LaunchException;
import io.flowport.core.State;
import io.flowport.core.TaskContext;
import io.flowport.core.TaskFunction;
import io.flowport.core.TaskSpec;
import io.flowport.core.TaskTimeoutException;
import io.flowport.core.spi.Names;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Runs a flow's command tasks as Dask tasks on a cluster, and its Java tasks in this JVM, respecting the flow's
 * dependencies, retries and timeouts. The cluster is reached through Dask's own client library: a small Python
 * process ({@code pythonExecutable}, default {@code /usr/bin/python3}, which must have Dask's
 * {@code distributed} package of a version the cluster speaks) holds a {@code distributed.Client}.
 *
 * <p>A command task's attempt is one Dask task: the worker runs the command and sends back its exit code, the
 * tails of its output and its duration. Cancelling the run or a task timeout cancels the Dask task and kills the
 * command where it runs. A worker lost in the middle of a task fails that attempt, and the task's own retry
 * settings decide what follows (clusters Flowport starts let Dask itself re-run nothing). Without command tasks,
 * no connection is made.
 *
 * <p>Serialized as {@code {"type":"dask","address":…}}; TLS material is never serialized (give it in code, or
 * through Dask's own {@code DASK_DISTRIBUTED__COMM__TLS__*} variables).
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonDeserialize(builder = DaskExecutor.Builder.class)
public final class DaskExecutor implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(DaskExecutor.class);

    /** The Python interpreter used when none is given: Debian's, which {@code python3-distributed} serves. */
    public static final String DEFAULT_PYTHON = "/usr/bin/python3";
    /** Most command tasks in flight at once, when not set. */
    public static final int DEFAULT_CONCURRENCY = 256;

    private final String address;
    private final String pythonExecutable;
    private final int concurrency;
    private final Map<String, Double> resources;
    private final Integer priority;
    private final Duration connectTimeout;
    private final DaskTls tls;
    private final Duration heartbeat;

    private DaskExecutor(Builder b) {
        List<String> problems = new ArrayList<>();
        if (b.address == null || b.address.isBlank()) {
            problems.add("address is required: the scheduler's address, e.g. tls://10.0.1.5:8786");
        } else if (!b.address.matches("(tls|tcp|ucx|inproc|ws|wss)://.+")) {
            problems.add("address '" + b.address + "' is not a Dask address; expected e.g. tls://10.0.1.5:8786");
        }
        if (b.pythonExecutable != null && b.pythonExecutable.isBlank()) {
            problems.add("pythonExecutable must not be blank (default " + DEFAULT_PYTHON + ")");
        }
        if (b.concurrency != null && b.concurrency < 1) {
            problems.add("concurrency must be >= 1 (command tasks in flight at once), was " + b.concurrency);
        }
        b.resources.forEach((k, v) -> {
            if (k == null || k.isBlank() || v == null || v <= 0) {
                problems.add("resources: '" + k + "' = " + v + "; each resource needs a name and a positive amount,"
                        + " e.g. {\"GPU\": 1}");
            }
        });
        if (b.connectTimeout != null && (b.connectTimeout.isZero() || b.connectTimeout.isNegative())) {
            problems.add("connectTimeout must be positive, was " + b.connectTimeout);
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException("DaskExecutor", problems);
        }
        this.address = b.address;
        this.pythonExecutable = b.pythonExecutable == null ? DEFAULT_PYTHON : b.pythonExecutable;
        this.concurrency = b.concurrency == null ? DEFAULT_CONCURRENCY : b.concurrency;
        this.resources = Collections.unmodifiableMap(new LinkedHashMap<>(b.resources));
        this.priority = b.priority;
        this.connectTimeout = b.connectTimeout == null ? Duration.ofSeconds(30) : b.connectTimeout;
        this.tls = b.tls;
        this.heartbeat = b.heartbeat == null ? Duration.ZERO : b.heartbeat;
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The scheduler's address. */
    @JsonProperty("address")
    public String address() {
        return address;
    }

    /** The Python interpreter that runs Dask's client. */
    @JsonProperty("pythonExecutable")
    public String pythonExecutable() {
        return pythonExecutable;
    }

    /** Most command tasks in flight at once. */
    @JsonProperty("concurrency")
    public int concurrency() {
        return concurrency;
    }

    /** Dask resources every command task asks for (e.g. {@code {"GPU": 1}}). */
    @JsonProperty("resources")
    public Map<String, Double> resources() {
        return resources;
    }

    /** Dask priority of the command tasks (higher runs first), or null. */
    @JsonProperty("priority")
    public Integer priority() {
        return priority;
    }

    /** How long to wait for the scheduler when connecting. */
    @JsonProperty("connectTimeout")
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * Runs the flow: connects to the cluster (only if the flow has command tasks), runs the command tasks there
     * and the Java tasks here, disconnects. Blocking. A cluster that cannot be reached ends the run
     * {@code Crashed} with the reason.
     *
     * @throws ConfigurationException if the run's parameters do not fit the flow (before connecting)
     */
    @Override
    public FlowRunResult execute(Flow flow, FlowRun run) {
        flow.resolveParameters(run.parameters());
        boolean hasCommands = flow.tasks().stream().anyMatch(t -> t.function() instanceof CommandTask);
        if (!hasCommands) {
            return Executor.parallel(Math.min(concurrency, Runtime.getRuntime().availableProcessors()))
                    .execute(flow, run);
        }
        Instant start = Instant.now();
        DaskBridge bridge;
        try {
            bridge = DaskBridge.connect(pythonExecutable, address, tls, connectTimeout, heartbeat);
        } catch (LaunchException e) {
            LOG.warn("flow run {}: {}", run.id(), e.getMessage());
            return FlowRunResult.of(run.id(), flow.name(), State.crashed(e.getMessage(), e), start);
        }
        List<RemoteCommand> remote = new ArrayList<>();
        try (bridge) {
            LOG.info("flow run {}: command tasks of '{}' run on the Dask cluster at {} (client {})", run.id(),
                    flow.name(), address, bridge.version());
            return Executor.parallel(concurrency).execute(onCluster(flow, run, bridge, remote), run);
        } finally {
            remote.forEach(RemoteCommand::cancelUnused);
        }
    }

    /**
     * The same flow with every command task's body replaced by one that runs the command on the cluster. Command
     * tasks that are ready when the run starts (no upstream task, no task timeout) are submitted here, all
     * together, as {@code client.map} would: the scheduler queues them at once instead of one by one.
     */
    private Flow onCluster(Flow flow, FlowRun run, DaskBridge bridge, List<RemoteCommand> remote) {
        Flow.Builder b = Flow.builder(flow.name());
        flow.parameters().values().forEach(b::parameter);
        String runKey = Names.sanitize(run.id(), Names.DNS_LABEL) + "-" + UUID.randomUUID().toString().substring(0, 8);
        for (TaskSpec t : flow.tasks()) {
            TaskFunction fn = t.function();
            if (fn instanceof CommandTask c) {
                RemoteCommand r = new RemoteCommand(c.spec(), bridge, runKey + "-" + t.name(), resources, priority);
                if (t.upstream().isEmpty() && t.timeout() == null) {
                    r.submitFirstAttempt();
                }
                remote.add(r);
                fn = r;
            }
            b.task(new TaskSpec(t.name(), t.upstream(), t.retries(), t.retryDelay(), t.timeout(), fn));
        }
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DaskExecutor d && d.address.equals(address) && d.pythonExecutable.equals(pythonExecutable)
                && d.concurrency == concurrency && d.resources.equals(resources) && Objects.equals(d.priority, priority)
                && d.connectTimeout.equals(connectTimeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, pythonExecutable, concurrency, resources, priority, connectTimeout);
    }

    @Override
    public String toString() {
        return "DaskExecutor[" + address + (tls == null ? "" : ", tls") + "]";
    }

    /** A command task's body that runs the command as a Dask task. */
    private static final class RemoteCommand implements TaskFunction {
        private final CommandSpec spec;
        private final DaskBridge bridge;
        private final String key;
        private final Map<String, Double> resources;
        private final Integer priority;

        RemoteCommand(CommandSpec spec, DaskBridge bridge, String key, Map<String, Double> resources,
                      Integer priority) {
            this.spec = spec;
            this.bridge = bridge;
            this.key = key;
            this.resources = resources;
            this.priority = priority;
        }

        private final java.util.concurrent.atomic.AtomicReference<DaskBridge.Submission> early =
                new java.util.concurrent.atomic.AtomicReference<>();

        /** Submits the first attempt now, before the engine asks for it. */
        void submitFirstAttempt() {
            early.set(bridge.submit(key + "-1", spec, resources, priority));
        }

        /** Cancels a first attempt submitted early that the engine never asked for (the run was cancelled). */
        void cancelUnused() {
            DaskBridge.Submission s = early.getAndSet(null);
            if (s != null) {
                bridge.cancel(s.id());
            }
        }

        @Override
        public Object run(TaskContext ctx) throws Exception {
            DaskBridge.Submission submitted = ctx.attempt() == 1 ? early.getAndSet(null) : null;
            DaskBridge.Submission s = submitted != null ? submitted
                    : bridge.submit(key + "-" + ctx.attempt(), spec, resources, priority);
            DaskBridge.Outcome o;
            try {
                o = s.outcome().get();
            } catch (InterruptedException e) {
                bridge.cancel(s.id()); // a timeout or a cancellation: the command is killed where it runs
                throw e;
            }
            String program = spec.command().get(0);
            switch (o.kind()) {
                case "done" -> {
                    if (o.timedOut()) {
                        throw new TaskTimeoutException("command '" + program + "' timed out after " + spec.timeout()
                                + " on Dask worker " + o.worker() + "; its process tree was killed");
                    }
                    CommandResult r = new CommandResult(o.exitCode(), o.stdout(), o.stderr(), o.duration());
                    if (r.exitCode() != 0) {
                        throw new CommandFailedException(program, r);
                    }
                    return r;
                }
                case "worker-lost" -> throw new WorkerLostException("the Dask worker running '" + program
                        + "' was lost (" + o.message() + ")");
                case "cancelled" -> throw new InterruptedException("the Dask task was cancelled");
                default -> throw new FlowportException("Dask task of '" + program + "' failed: " + o.message());
            }
        }
    }

    /** A worker died while it ran a command task: the attempt failed, the task's retries decide what follows. */
    public static final class WorkerLostException extends FlowportException {
        private static final long serialVersionUID = 1L;

        WorkerLostException(String message) {
            super(message);
        }
    }

    /** Builds a {@link DaskExecutor}. */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder {
        private String address;
        private String pythonExecutable;
        private Integer concurrency;
        private final Map<String, Double> resources = new LinkedHashMap<>();
        private Integer priority;
        private Duration connectTimeout;
        private DaskTls tls;
        private Duration heartbeat;

        private Builder() {
        }

        /** The scheduler's address, e.g. {@code tls://10.0.1.5:8786}. Required. */
        @JsonProperty("address")
        public Builder address(String value) {
            this.address = value;
            return this;
        }

        /** The Python interpreter that has Dask's {@code distributed} (default {@value #DEFAULT_PYTHON}). */
        @JsonProperty("pythonExecutable")
        public Builder pythonExecutable(String value) {
            this.pythonExecutable = value;
            return this;
        }

        /** Most command tasks in flight at once (default {@value #DEFAULT_CONCURRENCY}). */
        @JsonProperty("concurrency")
        public Builder concurrency(int value) {
            this.concurrency = value;
            return this;
        }

        /** Dask resources each command task asks for (e.g. {@code GPU} = 1). */
        @JsonProperty("resources")
        public Builder resources(Map<String, Double> values) {
            if (values != null) {
                resources.putAll(values);
            }
            return this;
        }

        /** Dask priority of the command tasks (higher runs first). */
        @JsonProperty("priority")
        public Builder priority(Integer value) {
            this.priority = value;
            return this;
        }

        /** How long to wait for the scheduler when connecting (default 30 s). */
        @JsonProperty("connectTimeout")
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        /** The client's TLS material (never serialized); without it, Dask's own configuration applies. */
        public Builder tls(DaskTls value) {
            this.tls = value;
            return this;
        }

        /**
         * How often the client shows the scheduler that it lives, for schedulers started with an idle timeout
         * (default: never).
         */
        public Builder heartbeat(Duration value) {
            this.heartbeat = value;
            return this;
        }

        /**
         * The executor.
         *
         * @throws ConfigurationException listing every invalid setting
         */
        public DaskExecutor build() {
            return new DaskExecutor(this);
        }
    }
}
