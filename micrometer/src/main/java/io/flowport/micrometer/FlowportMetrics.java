package io.flowport.micrometer;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunPhase;
import io.flowport.core.TaskRun;
import io.flowport.core.TaskSpec;
import io.flowport.core.TransientException;
import io.flowport.core.spi.CallObservation;
import io.flowport.core.spi.Instrumentation;
import io.flowport.core.spi.RunObservation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Micrometer meters of flow runs, on a {@link MeterRegistry} you pass: runs by final state and environment type,
 * runs in flight, launch and start-up latency, provider API calls by operation and outcome, throttled calls,
 * retries, task durations and task retries. Give it to an environment
 * ({@code builder.instrumentation(FlowportMetrics.create(registry))}); nothing is registered anywhere else, and
 * nothing is global.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@value #RUNS}</td><td>timer</td><td>environment, flow, state</td><td>finished runs and their
 *       duration</td></tr>
 *   <tr><td>{@value #RUNS_ACTIVE}</td><td>gauge</td><td>environment</td><td>runs started and not finished</td></tr>
 *   <tr><td>{@value #RUN_LAUNCH}</td><td>timer</td><td>environment, flow</td><td>from the run's start until the
 *       platform accepted its launch</td></tr>
 *   <tr><td>{@value #RUN_STARTUP}</td><td>timer</td><td>environment, flow</td><td>from the run's start until its
 *       unit ran</td></tr>
 *   <tr><td>{@value #PROVIDER_CALLS}</td><td>timer</td><td>backend, operation, outcome</td><td>calls of the
 *       backend SPI</td></tr>
 *   <tr><td>{@value #PROVIDER_THROTTLED}</td><td>counter</td><td>backend, operation</td><td>calls the platform
 *       throttled</td></tr>
 *   <tr><td>{@value #PROVIDER_RETRIES}</td><td>counter</td><td>backend, operation</td><td>calls tried again after a
 *       transient failure</td></tr>
 *   <tr><td>{@value #TASKS}</td><td>timer</td><td>flow, state</td><td>tasks that ran in this process, from their
 *       first attempt's start to their last attempt's end</td></tr>
 *   <tr><td>{@value #TASK_RETRIES}</td><td>counter</td><td>flow</td><td>task attempts after the first</td></tr>
 * </table>
 * Thread-safe.
 */
public final class FlowportMetrics implements Instrumentation {

    /** Finished runs (timer). */
    public static final String RUNS = "flowport.runs";
    /** Runs in flight (gauge). */
    public static final String RUNS_ACTIVE = "flowport.runs.active";
    /** Start of a run to the platform's acceptance of its launch (timer). */
    public static final String RUN_LAUNCH = "flowport.run.launch";
    /** Start of a run to its unit running (timer). */
    public static final String RUN_STARTUP = "flowport.run.startup";
    /** Provider API calls (timer). */
    public static final String PROVIDER_CALLS = "flowport.provider.calls";
    /** Throttled provider API calls (counter). */
    public static final String PROVIDER_THROTTLED = "flowport.provider.throttled";
    /** Provider API calls tried again (counter). */
    public static final String PROVIDER_RETRIES = "flowport.provider.retries";
    /** Tasks that ran in this process (timer). */
    public static final String TASKS = "flowport.tasks";
    /** Task attempts after the first (counter). */
    public static final String TASK_RETRIES = "flowport.task.retries";

    /** Outcome tag of a call that returned. */
    public static final String SUCCESS = "success";
    /** Outcome tag of a call the platform throttled. */
    public static final String THROTTLED = "throttled";
    /** Outcome tag of another transient failure (5xx, no answer), retried by the lifecycle. */
    public static final String TRANSIENT = "transient";
    /** Outcome tag of a call that failed for good. */
    public static final String ERROR = "error";

    private final MeterRegistry registry;
    private final Tags common;
    private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();

    private FlowportMetrics(MeterRegistry registry, Iterable<Tag> tags) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.common = Tags.of(tags);
    }

    /** Meters on {@code registry}. */
    public static FlowportMetrics create(MeterRegistry registry) {
        return new FlowportMetrics(registry, Tags.empty());
    }

    /** Meters on {@code registry}, each with these extra tags (e.g. {@code application}). */
    public static FlowportMetrics create(MeterRegistry registry, Iterable<Tag> tags) {
        return new FlowportMetrics(registry, tags);
    }

    @Override
    public RunObservation runStarted(Flow flow, FlowRun run, String environment, Map<String, String> parent) {
        AtomicInteger gauge = active.computeIfAbsent(environment, env -> {
            AtomicInteger n = new AtomicInteger();
            Gauge.builder(RUNS_ACTIVE, n, AtomicInteger::get).tags(common).tag("environment", env)
                    .description("Flow runs started and not finished").baseUnit("runs").register(registry);
            return n;
        });
        gauge.incrementAndGet();
        return new Observed(flow.name(), environment, gauge, System.nanoTime());
    }

    @Override
    public CallObservation call(String backend, String operation) {
        return new Call(backend, operation, System.nanoTime());
    }

    @Override
    public void retried(String backend, String operation, Throwable cause) {
        Counter.builder(PROVIDER_RETRIES).tags(common).tag("backend", backend).tag("operation", operation)
                .description("Provider API calls tried again after a transient failure").register(registry)
                .increment();
    }

    private Timer timer(String name, String description, Tags tags) {
        return Timer.builder(name).tags(common).tags(tags).description(description).register(registry);
    }

    /** One run: in flight until finished; its launch and start-up latency from the phases. */
    private final class Observed implements RunObservation, FlowRunListener {
        private final String flow;
        private final String environment;
        private final AtomicInteger gauge;
        private final long startNanos;
        private final AtomicBoolean launched = new AtomicBoolean();
        private final AtomicBoolean running = new AtomicBoolean();
        private final AtomicBoolean finished = new AtomicBoolean();

        Observed(String flow, String environment, AtomicInteger gauge, long startNanos) {
            this.flow = flow;
            this.environment = environment;
            this.gauge = gauge;
            this.startNanos = startNanos;
        }

        @Override
        public FlowRunListener listener() {
            return this;
        }

        @Override
        public CallObservation call(String backend, String operation) {
            return FlowportMetrics.this.call(backend, operation);
        }

        @Override
        public void runPhaseChanged(FlowRun run, PhaseChange change) {
            if (change.phase() == RunPhase.LAUNCHED && launched.compareAndSet(false, true)) {
                timer(RUN_LAUNCH, "From the start of a flow run until the platform accepted its launch",
                        Tags.of("environment", environment, "flow", flow))
                        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
            } else if (change.phase() == RunPhase.RUNNING && running.compareAndSet(false, true)) {
                timer(RUN_STARTUP, "From the start of a flow run until its unit ran",
                        Tags.of("environment", environment, "flow", flow))
                        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void taskFinished(FlowRun run, TaskSpec task, TaskRun outcome) {
            if (outcome.attempts() == 0) {
                return; // never ran: nothing to time
            }
            timer(TASKS, "Tasks that ran in this process, first attempt's start to last attempt's end",
                    Tags.of("flow", flow, "state", outcome.state().type().displayName()))
                    .record(outcome.duration());
            if (outcome.attempts() > 1) {
                Counter.builder(TASK_RETRIES).tags(common).tag("flow", flow)
                        .description("Task attempts after the first").register(registry)
                        .increment(outcome.attempts() - 1);
            }
        }

        @Override
        public void finished(FlowRunResult result) {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            gauge.decrementAndGet();
            Duration d = result.duration();
            timer(RUNS, "Finished flow runs by final state",
                    Tags.of("environment", environment, "flow", flow, "state", result.state().type().displayName()))
                    .record(d.isNegative() ? Duration.ZERO : d);
        }
    }

    /** One provider call. */
    private final class Call implements CallObservation {
        private final String backend;
        private final String operation;
        private final long startNanos;

        Call(String backend, String operation, long startNanos) {
            this.backend = backend;
            this.operation = operation;
            this.startNanos = startNanos;
        }

        @Override
        public void succeeded() {
            record(SUCCESS);
        }

        @Override
        public void failed(Throwable error) {
            boolean throttled = error instanceof TransientException t && t.throttled();
            record(throttled ? THROTTLED : error instanceof TransientException ? TRANSIENT : ERROR);
            if (throttled) {
                Counter.builder(PROVIDER_THROTTLED).tags(common).tag("backend", backend).tag("operation", operation)
                        .description("Provider API calls the platform throttled").register(registry).increment();
            }
        }

        private void record(String outcome) {
            timer(PROVIDER_CALLS, "Calls of a provider's API (the backend SPI)",
                    Tags.of("backend", backend, "operation", operation, "outcome", outcome))
                    .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }
}
