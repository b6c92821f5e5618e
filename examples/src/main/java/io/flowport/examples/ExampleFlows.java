package io.flowport.examples;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;

import java.util.List;

/**
 * The flows of the examples, found by name through {@code META-INF/services/io.flowport.core.FlowProvider}: this
 * is how a runner in a container or a child JVM finds a flow of your application.
 */
public final class ExampleFlows implements FlowProvider {

    /** A Java flow: word counts of a text parameter, one task per step. */
    public static final String WORD_COUNT = "word-count";
    /** A command flow: runs a shell command, so an image without a JVM can run it. */
    public static final String SHELL = "shell-hello";

    @Override
    public List<Flow> flows() {
        return List.of(wordCount(), shell());
    }

    /** Splits a text into words, counts them, and reports the most frequent one. */
    public static Flow wordCount() {
        return Flow.builder(WORD_COUNT)
                .parameter("text", String.class, "the quick brown fox jumps over the lazy dog the end")
                .task("split", ctx -> List.of(ctx.parameter("text", String.class).toLowerCase().split("\\W+")))
                .task("count").after("split").run(ctx -> {
                    @SuppressWarnings("unchecked")
                    List<String> words = (List<String>) ctx.upstream("split");
                    java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
                    words.forEach(w -> counts.merge(w, 1, Integer::sum));
                    return counts;
                })
                .task("top").after("count").run(ctx -> {
                    @SuppressWarnings("unchecked")
                    java.util.Map<String, Integer> counts = (java.util.Map<String, Integer>) ctx.upstream("count");
                    String top = counts.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
                            .map(e -> e.getKey() + "=" + e.getValue()).orElse("(no words)");
                    System.out.println("most frequent word: " + top);
                    return top;
                })
                .build();
    }

    /** Prints a greeting and the run id that Flowport passes to every run. */
    public static Flow shell() {
        return Flow.command(SHELL, CommandSpec.of("sh", "-c", "echo hello from run $FLOWPORT__FLOW_RUN_ID"));
    }
}
