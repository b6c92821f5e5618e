package io.flowport.storage.image;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import io.flowport.core.RunnerSettings;
import io.flowport.core.Serialization;
import io.flowport.core.Storage;
import io.flowport.storage.image.testing.ImagePuller;
import io.flowport.storage.image.testing.LocalRegistry;
import io.flowport.storage.image.testing.RegistryExtension;
import io.flowport.storage.image.testing.PulledImage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Builds and pushes images to a real registry (Debian's docker-registry on 127.0.0.1) and reads them back
 * through the registry HTTP API. Skipped, with the reason, when the docker-registry binary is missing.
 */
class ImageStorageRegistryIT {

    @TempDir
    static Path work;
    /** Skips every test, with the reason, when docker-registry is not installed. */
    @RegisterExtension
    static final RegistryExtension REGISTRY = RegistryExtension.plain();
    static LocalRegistry registry;
    static Path slf4jJar;

    @BeforeAll
    static void startRegistry() throws IOException {
        registry = REGISTRY.registry();
        slf4jJar = Paths.get(org.slf4j.Logger.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    }

    /** A small application: two class path directories (one with a resource and a service file) and a jar. */
    static List<Path> application(Path dir) throws IOException {
        Path main = Files.createDirectories(dir.resolve("classes"));
        Files.createDirectories(main.resolve("com/example"));
        Files.write(main.resolve("com/example/Job.class"), bytes("job-class-v1"));
        Files.writeString(main.resolve("app.properties"), "greeting=hello\n");
        Files.createDirectories(main.resolve("META-INF/services"));
        Files.writeString(main.resolve("META-INF/services/io.flowport.core.FlowProvider"), "com.example.Flows\n");
        Path test = Files.createDirectories(dir.resolve("test-classes"));
        Files.createDirectories(test.resolve("com/example"));
        Files.write(test.resolve("com/example/JobTest.class"), bytes("job-test-class"));
        Files.createDirectories(test.resolve("META-INF/services"));
        Files.writeString(test.resolve("META-INF/services/io.flowport.core.FlowProvider"), "com.example.TestFlows\n");
        return List.of(main, test, slf4jJar);
    }

    private static byte[] bytes(String seed) {
        // a few KiB of not very compressible content, so that layer sizes are meaningful
        byte[] out = new byte[8192];
        java.util.Random r = new java.util.Random(seed.hashCode());
        r.nextBytes(out);
        return out;
    }

    private ImageStorage.Builder storage(String repository, List<Path> classpath) {
        return ImageStorage.builder().fromEnvironment(Map.of())
                .registry(registry.address()).repository(repository)
                .baseImage(ImageStorage.SCRATCH)
                .classpath(classpath)
                .cacheDirectory(work.resolve("cache-" + repository.replace('/', '-')))
                .dockerConfig(work.resolve("no-docker-config.json"))
                .environment("FLOWPORT_TEST", "yes")
                .label("team", "data");
    }

    @Test
    void pushesRunnerImageWithJibLayoutAndReturnsDigestReference() throws IOException {
        Path app = Files.createDirectories(work.resolve("app1"));
        ImageStorage storage = storage("flows/layout", application(app)).build();
        storage.addFlows(new TestFlows());

        ImageStorage built = storage.build();

        String image = built.image().orElseThrow();
        assertThat(image).matches("127\\.0\\.0\\.1:\\d+/flows/layout@sha256:[0-9a-f]{64}");
        ImageBuildReport report = built.buildReport().orElseThrow();
        assertThat(report.tag()).matches("[0-9a-f]{32}");
        assertThat(report.layers()).extracting(ImageBuildReport.Layer::name)
                .containsExactly("dependencies", "resources", "classes");
        assertThat(report.blobsUploaded()).isEqualTo(4); // three layers and the configuration

        Path root = work.resolve("unpacked-layout");
        PulledImage pulled = new ImagePuller().pull(image, root);
        assertThat(pulled.mediaType()).isEqualTo("application/vnd.docker.distribution.manifest.v2+json");
        assertThat(pulled.entrypoint()).isEqualTo(RunnerSettings.DEFAULT_CONTAINER_COMMAND);
        assertThat(pulled.environment()).containsEntry("FLOWPORT_TEST", "yes");
        assertThat(pulled.labels()).containsEntry("team", "data")
                .containsEntry(ImageStorage.FLOWS_LABEL, "image-test-hello,image-test-sum");
        assertThat(root.resolve("app/classes/com/example/Job.class")).exists();
        assertThat(root.resolve("app/classes/com/example/JobTest.class")).exists();
        assertThat(root.resolve("app/resources/app.properties")).hasContent("greeting=hello");
        assertThat(root.resolve("app/libs/" + slf4jJar.getFileName())).hasSameBinaryContentAs(slf4jJar);
        // both directories' service registrations survive
        assertThat(Files.readAllLines(root.resolve("app/resources/META-INF/services/io.flowport.core.FlowProvider")))
                .containsExactly("com.example.Flows", "com.example.TestFlows");

        // what environments get: the image by digest and the flows, no build settings needed to run
        String json = Serialization.toJson(built);
        assertThat(json).startsWith("{\"type\":\"image\"").contains("\"image\":\"" + image + "\"")
                .contains("\"image-test-hello\":\"io.flowport.storage.image.TestFlows#image-test-hello\"");
        Storage back = Serialization.storageFromJson(json);
        assertThat(back).isInstanceOf(ImageStorage.class);
        assertThat(((ImageStorage) back).image()).contains(image);
        assertThat(back.flows()).isEqualTo(built.flows());
        assertThat(back.load(back.flows().get("image-test-sum")).name()).isEqualTo("image-test-sum");
    }

    @Test
    void unchangedLayersAreNotUploadedAgainAndACodeChangeUploadsOnlyTheClassesLayer() throws IOException {
        Path app = Files.createDirectories(work.resolve("app2"));
        List<Path> cp = application(app);
        ImageStorage storage = storage("flows/reuse", cp).build();
        storage.addFlows(new TestFlows());

        ImageBuildReport cold = storage.build().buildReport().orElseThrow();
        int blobsAfterCold = registry.blobCount();
        ImageBuildReport warm = storage.build().buildReport().orElseThrow();

        assertThat(warm.image()).isEqualTo(cold.image());
        assertThat(warm.blobsUploaded()).isZero();
        assertThat(warm.bytesUploaded()).isZero();
        assertThat(warm.blobsSkipped()).isEqualTo(cold.blobsUploaded());
        assertThat(registry.blobCount()).isEqualTo(blobsAfterCold);

        // a one-class code change
        Files.write(app.resolve("classes/com/example/Job.class"), bytes("job-class-v2"));
        ImageBuildReport changed = storage.build().buildReport().orElseThrow();

        assertThat(changed.image()).isNotEqualTo(cold.image());
        assertThat(changed.tag()).isNotEqualTo(cold.tag());
        assertThat(changed.blobsUploaded()).as("the classes layer and the configuration").isEqualTo(2);
        assertThat(changed.blobsSkipped()).as("dependencies and resources layers").isEqualTo(2);
        assertThat(changed.bytesUploaded()).isLessThan(cold.bytesUploaded() / 2);
        // the registry gained exactly: one layer, one configuration, one manifest
        assertThat(registry.blobCount()).isEqualTo(blobsAfterCold + 3);
    }

    @Test
    void buildsOnABaseImageFromTheLocalRegistry() throws Exception {
        String baseRef = registry.address() + "/base/tiny:1";
        JibContainer base = tinyBase().containerize(Containerizer.to(RegistryImage.named(baseRef))
                .setAllowInsecureRegistries(true)
                .setBaseImageLayersCache(work.resolve("base-cache/base"))
                .setApplicationLayersCache(work.resolve("base-cache/app")));
        PulledImage basePulled = new ImagePuller().read(registry.address() + "/base/tiny@" + base.getDigest());

        ImageStorage built = storage("flows/on-registry-base", application(Files.createDirectories(work.resolve("app3"))))
                .baseImage(baseRef).build().build();

        Path root = work.resolve("unpacked-registry-base");
        PulledImage pulled = new ImagePuller().pull(built.image().orElseThrow(), root);
        assertThat(pulled.layerDigests()).startsWith(basePulled.layerDigests().toArray(String[]::new));
        assertThat(pulled.layerDigests()).hasSize(basePulled.layerDigests().size() + 3);
        assertThat(root.resolve("etc/base-marker")).hasContent("tiny base");
        assertThat(pulled.environment()).containsEntry("BASE_VAR", "from-base").containsEntry("FLOWPORT_TEST", "yes");
        assertThat(pulled.entrypoint()).isEqualTo(RunnerSettings.DEFAULT_CONTAINER_COMMAND);
    }

    @Test
    void buildsOnABaseImageFromALocalTarFile() throws Exception {
        Path tar = work.resolve("tiny-base.tar");
        tinyBase().containerize(Containerizer.to(TarImage.at(tar).named("tiny-base:1"))
                .setBaseImageLayersCache(work.resolve("tar-cache/base"))
                .setApplicationLayersCache(work.resolve("tar-cache/app")));

        ImageStorage built = storage("flows/on-tar-base", application(Files.createDirectories(work.resolve("app4"))))
                .baseImage("tar://" + tar).build().build();

        Path root = work.resolve("unpacked-tar-base");
        PulledImage pulled = new ImagePuller().pull(built.image().orElseThrow(), root);
        assertThat(root.resolve("etc/base-marker")).hasContent("tiny base");
        assertThat(root.resolve("app/classes/com/example/Job.class")).exists();
        assertThat(pulled.environment()).containsEntry("BASE_VAR", "from-base");
    }

    @Test
    void aMissingBaseImageNamesTheImage() throws IOException {
        ImageStorage storage = storage("flows/missing-base", application(Files.createDirectories(work.resolve("app5"))))
                .baseImage(registry.address() + "/base/does-not-exist:1").build();

        assertThatThrownBy(storage::build)
                .isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("base image " + registry.address() + "/base/does-not-exist:1 was not found")
                .hasMessageContaining("check the baseImage setting")
                .hasMessageContaining(registry.address());
    }

    @Test
    void anUnreachableBaseRegistryIsNamed() throws IOException {
        String closed = "127.0.0.1:" + closedPort();
        ImageStorage storage = storage("flows/unreachable-base", application(Files.createDirectories(work.resolve("app6"))))
                .baseImage(closed + "/base/tiny:1").build();

        assertThatThrownBy(storage::build)
                .isInstanceOf(RegistryUnavailableException.class)
                .hasMessageContaining("registry " + closed + " is unreachable")
                .hasMessageContaining("baseImage setting")
                .satisfies(e -> assertThat(((RegistryUnavailableException) e).registry()).isEqualTo(closed));
    }

    static int closedPort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static com.google.cloud.tools.jib.api.JibContainerBuilder tinyBase() throws IOException {
        Path marker = work.resolve("base-marker");
        Files.writeString(marker, "tiny base", StandardCharsets.UTF_8);
        return Jib.fromScratch()
                .addFileEntriesLayer(FileEntriesLayer.builder().setName("base files")
                        .addEntry(marker, AbsoluteUnixPath.get("/etc/base-marker")).build())
                .addEnvironmentVariable("BASE_VAR", "from-base");
    }

    @SuppressWarnings("unused")
    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return new ArrayList<>(s.filter(Files::isRegularFile).toList());
        }
    }
}
