package io.flowport.storage.image;

import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings are checked before any network call, and every problem is reported at once. No network here. */
class ImageStorageValidationTest {

    @TempDir
    Path tmp;

    private ImageStorage.Builder valid() {
        return ImageStorage.builder().fromEnvironment(Map.of())
                .registry("registry.example.com:5000").repository("team/flows").baseImage(ImageStorage.SCRATCH)
                .cacheDirectory(tmp.resolve("cache"));
    }

    @Test
    void validSettingsHaveNoProblems() {
        assertThat(valid().build().validate()).isEmpty();
        assertThat(valid().baseImage("eclipse-temurin:17-jre").tag("v1.2_3").build().validate()).isEmpty();
        assertThat(valid().registry("localhost:5000").baseImage("localhost:5000/base/jre:17").build().validate())
                .isEmpty();
    }

    @Test
    void everyProblemIsReportedAtOnceNamingTheSettingAndTheFix() {
        ImageStorage storage = ImageStorage.builder().fromEnvironment(Map.of())
                .registry("https://Registry Example").repository("Team/Flows").tag("-bad tag")
                .baseImage("tar://" + tmp.resolve("missing.tar")).platform("amd64")
                .environment("A=B", "x").label(ImageStorage.FLOWS_LABEL, "x")
                .extraFile(tmp.resolve("nope.txt"), "relative/path")
                .credentials("user", null)
                .build();

        List<String> problems = storage.validate();

        assertThat(problems).hasSize(10);
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("registry 'https://Registry Example' must be"
                + " host[:port] without a scheme"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("repository 'Team/Flows' is not a valid")
                .contains("lower-case"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("tag '-bad tag' is not a valid tag"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("missing.tar does not exist")
                .contains("tar:///absolute/path.tar"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("platform 'amd64'"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("environment: 'A=B'"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains(ImageStorage.FLOWS_LABEL + " is set by build()"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("nope.txt does not exist"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("target 'relative/path'")
                .contains("absolute path"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("credentials: user 'user' has no password"));
    }

    @Test
    void missingRegistryAndRepositoryNameTheirVariables() {
        List<String> problems = ImageStorage.builder().fromEnvironment(Map.of()).build().validate();

        assertThat(problems).containsExactly(
                "registry is not set; give the registry host and optional port, e.g. 127.0.0.1:5000 or"
                        + " 123456789012.dkr.ecr.eu-west-1.amazonaws.com (or set FLOWPORT_IMAGE_REGISTRY)",
                "repository is not set; give the repository in the registry, e.g. team/flows (or set"
                        + " FLOWPORT_IMAGE_REPOSITORY)");
    }

    @Test
    void aRegistryWithoutDotOrPortWouldBeReadAsARepositoryComponent() {
        assertThat(valid().registry("myregistry").build().validate())
                .containsExactly("registry 'myregistry' is read as part of the repository; add a port or a domain"
                        + " (e.g. myregistry:5000)");
    }

    @Test
    void halfGivenCredentialsAreRefused() {
        assertThat(valid().credentials("ci", null).build().validate())
                .containsExactly("credentials: user 'ci' has no password; give one (or set FLOWPORT_IMAGE_PASSWORD)");
        assertThat(valid().baseImageCredentials(null, "pw").build().validate())
                .containsExactly("baseImageCredentials: a password is set without a user name; give one (or set"
                        + " FLOWPORT_IMAGE_BASE_IMAGE_USERNAME)");
    }

    @Test
    void dockerDaemonBaseImagesAreRefusedWithTheAlternatives() {
        assertThat(valid().baseImage("docker://my-image:1").build().validate()).singleElement()
                .satisfies(p -> assertThat(p).contains("no daemon is used").contains("tar:///path.tar"));
    }

    @Test
    void plainHttpIsOnlyImpliedWhenEveryRegistryOfTheBuildIsOnLoopback() {
        assertThat(valid().registry("127.0.0.1:5000").baseImage("127.0.0.1:5000/base:1").build().validate()).isEmpty();
        assertThat(valid().registry("127.0.0.1:5000").baseImage(ImageStorage.SCRATCH).build().validate()).isEmpty();

        List<String> problems = valid().registry("127.0.0.1:5000").baseImage("eclipse-temurin:17-jre").build()
                .validate();
        assertThat(problems).singleElement().satisfies(p -> assertThat(p)
                .contains("registry 127.0.0.1:5000 is on loopback")
                .contains("registry-1.docker.io is not")
                .contains("allowInsecureRegistries(true)"));

        assertThat(valid().registry("127.0.0.1:5000").baseImage("eclipse-temurin:17-jre")
                .allowInsecureRegistries(true).build().validate()).isEmpty();
    }

    @Test
    void settingsComeFromEnvironmentVariablesAndSettersWin() {
        Map<String, String> env = Map.of(
                ImageStorage.ENV_REGISTRY, "ghcr.io",
                ImageStorage.ENV_REPOSITORY, "acme/flows",
                ImageStorage.ENV_TAG, "nightly",
                ImageStorage.ENV_BASE_IMAGE, "ghcr.io/acme/jre:17",
                ImageStorage.ENV_PLATFORM, "linux/arm64",
                ImageStorage.ENV_ALLOW_INSECURE, "true",
                ImageStorage.ENV_USERNAME, "bot",
                ImageStorage.ENV_PASSWORD, "s3cr3t");

        ImageStorage storage = ImageStorage.builder().fromEnvironment(env).tag("override").build();

        assertThat(storage.registry()).isEqualTo("ghcr.io");
        assertThat(storage.repository()).isEqualTo("acme/flows");
        assertThat(storage.tag()).contains("override");
        assertThat(storage.baseImage()).isEqualTo("ghcr.io/acme/jre:17");
        assertThat(storage.platform()).isEqualTo("linux/arm64");
        assertThat(storage.allowInsecureRegistries()).isTrue();
        assertThat(storage.validate()).isEmpty();
        assertThat(storage.toString()).contains("credentials=bot:****").doesNotContain("s3cr3t");
    }

    @Test
    void aBadBooleanVariableIsAProblem() {
        assertThat(valid().fromEnvironment(Map.of(ImageStorage.ENV_ALLOW_INSECURE, "yes")).registry("r.example.com")
                .repository("a/b").build().validate())
                .containsExactly("FLOWPORT_IMAGE_ALLOW_INSECURE_REGISTRIES='yes' is not true or false");
    }

    @Test
    void defaultsAreTheJre17BaseAndAmd64() {
        ImageStorage storage = valid().baseImage(null).build();
        assertThat(storage.baseImage()).isEqualTo("eclipse-temurin:17-jre");
        assertThat(storage.platform()).isEqualTo("linux/amd64");
        assertThat(storage.tag()).isEmpty();
        assertThat(storage.image()).isEmpty();
    }

    @Test
    void buildFailsBeforeAnyNetworkCallWhenAFlowCannotBeFound() throws Exception {
        // nothing listens on this registry: a network call would fail differently
        ImageStorage storage = valid().registry("127.0.0.1:1").classpath(List.of(Files.createDirectories(tmp.resolve("c"))))
                .build();
        storage.addFlow(Flow.builder("not-on-the-classpath").task("t", ctx -> null).build());

        assertThatThrownBy(storage::build)
                .isExactlyInstanceOf(ConfigurationException.class)
                .hasMessageContaining("image storage 127.0.0.1:1/team/flows")
                .hasMessageContaining("flow 'not-on-the-classpath': no flow at location 'not-on-the-classpath'")
                .hasMessageContaining("addFlows(provider)");
    }

    @Test
    void buildReportsSettingAndFlowProblemsTogether() {
        ImageStorage storage = valid().registry("bad registry").build();
        storage.addFlow(Flow.builder("x").task("t", ctx -> null).build());

        assertThatThrownBy(storage::build)
                .isExactlyInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).singleElement()
                        .satisfies(p -> assertThat(p).startsWith("registry 'bad registry' is not a valid registry")));
    }
}
