package io.flowport.env.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.Environment;
import io.flowport.core.Serialization;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What is serialized, what never is, and the round trip through the {@code fargate-task} type. */
class FargateSerializationTest {

    private static final String KEY_ID = "AKIAEXAMPLEKEYID1234";
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";
    private static final String EXTERNAL_ID = "external-id-that-is-private";

    private static FargateTaskEnvironment full() {
        return Fixtures.base()
                .awsAccessKeyId(KEY_ID).awsSecretAccessKey(SECRET).awsSessionToken(TOKEN)
                .roleArn("arn:aws:iam::123456789012:role/flowport-deployer").externalId(EXTERNAL_ID)
                .roleSessionName("ci")
                .endpointOverride(URI.create("http://localhost:4566"))
                .family("etl").taskRoleArn("arn:aws:iam::123456789012:role/flow")
                .cpuArchitecture("ARM64").assignPublicIp("ENABLED").platformVersion("1.4.0")
                .capacityProviderStrategy(List.of(CapacityProviderStrategyItem.of("FARGATE_SPOT", 3)))
                .propagateTags("TASK_DEFINITION").tag("team", "data")
                .cpuOverride("512").memoryOverride("1024")
                .runnerCommand(List.of("java", "-jar", "/app.jar"))
                .sdkMaxAttempts(4).requestTimeout(Duration.ofSeconds(12)).launchesPerSecond(20)
                .labels("prod").metadata("job_profile", "small")
                .onStart(info -> { }).onExit((info, result) -> { })
                .build();
    }

    @Test
    void credentialsAndTheExternalIdAreNeverSerialized() {
        String json = Serialization.toJson(full());
        assertThat(json).doesNotContain(KEY_ID).doesNotContain(SECRET).doesNotContain(TOKEN)
                .doesNotContain(EXTERNAL_ID)
                .doesNotContainIgnoringCase("awsAccessKeyId").doesNotContainIgnoringCase("secretAccessKey")
                .doesNotContainIgnoringCase("sessionToken").doesNotContain("externalId")
                .doesNotContain("onStart").doesNotContain("onExit").doesNotContain("systemEnvironment");
    }

    @Test
    void exactlyTheDocumentedSettingsAreSerialized() throws Exception {
        JsonNode node = new ObjectMapper().readTree(Serialization.toJson(full()));
        List<String> fields = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            fields.add(it.next());
        }
        assertThat(fields).containsExactlyInAnyOrder("type", "labels", "metadata", "executor", "launchType",
                "regionName", "endpointOverride", "family", "cpu", "memory", "executionRoleArn", "taskRoleArn",
                "cpuArchitecture", "containerDefinitions", "cluster", "subnets", "securityGroups", "assignPublicIp",
                "capacityProviderStrategy", "platformVersion", "propagateTags", "tags", "cpuOverride",
                "memoryOverride", "roleArn", "roleSessionName", "runnerCommand", "sdkMaxAttempts", "requestTimeout",
                "launchesPerSecond");
        assertThat(node.get("type").asText()).isEqualTo("fargate-task");
    }

    @Test
    void roundTripKeepsEverySerializedSetting() {
        FargateTaskEnvironment original = full();
        Environment read = Serialization.environmentFromJson(Serialization.toJson(original));
        assertThat(read).isInstanceOf(FargateTaskEnvironment.class);
        FargateTaskEnvironment f = (FargateTaskEnvironment) read;
        assertThat(f.containerDefinitions()).isEqualTo(original.containerDefinitions());
        assertThat(f.capacityProviderStrategy()).isEqualTo(original.capacityProviderStrategy());
        assertThat(f.tags()).isEqualTo(Map.of("team", "data"));
        assertThat(f.requestTimeout()).isEqualTo(Duration.ofSeconds(12));
        assertThat(f.roleArn()).isEqualTo(original.roleArn());
        assertThat(f.runnerCommandSetting()).containsExactly("java", "-jar", "/app.jar");
        assertThat(f.labels()).containsExactly("prod");
        assertThat(f.hasExplicitCredentials()).isFalse();
        assertThat(Serialization.toJson(f)).isEqualTo(Serialization.toJson(original));
    }

    @Test
    void yamlWithTheReferenceSettingsReads() {
        String yaml = """
                type: fargate-task
                launchType: FARGATE
                regionName: eu-west-1
                family: etl
                cpu: "1024"
                memory: "2048"
                cluster: flows
                subnets: [subnet-0123456789abcdef0]
                executionRoleArn: arn:aws:iam::123456789012:role/exec
                containerDefinitions:
                  - name: flow
                    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/flows:1
                    environment: {MODE: prod}
                    secrets: {DB_PASSWORD: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"}
                    logConfiguration:
                      logDriver: awslogs
                      options: {awslogs-group: /flowport, awslogs-stream-prefix: etl}
                labels: [aws]
                """;
        FargateTaskEnvironment f = (FargateTaskEnvironment) Serialization.environmentFromYaml(yaml);
        assertThat(f.resolvedRegion()).contains("eu-west-1");
        assertThat(f.containerDefinitions().get(0).secrets()).containsKey("DB_PASSWORD");
        assertThat(f.containerDefinitions().get(0).logConfiguration().isAwsLogs()).isTrue();
    }

    @Test
    void toStringMasksSecrets() {
        String s = full().toString();
        assertThat(s).doesNotContain(KEY_ID).doesNotContain(SECRET).doesNotContain(TOKEN).doesNotContain(EXTERNAL_ID)
                .contains("awsAccessKeyId=****").contains("awsSecretAccessKey=****").contains("externalId=****");
        assertThat(ContainerDefinition.builder().name("c").image("i").env("PASSWORD", "hunter2").build().toString())
                .contains("PASSWORD").doesNotContain("hunter2");
    }

    @Test
    void theTypeIsRegisteredThroughServiceLoader() {
        assertThat(Serialization.environmentTypes()).contains("fargate-task");
        assertThat(full().type()).isEqualTo("fargate-task");
    }
}
