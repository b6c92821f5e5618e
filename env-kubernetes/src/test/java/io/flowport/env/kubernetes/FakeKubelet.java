package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.flowport.core.spi.Labels;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Plays the Job controller and the kubelet against the mock API server, which runs nothing: creates the pod of a
 * Job and writes pod and Job status the way Kubernetes would.
 */
final class FakeKubelet {

    private final KubernetesClient client;
    private final String namespace;
    private final KubernetesMockServer server;
    private static final Set<String> LOGS_SERVED = ConcurrentHashMap.newKeySet();

    /**
     * A kubelet for the given namespace. The CRUD mock answers the pod log endpoint with a JSON list, so the
     * kubelet serves each started container's log (empty unless {@link #log} gave one first).
     */
    FakeKubelet(KubernetesClient client, String namespace, KubernetesMockServer server) {
        this.client = client;
        this.namespace = namespace;
        this.server = server;
    }

    /** Serves this text as the log of the Job's pod (streamed and read at once). Call before the pod starts. */
    void log(String job, String text) {
        String pod = podName(job);
        if (!LOGS_SERVED.add(server.getPort() + "/" + pod)) {
            return;
        }
        String base = "/api/v1/namespaces/" + namespace + "/pods/" + pod + "/log?container=flow";
        server.expect().get().withPath(base + "&follow=true").andReturn(200, text).always();
        server.expect().get().withPath(base + "&tailLines=" + PodLogs.MAX_LINES).andReturn(200, text).always();
    }

    /** Waits for the Job of a run to exist. */
    Job awaitJob(String flowRunId) {
        return await().atMost(20, TimeUnit.SECONDS).until(() -> {
            List<Job> jobs = client.batch().v1().jobs().inNamespace(namespace)
                    .withLabel(Labels.FLOW_RUN_ID, Labels.safeValue(flowRunId)).list().getItems();
            return jobs.isEmpty() ? null : jobs.get(0);
        }, j -> j != null);
    }

    /** The current Job, or null. */
    Job job(String name) {
        return client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
    }

    /** The pod name the Job controller would give the Job's first pod. */
    static String podName(String job) {
        return job + "-x7k2p";
    }

    /** Creates the Job's pod, pending (not yet scheduled), as the Job controller does. */
    Pod createPod(Job job) {
        Map<String, String> labels = new LinkedHashMap<>(job.getSpec().getTemplate().getMetadata().getLabels());
        labels.put("job-name", job.getMetadata().getName());
        labels.put("batch.kubernetes.io/job-name", job.getMetadata().getName());
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(podName(job.getMetadata().getName()))
                .withNamespace(namespace)
                .withLabels(labels)
                .withCreationTimestamp(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())
                .addNewOwnerReference()
                .withApiVersion("batch/v1").withKind("Job").withName(job.getMetadata().getName())
                .withUid("uid-" + job.getMetadata().getName()).withController(true)
                .endOwnerReference()
                .endMetadata()
                .withSpec(job.getSpec().getTemplate().getSpec())
                .build();
        client.pods().inNamespace(namespace).resource(pod).create();
        return pod;
    }

    private String container(Job job) {
        return job.getSpec().getTemplate().getSpec().getContainers().get(0).getName();
    }

    private void podStatus(Job job, PodStatus status) {
        String name = podName(job.getMetadata().getName());
        if (client.pods().inNamespace(namespace).withName(name).get() == null) {
            createPod(job);
        }
        client.pods().inNamespace(namespace).withName(name).editStatus(p -> {
            p.setStatus(status);
            return p;
        });
    }

    /** The pod is scheduled and its container runs. */
    void run(Job job) {
        log(job.getMetadata().getName(), "");
        podStatus(job, new PodStatusBuilder().withPhase("Running")
                .addToConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("True").build())
                .addToContainerStatuses(new ContainerStatusBuilder().withName(container(job)).withReady(true)
                        .withNewState().withNewRunning().withStartedAt(now()).endRunning().endState().build())
                .build());
    }

    /** The container exits with a code (reason "Completed" for 0, else "Error" or the given one). */
    void exit(Job job, int code, String reason) {
        log(job.getMetadata().getName(), "");
        podStatus(job, new PodStatusBuilder().withPhase(code == 0 ? "Succeeded" : "Failed")
                .addToContainerStatuses(new ContainerStatusBuilder().withName(container(job))
                        .withNewState().withNewTerminated().withExitCode(code)
                        .withReason(reason != null ? reason : code == 0 ? "Completed" : "Error")
                        .withStartedAt(now()).withFinishedAt(now()).endTerminated().endState().build())
                .build());
    }

    /** The container never starts: it waits for a reason such as ImagePullBackOff. */
    void waiting(Job job, String reason, String message) {
        podStatus(job, new PodStatusBuilder().withPhase("Pending")
                .addToConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("True").build())
                .addToContainerStatuses(new ContainerStatusBuilder().withName(container(job))
                        .withNewState().withNewWaiting().withReason(reason).withMessage(message).endWaiting()
                        .endState().build())
                .build());
    }

    /** The container could not be started at all (the kubelet's StartError, exit code 128). */
    void startError(Job job, String message) {
        podStatus(job, new PodStatusBuilder().withPhase("Failed")
                .addToContainerStatuses(new ContainerStatusBuilder().withName(container(job))
                        .withNewState().withNewTerminated().withExitCode(128).withReason("StartError")
                        .withMessage(message).endTerminated().endState().build())
                .build());
    }

    /** No node can take the pod. */
    void unschedulable(Job job, String message) {
        podStatus(job, new PodStatusBuilder().withPhase("Pending")
                .addToConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
                        .withReason("Unschedulable").withMessage(message).build())
                .build());
    }

    /** The Job controller marks the Job complete. */
    void complete(Job job) {
        client.batch().v1().jobs().inNamespace(namespace).withName(job.getMetadata().getName()).editStatus(j -> {
            j.setStatus(new JobStatusBuilder().withSucceeded(1).withStartTime(now()).withCompletionTime(now())
                    .addToConditions(new JobConditionBuilder().withType("SuccessCriteriaMet").withStatus("True")
                            .build())
                    .addToConditions(new JobConditionBuilder().withType("Complete").withStatus("True")
                            .withLastTransitionTime(now()).build())
                    .build());
            return j;
        });
    }

    /** The Job controller marks the Job failed. */
    void fail(Job job, String reason, String message) {
        client.batch().v1().jobs().inNamespace(namespace).withName(job.getMetadata().getName()).editStatus(j -> {
            j.setStatus(new JobStatusBuilder().withFailed(1).withStartTime(now())
                    .addToConditions(new JobConditionBuilder().withType("Failed").withStatus("True")
                            .withReason(reason).withMessage(message).withLastTransitionTime(now()).build())
                    .build());
            return j;
        });
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
