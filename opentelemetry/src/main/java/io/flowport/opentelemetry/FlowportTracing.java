package io.flowport.opentelemetry;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.PhaseChange;
import io.flowport.core.State;
import io.flowport.core.StateType;
import io.flowport.core.TaskSpec;
import io.flowport.core.TransientException;
import io.flowport.core.spi.CallObservation;
import io.flowport.core.spi.Instrumentation;
import io.flowport.core.spi.RunObservation;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * OpenTelemetry spans of flow runs, through the OpenTelemetry API only (bring the SDK and exporter you use):
 * <ul>
 *   <li>{@code run <flow>} for each flow run, from its start to its end, with its phases as events and its final
 *       state; it is a child of the span current where the run starts;</li>
 *   <li>{@code <backend> <operation>} (kind CLIENT) for each call of the provider's API made for the run (launch,
 *       stop, logs, find, watch), a child of the run's span;</li>
 *   <li>{@code task <name>} for each task that runs in this process, current while the task's body runs (so that
 *       what the task calls joins the trace), with a {@code retry} event per retry;</li>
 *   <li>inside a container or child process, the runner continues the caller's trace: its run span
 *       ({@code runner <flow>}) is a child of the caller's run span, from the {@code FLOWPORT__TRACEPARENT} variable
 *       the caller set (W3C trace context), and its tasks are children of it. The runner finds this class through
 *       {@link RunnerTracing} when {@code flowport-opentelemetry} is on its class path.</li>
 * </ul>
 * Batched status reads and definitions, which serve many runs, make no spans (count them with
 * {@code flowport-micrometer}). Thread-safe.
 */
public final class FlowportTracing implements Instrumentation {

    /** The instrumentation scope name of the spans. */
    public static final String SCOPE = "io.flowport";

    static final AttributeKey<String> FLOW = AttributeKey.stringKey("flowport.flow.name");
    static final AttributeKey<String> RUN_ID = AttributeKey.stringKey("flowport.flow_run.id");
    static final AttributeKey<String> ENVIRONMENT = AttributeKey.stringKey("flowport.environment");
    static final AttributeKey<String> STATE = AttributeKey.stringKey("flowport.state");
    static final AttributeKey<String> TASK = AttributeKey.stringKey("flowport.task.name");
    static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("flowport.task.attempts");
    static final AttributeKey<String> BACKEND = AttributeKey.stringKey("flowport.backend");
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("flowport.operation");
    static final AttributeKey<Boolean> THROTTLED = AttributeKey.booleanKey("flowport.throttled");
    static final AttributeKey<String> PHASE = AttributeKey.stringKey("flowport.phase");
    static final AttributeKey<String> DETAIL = AttributeKey.stringKey("flowport.phase.detail");
    static final AttributeKey<String> MESSAGE = AttributeKey.stringKey("flowport.message");
    static final AttributeKey<Boolean> REMOTE = AttributeKey.booleanKey("flowport.runner");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private static final TextMapGetter<Map<String, String>> MAP_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Tracer tracer;

    private FlowportTracing(OpenTelemetry openTelemetry) {
        this.tracer = Objects.requireNonNull(openTelemetry, "openTelemetry").getTracer(SCOPE, version());
    }

    /** Spans through {@code openTelemetry} (e.g. your {@code OpenTelemetrySdk}, or {@code GlobalOpenTelemetry.get()}). */
    public static FlowportTracing create(OpenTelemetry openTelemetry) {
        return new FlowportTracing(openTelemetry);
    }

