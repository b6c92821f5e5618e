package io.flowport.agent;

import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** Flows the agent's tests run in-process and in child processes (found through META-INF/services). */
public final class AgentTestFlows implements FlowProvider {

    /** Doubles {@code n}. */
    static final Flow HELLO = Flow.builder("agent-hello").parameter("n", Integer.class, 1)
            .task("double", ctx -> ctx.parameter("n", Integer.class) * 2).build();

    /**
     * Appends the run's id to {@code <marker>/<run id>} (one line per start: the launch count), sleeps {@code ms},
     * then succeeds; with {@code fail} it fails.
     */
    static final Flow MARKED = Flow.builder("agent-marked")
            .parameter("marker", String.class, "")
            .parameter("ms", Integer.class, 0)
            .parameter("fail", Boolean.class, false)
            .task("work", ctx -> {
                String dir = ctx.parameter("marker", String.class);
                if (!dir.isEmpty()) {
                    Path f = Paths.get(dir, ctx.flowRunId());
                    try {
                        Files.writeString(f, "started\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                                StandardOpenOption.APPEND);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                int ms = ctx.parameter("ms", Integer.class);
                long until = System.nanoTime() + ms * 1_000_000L;
                while (System.nanoTime() < until && !ctx.isCancelled()) {
                    try {
                        Thread.sleep(Math.min(50, Math.max(1, (until - System.nanoTime()) / 1_000_000L)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted");
                    }
                }
                if (ctx.parameter("fail", Boolean.class)) {
                    throw new IllegalStateException("asked to fail");
                }
                return "done";
            }).build();

    @Override
    public List<Flow> flows() {
        return List.of(HELLO, MARKED);
    }
}
