package io.flowport.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.flowport.agent.internal.AgentJson;
import io.flowport.core.Serialization;
import io.flowport.core.spi.Labels;
import io.flowport.env.kubernetes.KubernetesJobEnvironment;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import io.flowport.env.local.LocalProcessEnvironment;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The TTL controller deletes finished infrastructure that carries Flowport's labels and finished longer ago than
 * the TTL, and nothing else: Kubernetes Jobs on fabric8's mock API server (through the real client), and the
 * directories of finished local processes.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AgentTtlTest {

    static final String NS = "flows";

    @TempDir
    Path dir;

    @Test
    void onlyFlowportLabelledFinishedJobsOlderThanTheTtlAreDeleted() {
        try (KubernetesTestServer server = KubernetesTestServer.start();
             RunQueue queue = EmbeddedRunQueue.open(dir.resolve("queue.db"))) {
            KubernetesClient k8s = server.client();
            Instant now = Instant.now();
            job(k8s, "old-complete", true, "Complete", now.minus(Duration.ofHours(2)));
            job(k8s, "old-failed", true, "Failed", now.minus(Duration.ofHours(3)));
            job(k8s, "recent-complete", true, "Complete", now.minus(Duration.ofMinutes(10)));
            job(k8s, "old-running", true, null, null);
            job(k8s, "not-ours", false, "Complete", now.minus(Duration.ofHours(5)));

            ObjectNode spec = AgentJson.object(Serialization.toJson(KubernetesJobEnvironment.builder().namespace(NS)
                    .image("busybox:1.36").build()), "kubernetes-job");
            EnvironmentFactory withClient = s -> {
                ObjectNode settings = s.deepCopy();
                settings.remove("type");
                try {
                    return Ecs.JSON.treeToValue(settings, KubernetesJobEnvironment.Builder.class).client(k8s).build();
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException(e);
                }
            };
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            Agent agent = Agent.builder(queue).id("janitor").environmentFactory(withClient)
                    .jobSpecs(JobSpecs.builder().defaultEnvironment(spec).build()).ttl(Duration.ofHours(1))
                    .cleanupInterval(Duration.ofMillis(300)).metrics(MicrometerAgentMetrics.of(registry))
                    .localProcesses(null).build().start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> names(k8s).size() == 3);
                // and it stays so over several more passes
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                        .until(() -> names(k8s).size() == 3);
                assertThat(names(k8s)).containsExactlyInAnyOrder("recent-complete", "old-running", "not-ours");
                assertThat(registry.get("flowport.agent.units.deleted").counter().count()).isEqualTo(2);
                assertThat(agent.cleanupNow()).isZero();
            } finally {
                agent.close();
            }
        }
    }

    @Test
    void finishedLocalProcessesAreDeletedAfterTheTtlAndRunningOnesNever() throws Exception {
        Path processes = dir.resolve("processes");
        try (RunQueue queue = EmbeddedRunQueue.open(dir.resolve("queue.db"))) {
            LocalProcessEnvironment env = LocalProcessEnvironment.builder().labels("lp")
                    .jvmOptions(List.of("-Xmx48m", "-XX:TieredStopAtLevel=1")).build();
            String quick = queue.submit(RunRequest.builder(AgentTestFlows.HELLO).environment(env).build());
            String slow = queue.submit(RunRequest.builder(AgentTestFlows.MARKED).environment(env)
                    .parameter("ms", 60_000).build());
            MutableClock clock = new MutableClock();
            Agent agent = Agent.builder(queue).labels("lp").localProcesses(processes).ttl(Duration.ofHours(1))
                    .cleanupInterval(Duration.ofHours(1)).clock(clock).pollInterval(Duration.ofMillis(100))
                    .heartbeatInterval(Duration.ofMillis(200)).build().start();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> queue.get(quick).orElseThrow().isFinished()
                        && queue.get(slow).orElseThrow().state() == RunState.RUNNING);
                assertThat(queue.get(quick).orElseThrow().state()).isEqualTo(RunState.SUCCESS);
                assertThat(Files.list(processes).count()).isEqualTo(2);
                assertThat(agent.cleanupNow()).as("younger than the TTL").isZero();
                clock.advance(Duration.ofHours(2));
                assertThat(agent.cleanupNow()).isEqualTo(1);
                assertThat(processes.resolve(quick)).doesNotExist();
                assertThat(processes.resolve(slow)).as("still running").exists();
                queue.cancel(slow, "test over");
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        queue.get(slow).orElseThrow().state() == RunState.CANCELLED);
                assertThat(Files.readString(processes.resolve(slow).resolve("exit")).trim()).isEqualTo("143");
            } finally {
                agent.close();
            }
        }
    }

    static List<String> names(KubernetesClient k8s) {
        return k8s.batch().v1().jobs().inNamespace(NS).list().getItems().stream()
                .map(j -> j.getMetadata().getName()).toList();
    }

    static void job(KubernetesClient k8s, String name, boolean flowport, String condition, Instant at) {
        Map<String, String> labels = flowport ? new HashMap<>(Labels.forRun(name, "ttl-flow")) : Map.of("app", "other");
        Job job = new JobBuilder().withNewMetadata().withName(name).withNamespace(NS).withLabels(labels).endMetadata()
                .withNewSpec().withNewTemplate().withNewSpec().addNewContainer().withName("flow").withImage("busybox")
                .endContainer().withRestartPolicy("Never").endSpec().endTemplate().endSpec().build();
        k8s.batch().v1().jobs().inNamespace(NS).resource(job).create();
        if (condition == null) {
            k8s.batch().v1().jobs().inNamespace(NS).withName(name).editStatus(j -> new JobBuilder(j).withNewStatus()
                    .withActive(1).withReady(1).endStatus().build());
            return;
        }
        JobCondition c = new JobConditionBuilder().withType(condition).withStatus("True")
                .withLastTransitionTime(at.toString()).build();
        k8s.batch().v1().jobs().inNamespace(NS).withName(name).editStatus(j -> new JobBuilder(j).withNewStatus()
                .withConditions(c).withCompletionTime("Complete".equals(condition) ? at.toString() : null)
                .endStatus().build());
    }

    /** A clock the test moves forward. */
    static final class MutableClock extends java.time.Clock {
        private volatile Instant now = Instant.now();

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
