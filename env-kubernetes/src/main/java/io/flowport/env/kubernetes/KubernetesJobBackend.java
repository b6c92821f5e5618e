package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.ScalableResource;
import io.flowport.core.Flow;
import io.flowport.core.LaunchException;
import io.flowport.core.RunLogs;
import io.flowport.core.TransientException;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.Definition;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.Observation;
import io.flowport.core.spi.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Runs flow runs as Kubernetes Jobs in one namespace: the {@link Backend} behind {@link KubernetesJobEnvironment}.
 * It is a watching backend: two fabric8 informers (Jobs and pods with Flowport's {@code managed-by} label),
 * started with the first run followed, follow every run, whatever their number.
 *
 * <ul>
 *   <li>{@link #prepare}: checks the Job template; Kubernetes has no stored template, so the definition is the
 *       template's content hash, "created" the first time this backend sees it;</li>
 *   <li>{@link #launch}: creates the Job, named deterministically from the idempotency token: a create that
 *       hits 409 AlreadyExists returns the existing Job of the same run;</li>
 *   <li>{@link #stop}: deletes the Job with foreground propagation (its pods go first); 404 is fine;</li>
 *   <li>{@link #find} / {@link #delete}: one label-selected list call; background deletion of finished Jobs,
 *       for {@link io.flowport.core.spi.BackendCleaner};</li>
 *   <li>{@link #logs}: the flow container's log, followed with fabric8's {@code watchLog} while the run goes,
 *       else read with {@code getLog}.</li>
 * </ul>
 *
 * <p>Thread-safe. Errors: HTTP 429, 5xx and connection failures become {@link TransientException} (retried by
 * the lifecycle); other refusals (403 without RBAC, 422 invalid, a Job name taken by another run) become
 * {@link LaunchException} with what to change.
 */
final class KubernetesJobBackend implements Backend, Observation.Watching, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesJobBackend.class);

    private final KubernetesClient client;
    private final boolean ownsClient;
    private final String namespace;
    private final JobTemplate template;
    private final boolean uniqueJobName;
    private final PodLogs logs;
    private final JobInformers informers;
    private final Set<String> preparedHashes = ConcurrentHashMap.newKeySet();

    KubernetesJobBackend(KubernetesClient client, boolean ownsClient, String namespace, JobTemplate template,
                         boolean uniqueJobName, Duration logDrain) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.namespace = namespace;
        this.template = template;
        this.uniqueJobName = uniqueJobName;
        this.logs = new PodLogs(client, namespace, logDrain.toMillis());
        this.informers = new JobInformers(client, namespace, logs);
    }

    @Override
    public String name() {
        return "kubernetes";
    }

    /** The namespace this backend creates and finds Jobs in. */
    String namespace() {
        return namespace;
    }

    /** The client this backend uses (closed with the backend only if the backend created it). */
    KubernetesClient client() {
        return client;
    }

    /** The Job a run of {@code request} would create, without creating it. */
    Job render(LaunchRequest request) {
        return template.render(request, uniqueJobName);
    }

    @Override
    public Definition prepare(Flow flow) {
        String hash = template.hash();
        boolean created = preparedHashes.add(hash);
        return new Definition("job-template-" + hash.substring(0, 12), hash, created);
    }

    @Override
    public Launch launch(Definition definition, LaunchRequest request) {
        Job job = template.render(request, uniqueJobName);
        String name = job.getMetadata().getName();
        try {
            Job created = jobs().resource(job).create();
            LOG.info("created Job {} in namespace {} for flow run {}", name, namespace, request.flowRunId());
            return launchOf(created);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw translate("creating Job " + name + " in namespace " + namespace, e);
            }
        }
        Job existing;
        try {
            existing = jobs().withName(name).get();
        } catch (KubernetesClientException e) {
            throw translate("reading Job " + name + " in namespace " + namespace, e);
        }
        if (existing == null) {
            throw new TransientException("Job " + name + " existed a moment ago and is gone (being deleted?);"
                    + " trying again");
        }
        String token = annotation(existing, JobTemplate.ANNOTATION_TOKEN);
        if (request.idempotencyToken().equals(token)) {
            LOG.info("Job {} already exists for flow run {}: reusing it", name, request.flowRunId());
            return launchOf(existing);
        }
        String owner = annotation(existing, JobTemplate.ANNOTATION_FLOW_RUN_ID);
        throw new LaunchException("a Job named '" + name + "' already exists in namespace '" + namespace + "'"
                + (owner == null ? " (not created by Flowport)" : " for flow run " + owner)
                + "; with uniqueJobName=false every run of the flow uses that name: delete the old Job"
                + " (KubernetesJobEnvironment.deleteFinishedJobs removes finished ones) or set uniqueJobName=true");
    }

    @Override
    public Observation observation() {
        return this;
    }

    @Override
    public AutoCloseable watch(Launch launch, Consumer<RunStatus> listener) {
        return informers.follow(launch, template.containerName(), listener);
    }

    @Override
    public void stop(Launch launch, String reason) {
        deleteJob(launch, DeletionPropagation.FOREGROUND, "stopping");
        LOG.info("deleted Job {} in namespace {} (foreground): {}", launch.id(), namespace, reason);
    }

    @Override
    public RunLogs logs(Launch launch) {
        String runLabel = launch.labels().get(Labels.FLOW_RUN_ID);
        return runLabel != null ? logs.logs(launch.id(), template.containerName(), Labels.FLOW_RUN_ID, runLabel)
                : logs.logs(launch.id(), template.containerName(), "job-name", launch.id());
    }

    /** Every Job with Flowport's {@code managed-by} label and all of {@code labels}, in one list call. */
    @Override
    public List<Found> find(Map<String, String> labels) {
        Map<String, String> selector = new LinkedHashMap<>(Labels.managed());
        selector.putAll(labels);
        JobList list;
        try {
            list = jobs().withLabels(selector).list();
        } catch (KubernetesClientException e) {
            throw translate("listing Jobs in namespace " + namespace, e);
        }
        List<Found> found = new ArrayList<>();
        for (Job job : list.getItems()) {
            String name = job.getMetadata().getName();
            found.add(new Found(launchOf(job), JobStatuses.status(name, job), JobStatuses.finishedAt(job)));
        }
        return found;
    }

    /** Deletes the Job with background propagation (the garbage collector removes its pods). */
    @Override
    public void delete(Launch launch) {
        deleteJob(launch, DeletionPropagation.BACKGROUND, "deleting");
        logs.forget(launch.id());
    }

    private void deleteJob(Launch launch, DeletionPropagation propagation, String what) {
        try {
            // a Job that is already gone gives an empty answer, not an error
            jobs().withName(launch.id()).withPropagationPolicy(propagation).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return;
            }
            throw translate(what + " Job " + launch.id() + " in namespace " + namespace, e);
        }
    }

    /** Stops the informers and log streams; closes the client if this backend created it. */
    @Override
    public void close() {
        informers.close();
        logs.close();
        if (ownsClient) {
            client.close();
        }
    }

    /** The informers following this backend's runs (for tests). */
    JobInformers informers() {
        return informers;
    }

    /** The followed logs (for tests of their bounds). */
    PodLogs podLogs() {
        return logs;
    }

    private NonNamespaceOperation<Job, JobList, ScalableResource<Job>> jobs() {
        return client.batch().v1().jobs().inNamespace(namespace);
    }

    private Launch launchOf(Job job) {
        String name = job.getMetadata().getName();
        Map<String, String> labels = job.getMetadata().getLabels() == null ? Map.of() : job.getMetadata().getLabels();
        String runId = annotation(job, JobTemplate.ANNOTATION_FLOW_RUN_ID);
        if (runId == null) {
            runId = labels.getOrDefault(Labels.FLOW_RUN_ID, name);
        }
        Instant created = JobStatuses.instant(job.getMetadata().getCreationTimestamp());
        return new Launch(name, runId, labels, created == null ? Instant.now() : created);
    }

    private static String annotation(Job job, String key) {
        Map<String, String> a = job.getMetadata().getAnnotations();
        return a == null ? null : a.get(key);
    }

    /**
     * The Flowport exception for a failed API call: transient for throttling, server errors and lost
     * connections; a {@link LaunchException} naming the fix for the rest.
     */
    static RuntimeException translate(String what, KubernetesClientException e) {
        int code = e.getCode();
        String detail = describe(e);
        if (code == 0 || code == 408 || code == 429 || code >= 500 || e.getCause() instanceof IOException) {
            return new TransientException(what + " failed (" + detail + ")", e, code == 429);
        }
        return switch (code) {
            case 401 -> new LaunchException(what + " failed: not authenticated (" + detail + "); check the"
                    + " credentials of your kubeconfig context or the pod's service account token", e);
            case 403 -> new LaunchException(what + " is forbidden (" + detail + "); grant the Role of the"
                    + " flowport-env-kubernetes README (jobs: create, get, list, watch, delete; pods: list, watch;"
                    + " pods/log: get; events: list)", e);
            case 404 -> new LaunchException(what + " failed (" + detail + "); does the namespace exist?", e);
            case 422 -> new LaunchException(what + " was rejected as invalid (" + detail + ")", e);
            default -> new LaunchException(what + " failed (" + detail + ")", e);
        };
    }

    /** A failed API call in a few words: the HTTP status and the server's message. */
    static String describe(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return "HTTP " + e.getCode() + ": " + e.getStatus().getMessage();
        }
        return e.getCode() > 0 ? "HTTP " + e.getCode() + ": " + e.getMessage() : String.valueOf(e.getMessage());
    }
}
