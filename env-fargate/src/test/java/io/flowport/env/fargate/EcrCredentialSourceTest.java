package io.flowport.env.fargate;

import io.flowport.core.FlowportException;
import io.flowport.core.spi.RegistryCredentialSource;
import io.flowport.core.spi.RegistryCredentials;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.utils.AttributeMap;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ECR tokens for image pushes, through the real ECR client against the local AWS server. */
class EcrCredentialSourceTest extends WithLocalAws {

    private static final String REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    private String accessKey = "AKIDECR";

    @BeforeEach
    void start() throws Exception {
        server = new LocalAwsServer(4);
    }

    private EcrCredentialSource source() {
        return new EcrCredentialSource(region -> EcrClient.builder().region(region)
                .endpointOverride(server.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, "s")))
                .build(), clock());
    }

    private Clock clock() {
        return new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
    }

    /** Builds Apache HTTP clients for the SDK and counts how many it builds and how many get closed. */
    private static final class CountingHttp implements SdkHttpClient.Builder<CountingHttp> {
        final AtomicInteger built = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();

        @Override
        public SdkHttpClient buildWithDefaults(AttributeMap defaults) {
            SdkHttpClient real = Apache5HttpClient.builder().buildWithDefaults(defaults);
            built.incrementAndGet();
            return new SdkHttpClient() {
                @Override
                public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
                    return real.prepareRequest(request);
                }

                @Override
                public void close() {
                    closed.incrementAndGet();
                    real.close();
                }
            };
        }
    }

    @Test
    void theHttpClientOfEveryTokenFetchIsClosedWithItsEcrClient() {
        CountingHttp http = new CountingHttp();
        EcrCredentialSource s = new EcrCredentialSource(EcrCredentialSource.clients(() -> http,
                b -> b.endpointOverride(server.endpoint()).credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDECR", "s")))), clock());
        s.credentials(REGISTRY);
        now.set(now.get().plus(Duration.ofHours(12)));
        s.credentials(REGISTRY);
        assertThat(server.calls("GetAuthorizationToken")).isEqualTo(2);
        assertThat(http.built).hasValue(2);
        assertThat(http.closed).hasValue(2);
    }

    @Test
    void supportsEcrRegistriesOnly() {
        EcrCredentialSource s = source();
        assertThat(s.supports(REGISTRY)).isTrue();
        assertThat(s.supports("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")).isTrue();
        assertThat(s.supports("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com")).isTrue();
        assertThat(s.supports("docker.io")).isFalse();
        assertThat(s.supports("127.0.0.1:5000")).isFalse();
        assertThat(s.supports("12345.dkr.ecr.eu-west-1.amazonaws.com")).isFalse();
        assertThat(s.supports("123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example")).isFalse();
    }

    @Test
    void decodesTheTokenAndReusesItUntilShortlyBeforeItExpires() {
        EcrCredentialSource s = source();
        RegistryCredentials first = s.credentials(REGISTRY).orElseThrow();
        assertThat(first.username()).isEqualTo("AWS");
        assertThat(first.password()).isEqualTo("ecr-token-1");
        assertThat(s.credentials(REGISTRY)).contains(first);
        assertThat(server.calls("GetAuthorizationToken")).isEqualTo(1);
        assertThat(first.toString()).doesNotContain("ecr-token");

        now.set(now.get().plus(Duration.ofHours(12)).minus(Duration.ofMinutes(10)));
        assertThat(s.credentials(REGISTRY).orElseThrow().password()).isEqualTo("ecr-token-2");
        assertThat(server.calls("GetAuthorizationToken")).isEqualTo(2);
    }

    @Test
    void rejectedCredentialsNameTheRegistryAndTheFix() {
        accessKey = "AKIDREJECTED";
        server.rejectedKeys.add(accessKey);
        assertThatThrownBy(() -> source().credentials(REGISTRY))
                .isInstanceOf(FlowportException.class)
                .hasMessageContaining("ECR GetAuthorizationToken for registry " + REGISTRY)
                .hasMessageContaining("AWS rejected the credentials")
                .hasMessageContaining("AWS_ACCESS_KEY_ID");
    }

    @Test
    void isFoundByServiceLoaderWithItsId() {
        assertThat(ServiceLoader.load(RegistryCredentialSource.class).stream()
                .map(p -> p.get().id())).contains("ecr");
    }
}
