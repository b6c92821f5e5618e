package com.example;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.env.local.LocalEnvironment;

/** The README's quick start, verbatim (ReadmeQuickStartTest keeps the two the same). */
public final class QuickStart {

    private QuickStart() {
    }

    /** Runs the quick start's flow and prints its final state and the result of the last task. */
    public static void main(String[] args) {
        Flow flow = Flow.builder("hello")
                .parameter("name", String.class, "world")
                .task("greet", ctx -> "hello " + ctx.parameter("name", String.class))
                .task("shout").after("greet").run(ctx -> ctx.upstream("greet", String.class).toUpperCase())
                .build();
        FlowRunResult result = LocalEnvironment.create().execute(flow, FlowRun.builder().parameter("name", "flowport").build());
        System.out.println(result.state() + " -> " + result.result("shout").orElse(null));
    }
}
