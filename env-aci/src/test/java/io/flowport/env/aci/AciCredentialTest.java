package io.flowport.env.aci;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.Serialization;
import io.flowport.core.StateType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An explicit {@link TokenCredential} goes through the SDK's bearer-token policy (which needs https): a local
 * ARM server with a self-signed certificate for 127.0.0.1 receives {@code Authorization: Bearer …} on every
 * request, and the token appears nowhere else.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AciCredentialTest {

    private static final String TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.flowport-test-token.signature";

    @Test
    void anExplicitCredentialSignsEveryRequestOverHttpsAndIsNeverWrittenAnywhere(@TempDir Path dir)
            throws Exception {
        Path keystore = dir.resolve("arm.p12");
        String keytool = System.getProperty("java.home") + File.separator + "bin" + File.separator + "keytool";
        Assumptions.assumeTrue(Files.isExecutable(Path.of(keytool)), "no keytool in this JDK: " + keytool);
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "arm", "-keyalg", "RSA", "-keysize", "2048",
                "-validity", "2", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-keystore",
                keystore.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();

        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        SSLContext clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, tmf.getTrustManagers(), null);

        AtomicInteger tokensAsked = new AtomicInteger();
        TokenCredential credential = new TokenCredential() {
            @Override
            public Mono<AccessToken> getToken(TokenRequestContext request) {
                tokensAsked.incrementAndGet();
                assertThat(request.getScopes()).containsExactly("https://management.core.windows.net//.default");
                return Mono.just(new AccessToken(TOKEN, OffsetDateTime.now().plusHours(1)));
            }
        };

        SSLContext previous = SSLContext.getDefault();
        // the JDK HTTP client the backend builds trusts the default context: make it trust the test certificate
        SSLContext.setDefault(clientTls);
        try (LocalArmServer server = LocalArmServer.https(serverTls)) {
            server.autoRun(Duration.ofMillis(50), Duration.ofMillis(50));
            ContainerInstanceEnvironment env = Fixtures.env(server).credential(credential).build();
            try {
                FlowRunResult r = env.execute(io.flowport.core.Flow.command("tls",
                        io.flowport.core.CommandSpec.of("sh", "-c", "echo secure")), FlowRun.create());
                assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
                List<String> auth = server.authorizations();
                assertThat(auth).isNotEmpty().allMatch(a -> a.equals("Bearer " + TOKEN));
                assertThat(tokensAsked.get()).isGreaterThanOrEqualTo(1);
                assertThat(Serialization.toJson(env) + env + r + r.state() + server.responseBodies())
                        .doesNotContain(TOKEN);
            } finally {
                env.close();
            }
        } finally {
            SSLContext.setDefault(previous);
        }
    }
}
