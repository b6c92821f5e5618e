package io.flowport.core;

import java.util.List;

/** Flows for core's own tests, found through META-INF/services like a user's. */
public final class TestFlows implements FlowProvider {

    @Override
    public List<Flow> flows() {
        return List.of(
                Flow.builder("core-test-add")
                        .parameter("a", Integer.class, 1)
                        .requiredParameter("b", Integer.class)
                        .task("sum", ctx -> ctx.parameter("a", Integer.class) + ctx.parameter("b", Integer.class))
                        .build(),
                Flow.builder("core-test-fail")
                        .task("boom", ctx -> {
                            throw new IllegalStateException("expected failure");
                        })
                        .build());
    }

    /** A provider named by class, offering one flow. */
    public static final class Single implements FlowProvider {
        @Override
        public List<Flow> flows() {
            return List.of(Flow.builder("core-test-single").task("t", ctx -> "ok").build());
        }
    }
}