    private static String version() {
        String v = FlowportTracing.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    @Override
    public RunObservation runStarted(Flow flow, FlowRun run, String environment, Map<String, String> parent) {
        boolean inRunner = !parent.isEmpty();
        Context parentContext = inRunner
                ? W3CTraceContextPropagator.getInstance().extract(Context.root(), parent, MAP_GETTER)
                : Context.current();
        Span span = tracer.spanBuilder((inRunner ? "runner " : "run ") + flow.name())
                .setParent(parentContext)
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(FLOW, flow.name())
                .setAttribute(RUN_ID, run.id())
                .setAttribute(ENVIRONMENT, environment)
                .setAttribute(REMOTE, inRunner)
                .startSpan();
        return new TracedRun(span);
    }

    private static void end(Span span, State state, java.time.Instant at) {
        span.setAttribute(STATE, state.type().displayName());
        if (!state.message().isEmpty()) {
            span.setAttribute(MESSAGE, state.message());
        }
        if (!state.isSuccess() && state.type() != StateType.SKIPPED) {
            span.setStatus(StatusCode.ERROR, state.toString());
            state.optionalCause().ifPresent(span::recordException);
        }
        if (at == null) {
            span.end();
        } else {
            span.end(at);
        }
    }

    /** A task's span and the scope that makes it current on the task's thread. */
    private static final class TaskSpan {
        final Span span;
        final Scope scope;
        /** Written and read on the task's thread only. */
        int retries;

        TaskSpan(Span span, Scope scope) {
            this.span = span;
            this.scope = scope;
        }
    }

    /** One run's span and the spans of its tasks and calls. */
    private final class TracedRun implements RunObservation, FlowRunListener {
        private final Span span;
        private final Context context;
        private final Map<String, TaskSpan> tasks = new ConcurrentHashMap<>();
        private final AtomicBoolean ended = new AtomicBoolean();

        TracedRun(Span span) {
            this.span = span;
            this.context = Context.root().with(span);
        }

        @Override
        public FlowRunListener listener() {
            return this;
        }

        @Override
        public Map<String, String> traceContext() {
            Map<String, String> carrier = new LinkedHashMap<>();
            W3CTraceContextPropagator.getInstance().inject(context, carrier, Map::put);
            return carrier;
        }

        @Override
        public CallObservation call(String backend, String operation) {
            Span call = tracer.spanBuilder(backend + " " + operation).setParent(context).setSpanKind(SpanKind.CLIENT)
                    .setAttribute(BACKEND, backend).setAttribute(OPERATION, operation).startSpan();
            return new CallObservation() {
                @Override
                public void succeeded() {
                    call.end();
                }

                @Override
                public void failed(Throwable error) {
                    boolean throttled = error instanceof TransientException t && t.throttled();
                    call.setAttribute(THROTTLED, throttled);
                    call.setAttribute(ERROR_TYPE, error.getClass().getName());
                    call.recordException(error);
                    call.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
                    call.end();
                }
            };
        }

        @Override
        public void taskStateChanged(FlowRun run, TaskSpec task, State state) {
            if (state.type() == StateType.RUNNING) {
                Span t = tracer.spanBuilder("task " + task.name()).setParent(context)
                        .setAttribute(TASK, task.name()).startSpan();
                // current while the body runs, on this thread, until the task's final state on the same thread
                tasks.put(task.name(), new TaskSpan(t, t.makeCurrent()));
            } else if (state.type() == StateType.RETRYING) {
                TaskSpan t = tasks.get(task.name());
                if (t != null) {
                    t.retries++;
                    t.span.addEvent("retry", Attributes.of(MESSAGE, state.message()));
                }
            } else if (state.isTerminal()) {
                // the final state comes on the task's own thread, right after its last attempt: the scope closes
                // here, so that it never outlives the task even for a listener chain that drops taskFinished
                TaskSpan t = tasks.remove(task.name());
                if (t != null) {
                    t.scope.close();
                    t.span.setAttribute(ATTEMPTS, (long) t.retries + 1);
                    end(t.span, state, null);
                }
            }
        }

        @Override
        public void runPhaseChanged(FlowRun run, PhaseChange change) {
            span.addEvent("phase " + change.phase().name().toLowerCase(java.util.Locale.ROOT),
                    Attributes.of(PHASE, change.phase().name(), DETAIL, change.detail()), change.at());
        }

        @Override
        public void finished(FlowRunResult result) {
            if (ended.compareAndSet(false, true)) {
                end(span, result.state(), null);
            }
        }
    }
}
