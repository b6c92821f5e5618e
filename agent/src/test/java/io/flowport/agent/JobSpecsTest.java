package io.flowport.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.agent.internal.AgentJson;
import io.flowport.core.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The agent-side job spec: default environment, templates, profiles, metadata.cpu/memory, the callback. */
class JobSpecsTest {

    static QueuedRun run(String environmentJson) {
        return new QueuedRun("run-1", "flow", "flow", null, null, "{}", Set.of(), environmentJson, 0, Instant.now(),
                null, Instant.now(), RunState.CLAIMED, "", Instant.now(), "agent", Instant.now(), 1, null, null, null,
                null, null, List.of());
    }

    static ObjectNode json(String text) {
        return AgentJson.object(text, "test document");
    }

    @Test
    void theRunsOwnEnvironmentIsUsedAsIs() {
        String doc = "{\"type\":\"local\",\"labels\":[\"a\"]}";
        JobSpecs.Resolved r = JobSpecs.none().resolve(run(doc));
        assertThat(r.spec()).isEqualTo(json(doc));
        assertThat(r.warnings()).isEmpty();
    }

    @Test
    void aRunWithoutEnvironmentGetsTheDefaultAndWithoutADefaultFails() {
        JobSpecs specs = JobSpecs.builder().defaultEnvironment(json("{\"type\":\"local\"}")).build();
        assertThat(specs.resolve(run(null)).spec().path("type").asText()).isEqualTo("local");
        assertThatThrownBy(() -> JobSpecs.none().resolve(run(null))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("start the agent with one (--env)");
    }

    @Test
    void theTemplateIsTheBaseAndTheRunWins() {
        JobSpecs specs = JobSpecs.builder().template(json("{\"type\":\"fargate-task\",\"cluster\":\"shared\","
                + "\"subnets\":[\"subnet-1\"],\"tags\":{\"team\":\"data\",\"cost\":\"a\"}}")).build();
        ObjectNode spec = specs.resolve(run("{\"type\":\"fargate-task\",\"cluster\":\"mine\",\"tags\":{\"cost\":\"b\"}}"))
                .spec();
        assertThat(spec.path("cluster").asText()).isEqualTo("mine");
        assertThat(spec.path("subnets").get(0).asText()).isEqualTo("subnet-1");
        assertThat(spec.path("tags")).isEqualTo(json("{\"team\":\"data\",\"cost\":\"b\"}"));
        assertThat(specs.resolve(run("{\"type\":\"local\"}")).spec()).as("templates are per type")
                .isEqualTo(json("{\"type\":\"local\"}"));
    }

    @Test
    void aProfileChosenByMetadataWinsOverTheRun() {
        JobSpecs specs = JobSpecs.builder().profile("gpu", json("{\"memory\":\"30720\",\"cpu\":\"4096\"}"))
                .profile("k8s-only", json("{\"type\":\"kubernetes-job\",\"namespace\":\"x\"}")).build();
        ObjectNode spec = specs.resolve(run("{\"type\":\"fargate-task\",\"memory\":\"512\","
                + "\"metadata\":{\"job_profile\":\"gpu\"}}")).spec();
        assertThat(spec.path("memory").asText()).isEqualTo("30720");
        assertThat(spec.path("cpu").asText()).isEqualTo("4096");
        assertThatThrownBy(() -> specs.resolve(run("{\"type\":\"fargate-task\",\"metadata\":{\"job_profile\":\"tpu\"}}")))
                .hasMessageContaining("'tpu' is not a profile of this agent; known profiles: gpu, k8s-only");
        assertThatThrownBy(() -> specs.resolve(run("{\"type\":\"fargate-task\",\"metadata\":{\"job_profile\":"
                + "\"k8s-only\"}}"))).hasMessageContaining("is for environment type 'kubernetes-job'");
    }

    @Test
    void metadataCpuAndMemoryGoToEachProvidersOwnFields() {
        JobSpecs specs = JobSpecs.none();
        String meta = "\"metadata\":{\"cpu\":\"2\",\"memory\":\"4Gi\"}";
        ObjectNode fargate = specs.resolve(run("{\"type\":\"fargate-task\"," + meta + "}")).spec();
        assertThat(fargate.path("cpu").asText() + "/" + fargate.path("memory").asText()).isEqualTo("2/4Gi");
        ObjectNode k8s = specs.resolve(run("{\"type\":\"kubernetes-job\",\"resources\":{\"limits\":{\"cpu\":\"4\"}},"
                + meta + "}")).spec();
        assertThat(k8s.path("resources")).isEqualTo(json("{\"limits\":{\"cpu\":\"4\"},\"requests\":{\"cpu\":\"2\","
                + "\"memory\":\"4Gi\"}}"));
        assertThat(specs.resolve(run("{\"type\":\"aci\",\"metadata\":{\"memory\":3.5}}")).spec().path("memoryInGb")
                .asDouble()).isEqualTo(3.5);
        JobSpecs.Resolved local = specs.resolve(run("{\"type\":\"local\"," + meta + "}"));
        assertThat(local.warnings()).containsExactly(
                "metadata.cpu ignored: environment type 'local' has no cpu setting (map one with "
                        + "JobSpecs.Builder.resourceField)",
                "metadata.memory ignored: environment type 'local' has no memory setting (map one with "
                        + "JobSpecs.Builder.resourceField)");
        JobSpecs mapped = JobSpecs.builder().resourceField("local-process", "memory", "/environment/MEM").build();
        assertThat(mapped.resolve(run("{\"type\":\"local-process\",\"metadata\":{\"memory\":\"1g\"}}")).spec()
                .path("environment").path("MEM").asText()).isEqualTo("1g");
    }

    @Test
    void theCallbackHasTheLastWordAndItsFailureFailsTheRun() {
        JobSpecs specs = JobSpecs.builder().profile("p", json("{\"cpu\":\"1024\"}"))
                .customizer((run, spec) -> spec.put("family", run.flowName() + "-" + spec.path("cpu").asText()))
                .build();
        assertThat(specs.resolve(run("{\"type\":\"fargate-task\",\"metadata\":{\"job_profile\":\"p\"}}")).spec()
                .path("family").asText()).isEqualTo("flow-1024");
        JobSpecs failing = JobSpecs.builder().customizer((run, spec) -> {
            throw new IllegalStateException("vault unreachable");
        }).build();
        assertThatThrownBy(() -> failing.resolve(run("{\"type\":\"local\"}")))
                .hasMessageContaining("the job spec callback failed: java.lang.IllegalStateException: vault unreachable");
    }

    @Test
    void documentsComeFromJsonAndYamlFilesAndAreChecked(@TempDir Path dir) throws Exception {
        Path yaml = Files.writeString(dir.resolve("t.yaml"), "type: fargate-task\ncluster: from-yaml\n");
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"cluster\": ");
        Path env = Files.writeString(dir.resolve("env.yml"), "type: local\nlabels: [x]\n");
        JobSpecs specs = JobSpecs.builder().template(yaml).defaultEnvironment(env).build();
        assertThat(specs.resolve(run("{\"type\":\"fargate-task\"}")).spec().path("cluster").asText())
                .isEqualTo("from-yaml");
        assertThatThrownBy(() -> JobSpecs.builder().template(bad)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("bad.json is not valid JSON");
        assertThatThrownBy(() -> JobSpecs.builder().template(json("{\"cluster\":\"x\"}")))
                .hasMessageContaining("needs the 'type'");
        assertThatThrownBy(() -> JobSpecs.builder().defaultEnvironment(json("{\"type\":\"nope\"}")))
                .hasMessageContaining("unknown environment type 'nope'");
    }
}
