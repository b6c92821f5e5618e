package io.flowport.storage.image.internal;

import com.google.cloud.tools.jib.api.Credential;
import com.google.cloud.tools.jib.api.CredentialRetriever;
import com.google.cloud.tools.jib.api.ImageReference;
import io.flowport.core.ConfigurationException;
import io.flowport.core.spi.RegistryCredentials;
import io.flowport.storage.image.TestCredentialSource;
import io.flowport.core.spi.RegistryCredentialSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CredentialChainTest {

    @TempDir
    Path tmp;

    private static RegistryCredentialSource source(String id, String suffix, int priority, String user) {
        return new RegistryCredentialSource() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public boolean supports(String registry) {
                return registry.endsWith(suffix);
            }

            @Override
            public Optional<RegistryCredentials> credentials(String registry) {
                return Optional.of(new RegistryCredentials(user, "pw-" + id));
            }

            @Override
            public int priority() {
                return priority;
            }
        };
    }

    private static Optional<Credential> first(List<CredentialRetriever> retrievers) throws Exception {
        for (CredentialRetriever r : retrievers) {
            Optional<Credential> c = r.retrieve();
            if (c.isPresent()) {
                return c;
            }
        }
        return Optional.empty();
    }

    private Path dockerConfig(String registry, String user, String password) throws Exception {
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Path file = tmp.resolve("config.json");
        Files.writeString(file, "{\"auths\":{\"" + registry + "\":{\"auth\":\"" + auth + "\"}}}");
        return file;
    }

    @Test
    void sourcesInMetaInfServicesAreDiscoveredAfterExplicitOnes() {
        RegistryCredentialSource explicit = source("mine", ".example", 0, "u");
        List<RegistryCredentialSource> all = CredentialChain.discover(List.of(explicit),
                getClass().getClassLoader());

        assertThat(all).extracting(RegistryCredentialSource::id).containsExactly("mine", "test-tokens");
        assertThat(all.get(1)).isInstanceOf(TestCredentialSource.class);
    }

    @Test
    void duplicateIdsFailLoudly() {
        assertThatThrownBy(() -> CredentialChain.discover(
                List.of(source("ecr", "a", 0, "u"), source("ecr", "b", 0, "v")), getClass().getClassLoader()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("id 'ecr' is used by both");
    }

    @Test
    void explicitCredentialsComeFirstThenSourcesThenTheDockerConfig() throws Exception {
        Path config = dockerConfig("r.creds.test", "docker-user", "docker-pw");
        CredentialChain chain = new CredentialChain(
                CredentialChain.discover(List.of(), getClass().getClassLoader()), config, e -> { });
        ImageReference image = ImageReference.parse("r.creds.test/team/flows:1");

        assertThat(first(chain.retrievers(image, new RegistryCredentials("me", "pw"))))
                .contains(Credential.from("me", "pw"));
        assertThat(first(chain.retrievers(image, null)))
                .contains(Credential.from("token-user", "token-for-r.creds.test"));
        assertThat(chain.describeUsed("r.creds.test")).isEqualTo("explicit credentials (user 'me')");
    }

    @Test
    void theDockerConfigAnswersForRegistriesNoSourceSupports() throws Exception {
        Path config = dockerConfig("127.0.0.1:5000", "docker-user", "docker-pw");
        CredentialChain chain = new CredentialChain(
                CredentialChain.discover(List.of(), getClass().getClassLoader()), config, e -> { });

        assertThat(first(chain.retrievers(ImageReference.parse("127.0.0.1:5000/team/flows:1"), null)))
                .contains(Credential.from("docker-user", "docker-pw"));
        assertThat(chain.describeUsed("127.0.0.1:5000")).isEqualTo("Docker config " + config);
        assertThat(first(chain.retrievers(ImageReference.parse("other.example.com/team/flows:1"), null))).isEmpty();
        assertThat(chain.describeUsed("other.example.com")).isEqualTo("no credentials (anonymous)");
    }

    @Test
    void applicableSourcesAreOrderedByPriorityThenId() {
        CredentialChain chain = new CredentialChain(List.of(source("b", ".x", 0, "b"), source("a", ".x", 0, "a"),
                source("high", ".x", 10, "h"), source("other", ".y", 99, "o")), tmp.resolve("none.json"), e -> { });

        assertThat(chain.applicable("r.x")).extracting(RegistryCredentialSource::id).containsExactly("high", "a", "b");
    }

    @Test
    void theDefaultDockerConfigFollowsDockerConfigVariable() {
        assertThat(CredentialChain.defaultDockerConfig(Map.of("DOCKER_CONFIG", "/etc/docker-ci")))
                .isEqualTo(Path.of("/etc/docker-ci/config.json"));
        assertThat(CredentialChain.defaultDockerConfig(Map.of()))
                .isEqualTo(Path.of(System.getProperty("user.home"), ".docker", "config.json"));
    }

    @Test
    void credentialsNeverShowTheirPassword() {
        assertThat(new RegistryCredentials("ci", "hunter2").toString()).contains("ci").doesNotContain("hunter2");
        assertThatThrownBy(() -> new RegistryCredentials(" ", "x")).isInstanceOf(ConfigurationException.class);
    }
}
