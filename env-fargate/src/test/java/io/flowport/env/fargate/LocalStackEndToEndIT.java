package io.flowport.env.fargate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.ecs.EcsClient;

import java.time.Duration;

/**
 * The end-to-end scenario through LocalStack: real containers started by LocalStack's ECS. Needs Docker, and
 * LocalStack's ECS needs a licence ({@code LOCALSTACK_AUTH_TOKEN}); without either the class is skipped.
 */
@Testcontainers(disabledWithoutDocker = true)
@EnabledIfEnvironmentVariable(named = "LOCALSTACK_AUTH_TOKEN", matches = ".+",
        disabledReason = "LocalStack runs ECS tasks only with a licence: set LOCALSTACK_AUTH_TOKEN")
class LocalStackEndToEndIT extends FargateEndToEndScenario {

    private static LocalStackContainer localstack;

    @BeforeAll
    static void startLocalStack() {
        localstack = new LocalStackContainer("localstack/localstack-pro:4")
                .withEnv("LOCALSTACK_AUTH_TOKEN", System.getenv("LOCALSTACK_AUTH_TOKEN"))
                .withServices("ecs", "sts", "logs", "iam", "ec2");
        localstack.start();
        var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create(localstack.getAccessKey(),
                localstack.getSecretKey()));
        try (EcsClient ecs = EcsClient.builder().endpointOverride(localstack.getEndpoint())
                .region(Region.of(localstack.getRegion())).credentialsProvider(creds).build();
             CloudWatchLogsClient logs = CloudWatchLogsClient.builder().endpointOverride(localstack.getEndpoint())
                     .region(Region.of(localstack.getRegion())).credentialsProvider(creds).build()) {
            ecs.createCluster(b -> b.clusterName(CLUSTER));
            logs.createLogGroup(b -> b.logGroupName(LOG_GROUP));
        }
    }

    @AfterAll
    static void stopLocalStack() {
        if (localstack != null) {
            localstack.stop();
        }
    }

    @Override
    protected FargateTaskEnvironment.Builder connected() {
        return FargateTaskEnvironment.builder()
                .endpointOverride(localstack.getEndpoint())
                .regionName(localstack.getRegion())
                .awsAccessKeyId(localstack.getAccessKey())
                .awsSecretAccessKey(localstack.getSecretKey())
                .lifecycleSettings(Fixtures.fastLifecycle().withStartTimeout(Duration.ofMinutes(3)));
    }
}
