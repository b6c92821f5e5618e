package io.flowport.opentelemetry;

import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;
import io.flowport.core.TaskContext;
import io.flowport.core.TaskFunction;
import io.opentelemetry.api.trace.Span;

import java.time.Duration;
import java.util.List;

/** The flows of the tracing tests, also found by name by the runner in a child JVM. */
public final class TracedFlows implements FlowProvider {

    /** A flow whose first task fails once, and whose tasks return the trace and span id current in their body. */
    public static Flow etl() {
        return Flow.builder("traced-etl")
                .task("extract").retries(1, Duration.ofMillis(10)).run(new TaskFunction() {
                    private int tries;

                    @Override
                    public Object run(TaskContext ctx) {
                        if (tries++ == 0) {
                            throw new IllegalStateException("source busy");
                        }
                        return current();
                    }
                })
                .task("transform").after("extract").run(ctx -> current())
                .task("load").after("transform").run(ctx -> {
                    throw new IllegalArgumentException("table missing");
                })
                .build();
    }

    private static String current() {
        return Span.current().getSpanContext().getTraceId() + "/" + Span.current().getSpanContext().getSpanId();
    }

    @Override
    public List<Flow> flows() {
        return List.of(etl());
    }
}
