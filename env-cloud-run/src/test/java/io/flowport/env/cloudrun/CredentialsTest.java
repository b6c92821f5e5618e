package io.flowport.env.cloudrun;

import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.RunJobRequest;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.Serialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Credentials: used on every call, never in serialized output, overrides or logs; ADC when none are given. */
class CredentialsTest extends WithLocalCloudRun {

    private static final Flow FLOW = Flow.command("creds", CommandSpec.of("sh", "-c", "echo ok; exit 4"));

    @Test
    void explicitCredentialsAreSentOnEveryCall() {
        server.autoRun(Duration.ofMillis(10), Duration.ofMillis(20));
        FlowRunResult r = env(fixture()).execute(FLOW, FlowRun.create());
        r.logs().lines();
        List<String> calls = server.authorizations();
        assertThat(calls).extracting(c -> c.substring(0, c.indexOf(' ')))
                .contains("GetJob", "CreateJob", "RunJob", "ListExecutions", "ListTasks", "ListLogEntries");
        assertThat(calls).allMatch(c -> c.endsWith(" Bearer " + Fixtures.TOKEN), "every call carries the token");
    }

    @Test
    void credentialsNeverReachTheRunsOverridesTheResultOrTheLogs() {
        server.autoRun(Duration.ofMillis(10), Duration.ofMillis(20));
        PrintStream err = System.err;
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        FlowRunResult r;
        CloudRunJobEnvironment e = env(fixture());
        try {
            System.setErr(capture);
            System.setOut(capture);
            r = e.execute(FLOW, FlowRun.create());
            r.logs().lines();
            e.toString();
        } finally {
            System.setErr(err);
            System.setOut(out);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        assertThat(logs).contains("cloud-run: created job"); // the capture did see the run's log lines
        assertThat(logs).doesNotContain(Fixtures.TOKEN).doesNotContain("TestCredentials");
        assertThat(r.state().toString()).doesNotContain(Fixtures.TOKEN);
        RunJobRequest req = server.runJobRequests().get(0);
        assertThat(req.toString()).doesNotContain(Fixtures.TOKEN);
        String environmentJson = req.getOverrides().getContainerOverrides(0).getEnvList().stream()
                .filter(v -> v.getName().equals("FLOWPORT__ENVIRONMENT")).map(EnvVar::getValue).findFirst().orElseThrow();
        assertThat(environmentJson).contains("cloud-run-job").doesNotContain(Fixtures.TOKEN)
                .doesNotContainIgnoringCase("credentials");
        assertThat(Serialization.toJson(e)).doesNotContain(Fixtures.TOKEN);
        assertThat(e.toString()).doesNotContain(Fixtures.TOKEN);
        assertThat(server.job("flowport-creds").toString()).doesNotContain(Fixtures.TOKEN);
    }

    @Test
    void applicationDefaultCredentialsAreUsedWhenNoneAreGiven(@TempDir Path home) throws Exception {
        assumeTrue(System.getenv("GOOGLE_APPLICATION_CREDENTIALS") == null
                        && System.getenv("CLOUDSDK_CONFIG") == null,
                "this machine sets GOOGLE_APPLICATION_CREDENTIALS or CLOUDSDK_CONFIG, which ADC reads first");
        // gcloud's ADC file, with a service account key made for the test; the client signs its own JWTs with it,
        // so nothing leaves the machine
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair keys = g.generateKeyPair();
        String pem = ("-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n").replace("\n", "\\n"); // as JSON writes it
        String email = "flowport-adc@flowport-test.iam.gserviceaccount.com";
        Path dir = Files.createDirectories(home.resolve(".config/gcloud"));
        Files.writeString(dir.resolve("application_default_credentials.json"), """
                {"type": "service_account", "project_id": "flowport-test", "private_key_id": "k1",
                 "private_key": "%s", "client_email": "%s", "client_id": "1",
                 "token_uri": "https://oauth2.googleapis.com/token"}
                """.formatted(pem, email));
        String previousHome = System.getProperty("user.home");
        try {
            System.setProperty("user.home", home.toString());
            CloudRunJobEnvironment e = env(Fixtures.base().transportChannelProvider(server.transport())
                    .operationPollInterval(Duration.ofMillis(10)).readsPerSecond(10_000));
            assertThat(e.hasExplicitCredentials()).isFalse();
            e.setup(FLOW);
        } finally {
            System.setProperty("user.home", previousHome);
        }
        String auth = server.authorizations().get(0);
        assertThat(auth).startsWith("GetJob Bearer ey");
        String jwt = auth.substring(auth.indexOf("Bearer ") + 7);
        String payload = new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8);
        assertThat(payload).contains("\"iss\":\"" + email + "\"");
    }
}
