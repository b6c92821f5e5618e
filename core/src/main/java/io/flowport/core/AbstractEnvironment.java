package io.flowport.core;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.flowport.core.spi.Instrumentation;
import io.flowport.core.spi.RunObservation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The settings and the run lifecycle every environment shares: labels, metadata, executor, callbacks, and the
 * callback rules of {@link Environment}. Subclasses supply validation, setup and the provider's execution.
 *
 * <p>Only getters annotated with {@code @JsonProperty} are serialized, so a secret can only leak by being
 * annotated on purpose.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        creatorVisibility = JsonAutoDetect.Visibility.NONE)
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public abstract class AbstractEnvironment implements Environment {

    private static final Logger LOG = LoggerFactory.getLogger(AbstractEnvironment.class);

    private final Set<String> labels;
    private final Map<String, Object> metadata;
    private final Executor executor;
    private final StartCallback onStart;
    private final ExitCallback onExit;
    private final Instrumentation instrumentation;

    /** Copies the common settings from a builder. */
    protected AbstractEnvironment(Builder<?> b) {
        this.labels = Collections.unmodifiableSet(new LinkedHashSet<>(b.labels));
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
        this.executor = b.executor == null ? Executor.parallel() : b.executor;
        this.onStart = b.onStart;
        this.onExit = b.onExit;
        this.instrumentation = b.instrumentation;
    }

    /** What observes this environment's runs for metrics and traces (never serialized). */
    public Instrumentation instrumentation() {
        return instrumentation;
    }

    @Override
    @JsonProperty("labels")
    public Set<String> labels() {
        return labels;
    }

    @Override
    @JsonProperty("metadata")
    public Map<String, Object> metadata() {
        return metadata;
    }

    @Override
    @JsonProperty("executor")
    public Executor executor() {
        return executor;
    }

    /**
     * The name of this environment's kind in metrics, traces and messages: its serialized type name (e.g.
     * {@code local}), or, for an environment no {@link io.flowport.core.spi.TypeProvider} registers (it cannot be
     * serialized, but runs all the same), its class's simple name.
     */
    public String type() {
        return Serialization.findEnvironmentType(getClass()).orElse(getClass().getSimpleName());
    }

    /**
     * Problems with this environment's settings for running {@code flow}, each naming the field and what is
     * expected. Called before any callback or remote call. The default finds none.
     */
    protected List<String> validate(Flow flow) {
        return List.of();
    }

    /**
     * Problems with this environment's settings for running {@code flow}, each naming the field and what is
     * expected; empty when it can run. Makes no remote call: for checking settings before submitting.
     */
    public final List<String> problems(Flow flow) {
        return List.copyOf(validate(Objects.requireNonNull(flow, "flow")));
    }

    /** Throws a {@link ConfigurationException} listing every problem {@link #validate} finds. */
    protected final void checkValid(Flow flow) {
        List<String> problems = new ArrayList<>(validate(flow));
        if (!problems.isEmpty()) {
            throw new ConfigurationException(getClass().getSimpleName(), problems);
        }
    }

    @Override
    public void setup(Flow flow) {
        checkValid(flow);
    }

    /**
     * Starts the run on this environment's infrastructure and follows it to its end. Called after validation
     * and {@code onStart}. Exceptions become states: {@link LaunchException} gives {@code Failed}, anything
     * else {@code Crashed}.
     */
    protected abstract FlowRunResult doExecute(Flow flow, FlowRun run);

    /**
     * As {@link #doExecute(Flow, FlowRun)}, with the run's observation: environments that start a runner elsewhere
     * override it to carry {@link RunObservation#traceContext()} into the runner's variables
     * ({@link RunnerSettings#traceVariables}) and to report their provider calls. {@code run} already carries the
     * observation's listener. The default calls {@link #doExecute(Flow, FlowRun)}.
     */
    protected FlowRunResult doExecute(Flow flow, FlowRun run, RunObservation observation) {
        return doExecute(flow, run);
    }

    @Override
    public final FlowRunResult execute(Flow flow, FlowRun run) {
        Objects.requireNonNull(flow, "flow");
        Objects.requireNonNull(run, "run");
        checkValid(flow);
        flow.resolveParameters(run.parameters());
        RunObservation observation = observe(flow, run);
        FlowRun observed = observation == RunObservation.NONE ? run
                : run.toBuilder().listener(run.listener().andThen(observation.listener())).build();
        FlowRunResult result = null;
        try {
            result = execute(flow, observed, observation);
            if (result.detail(FlowRunResult.PARAMETERS).isEmpty()) {
                result = result.withDetail(FlowRunResult.PARAMETERS, flow.resolveParameters(run.parameters()));
            }
            return result;
        } finally {
            if (result != null) {
                finished(observation, result);
            }
        }
    }

    private RunObservation observe(Flow flow, FlowRun run) {
        try {
            RunObservation o = instrumentation.runStarted(flow, run, type(), Map.of());
            return o == null ? RunObservation.NONE : o;
        } catch (RuntimeException e) {
            LOG.warn("flow run {}: instrumentation failed on the run's start: {}", run.id(), e.toString());
            return RunObservation.NONE;
        }
    }

    private static void finished(RunObservation observation, FlowRunResult result) {
        try {
            observation.finished(result);
        } catch (RuntimeException e) {
            LOG.warn("flow run {}: instrumentation failed on the run's end: {}", result.flowRunId(), e.toString());
        }
    }

    private FlowRunResult execute(Flow flow, FlowRun run, RunObservation observation) {
        RunInfo info = new RunInfo(flow, run, type());
        Instant start = Instant.now();
        FlowRunResult result;
        if (onStart != null) {
            try {
                onStart.onStart(info);
            } catch (Exception e) {
                LOG.info("flow run {} of '{}': onStart failed, nothing was created: {}", run.id(), flow.name(),
                        e.toString());
                result = FlowRunResult.of(run.id(), flow.name(),
                        State.failed("onStart callback failed: " + e, e), start);
                return exit(info, result);
            } catch (Error e) {
                finished(observation, exit(info, FlowRunResult.of(run.id(), flow.name(),
                        State.failed("onStart callback failed: " + e, e), start)));
                throw e;
            }
        }
        try {
            result = doExecute(flow, run, observation);
        } catch (LaunchException | ConfigurationException e) {
            result = FlowRunResult.of(run.id(), flow.name(), State.failed(e.getMessage(), e), start);
        } catch (RuntimeException e) {
            result = FlowRunResult.of(run.id(), flow.name(),
                    State.crashed(type() + " environment failed: " + e, e), start);
        } catch (Error e) {
            // onExit always runs; the Error (out of memory, a linkage problem) still reaches the caller
            LOG.warn("flow run {} of '{}': {} while running; onExit runs before it is rethrown", run.id(),
                    flow.name(), e.toString());
            finished(observation, exit(info, FlowRunResult.of(run.id(), flow.name(),
                    State.crashed(type() + " environment failed: " + e, e), start)));
            throw e;
        }
        return exit(info, result);
    }

    private FlowRunResult exit(RunInfo info, FlowRunResult result) {
        if (onExit == null) {
            return result;
        }
        try {
            onExit.onExit(info, result);
            return result;
        } catch (Exception e) {
            String warning = "onExit callback failed: " + e;
            LOG.warn("flow run {} of '{}': {}", info.run().id(), info.flow().name(), warning);
            return result.withWarning(warning);
        }
    }

    /** Builder of the common settings; provider builders extend it. */
    public abstract static class Builder<B extends Builder<B>> {
        private final Set<String> labels = new LinkedHashSet<>();
        private final Map<String, Object> metadata = new LinkedHashMap<>();
        private Executor executor;
        private StartCallback onStart;
        private ExitCallback onExit;
        private Instrumentation instrumentation = Instrumentation.NONE;

        /** Creates an empty builder. */
        protected Builder() {
        }

        /** This builder, typed. */
        @SuppressWarnings("unchecked")
        protected final B self() {
            return (B) this;
        }

        /** Adds labels. */
        @JsonProperty("labels")
        public B labels(Iterable<String> values) {
            for (String l : values) {
                labels.add(Objects.requireNonNull(l, "label"));
            }
            return self();
        }

        /** Adds labels. */
        public B labels(String... values) {
            return labels(List.of(values));
        }

        /** Adds metadata. */
        @JsonProperty("metadata")
        public B metadata(Map<String, ?> values) {
            metadata.putAll(values);
            return self();
        }

        /** Adds one metadata entry. */
        public B metadata(String key, Object value) {
            metadata.put(Objects.requireNonNull(key, "key"), value);
            return self();
        }

        /** The executor for in-process runs (default: parallel, one thread per processor). */
        @JsonProperty("executor")
        public B executor(Executor value) {
            this.executor = Objects.requireNonNull(value, "executor");
            return self();
        }

        /** A callback run before anything is created. Never serialized. */
        public B onStart(StartCallback callback) {
            this.onStart = callback;
            return self();
        }

        /** A callback run after the run ended, whatever the outcome. Never serialized. */
        public B onExit(ExitCallback callback) {
            this.onExit = callback;
            return self();
        }

        /**
         * What observes the runs for metrics and traces (e.g. {@code FlowportMetrics} of {@code flowport-micrometer},
         * {@code FlowportTracing} of {@code flowport-opentelemetry}; several with {@link Instrumentation#of}).
         * Default: none. Never serialized, and not a setting of environment documents (set in code only).
         */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public B instrumentation(Instrumentation value) {
            this.instrumentation = Objects.requireNonNull(value, "instrumentation");
            return self();
        }
    }
}
