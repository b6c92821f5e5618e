package io.flowport.env.kubernetes.testing;

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
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Names;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * Plays the Job controller and the kubelet of one namespace on a {@link KubernetesTestServer}, which runs nothing
 * by itself.
 *
 * <p><b>Job controller.</b> Once {@link #start() started}, it creates one pod for each Job that appears in the
 * namespace, the way the real controller does: named {@link #podName(String)}, with the pod template's labels
 * plus {@code job-name} / {@code batch.kubernetes.io/job-name}, owned by the Job, pending. The Job's conditions
 * are the test's to write ({@link #complete}, {@link #fail}): a test decides how a Job ends.
 *
 * <p><b>Kubelet.</b> Every pod that appears in the namespace, a Job's or a bare one, is handed once to
 * {@link #onPodCreated(Pod)}, on a thread of this kubelet (never the informer's), so the hook may block. By
 * default it does nothing and the test moves the pod on: {@link #running}, {@link #exit}, {@link #waiting},
 * {@link #startError}, {@link #unschedulable}; the flow container's output goes into {@link #log(String)}.
 *
 * <p><b>Running pods for real.</b> Override {@link #onPodCreated(Pod)} to give pods a life of their own, e.g. run
 * the first container's command ({@link #command(Pod)}, {@link #environment(Pod)}) as a local process: call
 * {@link #running(String)}, append the process's output to {@link #log(String)}, then {@link #exit(String, int,
 * String)} with its exit code and, for a Job's pod, {@link #complete} or {@link #fail} the Job.
 *
 * <p>Only the first container of a pod is played (its status and its log); other containers are ignored.
 * {@link #close()} stops the informers and the hook's threads.
 */
public class FakeKubelet implements AutoCloseable {

    private final KubernetesTestServer server;
    private final KubernetesClient client;
    private final String namespace;
    private final ExecutorService hooks;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    /** The first container's name by pod: it never changes, so it is read once. */
    private final Map<String, String> containers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** A kubelet for one namespace of {@code server}; call {@link #start()} to let it react to new Jobs and pods. */
    public FakeKubelet(KubernetesTestServer server, String namespace) {
        this.server = server;
        this.client = server.client();
        this.namespace = namespace;
        AtomicInteger seq = new AtomicInteger();
        this.hooks = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-kubelet-" + namespace + "-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts playing the Job controller (a pod per new Job) and the kubelet ({@link #onPodCreated(Pod)} per new
     * pod). Returns once both have seen what already exists.
     *
     * @return this kubelet
     */
    public synchronized FakeKubelet start() {
        if (!informers.isEmpty()) {
            return this;
        }
        SharedIndexInformer<Job> jobs = client.batch().v1().jobs().inNamespace(namespace)
                .inform(handler(job -> createPod(job)), 0);
        SharedIndexInformer<Pod> pods = client.pods().inNamespace(namespace)
                .inform(handler(this::onPodCreated), 0);
        informers.add(jobs);
        informers.add(pods);
        return this;
    }

    /**
     * Called once for every new pod of the namespace, on a thread of this kubelet. Does nothing by default;
     * override it to run pods (see the class comment). Exceptions are the override's to handle.
     */
    protected void onPodCreated(Pod pod) {
    }

    private <T> ResourceEventHandler<T> handler(java.util.function.Consumer<T> onAdd) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                try {
                    hooks.execute(() -> {
                        if (closed) {
                            return;
                        }
                        try {
                            onAdd.accept(obj);
                        } catch (RuntimeException e) {
                            if (!closed) {
                                throw e;
                            }
                            // the test is over: its server may be gone
                        }
                    });
                } catch (RejectedExecutionException e) {
                    // closed
                }
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            }
        };
    }

    /** The server this kubelet plays on. */
    public KubernetesTestServer server() {
        return server;
    }

    /** The namespace this kubelet plays in. */
    public String namespace() {
        return namespace;
    }

    /** Waits (up to 20 s) for the Job of a flow run to exist, found by its run label, and returns it. */
    public Job awaitJob(String flowRunId) {
        return patiently().until(() -> {
            List<Job> jobs = client.batch().v1().jobs().inNamespace(namespace)
                    .withLabel(Labels.FLOW_RUN_ID, Labels.safeValue(flowRunId)).list().getItems();
            return jobs.isEmpty() ? null : jobs.get(0);
        }, j -> j != null);
    }

    /** The current Job of this name, or null. */
    public Job job(String name) {
        return client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
    }

    /** The name the Job controller gives the pod of a Job: the Job's name and five characters of its hash. */
    public static String podName(String job) {
        return job + "-" + Names.sha256Hex(job).substring(0, 5);
    }

    /** Waits (up to 20 s) for the Job controller's pod of {@code job} and returns its name. */
    public String podOf(Job job) {
        String name = podName(job.getMetadata().getName());
        patiently().until(() -> pod(name) != null);
        return name;
    }

    /** The current pod of this name, or null. */
    public Pod pod(String name) {
        return client.pods().inNamespace(namespace).withName(name).get();
    }

    /**
     * Creates the pod of a Job, pending and unscheduled, as the Job controller does. Idempotent: a pod that exists
     * is left as it is.
     *
     * @return the pod's name
     */
    public String createPod(Job job) {
        String name = podName(job.getMetadata().getName());
        Map<String, String> labels = new LinkedHashMap<>();
        var template = job.getSpec().getTemplate();
        if (template.getMetadata() != null && template.getMetadata().getLabels() != null) {
            labels.putAll(template.getMetadata().getLabels());
        }
        labels.put("job-name", job.getMetadata().getName());
        labels.put("batch.kubernetes.io/job-name", job.getMetadata().getName());
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .withLabels(labels)
                .withCreationTimestamp(now())
                .addNewOwnerReference()
                .withApiVersion("batch/v1").withKind("Job").withName(job.getMetadata().getName())
                .withUid(job.getMetadata().getUid() != null ? job.getMetadata().getUid()
                        : "uid-" + job.getMetadata().getName())
                .withController(true)
                .endOwnerReference()
                .endMetadata()
                .withSpec(template.getSpec())
                .withNewStatus().withPhase("Pending").endStatus()
                .build();
        try {
            client.pods().inNamespace(namespace).resource(pod).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
        return name;
    }

    /** The first container's command (its {@code command} and {@code args}), for a hook that runs it. */
    public static List<String> command(Pod pod) {
        var c = pod.getSpec().getContainers().get(0);
        List<String> out = new ArrayList<>();
        if (c.getCommand() != null) {
            out.addAll(c.getCommand());
        }
        if (c.getArgs() != null) {
            out.addAll(c.getArgs());
        }
        return out;
    }

    /** The first container's literal environment variables ({@code valueFrom} ones are left out). */
    public static Map<String, String> environment(Pod pod) {
        Map<String, String> out = new LinkedHashMap<>();
        var env = pod.getSpec().getContainers().get(0).getEnv();
        if (env != null) {
            env.stream().filter(v -> v.getValue() != null).forEach(v -> out.put(v.getName(), v.getValue()));
        }
        return out;
    }

    /** The log of the pod's first container, served by the API server once the container starts. */
    public KubernetesTestServer.PodLog log(String pod) {
        return server.log(namespace, pod, container(pod));
    }

    /** The pod is scheduled and its first container runs; its log can be read from now on. */
    public void running(String pod) {
        log(pod).start();
        podStatus(pod, new PodStatusBuilder().withPhase("Running")
                .addToConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("True").build())
                .addToContainerStatuses(new ContainerStatusBuilder().withName(container(pod)).withReady(true)
                        .withNewState().withNewRunning().withStartedAt(now()).endRunning().endState().build())
                .build());
    }

    /**
     * The first container exits with {@code code} (reason {@code Completed} for 0, else {@code Error}, unless
     * {@code reason} is given); its log ends.
     */
    public void exit(String pod, int code, String reason) {
        log(pod).end();
        podStatus(pod, new PodStatusBuilder().withPhase(code == 0 ? "Succeeded" : "Failed")
                .addToContainerStatuses(new ContainerStatusBuilder().withName(container(pod))
                        .withNewState().withNewTerminated().withExitCode(code)
                        .withReason(reason != null ? reason : code == 0 ? "Completed" : "Error")
                        .withStartedAt(now()).withFinishedAt(now()).endTerminated().endState().build())
                .build());
    }

    /** The first container does not start: it waits for a reason such as {@code ImagePullBackOff}. */
    public void waiting(String pod, String reason, String message) {
        podStatus(pod, new PodStatusBuilder().withPhase("Pending")
                .addToConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("True").build())
                .addToContainerStatuses(new ContainerStatusBuilder().withName(container(pod))
                        .withNewState().withNewWaiting().withReason(reason).withMessage(message).endWaiting()
                        .endState().build())
                .build());
    }

    /** The first container could not be started at all (the kubelet's {@code StartError}, exit code 128). */
    public void startError(String pod, String message) {
        podStatus(pod, new PodStatusBuilder().withPhase("Failed")
                .addToContainerStatuses(new ContainerStatusBuilder().withName(container(pod))
                        .withNewState().withNewTerminated().withExitCode(128).withReason("StartError")
                        .withMessage(message).endTerminated().endState().build())
                .build());
    }

    /** No node can take the pod. */
    public void unschedulable(String pod, String message) {
        podStatus(pod, new PodStatusBuilder().withPhase("Pending")
                .addToConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
                        .withReason("Unschedulable").withMessage(message).build())
                .build());
    }

    /** The Job controller marks the Job complete. */
    public void complete(Job job) {
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

    /** The Job controller marks the Job failed, e.g. {@code BackoffLimitExceeded} or {@code DeadlineExceeded}. */
    public void fail(Job job, String reason, String message) {
        client.batch().v1().jobs().inNamespace(namespace).withName(job.getMetadata().getName()).editStatus(j -> {
            j.setStatus(new JobStatusBuilder().withFailed(1).withStartTime(now())
                    .addToConditions(new JobConditionBuilder().withType("Failed").withStatus("True")
                            .withReason(reason).withMessage(message).withLastTransitionTime(now()).build())
                    .build());
            return j;
        });
    }

    /**
     * Stops reacting to new Jobs and pods. Work in progress (a pod being created, a hook running) gets up to 5 s to
     * end, so that no request is cut off while the server closes; then the hooks' threads are interrupted.
     */
    @Override
    public synchronized void close() {
        closed = true;
        informers.forEach(SharedIndexInformer::close);
        informers.clear();
        hooks.shutdown();
        try {
            if (!hooks.awaitTermination(5, TimeUnit.SECONDS)) {
                hooks.shutdownNow();
            }
        } catch (InterruptedException e) {
            hooks.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Waits up to 20 s, looking at once and then every 20 ms. */
    private static org.awaitility.core.ConditionFactory patiently() {
        return await().atMost(20, TimeUnit.SECONDS).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20));
    }

    private String container(String pod) {
        return containers.computeIfAbsent(pod, name -> patiently().until(() -> pod(name), x -> x != null)
                .getSpec().getContainers().get(0).getName());
    }

    private void podStatus(String pod, PodStatus status) {
        container(pod); // waits for the pod
        client.pods().inNamespace(namespace).withName(pod).editStatus(p -> {
            p.setStatus(status);
            return p;
        });
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
