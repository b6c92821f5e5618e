package io.flowport.storage.image;

import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;

import java.util.List;

/** Two small flows for the tests; listed in META-INF/services so that they are found by name too. */
public final class TestFlows implements FlowProvider {

    /** Used by ServiceLoader and by {@code class#flow} locations. */
    public TestFlows() {
    }

    @Override
    public List<Flow> flows() {
        return List.of(
                Flow.builder("image-test-hello").task("hello", ctx -> "hello").build(),
                Flow.builder("image-test-sum").parameter("n", Integer.class, 3)
                        .task("sum", ctx -> {
                            int n = ctx.parameter("n", Integer.class);
                            return n * (n + 1) / 2;
                        }).build());
    }
}
