package io.flowport.examples.image;

import io.flowport.core.Serialization;
import io.flowport.storage.image.ImageBuildReport;
import io.flowport.storage.image.ImageStorage;

import java.util.Map;

/**
 * Builds an image of this application's flows with {@link ImageStorage} and pushes it, without Docker: what an
 * application does before it runs its flows on Fargate or Kubernetes. Settings come from the
 * {@code FLOWPORT_IMAGE_*} variables; without them it pushes to a local registry at {@code 127.0.0.1:5000}.
 *
 * <pre>
 * docker-registry serve config.yml   # http.addr: 127.0.0.1:5000
 * FLOWPORT_IMAGE_BASE_IMAGE=scratch ./mvnw -q -pl examples exec:java \
 *     -Dexec.mainClass=io.flowport.examples.image.ImageExample
 * </pre>
 */
public final class ImageExample {

    private ImageExample() {
    }

    /**
     * Adds the example's flows to a storage made from {@code settings} (plus the greeting the flow reads from the
     * image's environment), builds the image from this JVM's class path and pushes it. Blocking.
     *
     * @return the built storage: its image is referenced by digest, ready to hand to an environment
     */
    public static ImageStorage buildAndPush(ImageStorage.Builder settings) {
        ImageStorage storage = settings
                .environment(ImageExampleFlows.GREETING_VARIABLE, "Hello from the image")
                .label("org.opencontainers.image.title", "flowport-examples")
                .build();
        storage.addFlows(new ImageExampleFlows());
        return storage.build();
    }

    /** Builds and pushes; prints the image and the storage JSON that environments receive. */
    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        ImageStorage.Builder settings = ImageStorage.builder().fromEnvironment(env);
        if (!env.containsKey(ImageStorage.ENV_REGISTRY)) {
            settings.registry("127.0.0.1:5000");
        }
        if (!env.containsKey(ImageStorage.ENV_REPOSITORY)) {
            settings.repository("flowport/examples");
        }
        ImageStorage built = buildAndPush(settings);
        ImageBuildReport report = built.buildReport().orElseThrow();
        System.out.println("pushed " + built.image().orElseThrow() + " (tag " + report.tag() + "): "
                + report.blobsUploaded() + " blobs uploaded (" + report.bytesUploaded() + " bytes), "
                + report.blobsSkipped() + " already there, " + report.duration().toMillis() + " ms");
        report.layers().forEach(l -> System.out.println("  layer " + l.name() + ": " + l.files() + " files, "
                + l.bytes() + " bytes"));
        System.out.println("storage for environments: " + Serialization.toJson(built));
    }
}
