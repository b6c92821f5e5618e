package io.flowport.env.dask.kubernetes;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.ProviderNotFoundException;
import io.flowport.core.RunLogs;
import io.flowport.core.State;
import io.flowport.core.StateType;
import io.flowport.core.spi.Names;
import io.flowport.env.dask.DaskCloudProviderEnvironment;
import io.flowport.env.dask.DaskSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Dask cluster of pods per flow run (type {@code dask-kubernetes}), the Java counterpart of the reference's
 * {@code DaskKubernetesEnvironment}: a scheduler pod and a Service for it, worker pods owned by the scheduler pod,
 * adaptive between {@code minWorkers} and {@code maxWorkers} through the scheduler's own HTTP API (workers are
 * retired before their pods are deleted), TLS with a CA made for the cluster (its material in a Secret mounted
 * as files), and everything deleted when the run ends — after success, failure, cancellation, timeout, a failing
 * callback, and at JVM shutdown. The flow's command tasks run on the workers through the Dask executor; its Java
 * tasks run in this JVM, the driver, which must reach the pods' IPs (run it in the cluster).
 *
 * <p>This is the Dask engine of {@link DaskCloudProviderEnvironment} on its {@code kubernetes} platform
 * ({@link KubernetesDaskPlatformProvider}), with the reference's settings: pod specs from YAML files the user
 * owns ({@code schedulerSpecFile}, {@code workerSpecFile}; defaults shipped in this jar), {@code imagePullSecret},
 * {@code logK8sErrors} (pod problems such as image pull failures, unschedulable pods, {@code OOMKilled} and
 * evictions in the run's warnings), {@code schedulerLogs} (the scheduler's log in the result). The deprecated
 * {@code privateRegistry} / {@code dockerSecret} are accepted, warned about once and mapped to
 * {@code imagePullSecret}.
 *
 * <p>fabric8 comes through the optional dependency on {@code flowport-env-kubernetes}: without it, a run fails at
 * once with a message naming the artifacts to add. Every setting can also come from an environment variable
 * {@code FLOWPORT_DASK_KUBERNETES_<SETTING>} (e.g. {@code FLOWPORT_DASK_KUBERNETES_MAX_WORKERS}); a value set on
 * the builder wins. Problems are reported all at once, before any call to the cluster, when a run starts (or by
 * {@link #setup(Flow)}).
 *
 * <p>Serialized: every setting, and the specs' text (so that a runner elsewhere needs no file). Never serialized:
 * callbacks, the platform provider (and its client), the deprecated settings (their mapped value is).
 */
@JsonDeserialize(builder = DaskKubernetesEnvironment.Builder.class)
public final class DaskKubernetesEnvironment extends AbstractEnvironment {

    /** Prefix of the environment variables that give settings a default. */
    public static final String ENV_PREFIX = "FLOWPORT_DASK_KUBERNETES_";
    /** Default of {@code minWorkers}: the reference's. */
    public static final int DEFAULT_MIN_WORKERS = 1;
    /** Default of {@code maxWorkers}: the reference's signature (its docstring said 1; see the README). */
    public static final int DEFAULT_MAX_WORKERS = 2;
    /** The reference's default of {@code docker_secret}, made a valid Kubernetes secret name. */
    static final String REFERENCE_DOCKER_SECRET = "DOCKER_REGISTRY_CREDENTIALS";

    private static final Logger LOG = LoggerFactory.getLogger(DaskKubernetesEnvironment.class);
    /** The deprecated settings are warned about once per JVM, not at every run an agent deserializes. */
    static final AtomicBoolean DEPRECATION_WARNED = new AtomicBoolean();

    private final int minWorkers;
    private final int maxWorkers;
    private final boolean workStealing;
    private final boolean schedulerLogs;
    private final Path schedulerSpecFile;
    private final String schedulerSpec;
    private final Path workerSpecFile;
    private final String workerSpec;
    private final String imagePullSecret;
    private final boolean logK8sErrors;
    private final String namespace;
    private final String image;
    private final String podPython;
    private final String schedulerAddress;
    private final int workerThreads;
    private final DaskSecurity security;
    private final Map<String, Object> executorKwargs;
    private final Duration idleTimeout;
    private final Duration maxClusterLifetime;
    private final Duration clusterStartTimeout;
    private final Duration adaptiveInterval;
    private final KubernetesDaskPlatformProvider platformProvider;
    private final List<String> settingProblems;

    private DaskKubernetesEnvironment(Builder b, List<String> settingProblems) {
        super(b);
        this.minWorkers = b.minWorkers == null ? DEFAULT_MIN_WORKERS : b.minWorkers;
        this.maxWorkers = b.maxWorkers == null ? Math.max(DEFAULT_MAX_WORKERS, minWorkers) : b.maxWorkers;
        this.workStealing = b.workStealing == null || b.workStealing;
        this.schedulerLogs = b.schedulerLogs != null && b.schedulerLogs;
        this.schedulerSpecFile = b.schedulerSpecFile;
        this.schedulerSpec = b.schedulerSpec;
        this.workerSpecFile = b.workerSpecFile;
        this.workerSpec = b.workerSpec;
        this.imagePullSecret = b.imagePullSecret;
        this.logK8sErrors = b.logK8sErrors != null && b.logK8sErrors;
        this.namespace = b.namespace;
        this.image = b.image;
        this.podPython = b.podPython;
        this.schedulerAddress = b.schedulerAddress;
        this.workerThreads = b.workerThreads == null ? 1 : b.workerThreads;
        this.security = b.security == null ? DaskSecurity.DEFAULT : b.security;
        this.executorKwargs = Collections.unmodifiableMap(new LinkedHashMap<>(b.executorKwargs));
        this.idleTimeout = b.idleTimeout == null ? Duration.ofMinutes(5) : b.idleTimeout;
        this.maxClusterLifetime = b.maxClusterLifetime == null ? Duration.ofHours(12) : b.maxClusterLifetime;
        this.clusterStartTimeout = b.clusterStartTimeout == null ? Duration.ofMinutes(10) : b.clusterStartTimeout;
        this.adaptiveInterval = b.adaptiveInterval == null ? Duration.ofSeconds(2) : b.adaptiveInterval;
        this.platformProvider = b.platformProvider;
        this.settingProblems = List.copyOf(settingProblems);
    }

    /** A builder whose unset settings default from {@code FLOWPORT_DASK_KUBERNETES_*} variables of this process. */
    public static Builder builder() {
        return new Builder();
    }

    /** The fewest worker pods (default 1); the cluster starts with this many. */
    @JsonProperty("minWorkers")
    public int minWorkers() {
        return minWorkers;
    }

    /** The most worker pods (default 2, or {@code minWorkers} if larger); adaptive between the two. */
    @JsonProperty("maxWorkers")
    public int maxWorkers() {
        return maxWorkers;
    }

    /** Dask's work stealing (default true, the reference's signature; see the README). */
    @JsonProperty("workStealing")
    public boolean workStealing() {
        return workStealing;
    }

    /** Whether the scheduler's log is read before teardown and put in the run's result (default false). */
    @JsonProperty("schedulerLogs")
    public boolean schedulerLogs() {
        return schedulerLogs;
    }

    /** The file the scheduler spec was read from, if any (informational: the text is in {@link #schedulerSpec()}). */
    @JsonProperty("schedulerSpecFile")
    public String schedulerSpecFile() {
        return schedulerSpecFile == null ? null : schedulerSpecFile.toString();
    }

    /** The scheduler pod's YAML, or null for the default. */
    @JsonProperty("schedulerSpec")
    public String schedulerSpec() {
        return schedulerSpec;
    }

    /** The file the worker spec was read from, if any. */
    @JsonProperty("workerSpecFile")
    public String workerSpecFile() {
        return workerSpecFile == null ? null : workerSpecFile.toString();
    }

    /** The worker pod's YAML, or null for the default. */
    @JsonProperty("workerSpec")
    public String workerSpec() {
        return workerSpec;
    }

    /** Image pull secrets of both pods, comma-separated names (the reference's format), or null. */
    @JsonProperty("imagePullSecret")
    public String imagePullSecret() {
        return imagePullSecret;
    }

    /** Whether pod problems go into the run's warnings (default false; they are logged either way). */
    @JsonProperty("logK8sErrors")
    public boolean logK8sErrors() {
        return logK8sErrors;
    }

    /** The namespace; null means the specs' {@code metadata.namespace}, else the kubeconfig's, else default. */
    @JsonProperty("namespace")
    public String namespace() {
        return namespace;
    }

    /** The image of both pods' first container; null keeps the specs' (default specs: Dask's image). */
    @JsonProperty("image")
    public String image() {
        return image;
    }

    /** The Python in the image that runs Dask (default {@code python}). */
    @JsonProperty("podPython")
    public String podPython() {
        return podPython;
    }

    /**
     * How workers and the driver reach the scheduler: {@code pod-ip} (default: the scheduler pod's IP) or
     * {@code service} (its Service's DNS name, {@code <cluster>-scheduler.<namespace>.svc}).
     */
    @JsonProperty("schedulerAddress")
    public String schedulerAddress() {
        return schedulerAddress;
    }

    /** Threads per worker (default 1). */
    @JsonProperty("workerThreads")
    public int workerThreads() {
        return workerThreads;
    }

    /** TLS (default on) and public addresses (never, on Kubernetes). */
    @JsonProperty("security")
    public DaskSecurity security() {
        return security;
    }

    /** Settings of the Dask executor (concurrency, resources, priority, pythonExecutable of the driver …). */
    @JsonProperty("executorKwargs")
    public Map<String, Object> executorKwargs() {
        return executorKwargs;
    }

    /** The scheduler ends after this long without a task, so once its driver is gone (default 5 minutes). */
    @JsonProperty("idleTimeout")
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Nothing of a cluster lives longer than this (default 12 hours; also the pods' activeDeadlineSeconds). */
    @JsonProperty("maxClusterLifetime")
    public Duration maxClusterLifetime() {
        return maxClusterLifetime;
    }

    /** The scheduler and the first workers must be ready within this (default 10 minutes). */
    @JsonProperty("clusterStartTimeout")
    public Duration clusterStartTimeout() {
        return clusterStartTimeout;
    }

    /** How often the cluster's size follows the scheduler's adaptive target (default 2 s). */
    @JsonProperty("adaptiveInterval")
    public Duration adaptiveInterval() {
        return adaptiveInterval;
    }

    // ------------------------------------------------------------------------------------------ validation

    @Override
    protected List<String> validate(Flow flow) {
        requireKubernetes();
        List<String> problems = new ArrayList<>(settingProblems);
        if (minWorkers < 0) {
            problems.add("minWorkers must be >= 0, was " + minWorkers);
        }
        if (maxWorkers < 1) {
            problems.add("maxWorkers must be >= 1, was " + maxWorkers);
        }
        if (minWorkers > maxWorkers) {
            problems.add("minWorkers (" + minWorkers + ") must be <= maxWorkers (" + maxWorkers + ")");
        }
        if (workerThreads < 1) {
            problems.add("workerThreads must be >= 1, was " + workerThreads);
        }
        if (security.publicIp()) {
            problems.add("security.publicIp is not supported on Kubernetes: the cluster's pods have private IPs only"
                    + " (reach the dashboard through the scheduler's Service from inside the cluster)");
        }
        for (Map.Entry<String, Duration> d : Map.of("idleTimeout", idleTimeout, "maxClusterLifetime",
                maxClusterLifetime, "clusterStartTimeout", clusterStartTimeout, "adaptiveInterval",
                adaptiveInterval).entrySet()) {
            if (d.getValue().isZero() || d.getValue().isNegative()) {
                problems.add(d.getKey() + " must be a positive duration, was " + d.getValue());
            }
        }
        problems.addAll(provider().validate(platformSettings()));
        // the engine's own checks of what this class passes on as it is (executorKwargs), on an engine that has
        // nothing else to complain about
        try {
            DaskCloudProviderEnvironment.builder().providerClass(KubernetesDaskPlatformProvider.NAME)
                    .platformProvider(provider()).executorKwargs(executorKwargs).build().setup(flow);
        } catch (ConfigurationException e) {
            problems.addAll(e.problems());
        }
        return problems;
    }

    private static void requireKubernetes() {
        if (!KubernetesDaskPlatformProvider.available()) {
            throw new ProviderNotFoundException("dask-kubernetes needs fabric8's Kubernetes client, which is not on"
                    + " the class path: " + KubernetesDaskPlatformProvider.ARTIFACTS);
        }
    }

    private KubernetesDaskPlatformProvider provider() {
        return platformProvider != null ? platformProvider : new KubernetesDaskPlatformProvider();
    }

    /** The settings of the {@code kubernetes} platform, in this environment's words (for its messages). */
    private Map<String, Object> platformSettings() {
        Map<String, Object> s = new LinkedHashMap<>();
        put(s, PlatformSettings.NAMESPACE, namespace);
        put(s, PlatformSettings.SCHEDULER_SPEC, schedulerSpec);
        put(s, PlatformSettings.SCHEDULER_SPEC_SOURCE, schedulerSpecFile != null && schedulerSpec != null
                ? "schedulerSpecFile " + schedulerSpecFile : null);
        put(s, PlatformSettings.WORKER_SPEC, workerSpec);
        put(s, PlatformSettings.WORKER_SPEC_SOURCE, workerSpecFile != null && workerSpec != null
                ? "workerSpecFile " + workerSpecFile : null);
        put(s, PlatformSettings.IMAGE, image);
        if (imagePullSecret != null) {
            s.put(PlatformSettings.IMAGE_PULL_SECRETS, Arrays.stream(imagePullSecret.split(","))
                    .map(String::trim).filter(x -> !x.isEmpty()).toList());
        }
        put(s, PlatformSettings.PYTHON, podPython);
        put(s, PlatformSettings.SCHEDULER_ADDRESS, schedulerAddress);
        return s;
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    /** The Dask engine for one run, on this environment's platform. */
    private DaskCloudProviderEnvironment engine(String flowName, RunReport report) {
        DaskCloudProviderEnvironment.Builder b = DaskCloudProviderEnvironment.builder()
                .providerClass(KubernetesDaskPlatformProvider.NAME)
                .platformProvider(provider().forRun(report, flowName))
                .security(security)
                .executorKwargs(executorKwargs)
                .idleTimeout(idleTimeout)
                .maxClusterLifetime(maxClusterLifetime)
                .clusterStartTimeout(clusterStartTimeout)
                .adaptiveInterval(adaptiveInterval)
                .providerSettings(platformSettings())
                .providerSetting("workStealing", workStealing)
                .providerSetting("workerThreads", workerThreads);
        if (minWorkers == maxWorkers) {
            b.providerSetting("nWorkers", minWorkers);
        } else {
            b.adaptiveMinWorkers(minWorkers).adaptiveMaxWorkers(maxWorkers);
        }
        return b.build();
    }

    // ------------------------------------------------------------------------------------------ running

    /** Creates the cluster, runs the flow on it and deletes it. Called by {@link #execute} after validation. */
    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run) {
        RunReport report = new RunReport(schedulerLogs);
        FlowRunResult result = engine(flow.name(), report).run(flow, run);
        return withReport(result, report);
    }

    /** Runs the flow here on a new cluster, without callbacks (what the runner entry point calls). Blocking. */
    @Override
    public FlowRunResult run(Flow flow, FlowRun run) {
        checkValid(flow);
        return doExecute(flow, run);
    }

    /** What Kubernetes said during the run, added to its result. */
    private FlowRunResult withReport(FlowRunResult result, RunReport report) {
        FlowRunResult r = result;
        List<String> problems = report.problems();
        if (logK8sErrors) {
            for (String p : problems) {
                r = r.withWarning("Kubernetes: " + p);
            }
        }
        StateType type = r.state().type();
        if (type == StateType.CRASHED && !problems.isEmpty() && !r.details().containsKey("dask.scheduler")) {
            // the cluster did not start: say what Kubernetes said about its pods (a timeout alone says little)
            String last = problems.get(problems.size() - 1);
            if (!r.state().message().contains(last)) {
                r = r.withState(State.crashed(r.state().message() + "; Kubernetes: " + last,
                        r.state().cause()));
            }
        } else if (report.schedulerEnded() != null && !r.isSuccess() && type != StateType.CANCELLED
                && type != StateType.TIMED_OUT) {
            r = r.withState(State.crashed("the Dask " + report.schedulerEnded() + "; " + r.state().message(),
                    r.state().cause()));
        }
        if (schedulerLogs && !report.schedulerLog().isEmpty()) {
            r = r.withLogs(RunLogs.of("Dask scheduler pod " + report.schedulerPod(), report.schedulerLog()));
        }
        if (report.service() != null) {
            r = r.withDetail("dask.service", report.service());
        }
        return r;
    }

    /**
     * The TTL cleaner for clusters whose driver died (a JVM killed, a node lost): lists, in this environment's
     * namespace, the pods, Services and Secrets labelled {@code flowport.io/managed-by=flowport} and
     * {@code flowport.io/dask-cluster}, and deletes every cluster that no driver can be using any more and that
     * finished more than {@code ttl} ago — its scheduler pod ended (the scheduler's idle timeout ends it once its
     * driver is gone), or is older than its {@code activeDeadlineSeconds} (the maximum lifetime), or its parts have
     * no scheduler pod for longer than {@code clusterStartTimeout}. Running clusters are never touched. Blocking;
     * call it from an agent's loop or a scheduled job.
     *
     * @return the ids of the clusters deleted
     * @throws ConfigurationException    if the settings are not valid
     * @throws ProviderNotFoundException if fabric8 is missing
     */
    public List<String> deleteFinished(Duration ttl, Clock clock) {
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(clock, "clock");
        requireKubernetes();
        List<String> problems = new ArrayList<>(settingProblems);
        problems.addAll(provider().validate(platformSettings()));
        if (!problems.isEmpty()) {
            throw new ConfigurationException(getClass().getSimpleName(), problems);
        }
        return provider().deleteFinished(platformSettings(), ttl, clusterStartTimeout, maxClusterLifetime, clock);
    }

    @Override
    public String toString() {
        return "DaskKubernetesEnvironment[workers " + minWorkers + ".." + maxWorkers + ", namespace=" + namespace
                + ", image=" + image + ", tls=" + security.tls() + ", labels=" + labels() + "]";
    }

    /**
     * Builds a {@link DaskKubernetesEnvironment}. Unset settings default from {@code FLOWPORT_DASK_KUBERNETES_*}
     * variables when {@link #build()} runs; malformed values and unreadable spec files are reported by validation,
     * with every other problem.
     */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        private Integer minWorkers;
        private Integer maxWorkers;
        private Boolean workStealing;
        private Boolean schedulerLogs;
        private Path schedulerSpecFile;
        private String schedulerSpec;
        private Path workerSpecFile;
        private String workerSpec;
        private String imagePullSecret;
        private Boolean logK8sErrors;
        private Boolean privateRegistry;
        private String dockerSecret;
        private String namespace;
        private String image;
        private String podPython;
        private String schedulerAddress;
        private Integer workerThreads;
        private DaskSecurity security;
        private final Map<String, Object> executorKwargs = new LinkedHashMap<>();
        private Duration idleTimeout;
        private Duration maxClusterLifetime;
        private Duration clusterStartTimeout;
        private Duration adaptiveInterval;
        private KubernetesDaskPlatformProvider platformProvider;
        private Map<String, String> variables = System.getenv();

        private Builder() {
        }

        /** The fewest worker pods (default 1). */
        @JsonProperty("minWorkers")
        public Builder minWorkers(Integer value) {
            this.minWorkers = value;
            return this;
        }

        /** The most worker pods (default 2). */
        @JsonProperty("maxWorkers")
        public Builder maxWorkers(Integer value) {
            this.maxWorkers = value;
            return this;
        }

        /** Dask's work stealing (default true). */
        @JsonProperty("workStealing")
        public Builder workStealing(Boolean value) {
            this.workStealing = value;
            return this;
        }

        /** Put the scheduler's log in the run's result (default false). */
        @JsonProperty("schedulerLogs")
        public Builder schedulerLogs(Boolean value) {
            this.schedulerLogs = value;
            return this;
        }

        /** A YAML file with the scheduler's Pod; read when {@link #build()} runs. */
        public Builder schedulerSpecFile(Path file) {
            this.schedulerSpecFile = file;
            return this;
        }

        /** A YAML file with the scheduler's Pod, by path. */
        @JsonProperty("schedulerSpecFile")
        public Builder schedulerSpecFile(String file) {
            this.schedulerSpecFile = file == null ? null : Paths.get(file);
            return this;
        }

        /** The scheduler Pod's YAML itself (wins over the file). */
        @JsonProperty("schedulerSpec")
        public Builder schedulerSpec(String yaml) {
            this.schedulerSpec = yaml;
            return this;
        }

        /** A YAML file with a worker's Pod; read when {@link #build()} runs. */
        public Builder workerSpecFile(Path file) {
            this.workerSpecFile = file;
            return this;
        }

        /** A YAML file with a worker's Pod, by path. */
        @JsonProperty("workerSpecFile")
        public Builder workerSpecFile(String file) {
            this.workerSpecFile = file == null ? null : Paths.get(file);
            return this;
        }

        /** A worker Pod's YAML itself (wins over the file). */
        @JsonProperty("workerSpec")
        public Builder workerSpec(String yaml) {
            this.workerSpec = yaml;
            return this;
        }

        /** Image pull secrets of both pods: a name, or names separated by commas. */
        @JsonProperty("imagePullSecret")
        public Builder imagePullSecret(String value) {
            this.imagePullSecret = value;
            return this;
        }

        /** Put pod problems (image pulls, scheduling, OOM kills, evictions) in the run's warnings (default false). */
        @JsonProperty("logK8sErrors")
        public Builder logK8sErrors(Boolean value) {
            this.logK8sErrors = value;
            return this;
        }

        /**
         * Deprecated (the reference's {@code private_registry}): with {@code true}, the image pull secret is
         * {@code dockerSecret} (default {@code docker-registry-credentials}). Use {@link #imagePullSecret}.
         */
        @Deprecated
        @JsonProperty("privateRegistry")
        public Builder privateRegistry(Boolean value) {
            this.privateRegistry = value;
            return this;
        }

        /**
         * Deprecated (the reference's {@code docker_secret}): the name of the Kubernetes secret with the registry's
         * credentials, used with {@code privateRegistry}. Use {@link #imagePullSecret}.
         */
        @Deprecated
        @JsonProperty("dockerSecret")
        public Builder dockerSecret(String value) {
            this.dockerSecret = value;
            return this;
        }

        /** The namespace of the pods. */
        @JsonProperty("namespace")
        public Builder namespace(String value) {
            this.namespace = value;
            return this;
        }

        /** The image of both pods' first container. */
        @JsonProperty("image")
        public Builder image(String value) {
            this.image = value;
            return this;
        }

        /** The Python in the image that has Dask (default {@code python}). */
        @JsonProperty("podPython")
        public Builder podPython(String value) {
            this.podPython = value;
            return this;
        }

        /** {@code pod-ip} (default) or {@code service}: how workers and the driver reach the scheduler. */
        @JsonProperty("schedulerAddress")
        public Builder schedulerAddress(String value) {
            this.schedulerAddress = value;
            return this;
        }

        /** Threads per worker (default 1). */
        @JsonProperty("workerThreads")
        public Builder workerThreads(Integer value) {
            this.workerThreads = value;
            return this;
        }

        /** TLS (default on). */
        @JsonProperty("security")
        public Builder security(DaskSecurity value) {
            this.security = value;
            return this;
        }

        /** Settings of the Dask executor: concurrency, resources, priority, pythonExecutable, connectTimeout. */
        @JsonProperty("executorKwargs")
        public Builder executorKwargs(Map<String, ?> values) {
            if (values != null) {
                executorKwargs.putAll(values);
            }
            return this;
        }

        /** The scheduler ends after this long without a task (default 5 minutes). */
        @JsonProperty("idleTimeout")
        public Builder idleTimeout(Duration value) {
            this.idleTimeout = value;
            return this;
        }

        /** Nothing of a cluster lives longer than this (default 12 hours). */
        @JsonProperty("maxClusterLifetime")
        public Builder maxClusterLifetime(Duration value) {
            this.maxClusterLifetime = value;
            return this;
        }

        /** The scheduler and first workers must be ready within this (default 10 minutes). */
        @JsonProperty("clusterStartTimeout")
        public Builder clusterStartTimeout(Duration value) {
            this.clusterStartTimeout = value;
            return this;
        }

        /** How often the cluster's size follows the scheduler's adaptive target (default 2 s). */
        @JsonProperty("adaptiveInterval")
        public Builder adaptiveInterval(Duration value) {
            this.adaptiveInterval = value;
            return this;
        }

        /**
         * The platform provider, e.g. {@link KubernetesDaskPlatform#provider} with a client of your own (default:
         * the cluster fabric8's configuration discovery finds). Never serialized.
         */
        public Builder platformProvider(KubernetesDaskPlatformProvider value) {
            this.platformProvider = value;
            return this;
        }

        /** The variables the {@code FLOWPORT_DASK_KUBERNETES_*} defaults are read from (default: this process's). */
        public Builder environmentVariables(Map<String, String> values) {
            this.variables = Map.copyOf(values);
            return this;
        }

        /** Builds the environment; reads the spec files. Problems are reported by validation, not here. */
        public DaskKubernetesEnvironment build() {
            List<String> problems = new ArrayList<>();
            minWorkers = minWorkers != null ? minWorkers : integer("MIN_WORKERS", problems);
            maxWorkers = maxWorkers != null ? maxWorkers : integer("MAX_WORKERS", problems);
            workerThreads = workerThreads != null ? workerThreads : integer("WORKER_THREADS", problems);
            workStealing = workStealing != null ? workStealing : bool("WORK_STEALING", problems);
            schedulerLogs = schedulerLogs != null ? schedulerLogs : bool("SCHEDULER_LOGS", problems);
            logK8sErrors = logK8sErrors != null ? logK8sErrors : bool("LOG_K8S_ERRORS", problems);
            namespace = namespace != null ? namespace : variable("NAMESPACE");
            image = image != null ? image : variable("IMAGE");
            podPython = podPython != null ? podPython : variable("POD_PYTHON");
            schedulerAddress = schedulerAddress != null ? schedulerAddress : variable("SCHEDULER_ADDRESS");
            imagePullSecret = imagePullSecret != null ? imagePullSecret : variable("IMAGE_PULL_SECRET");
            if (schedulerSpec == null && schedulerSpecFile == null && variable("SCHEDULER_SPEC_FILE") != null) {
                schedulerSpecFile = Paths.get(variable("SCHEDULER_SPEC_FILE"));
            }
            if (workerSpec == null && workerSpecFile == null && variable("WORKER_SPEC_FILE") != null) {
                workerSpecFile = Paths.get(variable("WORKER_SPEC_FILE"));
            }
            if (schedulerSpec == null && schedulerSpecFile != null) {
                schedulerSpec = read("schedulerSpecFile", schedulerSpecFile, problems);
            }
            if (workerSpec == null && workerSpecFile != null) {
                workerSpec = read("workerSpecFile", workerSpecFile, problems);
            }
            mapDeprecated();
            return new DaskKubernetesEnvironment(this, problems);
        }

        /** The reference's {@code private_registry} / {@code docker_secret}, as {@code imagePullSecret}. */
        private void mapDeprecated() {
            if (privateRegistry == null && dockerSecret == null) {
                return;
            }
            String outcome;
            if (imagePullSecret != null) {
                outcome = "imagePullSecret '" + imagePullSecret + "' is set and wins; they are ignored";
            } else if (Boolean.TRUE.equals(privateRegistry)) {
                String raw = dockerSecret != null ? dockerSecret : REFERENCE_DOCKER_SECRET;
                // a Prefect Secret's name (e.g. the reference's default) is not a valid Kubernetes secret name
                imagePullSecret = raw.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") ? raw
                        : Names.sanitize(raw, Names.DNS_LABEL);
                outcome = "using imagePullSecret '" + imagePullSecret + "' (a Kubernetes secret of type"
                        + " kubernetes.io/dockerconfigjson with that name must exist in the namespace)";
            } else {
                outcome = "privateRegistry is not true, so dockerSecret is ignored (as in the reference)";
            }
            if (DEPRECATION_WARNED.compareAndSet(false, true)) {
                LOG.warn("DaskKubernetesEnvironment: privateRegistry and dockerSecret are deprecated, use"
                        + " imagePullSecret instead; {} (warned once per JVM)", outcome);
            }
            privateRegistry = null;
            dockerSecret = null;
        }

        private static String read(String field, Path file, List<String> problems) {
            try {
                return Files.readString(file);
            } catch (NoSuchFileException e) {
                problems.add(field + " " + file + " does not exist; give the path of a YAML file with a Pod"
                        + " (relative paths start at " + Paths.get("").toAbsolutePath() + ")");
            } catch (IOException e) {
                problems.add(field + " " + file + " cannot be read: " + e);
            }
            return null;
        }

        private String variable(String name) {
            String v = variables.get(ENV_PREFIX + name);
            return v == null || v.isBlank() ? null : v.trim();
        }

        private Integer integer(String name, List<String> problems) {
            String v = variable(name);
            if (v == null) {
                return null;
            }
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                problems.add(ENV_PREFIX + name + " must be a whole number, was '" + v + "'");
                return null;
            }
        }

        private Boolean bool(String name, List<String> problems) {
            String v = variable(name);
            if (v == null) {
                return null;
            }
            String lower = v.toLowerCase(Locale.ROOT);
            if (!lower.equals("true") && !lower.equals("false")) {
                problems.add(ENV_PREFIX + name + " must be true or false, was '" + v + "'");
                return null;
            }
            return Boolean.parseBoolean(lower);
        }
    }
}
