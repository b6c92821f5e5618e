package io.flowport.env.local;

import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;

import java.util.List;

/** Flows the child JVMs of these tests find through META-INF/services. */
public final class LocalTestFlows implements FlowProvider {

    @Override
    public List<Flow> flows() {
        return List.of(
                Flow.builder("local-greet")
                        .parameter("name", String.class, "world")
                        .task("greet", ctx -> {
                            String text = "hello " + ctx.parameter("name", String.class);
                            System.out.println(text);
                            return text;
                        })
                        .build(),
                Flow.builder("local-fail")
                        .task("boom", ctx -> {
                            throw new IllegalStateException("expected failure");
                        })
                        .build(),
                Flow.builder("local-sleep")
                        .task("sleep", ctx -> {
                            System.out.println("sleeping");
                            Thread.sleep(60_000);
                            return null;
                        })
                        .build());
    }
}
