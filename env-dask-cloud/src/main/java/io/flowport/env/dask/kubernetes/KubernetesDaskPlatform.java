package io.flowport.env.dask.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.flowport.core.ConfigurationException;
import io.flowport.core.FlowportException;
import io.flowport.core.LaunchException;
import io.flowport.core.TransientException;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Names;
import io.flowport.env.dask.spi.DaskPlatform;
import io.flowport.env.dask.spi.DaskProcess;
import io.flowport.env.dask.spi.DaskScripts;
import io.flowport.env.dask.spi.ProcessSpec;
import io.flowport.env.kubernetes.KubernetesJobEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The {@code kubernetes} Dask platform: each process of a cluster is a pod. Per cluster it creates
 *
 * <ul>
 *   <li>the scheduler pod (from the scheduler spec) and a Service for it (its Dask and dashboard ports);</li>
 *   <li>one pod per worker (from the worker spec), owned by the scheduler pod, so that deleting the scheduler pod
 *       removes every pod, the Service and the Secret (Kubernetes' garbage collector);</li>
 *   <li>a Secret with the cluster's TLS material, mounted as files (each pod mounts only its own certificate and
 *       key, and the CA): keys never appear in a pod spec, which anyone allowed to read pods could read.</li>
 * </ul>
 *
 * Everything carries Flowport's labels (the flow run id) and {@value #CLUSTER_LABEL}. Pods are followed with one
 * fabric8 informer per cluster; their problems (unschedulable, image pull back-off, {@code OOMKilled}, evicted)
 * are logged once each and kept for the run's result. Teardown ({@link #stopAll}) deletes everything with the
 * cluster's label and waits until no pod is left. Thread-safe.
 *
 * <p>Use {@link #provider(KubernetesClient)} to run clusters with a client of your own; otherwise the platform
 * uses the cluster that fabric8's configuration discovery finds ({@code KUBECONFIG}, {@code ~/.kube/config}, the
 * pod's service account) and closes its client with the platform.
 */
public final class KubernetesDaskPlatform implements DaskPlatform {

    /** The label with the cluster's id, on every pod, Service and Secret of a cluster. */
    public static final String CLUSTER_LABEL = "flowport.io/dask-cluster";
    /** The label with a pod's role: {@code scheduler} or {@code worker}. */
    public static final String ROLE_LABEL = "flowport.io/dask-role";

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesDaskPlatform.class);
    /** How long teardown waits for deleted pods to be gone (their containers get a grace period to stop). */
    private static final Duration GONE_TIMEOUT = Duration.ofSeconds(90);
    /** fabric8's own retries of throttled (429) and failed (5xx, I/O) calls: 6 more tries from 200 ms, doubling. */
    private static final int RETRIES = 6;
    private static final int RETRY_INTERVAL_MS = 200;
    /** The most of the scheduler's log kept for the result ({@code schedulerLogs}). */
    private static final int SCHEDULER_LOG_LINES = 10_000;
    private static final int SCHEDULER_LOG_BYTES = 1 << 20;

    private final KubernetesClient client;
    private final boolean ownsClient;
    private final String namespace;
    private final PlatformSettings settings;
    private final PodTemplates.Templates templates;
    private final RunReport report;
    private final String flowName;
    private final Map<String, Cluster> clusters = new ConcurrentHashMap<>();
    private final ExecutorService calls = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "flowport-dask-kubernetes");
        t.setDaemon(true);
        return t;
    });

    private KubernetesDaskPlatform(KubernetesClient client, boolean ownsClient, String namespace,
                                   PlatformSettings settings, PodTemplates.Templates templates, RunReport report,
                                   String flowName) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.namespace = namespace;
        this.settings = settings;
        this.templates = templates;
        this.report = report != null ? report : new RunReport(false);
        this.flowName = flowName;
    }

    /**
     * A provider of this platform that uses {@code client} (not closed by Flowport): for a context other than the
     * current one, or a test server. Give it to
     * {@link DaskKubernetesEnvironment.Builder#platformProvider(KubernetesDaskPlatformProvider)}.
     */
    public static KubernetesDaskPlatformProvider provider(KubernetesClient client) {
        return new KubernetesDaskPlatformProvider(java.util.Objects.requireNonNull(client, "client"), null, null);
    }

    /**
     * The platform for one cluster.
     *
     * @param client   a {@link KubernetesClient} of the user's, or null for fabric8's discovery
     * @throws ConfigurationException if the settings or specs are not valid
     * @throws LaunchException        if no cluster is configured
     */
    static KubernetesDaskPlatform create(Object client, Map<String, Object> settingsMap, RunReport report,
                                         String flowName) {
        List<String> problems = new ArrayList<>();
        PlatformSettings s = PlatformSettings.from(settingsMap, problems);
        PodTemplates.Templates t = problems.isEmpty() ? PodTemplates.read(s, problems) : null;
        if (!problems.isEmpty()) {
            throw new ConfigurationException("the kubernetes Dask platform", problems);
        }
        KubernetesClient c = client != null ? (KubernetesClient) client : newClient();
        String ns = t.namespace() != null ? t.namespace() : c.getNamespace() != null ? c.getNamespace() : "default";
        return new KubernetesDaskPlatform(c, client == null, ns, s, t, report, flowName);
    }

    /** A client for the cluster that fabric8's discovery finds, with fabric8's retries configured. */
    static KubernetesClient newClient() {
        Config config;
        try {
            config = Config.autoConfigure(null);
        } catch (RuntimeException e) {
            throw new LaunchException("cannot read the Kubernetes configuration: " + e.getMessage(), e);
        }
        if (!KubernetesJobEnvironment.clusterConfigured()) {
            throw new LaunchException("no Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config"
                    + " (e.g. with 'kubectl config'), or run in a pod with a service account");
        }
        config.setRequestRetryBackoffLimit(RETRIES);
        config.setRequestRetryBackoffInterval(RETRY_INTERVAL_MS);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    @Override
    public String name() {
        return "kubernetes (namespace " + namespace + ")";
    }

    /** The namespace of the clusters. */
    String namespace() {
        return namespace;
    }

    // ------------------------------------------------------------------------------------------ launch

    @Override
    public DaskProcess launch(ProcessSpec spec) {
        Cluster c = clusters.computeIfAbsent(spec.clusterId(), id -> new Cluster(id, spec.flowRunId()));
        synchronized (c) {
            c.follow();
            boolean scheduler = spec.role() == ProcessSpec.Role.SCHEDULER;
            String podName = Names.sanitize(spec.name(), Names.DNS_LABEL);
            // TLS material (PEM contents in Dask's variables) goes into the Secret; the variable points at the file
            Map<String, String> env = new LinkedHashMap<>();
            Map<String, String> secretData = new TreeMap<>();
            spec.environment().forEach((k, v) -> {
                if (v.contains("-----BEGIN")) {
                    String key = secretKey(k);
                    secretData.put(key, v);
                    env.put(k, PodTemplates.TLS_MOUNT + "/" + key);
                } else {
                    env.put(k, v);
                }
            });
            if (scheduler && env.containsKey("FLOWPORT_DASK_MAX_LIFETIME")) {
                c.activeDeadline = Long.parseLong(env.get("FLOWPORT_DASK_MAX_LIFETIME"));
            }
            if (!secretData.isEmpty()) {
                ensureSecret(c, secretData);
            }
            OwnerReference owner = null;
            if (!scheduler) {
                if (c.schedulerUid == null) {
                    throw new LaunchException("cannot start worker " + podName + ": cluster " + c.id
                            + " has no scheduler pod");
                }
                owner = ownerReference(c);
            }
            int[] ports = PodTemplates.schedulerPorts(templates.scheduler());
            List<String> command = new ArrayList<>(List.of(settings.python(), "-c",
                    DaskScripts.compactSource(DaskScripts.LAUNCHER), c.id, spec.module()));
            command.addAll(spec.args());
            String ip = "$(" + PodTemplates.POD_IP_VARIABLE + ")";
            command.addAll(List.of("--host", ip));
            if (scheduler) {
                command.addAll(List.of("--port", Integer.toString(ports[0]), "--dashboard-address",
                        ip + ":" + ports[1]));
            }
            Map<String, String> labels = labels(c);
            labels.put(ROLE_LABEL, scheduler ? "scheduler" : "worker");
            Pod pod = PodTemplates.render(scheduler ? templates.scheduler() : templates.worker(), spec.role(),
                    settings, new PodTemplates.Render(podName, labels, annotations(c), command, env,
                            secretData.isEmpty() ? null : secretName(c), List.copyOf(secretData.keySet()),
                            c.activeDeadline, owner));
            String container = pod.getSpec().getContainers().get(0).getName();
            PodProcess process = new PodProcess(spec.name(), podName, spec.role(), container, c, ports);
            c.processes.put(podName, process);
            Pod created;
            try {
                created = create(pods(), pod, c, "pod");
            } catch (RuntimeException e) {
                c.processes.remove(podName);
                throw e;
            }
            LOG.info("Dask cluster {}: {} pod {} in namespace {}", c.id, scheduler ? "scheduler" : "worker", podName,
                    namespace);
            if (scheduler) {
                c.schedulerPod = podName;
                c.schedulerUid = created.getMetadata().getUid();
                report.schedulerPod(podName);
                createService(c, ports);
                if (!secretData.isEmpty()) {
                    ownSecret(c);
                }
            }
            process.seen(created);
            // the informer may have seen the pod before it was registered: read what it knows now
            Pod cached = c.informer.getStore().getByKey(namespace + "/" + podName);
            if (cached != null) {
                process.seen(cached);
            }
            return process;
        }
    }

    /** The Secret's key for a variable: e.g. {@code DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY} to {@code worker-key.pem}. */
    static String secretKey(String variable) {
        String k = variable.toLowerCase(Locale.ROOT).replace("dask_distributed__comm__tls__", "")
                .replace("__", "-").replace('_', '-');
        return Names.sanitize(k, Names.DNS_LABEL) + ".pem";
    }

    private void ensureSecret(Cluster c, Map<String, String> data) {
        Map<String, String> missing = new TreeMap<>();
        data.forEach((k, v) -> {
            if (!c.secretKeys.contains(k)) {
                missing.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.US_ASCII)));
            }
        });
        if (missing.isEmpty()) {
            return;
        }
        String name = secretName(c);
        try {
            if (!c.secretCreated) {
                Secret secret = new SecretBuilder().withNewMetadata().withName(name).withLabels(labels(c))
                        .withAnnotations(annotations(c)).endMetadata().withType("Opaque").withData(missing).build();
                create(client.secrets().inNamespace(namespace), secret, c, "Secret");
                c.secretCreated = true;
            }
            // a Secret that existed already (a retried create), or a new role's certificate: add what it lacks
            Secret now = client.secrets().inNamespace(namespace).withName(name).get();
            if (now == null || now.getData() == null || !now.getData().keySet().containsAll(missing.keySet())) {
                client.secrets().inNamespace(namespace).withName(name).edit(s -> {
                    Map<String, String> all = new TreeMap<>(s.getData() == null ? Map.of() : s.getData());
                    all.putAll(missing);
                    s.setData(all);
                    return s;
                });
            }
        } catch (KubernetesClientException e) {
            throw translate("writing the TLS Secret " + name + " in namespace " + namespace, e);
        }
        c.secretKeys.addAll(missing.keySet());
    }

    /** The scheduler pod owns the Secret, so that deleting it removes the Secret too. */
    private void ownSecret(Cluster c) {
        try {
            client.secrets().inNamespace(namespace).withName(secretName(c)).edit(s -> {
                s.getMetadata().setOwnerReferences(List.of(ownerReference(c)));
                return s;
            });
        } catch (KubernetesClientException e) {
            throw translate("setting the owner of Secret " + secretName(c), e);
        }
    }

    private void createService(Cluster c, int[] ports) {
        String name = serviceName(c);
        Service service = new ServiceBuilder().withNewMetadata().withName(name).withLabels(labels(c))
                .withAnnotations(annotations(c)).withOwnerReferences(ownerReference(c)).endMetadata()
                .withNewSpec().withType("ClusterIP")
                .withSelector(Map.of(CLUSTER_LABEL, c.id, ROLE_LABEL, "scheduler"))
                .addNewPort().withName("comm").withPort(ports[0]).withNewTargetPort(ports[0]).endPort()
                .addNewPort().withName("dashboard").withPort(ports[1]).withNewTargetPort(ports[1]).endPort()
                .endSpec().build();
        create(client.services().inNamespace(namespace), service, c, "Service");
        report.service(name + "." + namespace + ".svc");
    }

    /**
     * Creates a resource of the cluster. A create whose answer was lost and that fabric8 retried meets
     * {@code 409 AlreadyExists}: the existing resource is the cluster's own if it carries the cluster's label.
     */
    private <T extends HasMetadata, L, R extends Resource<T>> T create(NonNamespaceOperation<T, L, R> op,
                                                                        T resource, Cluster c, String kind) {
        String name = resource.getMetadata().getName();
        try {
            return op.resource(resource).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw translate("creating " + kind + " " + name + " in namespace " + namespace, e);
            }
        }
        T existing;
        try {
            existing = op.withName(name).get();
        } catch (KubernetesClientException e) {
            throw translate("reading " + kind + " " + name + " in namespace " + namespace, e);
        }
        Map<String, String> labels = existing == null || existing.getMetadata().getLabels() == null ? Map.of()
                : existing.getMetadata().getLabels();
        if (existing == null || !c.id.equals(labels.get(CLUSTER_LABEL))) {
            throw new LaunchException("a " + kind + " named '" + name + "' already exists in namespace '" + namespace
                    + "' and is not part of Dask cluster " + c.id);
        }
        LOG.info("Dask cluster {}: {} {} exists already (a retried create): using it", c.id, kind, name);
        return existing;
    }

    private OwnerReference ownerReference(Cluster c) {
        return new OwnerReferenceBuilder().withApiVersion("v1").withKind("Pod").withName(c.schedulerPod)
                .withUid(c.schedulerUid).withBlockOwnerDeletion(false).withController(false).build();
    }

    private Map<String, String> labels(Cluster c) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Labels.MANAGED_BY, "flowport");
        labels.put(Labels.FLOW_RUN_ID, Labels.safeValue(c.flowRunId));
        if (flowName != null) {
            labels.put(Labels.FLOW_NAME, Labels.safeValue(flowName));
        }
        labels.put(CLUSTER_LABEL, c.id);
        return labels;
    }

    private static Map<String, String> annotations(Cluster c) {
        // the label value may be shortened; the annotation keeps the run id as it is
        return Map.of(Labels.FLOW_RUN_ID, c.flowRunId);
    }

    static String secretName(Cluster c) {
        return c.id + "-tls";
    }

    static String serviceName(Cluster c) {
        return c.id + "-scheduler";
    }

    private NonNamespaceOperation<Pod, PodList, PodResource> pods() {
        return client.pods().inNamespace(namespace);
    }

    // ------------------------------------------------------------------------------------------ teardown

    @Override
    public int stopAll(String clusterId) {
        Cluster c = clusters.get(clusterId);
        if (c != null) {
            c.processes.values().forEach(p -> p.stopping = true);
            if (report.captureSchedulerLog() && c.schedulerPod != null) {
                PodProcess p = c.processes.get(c.schedulerPod);
                report.schedulerLog(readLog(c.schedulerPod, p == null ? null : p.container, SCHEDULER_LOG_LINES));
            }
        }
        int stopped = deleteCluster(client, namespace, clusterId);
        if (c != null) {
            c.close();
            clusters.remove(clusterId);
        }
        return stopped;
    }

    /**
     * Deletes every pod, Service and Secret labelled with the cluster's id and waits until no pod is left.
     * Blocking; idempotent.
     *
     * @return how many pods were still running
     */
    static int deleteCluster(KubernetesClient client, String namespace, String clusterId) {
        List<String> failures = new ArrayList<>();
        int running = 0;
        try {
            for (Pod p : client.pods().inNamespace(namespace).withLabel(CLUSTER_LABEL, clusterId).list().getItems()) {
                String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
                if (!"Succeeded".equals(phase) && !"Failed".equals(phase)) {
                    running++;
                }
                delete(() -> client.pods().inNamespace(namespace).withName(p.getMetadata().getName()).delete(),
                        "pod " + p.getMetadata().getName(), failures);
            }
            for (Service s : client.services().inNamespace(namespace).withLabel(CLUSTER_LABEL, clusterId).list()
                    .getItems()) {
                delete(() -> client.services().inNamespace(namespace).withName(s.getMetadata().getName()).delete(),
                        "Service " + s.getMetadata().getName(), failures);
            }
            for (Secret s : client.secrets().inNamespace(namespace).withLabel(CLUSTER_LABEL, clusterId).list()
                    .getItems()) {
                delete(() -> client.secrets().inNamespace(namespace).withName(s.getMetadata().getName()).delete(),
                        "Secret " + s.getMetadata().getName(), failures);
            }
        } catch (KubernetesClientException e) {
            throw translate("listing what Dask cluster " + clusterId + " left in namespace " + namespace, e);
        }
        if (!failures.isEmpty()) {
            throw new LaunchException("Dask cluster " + clusterId + ": could not delete " + String.join("; ",
                    failures));
        }
        long deadline = System.nanoTime() + GONE_TIMEOUT.toNanos();
        while (true) {
            List<Pod> left = client.pods().inNamespace(namespace).withLabel(CLUSTER_LABEL, clusterId).list()
                    .getItems();
            if (left.isEmpty()) {
                break;
            }
            if (System.nanoTime() - deadline > 0) {
                LOG.warn("Dask cluster {}: {} pod(s) still terminating after {}s: {}", clusterId, left.size(),
                        GONE_TIMEOUT.toSeconds(), left.stream().map(p -> p.getMetadata().getName()).toList());
                break;
            }
            pause(250);
        }
        LOG.info("Dask cluster {}: deleted its pods, Service and Secret in namespace {}", clusterId, namespace);
        return running;
    }

    private static void delete(Runnable call, String what, List<String> failures) {
        try {
            call.run();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                failures.add(what + " (" + describe(e) + ")");
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlowportException("interrupted while waiting for pods to be deleted", e);
        }
    }

    /**
     * Finds clusters in {@code namespace} that no live driver uses and deletes them: those whose scheduler pod
     * ended (its driver died and the scheduler's idle timeout ended it; or the cluster's maximum lifetime) more
     * than {@code ttl} ago, whose scheduler pod is older than {@code maxLifetime}, or whose parts are left without
     * a scheduler pod for longer than {@code startTimeout} (a driver that died while starting the cluster).
     * Running clusters younger than their lifetime are never touched. Blocking.
     *
     * @return the ids of the clusters deleted
     */
    static List<String> deleteFinished(KubernetesClient client, String namespace, Duration ttl, Duration startTimeout,
                                       Duration maxLifetime, Clock clock) {
        Instant now = clock.instant();
        Map<String, List<HasMetadata>> byCluster = new TreeMap<>();
        try {
            List<HasMetadata> all = new ArrayList<>();
            all.addAll(client.pods().inNamespace(namespace).withLabel(Labels.MANAGED_BY, "flowport")
                    .withLabel(CLUSTER_LABEL).list().getItems());
            all.addAll(client.services().inNamespace(namespace).withLabel(Labels.MANAGED_BY, "flowport")
                    .withLabel(CLUSTER_LABEL).list().getItems());
            all.addAll(client.secrets().inNamespace(namespace).withLabel(Labels.MANAGED_BY, "flowport")
                    .withLabel(CLUSTER_LABEL).list().getItems());
            for (HasMetadata r : all) {
                byCluster.computeIfAbsent(r.getMetadata().getLabels().get(CLUSTER_LABEL), k -> new ArrayList<>())
                        .add(r);
            }
        } catch (KubernetesClientException e) {
            throw translate("listing Dask clusters in namespace " + namespace, e);
        }
        List<String> deleted = new ArrayList<>();
        byCluster.forEach((id, parts) -> {
            Pod scheduler = parts.stream().filter(r -> r instanceof Pod && "scheduler".equals(
                    r.getMetadata().getLabels().get(ROLE_LABEL))).map(r -> (Pod) r).findFirst().orElse(null);
            Instant finished = finishedAt(scheduler, parts, startTimeout, maxLifetime);
            if (finished != null && !finished.plus(ttl).isAfter(now)) {
                LOG.info("Dask cluster {} in namespace {} has no live driver (since {}): deleting it", id, namespace,
                        finished);
                deleteCluster(client, namespace, id);
                deleted.add(id);
            }
        });
        return deleted;
    }

    /** {@link #deleteFinished(KubernetesClient, String, Duration, Duration, Duration, Clock)} in this namespace. */
    List<String> deleteFinished(Duration ttl, Duration startTimeout, Duration maxLifetime, Clock clock) {
        return deleteFinished(client, namespace, ttl, startTimeout, maxLifetime, clock);
    }

    /** When a cluster stopped being used, or null while it may be in use. */
    private static Instant finishedAt(Pod scheduler, List<HasMetadata> parts, Duration startTimeout,
                                      Duration maxLifetime) {
        if (scheduler == null) {
            // parts without a scheduler: left by a driver that died while starting (or tearing down) its cluster
            Instant newest = parts.stream().map(p -> instant(p.getMetadata().getCreationTimestamp()))
                    .filter(java.util.Objects::nonNull).max(Instant::compareTo).orElse(Instant.EPOCH);
            return newest.plus(startTimeout);
        }
        Instant created = instant(scheduler.getMetadata().getCreationTimestamp());
        String phase = scheduler.getStatus() == null ? null : scheduler.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            Instant end = scheduler.getStatus().getContainerStatuses() == null ? null
                    : scheduler.getStatus().getContainerStatuses().stream()
                    .filter(s -> s.getState() != null && s.getState().getTerminated() != null)
                    .map(s -> instant(s.getState().getTerminated().getFinishedAt()))
                    .filter(java.util.Objects::nonNull).findFirst().orElse(null);
            return end != null ? end : created != null ? created : Instant.EPOCH;
        }
        // nothing of a cluster lives longer than its maximum lifetime (the pod's activeDeadlineSeconds, set from the
        // lifetime of the environment that created it): one older than that has no driver
        Long deadline = scheduler.getSpec() == null ? null : scheduler.getSpec().getActiveDeadlineSeconds();
        return created == null ? null : created.plus(deadline != null ? Duration.ofSeconds(deadline) : maxLifetime);
    }

    static Instant instant(String timestamp) {
        if (timestamp == null || timestamp.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(timestamp).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    @Override
    public void close() {
        clusters.values().forEach(Cluster::close);
        calls.shutdown();
        try {
            calls.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownsClient) {
            client.close();
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private List<String> readLog(String pod, String container, int lines) {
        try {
            String log = pods().withName(pod).inContainer(container).limitBytes(SCHEDULER_LOG_BYTES)
                    .tailingLines(lines).getLog();
            return log == null || log.isEmpty() ? List.of() : List.of(log.split("\r?\n"));
        } catch (KubernetesClientException e) {
            LOG.debug("cannot read the log of pod {}: {}", pod, describe(e));
            return List.of();
        }
    }

    /**
     * The Flowport exception for a failed API call (fabric8 has already retried throttling and server errors):
     * transient for those, a {@link LaunchException} naming the fix for the rest.
     */
    static RuntimeException translate(String what, KubernetesClientException e) {
        int code = e.getCode();
        String detail = describe(e);
        if (code == 0 || code == 408 || code == 429 || code >= 500 || e.getCause() instanceof IOException) {
            return new TransientException(what + " failed (" + detail + ")", e);
        }
        return switch (code) {
            case 401 -> new LaunchException(what + " failed: not authenticated (" + detail + "); check the"
                    + " credentials of your kubeconfig context or the pod's service account token", e);
            case 403 -> new LaunchException(what + " is forbidden (" + detail + "); grant the Role of the"
                    + " DaskKubernetesEnvironment section of the flowport-env-dask-cloud README (pods, pods/log,"
                    + " services, secrets)", e);
            case 404 -> new LaunchException(what + " failed (" + detail + "); does the namespace exist?", e);
            case 422 -> new LaunchException(what + " was rejected as invalid (" + detail + ")", e);
            default -> new LaunchException(what + " failed (" + detail + ")", e);
        };
    }

    static String describe(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return "HTTP " + e.getCode() + ": " + e.getStatus().getMessage();
        }
        return e.getCode() > 0 ? "HTTP " + e.getCode() + ": " + e.getMessage() : String.valueOf(e.getMessage());
    }

    /** One cluster: its pods (followed by an informer), its scheduler, its Secret's keys. */
    final class Cluster {
        final String id;
        final String flowRunId;
        final Map<String, PodProcess> processes = new ConcurrentHashMap<>();
        final Set<String> secretKeys = ConcurrentHashMap.newKeySet();
        volatile SharedIndexInformer<Pod> informer;
        volatile String schedulerPod;
        volatile String schedulerUid;
        volatile boolean secretCreated;
        volatile Long activeDeadline;

        Cluster(String id, String flowRunId) {
            this.id = id;
            this.flowRunId = flowRunId;
        }

        /** Starts the informer on the cluster's pods (once); returns once it has listed them. */
        void follow() {
            if (informer != null) {
                return;
            }
            informer = pods().withLabel(CLUSTER_LABEL, id).inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Pod pod) {
                    route(pod, false);
                }

                @Override
                public void onUpdate(Pod oldPod, Pod newPod) {
                    route(newPod, false);
                }

                @Override
                public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                    route(pod, true);
                }
            }, 0);
        }

        private void route(Pod pod, boolean deleted) {
            PodProcess p = processes.get(pod.getMetadata().getName());
            if (p == null) {
                return;
            }
            if (deleted) {
                p.gone();
            } else {
                p.seen(pod);
            }
        }

        void close() {
            SharedIndexInformer<Pod> i = informer;
            if (i != null) {
                i.close();
            }
        }
    }

    /** One Dask process as a pod. */
    final class PodProcess implements DaskProcess {
        private final String name;
        private final String podName;
        private final ProcessSpec.Role role;
        private final String container;
        private final Cluster cluster;
        private final int[] ports;
        private final CompletableFuture<Endpoint> endpoint = new CompletableFuture<>();
        private volatile String ended;
        private volatile boolean deleted;
        volatile boolean stopping;

        PodProcess(String name, String podName, ProcessSpec.Role role, String container, Cluster cluster,
                   int[] ports) {
            this.name = name;
            this.podName = podName;
            this.role = role;
            this.container = container;
            this.cluster = cluster;
            this.ports = ports;
        }

        private String what() {
            return (role == ProcessSpec.Role.SCHEDULER ? "scheduler" : "worker") + " pod " + podName;
        }

        /** A new state of the pod (from the informer or a create). */
        void seen(Pod pod) {
            PodStates.Reading r = PodStates.read(pod, container);
            if (r.problem() != null) {
                problem(r.problem());
            }
            if (r.ended() != null) {
                if (ended == null) {
                    ended = r.ended();
                    if (!stopping && r.failed()) {
                        problem("ended: " + r.ended());
                        if (role == ProcessSpec.Role.SCHEDULER) {
                            report.schedulerEnded(what() + " ended: " + r.ended());
                        }
                    }
                }
                endpoint.completeExceptionally(new LaunchException("the Dask " + what() + " ended before it was"
                        + " ready: " + r.ended()));
            } else if (r.hopeless()) {
                endpoint.completeExceptionally(new LaunchException("the Dask " + what() + " cannot start: "
                        + r.problem()));
            } else if (r.ready()) {
                String host = role == ProcessSpec.Role.SCHEDULER && settings.serviceAddress()
                        ? serviceName(cluster) + "." + namespace + ".svc" : r.podIp();
                endpoint.complete(role == ProcessSpec.Role.SCHEDULER ? new Endpoint(host, ports[0], ports[1])
                        : new Endpoint(host, 0, 0));
            }
        }

        /** The pod was deleted. */
        void gone() {
            deleted = true;
            endpoint.completeExceptionally(new LaunchException("the Dask " + what() + " was deleted before it was"
                    + " ready"));
        }

        private void problem(String text) {
            String line = what() + ": " + text;
            if (report.problem(line)) {
                LOG.warn("Dask cluster {}: {}", cluster.id, line);
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public CompletableFuture<Endpoint> endpoint() {
            return endpoint;
        }

        @Override
        public Optional<String> ended() {
            String e = ended;
            if (e != null) {
                return Optional.of("ended: " + e);
            }
            if (deleted) {
                return Optional.of(stopping ? "stopped (pod deleted)" : "pod deleted by someone else");
            }
            return Optional.empty();
        }

        @Override
        public void stop() {
            stopping = true;
            try {
                calls.execute(() -> {
                    List<String> failures = new ArrayList<>();
                    delete(() -> pods().withName(podName).delete(), "pod " + podName, failures);
                    failures.forEach(f -> LOG.warn("Dask cluster {}: could not delete {}", cluster.id, f));
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the platform is closed: teardown deletes every pod of the cluster
            }
        }

        @Override
        public List<String> logTail(int lines) {
            return readLog(podName, container, lines);
        }
    }
}
