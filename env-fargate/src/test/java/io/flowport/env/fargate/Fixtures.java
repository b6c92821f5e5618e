package io.flowport.env.fargate;

import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.BackendLifecycle;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Settings shared by the tests: a valid Fargate environment pointed at a {@link LocalAwsServer}. */
final class Fixtures {

    static final String EXECUTION_ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole";
    static final String LOG_GROUP = "/flowport/test";

    private Fixtures() {
    }

    /** A valid environment (Fargate, awsvpc, awslogs) using the server, with explicit test keys. */
    static FargateTaskEnvironment.Builder env(LocalAwsServer server) {
        return base()
                .endpointOverride(server.endpoint())
                .awsAccessKeyId("AKIDFLOWPORTTEST")
                .awsSecretAccessKey("test-secret-key")
                .lifecycleSettings(fastLifecycle());
    }

    /** A valid environment with no endpoint and no credentials (for validation and serialization tests). */
    static FargateTaskEnvironment.Builder base() {
        return FargateTaskEnvironment.builder()
                .regionName("us-east-1")
                .systemEnvironment(Map.of())
                .cluster("flows")
                .cpu("256")
                .memory("512")
                .subnets(List.of("subnet-0123456789abcdef0"))
                .securityGroups(List.of("sg-0123456789abcdef0"))
                .executionRoleArn(EXECUTION_ROLE)
                .requestTimeout(Duration.ofSeconds(5))
                .container(ContainerDefinition.builder().name("flow").image("example/flows:1")
                        .env("APP_MODE", "test")
                        .logConfiguration(LogConfiguration.awslogs(LOG_GROUP, null, "flowport"))
                        .build());
    }

    /** Fast polls and short deadlines for tests. */
    static BackendLifecycle.Settings fastLifecycle() {
        return BackendLifecycle.Settings.defaults()
                .withPollIntervals(Duration.ofMillis(20), Duration.ofMillis(200))
                .withStartTimeout(Duration.ofSeconds(30))
                .withStopTimeout(Duration.ofSeconds(10))
                .withLaunchRetries(Duration.ofSeconds(10), new Backoff(Duration.ofMillis(10), Duration.ofMillis(100)));
    }
}
