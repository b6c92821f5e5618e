package io.flowport.it.image;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.RunnerSettings;
import io.flowport.core.Serialization;
import io.flowport.core.Storage;
import io.flowport.env.local.LocalProcessEnvironment;
import io.flowport.examples.image.ImageExample;
import io.flowport.examples.image.ImageExampleFlows;
import io.flowport.storage.image.ImageStorage;
import io.flowport.storage.image.testing.ImagePuller;
import io.flowport.storage.image.testing.LocalRegistry;
import io.flowport.storage.image.testing.RegistryExtension;
import io.flowport.storage.image.testing.PulledImage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole image path without a cloud: the example application builds its flows' image with ImageStorage and
 * pushes it to a real registry on 127.0.0.1; the test pulls it back through the registry HTTP API, unpacks its
 * layers, and runs the flow from the unpacked class path with the image's entrypoint and environment in a child
 * JVM (env-local's LocalProcessEnvironment standing in for the container). Skipped when the docker-registry
 * binary is missing (apt-get install -y docker-registry).
 */
class ImageStorageIT {

    @TempDir
    static Path work;
    /** Skips every test, with the reason, when docker-registry is not installed. */
    @RegisterExtension
    static final RegistryExtension REGISTRY = RegistryExtension.plain();
    static LocalRegistry registry;

    @BeforeAll
    static void startRegistry() throws IOException {
        registry = REGISTRY.registry();
    }

    @Test
    void anApplicationPushesItsFlowsImageAndTheFlowRunsFromThePulledImage() throws IOException {
        ImageStorage built = ImageExample.buildAndPush(ImageStorage.builder().fromEnvironment(Map.of())
                .registry(registry.address()).repository("flowport/examples")
                // no internet here: an empty base; the JVM of this machine stands in for the image's
                .baseImage(ImageStorage.SCRATCH)
                .cacheDirectory(work.resolve("jib-cache"))
                .dockerConfig(work.resolve("no-docker-config.json")));

        String image = built.image().orElseThrow();
        assertThat(image).startsWith(registry.address() + "/flowport/examples@sha256:");

        // what a container runtime does: pull the manifest and layers, unpack them in order
        Path root = work.resolve("rootfs");
        PulledImage pulled = new ImagePuller().pull(image, root);
        assertThat(pulled.entrypoint()).isEqualTo(RunnerSettings.DEFAULT_CONTAINER_COMMAND);
        assertThat(pulled.labels()).containsEntry(ImageStorage.FLOWS_LABEL, "image-hello");
        assertThat(pulled.environment()).containsEntry(ImageExampleFlows.GREETING_VARIABLE, "Hello from the image");

        // the environment receives the storage as JSON: image by digest and flows
        Storage storage = Serialization.storageFromJson(Serialization.toJson(built));
        String location = storage.flows().get("image-hello");
        assertThat(location).isEqualTo(ImageExampleFlows.class.getName() + "#image-hello");
        Flow flow = storage.load(location);

        LocalProcessEnvironment container = LocalProcessEnvironment.builder()
                .classpath(classpathOf(pulled.entrypoint(), root))
                .environment(pulled.environment())
                .workingDirectory(root)
                .build();
        FlowRunResult result = container.execute(flow, FlowRun.builder()
                .parameter("name", "Fargate")
                .storage(storage, location)
                .timeout(Duration.ofMinutes(2))
                .build());

        assertThat(result.isSuccess()).as("%s%n%s", result.state(), result.logs()).isTrue();
        assertThat(result.logs().lines()).contains("image-hello says: HELLO FROM THE IMAGE, FARGATE!");
    }

    /**
     * The entrypoint's {@code -cp} with every image path moved under {@code root}, {@code dir/*} expanded to the
     * jars in it as the {@code java} launcher does. Only what the image holds: nothing of this JVM's class path.
     */
    private static List<Path> classpathOf(List<String> entrypoint, Path root) throws IOException {
        int cp = entrypoint.indexOf("-cp");
        assertThat(cp).as("entrypoint %s has -cp", entrypoint).isPositive();
        List<Path> out = new ArrayList<>();
        for (String entry : entrypoint.get(cp + 1).split(":")) {
            String rel = entry.substring(1);
            if (rel.endsWith("/*")) {
                Path dir = root.resolve(rel.substring(0, rel.length() - 2));
                try (Stream<Path> jars = Files.list(dir)) {
                    jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(out::add);
                }
            } else if (Files.exists(root.resolve(rel))) {
                out.add(root.resolve(rel));
            }
        }
        return out;
    }
}
