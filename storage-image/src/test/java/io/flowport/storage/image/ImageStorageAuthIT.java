package io.flowport.storage.image;

import io.flowport.core.spi.RegistryCredentials;
import io.flowport.core.spi.RegistryCredentialSource;
import io.flowport.storage.image.testing.LocalRegistry;
import io.flowport.storage.image.testing.RegistryExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Credentials against a real registry that asks for basic authentication (docker-registry with htpasswd).
 * The registry speaks plain HTTP on loopback, so Jib is told to send credentials over HTTP
 * ({@code sendCredentialsOverHttp}), as a user of such a test registry would.
 */
class ImageStorageAuthIT {

    /** bcrypt of "secret-pw". */
    private static final String HTPASSWD = "flowport:$2b$05$H.77z7xHAgVk0ZFmDKxLYObobQbf9xk0SvyDYIGvvhcq./W3IqA7G";
    private static final String SEND_OVER_HTTP = "sendCredentialsOverHttp";

    @TempDir
    static Path work;
    /** Skips every test, with the reason, when docker-registry is not installed. */
    @RegisterExtension
    static final RegistryExtension REGISTRY = RegistryExtension.withAuthentication(HTPASSWD);
    static LocalRegistry registry;
    static Path classes;
    int run;

    @BeforeAll
    static void startRegistry() throws IOException {
        registry = REGISTRY.registry();
        classes = Files.createDirectories(work.resolve("classes"));
        Files.writeString(classes.resolve("A.class"), "class bytes");
    }

    @BeforeEach
    void sendCredentialsOverHttp() {
        System.setProperty(SEND_OVER_HTTP, "true");
    }

    @AfterEach
    void restore() {
        System.clearProperty(SEND_OVER_HTTP);
    }

    private ImageStorage.Builder storage(Path dockerConfig) {
        run++;
        return ImageStorage.builder().fromEnvironment(Map.of())
                .registry(registry.address()).repository("secured/flows" + run).baseImage(ImageStorage.SCRATCH)
                .classpath(List.of(classes)).cacheDirectory(work.resolve("cache"))
                .dockerConfig(dockerConfig);
    }

    private Path dockerConfig(String user, String password) throws IOException {
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Path file = work.resolve("docker-" + user + "-" + password.length() + ".json");
        Files.writeString(file, "{\"auths\":{\"" + registry.address() + "\":{\"auth\":\"" + auth + "\"}}}");
        return file;
    }

    @Test
    void credentialsFromTheDockerConfigFileArePushedWith() throws IOException {
        ImageStorage built = storage(dockerConfig("flowport", "secret-pw")).build().build();

        assertThat(built.image()).get().asString().startsWith(registry.address() + "/secured/flows")
                .matches(".*@sha256:[0-9a-f]{64}");
    }

    @Test
    void wrongExplicitCredentialsAreRefusedNamingTheRegistryAndTheSourceButNotThePassword() throws IOException {
        ImageStorage storage = storage(dockerConfig("flowport", "secret-pw")).credentials("flowport", "wrong-pw")
                .build();

        assertThatThrownBy(storage::build)
                .isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("registry " + registry.address() + " refused access")
                .hasMessageContaining("with explicit credentials (user 'flowport')")
                .hasMessageContaining("credentials(user, password)")
                .hasMessageNotContaining("wrong-pw");
    }

    @Test
    void withoutCredentialsTheErrorListsTheWaysToGiveThem() {
        ImageStorage storage = storage(work.resolve("none.json")).build();

        assertThatThrownBy(storage::build)
                .isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("registry " + registry.address() + " refused access")
                .hasMessageContaining("no credentials (anonymous)")
                .hasMessageContaining("docker login " + registry.address())
                .hasMessageContaining("RegistryCredentialSource");
    }

    @Test
    void aPluggableCredentialSourceSuppliesTheCredentials() {
        AtomicInteger asked = new AtomicInteger();
        RegistryCredentialSource source = new RegistryCredentialSource() {
            @Override
            public String id() {
                return "test-vault";
            }

            @Override
            public boolean supports(String reg) {
                return reg.equals(registry.address());
            }

            @Override
            public Optional<RegistryCredentials> credentials(String reg) {
                asked.incrementAndGet();
                return Optional.of(new RegistryCredentials("flowport", "secret-pw"));
            }
        };

        ImageStorage built = storage(work.resolve("none.json")).credentialSource(source).build().build();

        assertThat(built.image()).isPresent();
        assertThat(asked).hasPositiveValue();
    }

    @Test
    void plainHttpWithoutPermissionToSendCredentialsIsExplained() throws IOException {
        System.clearProperty(SEND_OVER_HTTP);
        ImageStorage storage = storage(dockerConfig("flowport", "secret-pw")).build();

        assertThatThrownBy(storage::build)
                .isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("registry " + registry.address() + " speaks plain HTTP")
                .hasMessageContaining("-DsendCredentialsOverHttp=true");
    }
}
