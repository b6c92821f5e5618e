package io.flowport.examples.image;

import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;

import java.util.List;
import java.util.Locale;

/**
 * The flows the image example ships: {@code image-hello} greets someone with a greeting taken from the image's
 * environment ({@value #GREETING_VARIABLE}), so a run shows that it ran with the image's settings.
 * {@link io.flowport.storage.image.ImageStorage#addFlows} records them as {@code class#flow} locations, which
 * the runner in the image finds without a {@code META-INF/services} entry.
 */
public final class ImageExampleFlows implements FlowProvider {

    /** The environment variable the image sets and the flow reads. */
    public static final String GREETING_VARIABLE = "FLOWPORT_EXAMPLE_GREETING";

    /** Used by the runner (public, no arguments). */
    public ImageExampleFlows() {
    }

    @Override
    public List<Flow> flows() {
        return List.of(Flow.builder("image-hello")
                .parameter("name", String.class, "world")
                .task("greet", ctx -> {
                    String greeting = System.getenv().getOrDefault(GREETING_VARIABLE, "Hello");
                    return greeting + ", " + ctx.parameter("name", String.class) + "!";
                })
                .task("shout").after("greet").run(ctx -> {
                    String line = ctx.upstream("greet", String.class).toUpperCase(Locale.ROOT);
                    System.out.println("image-hello says: " + line);
                    return line;
                })
                .build());
    }
}
