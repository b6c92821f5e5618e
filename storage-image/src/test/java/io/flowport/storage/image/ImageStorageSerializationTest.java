package io.flowport.storage.image;

import io.flowport.core.ConfigurationException;
import io.flowport.core.Serialization;
import io.flowport.core.Storage;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageStorageSerializationTest {

    private ImageStorage storage() {
        ImageStorage s = ImageStorage.builder().fromEnvironment(Map.of())
                .registry("registry.example.com").repository("team/flows").tag("v1")
                .baseImage("registry.example.com/base/jre:17").platform("linux/arm64")
                .environment("JAVA_TOOL_OPTIONS", "-Xmx256m").label("team", "data")
                .extraFile(Path.of("/etc/hosts"), "/app/config/hosts")
                .credentials("pusher", "push-secret").baseImageCredentials("puller", "pull-secret")
                .dockerConfig(Path.of("/tmp/config.json")).cacheDirectory(Path.of("/tmp/jib-cache"))
                .build();
        s.addFlows(new TestFlows());
        return s;
    }

    @Test
    void theTypeIsRegisteredAsImage() {
        assertThat(Serialization.storageTypes()).contains("image");
        assertThat(Serialization.storageType(ImageStorage.class)).isEqualTo("image");
    }

    @Test
    void roundTripsSettingsAndFlowsButNeverCredentials() {
        ImageStorage original = storage();

        String json = Serialization.toJson(original);
        Storage back = Serialization.storageFromJson(json);

        assertThat(json).startsWith("{\"type\":\"image\"")
                .doesNotContain("push-secret").doesNotContain("pull-secret")
                .doesNotContain("pusher").doesNotContain("puller")
                .doesNotContain("jib-cache").doesNotContain("/tmp/config.json");
        assertThat(back).isInstanceOf(ImageStorage.class);
        ImageStorage s = (ImageStorage) back;
        assertThat(s.registry()).isEqualTo("registry.example.com");
        assertThat(s.repository()).isEqualTo("team/flows");
        assertThat(s.tag()).contains("v1");
        assertThat(s.baseImage()).isEqualTo("registry.example.com/base/jre:17");
        assertThat(s.platform()).isEqualTo("linux/arm64");
        assertThat(s.environment()).containsExactly(Map.entry("JAVA_TOOL_OPTIONS", "-Xmx256m"));
        assertThat(s.labels()).containsExactly(Map.entry("team", "data"));
        assertThat(s.extraFiles()).containsExactly(new ExtraFile(Path.of("/etc/hosts"), "/app/config/hosts"));
        assertThat(s.flows()).isEqualTo(original.flows());
        assertThat(s.image()).isEmpty();
        assertThat(s.toString()).doesNotContain("secret");
    }

    @Test
    void aBuiltStorageCarriesItsImageByDigest() {
        String json = "{\"type\":\"image\",\"registry\":\"r.example.com\",\"repository\":\"a/b\","
                + "\"image\":\"r.example.com/a/b@sha256:" + "0".repeat(64) + "\","
                + "\"flows\":{\"image-test-hello\":\"image-test-hello\"}}";

        ImageStorage s = (ImageStorage) Serialization.storageFromJson(json);

        assertThat(s.image()).contains("r.example.com/a/b@sha256:" + "0".repeat(64));
        assertThat(s.name()).isEqualTo("image:r.example.com/a/b@sha256:" + "0".repeat(64));
        // what the runner in the container does: find the flow on its own class path
        assertThat(s.load("image-test-hello").name()).isEqualTo("image-test-hello");
        assertThatThrownBy(() -> s.load("nope"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("the class path of image r.example.com/a/b@sha256:");
    }

    @Test
    void flowsAreRecordedByNameOrByProviderClass() {
        TestFlows provider = new TestFlows();
        ImageStorage byName = ImageStorage.builder().registry("r.example.com").repository("a/b").build();
        ImageStorage byClass = ImageStorage.builder().registry("r.example.com").repository("a/b").build();

        assertThat(byName.addFlow(provider.flows().get(0))).isEqualTo("image-test-hello");
        assertThat(byClass.addFlows(provider)).containsEntry("image-test-sum",
                "io.flowport.storage.image.TestFlows#image-test-sum");
        assertThat(byClass.contains("image-test-sum")).isTrue();
        assertThat(byClass.load(byClass.flows().get("image-test-sum")).name()).isEqualTo("image-test-sum");
        // the same flow name at another location is a mistake
        assertThatThrownBy(() -> byName.addFlows(provider))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("already holds a flow named 'image-test-hello' at image-test-hello");
    }

    @Test
    void unknownFieldsAreRejected() {
        assertThatThrownBy(() -> Serialization.storageFromJson("{\"type\":\"image\",\"password\":\"x\"}"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("password");
    }
}
