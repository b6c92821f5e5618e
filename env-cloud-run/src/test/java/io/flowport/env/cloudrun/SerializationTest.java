package io.flowport.env.cloudrun;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Environment;
import io.flowport.core.Serialization;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What is serialized, what never is, the round trip through the {@code cloud-run-job} type, and YAML. */
class SerializationTest {

    private static CloudRunJobEnvironment full() {
        return Fixtures.base()
                .credentials(new TestCredentials(Fixtures.TOKEN))
                .jobName("etl").cpu("2").memory("4Gi").taskTimeout(Duration.ofHours(2)).maxRetries(2)
                .taskCount(4).parallelism(2).serviceAccount("flows@flowport-test.iam.gserviceaccount.com")
                .vpcNetwork("default").vpcSubnetwork("flows").vpcNetworkTags(List.of("egress"))
                .vpcEgress("ALL_TRAFFIC")
                .secret("DB_PASSWORD", "projects/flowport-test/secrets/db/versions/latest")
                .jobLabels(Map.of("team", "data")).keepJob(false)
                .runnerCommand(List.of("java", "-jar", "/app.jar"))
                .endpoint("europe-west1-run.googleapis.com:443").readLogs(false)
                .launchesPerSecond(2).readsPerSecond(5).sdkMaxAttempts(3).requestTimeout(Duration.ofSeconds(12))
                .labels("gcp").metadata("job_profile", "small")
                .onStart(info -> { }).onExit((info, result) -> { })
                .build();
    }

    @Test
    void credentialsAreNeverSerialized() {
        String json = Serialization.toJson(full());
        assertThat(json).doesNotContain(Fixtures.TOKEN).doesNotContainIgnoringCase("credentials")
                .doesNotContain("TestCredentials").doesNotContain("onStart").doesNotContain("onExit")
                .doesNotContain("systemEnvironment").doesNotContain("transport");
    }

    @Test
    void exactlyTheDocumentedSettingsAreSerialized() throws Exception {
        JsonNode node = new ObjectMapper().readTree(Serialization.toJson(full()));
        List<String> fields = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            fields.add(it.next());
        }
        assertThat(fields).containsExactlyInAnyOrder("type", "labels", "metadata", "executor", "project", "region",
                "jobName", "image", "cpu", "memory", "taskTimeout", "maxRetries", "taskCount", "parallelism",
                "serviceAccount", "vpcNetwork", "vpcSubnetwork", "vpcNetworkTags", "vpcEgress", "env", "secrets",
                "jobLabels", "keepJob", "runnerCommand", "endpoint", "readLogs", "launchesPerSecond",
                "readsPerSecond", "sdkMaxAttempts", "requestTimeout");
        assertThat(node.get("type").asText()).isEqualTo("cloud-run-job");
        assertThat(node.get("secrets").get("DB_PASSWORD").asText())
                .isEqualTo("projects/flowport-test/secrets/db/versions/latest");
    }

    @Test
    void roundTripKeepsEverySerializedSetting() {
        CloudRunJobEnvironment original = full();
        Environment read = Serialization.environmentFromJson(Serialization.toJson(original));
        assertThat(read).isInstanceOf(CloudRunJobEnvironment.class);
        CloudRunJobEnvironment c = (CloudRunJobEnvironment) read;
        assertThat(c.taskTimeout()).isEqualTo(Duration.ofHours(2));
        assertThat(c.parallelism()).isEqualTo(2);
        assertThat(c.keepJob()).isFalse();
        assertThat(c.readLogs()).isFalse();
        assertThat(c.vpcNetworkTags()).containsExactly("egress");
        assertThat(c.hasExplicitCredentials()).isFalse();
        assertThat(Serialization.toJson(c)).isEqualTo(Serialization.toJson(original));
    }

    @Test
    void yamlWithTheSettingsReads() {
        String yaml = """
                type: cloud-run-job
                project: my-project
                region: europe-west1
                image: europe-docker.pkg.dev/my-project/flows/etl:1.4
                cpu: "2"
                memory: 2Gi
                taskTimeout: PT1H
                env: {MODE: prod}
                secrets: {DB_PASSWORD: projects/my-project/secrets/db-password/versions/latest}
                vpcConnector: flows-connector
                vpcEgress: PRIVATE_RANGES_ONLY
                keepJob: false
                labels: [gcp]
                """;
        CloudRunJobEnvironment c = (CloudRunJobEnvironment) Serialization.environmentFromYaml(yaml);
        assertThat(c.resolvedProject()).contains("my-project");
        assertThat(c.taskTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(c.secrets()).containsKey("DB_PASSWORD");
        assertThat(c.keepJob()).isFalse();
        assertThat(CloudRunValidation.problems(c, null)).isEmpty();
    }

    @Test
    void unknownFieldsAreRejected() {
        assertThatThrownBy(() -> Serialization.environmentFromYaml("""
                type: cloud-run-job
                image: x
                memmory: 1Gi
                """)).isInstanceOf(ConfigurationException.class).hasMessageContaining("memmory");
    }

    @Test
    void credentialsInADocumentAreRefusedNotSilentlyDropped() {
        assertThatThrownBy(() -> Serialization.environmentFromYaml("""
                type: cloud-run-job
                image: x
                credentials: {type: service_account, private_key: "-----BEGIN PRIVATE KEY-----abc"}
                """)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("credentials: never read from JSON or YAML")
                .hasMessageNotContaining("BEGIN PRIVATE KEY");
    }

    @Test
    void toStringMasksCredentials() {
        assertThat(full().toString()).doesNotContain(Fixtures.TOKEN).contains("credentials=****")
                .contains("secrets=[DB_PASSWORD]").doesNotContain("projects/flowport-test/secrets");
    }

    @Test
    void theTypeIsRegisteredThroughServiceLoader() {
        assertThat(Serialization.environmentTypes()).contains("cloud-run-job");
        assertThat(full().type()).isEqualTo("cloud-run-job");
    }
}
