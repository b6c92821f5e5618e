package io.flowport.env.fargate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;
import java.util.Map;

/** The end-to-end scenario against {@link LocalAwsServer}, whose tasks run simulated {@code sh -c} commands. */
class LocalServerEndToEndTest extends FargateEndToEndScenario {

    private static LocalAwsServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = new LocalAwsServer(8);
        server.autoRun(Duration.ofMillis(30), Duration.ofMillis(30), Duration.ofMillis(50));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected FargateTaskEnvironment.Builder connected() {
        return FargateTaskEnvironment.builder()
                .endpointOverride(server.endpoint())
                .systemEnvironment(Map.of("AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "AKIDE2E",
                        "AWS_SECRET_ACCESS_KEY", "e2e-secret"))
                .lifecycleSettings(Fixtures.fastLifecycle());
    }
}
