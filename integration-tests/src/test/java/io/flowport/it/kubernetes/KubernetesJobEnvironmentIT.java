package io.flowport.it.kubernetes;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.flowport.core.Environment;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.Serialization;
import io.flowport.core.StateType;
import io.flowport.core.spi.Labels;
import io.flowport.env.kubernetes.KubernetesJobEnvironment;
import io.flowport.examples.ExampleFlows;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * As a user would wire it: the environment comes from a YAML document (type {@code kubernetes-job}, found on the
 * class path through the BOM's module), runs the examples' shell flow as a Job on fabric8's mock API server, and
 * cleans up after itself. The test plays the Job controller, since nothing runs Jobs on the mock server.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesJobEnvironmentIT {

    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void anEnvironmentReadFromYamlRunsAFlowAsAJobAndCleansUp() throws Exception {
        Environment read = Serialization.environmentFromYaml("""
                type: kubernetes-job
                image: busybox:1.36
                namespace: it
                labels: [k8s]
                ttlSecondsAfterFinished: 600
                """);
        assertThat(read).isInstanceOf(KubernetesJobEnvironment.class);
        KubernetesJobEnvironment yaml = (KubernetesJobEnvironment) read;

        // the client is the one thing that cannot come from YAML: here, the mock server's
        try (KubernetesJobEnvironment env = KubernetesJobEnvironment.builder().client(client)
                .image(yaml.image()).namespace(yaml.namespace()).labels(yaml.labels())
                .ttlSecondsAfterFinished(yaml.ttlSecondsAfterFinished()).build()) {
            FlowRun run = FlowRun.create();
            CompletableFuture<FlowRunResult> result = env.submit(ExampleFlows.shell(), run);

            Job job = await().atMost(20, TimeUnit.SECONDS).until(() -> {
                List<Job> jobs = client.batch().v1().jobs().inNamespace("it")
                        .withLabel(Labels.FLOW_RUN_ID, Labels.safeValue(run.id())).list().getItems();
                return jobs.isEmpty() ? null : jobs.get(0);
            }, j -> j != null);
            assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(600);
            assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getCommand())
                    .isEqualTo(ExampleFlows.shell().commandSpec().orElseThrow().command());

            client.batch().v1().jobs().inNamespace("it").withName(job.getMetadata().getName()).editStatus(j -> {
                String now = Instant.now().toString();
                j.setStatus(new JobStatusBuilder().withSucceeded(1).withCompletionTime(now)
                        .addToConditions(new JobConditionBuilder().withType("Complete").withStatus("True")
                                .withLastTransitionTime(now).build())
                        .build());
                return j;
            });
            FlowRunResult r = result.get(30, TimeUnit.SECONDS);
            assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);

            assertThat(env.deleteFinishedJobs(Duration.ZERO)).hasSize(1);
            assertThat(client.batch().v1().jobs().inNamespace("it").list().getItems()).isEmpty();
        }
    }
}
