package io.flowport.env.kubernetes;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.LaunchException;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendEnvironment;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Runs each flow run as a Kubernetes Job (type {@code kubernetes-job}), the Java counterpart of the reference's
 * {@code KubernetesJobEnvironment}.
 *
 * <p>The Job comes from a YAML spec ({@code jobSpecFile} or {@code jobSpec}; a one-container default when
 * neither is given) with this environment's settings applied. For each run, the first container runs the flow:
 * its command becomes the runner entry point ({@link io.flowport.core.RunnerSettings#DEFAULT_CONTAINER_COMMAND})
 * for a Java flow, or the flow's own command for a command flow (so images without a JVM run as they are); the
 * {@code FLOWPORT__*} variables are merged into its environment (the spec's other variables are kept, these
 * win). The Job and its pods carry the run's labels ({@link Labels}). Runs are followed by two fabric8 informers
 * per environment (Jobs and pods with Flowport's label); the flow container's log is followed and reachable
 * from the result. Cancelling deletes the Job (foreground propagation). Finished Jobs are deleted by
 * {@link #deleteFinished(Duration, Clock)} or by Kubernetes ({@code ttlSecondsAfterFinished}).
 *
 * <p>The cluster is the one fabric8's configuration discovery finds ({@link #clusterConfigured()}):
 * {@code KUBECONFIG}, {@code ~/.kube/config} or the pod's service account; credentials are never part of this
 * object. Every setting can also come from an
 * environment variable {@code FLOWPORT_KUBERNETES_<SETTING>} (e.g. {@code FLOWPORT_KUBERNETES_NAMESPACE}); a
 * value set on the builder wins.
 *
 * <p>Serialized: {@code labels}, {@code metadata}, {@code executor}, {@code jobSpecFile} (for reference),
 * {@code jobSpec} (the spec's text, so that an agent or a runner elsewhere does not need the file),
 * {@code uniqueJobName}, {@code image}, {@code namespace}, {@code serviceAccount}, {@code imagePullSecrets},
 * {@code resources}, {@code ttlSecondsAfterFinished}, {@code startTimeout}. Never serialized: callbacks, the
 * client, lifecycle tuning. Do not put secrets into the spec's {@code env} values; use
 * {@code valueFrom.secretKeyRef}.
 */
@JsonDeserialize(builder = KubernetesJobEnvironment.Builder.class)
public final class KubernetesJobEnvironment extends BackendEnvironment {

    /** Prefix of the environment variables that give settings a default. */
    public static final String ENV_PREFIX = "FLOWPORT_KUBERNETES_";
    /** Default of {@code startTimeout}. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(10);

    private final Path jobSpecFile;
    private final String jobSpec;
    private final boolean uniqueJobName;
    private final String image;
    private final String namespace;
    private final String serviceAccount;
    private final List<String> imagePullSecrets;
    private final ContainerResources resources;
    private final Integer ttlSecondsAfterFinished;
    private final Duration startTimeout;
    private final KubernetesClient client;
    private final BackendLifecycle.Settings lifecycleSettings;
    private final List<String> settingProblems;

    private KubernetesJobEnvironment(Builder b, List<String> settingProblems) {
        super(b);
        this.jobSpecFile = b.jobSpecFile;
        this.jobSpec = b.jobSpec;
        this.uniqueJobName = b.uniqueJobName == null || b.uniqueJobName;
        this.image = b.image;
        this.namespace = b.namespace;
        this.serviceAccount = b.serviceAccount;
        this.imagePullSecrets = List.copyOf(b.imagePullSecrets);
        this.resources = b.resources;
        this.ttlSecondsAfterFinished = b.ttlSecondsAfterFinished;
        this.startTimeout = b.startTimeout == null ? DEFAULT_START_TIMEOUT : b.startTimeout;
        this.client = b.client;
        this.lifecycleSettings = b.lifecycleSettings;
        this.settingProblems = List.copyOf(settingProblems);
    }

    /** A builder whose unset settings default from {@code FLOWPORT_KUBERNETES_*} variables of this process. */
    public static Builder builder() {
        return new Builder();
    }

    /** The file the Job spec was read from, if any (informational once built: the text is in {@link #jobSpec}). */
    @JsonProperty("jobSpecFile")
    public String jobSpecFile() {
        return jobSpecFile == null ? null : jobSpecFile.toString();
    }

    /** The Job spec's YAML, or null for the default spec. */
    @JsonProperty("jobSpec")
    public String jobSpec() {
        return jobSpec;
    }

    /**
     * Whether each run's Job name gets a suffix hashed from the run id (default {@code true}). With
     * {@code false}, every run uses the spec's {@code metadata.name} (or {@code flowport-<flow>}): one run of the
     * flow at a time, and a finished Job must be deleted before the next run. The reference defaulted to false
     * because it always required a spec; with a default spec, unique names are the safe choice.
     */
    @JsonProperty("uniqueJobName")
    public boolean uniqueJobName() {
        return uniqueJobName;
    }

    /** The flow container's image, replacing the spec's; null keeps the spec's. */
    @JsonProperty("image")
    public String image() {
        return image;
    }

    /** The namespace; null means the spec's {@code metadata.namespace}, else the kubeconfig's, else default. */
    @JsonProperty("namespace")
    public String namespace() {
        return namespace;
    }

    /** The pod's service account name; null keeps the spec's (or the namespace's default). */
    @JsonProperty("serviceAccount")
    public String serviceAccount() {
        return serviceAccount;
    }

    /** Names of secrets added to the pod's image pull secrets. */
    @JsonProperty("imagePullSecrets")
    public List<String> imagePullSecrets() {
        return imagePullSecrets;
    }

    /** Requests and limits merged into the flow container's resources. */
    @JsonProperty("resources")
    public ContainerResources resources() {
        return resources.isEmpty() ? null : resources;
    }

    /** Kubernetes' own TTL after the Job finished ({@code spec.ttlSecondsAfterFinished}); null keeps the spec's. */
    @JsonProperty("ttlSecondsAfterFinished")
    public Integer ttlSecondsAfterFinished() {
        return ttlSecondsAfterFinished;
    }

    /** A run whose pod has not started after this long is Crashed and its Job deleted (default 10 min). */
    @JsonProperty("startTimeout")
    public Duration startTimeout() {
        return startTimeout;
    }

    /**
     * Whether fabric8's own configuration discovery ({@link Config#autoConfigure(String)}) finds a cluster: a
     * kubeconfig context ({@code KUBECONFIG} or {@code ~/.kube/config}), the token of the pod's service account,
     * or a master URL ({@code KUBERNETES_MASTER}, {@code KUBERNETES_SERVICE_HOST}/{@code _PORT}, or fabric8's
     * {@code kubernetes.*} system properties). Without one, fabric8 would try {@code https://kubernetes.default.svc}
     * and fail only at the first call. A kubeconfig that cannot be read counts as configured: using it reports
     * why. Reads files; does not call the cluster.
     */
    public static boolean clusterConfigured() {
        try {
            return clusterConfigured(Config.autoConfigure(null));
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** Whether a discovered configuration names a cluster, by fabric8's own signals. */
    static boolean clusterConfigured(Config config) {
        String master = config.getMasterUrl();
        boolean defaultMaster = master == null
                || stripSlash(master).equals(stripSlash(Config.DEFAULT_MASTER_URL));
        return config.getCurrentContext() != null || config.getAutoOAuthToken() != null || !defaultMaster;
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    protected List<String> validate(Flow flow) {
        List<String> problems = new ArrayList<>(settingProblems);
        if (image != null && (image.isBlank() || image.chars().anyMatch(Character::isWhitespace))) {
            problems.add("image '" + image + "' is not a valid image reference; use e.g. 'registry.example.com/"
                    + "flows:1.0'");
        }
        if (namespace != null) {
            add(problems, KubernetesNames.dnsLabel("namespace", namespace, 63));
        }
        if (serviceAccount != null) {
            add(problems, KubernetesNames.dnsSubdomain("serviceAccount", serviceAccount));
        }
        for (int i = 0; i < imagePullSecrets.size(); i++) {
            add(problems, KubernetesNames.dnsSubdomain("imagePullSecrets[" + i + "]", imagePullSecrets.get(i)));
        }
        problems.addAll(resources.problems("resources"));
        if (ttlSecondsAfterFinished != null && ttlSecondsAfterFinished < 0) {
            problems.add("ttlSecondsAfterFinished must be >= 0 (seconds), was " + ttlSecondsAfterFinished);
        }
        if (startTimeout.isZero() || startTimeout.isNegative()) {
            problems.add("startTimeout must be a positive duration such as PT10M, was " + startTimeout);
        }
        if (jobSpecFile == null || jobSpec != null) {
            Job parsed = JobTemplate.parse(specSource(), specText(), problems);
            if (parsed != null) {
                JobTemplate.check(specSource(), parsed, options(), problems);
                String specNamespace = parsed.getMetadata() == null ? null : parsed.getMetadata().getNamespace();
                if (namespace != null && specNamespace != null && !namespace.equals(specNamespace)) {
                    problems.add("namespace '" + namespace + "' differs from metadata.namespace '" + specNamespace
                            + "' of " + specSource() + "; set only one of them");
                }
            }
        }
        return problems;
    }

    @Override
    protected Backend createBackend() {
        List<String> problems = new ArrayList<>();
        Job parsed = JobTemplate.parse(specSource(), specText(), problems);
        if (parsed == null || !problems.isEmpty()) {
            throw new ConfigurationException(getClass().getSimpleName(), problems);
        }
        JobTemplate template = JobTemplate.of(specSource(), parsed, options());
        KubernetesClient c = client;
        if (c == null) {
            Config config;
            try {
                config = Config.autoConfigure(null);
            } catch (RuntimeException e) {
                throw new LaunchException("cannot read the Kubernetes configuration: " + e.getMessage(), e);
            }
            if (!clusterConfigured(config)) {
                throw new LaunchException("no Kubernetes configuration found: set KUBECONFIG, create"
                        + " ~/.kube/config (e.g. with 'kubectl config'), or run in a pod with a service account");
            }
            c = new KubernetesClientBuilder().withConfig(config).build();
        }
        String specNamespace = parsed.getMetadata() == null ? null : parsed.getMetadata().getNamespace();
        String ns = namespace != null ? namespace
                : specNamespace != null ? specNamespace
                : c.getNamespace() != null ? c.getNamespace() : "default";
        return new KubernetesJobBackend(c, client == null, ns, template, uniqueJobName, Duration.ofSeconds(5));
    }

    @Override
    protected BackendLifecycle.Settings lifecycleSettings() {
        return lifecycleSettings != null ? lifecycleSettings
                : BackendLifecycle.Settings.defaults().withStartTimeout(startTimeout);
    }

    /**
     * {@link #deleteFinished(Duration, Clock)} with the system clock: deletes the Jobs Flowport created in this
     * environment's namespace that finished more than {@code ttl} ago (the TTL controller of the agent–environment
     * model); running Jobs are never touched. Blocking.
     *
     * @return the Jobs deleted
     */
    public List<Launch> deleteFinishedJobs(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        return deleteFinished(ttl, Clock.systemUTC());
    }

    /** The backend (created on first use, with the client). */
    KubernetesJobBackend backend() {
        return (KubernetesJobBackend) lifecycle().backend();
    }

    private String specSource() {
        if (jobSpecFile != null) {
            return "jobSpecFile " + jobSpecFile;
        }
        return jobSpec != null ? "jobSpec" : "the default Job spec";
    }

    private String specText() {
        return jobSpec != null ? jobSpec : JobTemplate.defaultSpec();
    }

    private JobTemplate.Options options() {
        return new JobTemplate.Options(image, serviceAccount, imagePullSecrets, resources, ttlSecondsAfterFinished);
    }

    private static void add(List<String> problems, String problem) {
        if (problem != null) {
            problems.add(problem);
        }
    }

    @Override
    public String toString() {
        return "KubernetesJobEnvironment[jobSpec=" + specSource() + ", image=" + image + ", namespace=" + namespace
                + ", uniqueJobName=" + uniqueJobName + ", labels=" + labels() + "]";
    }

    /**
     * Builds a {@link KubernetesJobEnvironment}. Unset settings default from {@code FLOWPORT_KUBERNETES_*}
     * variables when {@link #build()} runs; malformed values are reported by validation with the variable's
     * name, like every other problem.
     */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        private Path jobSpecFile;
        private String jobSpec;
        private Boolean uniqueJobName;
        private String image;
        private String namespace;
        private String serviceAccount;
        private final List<String> imagePullSecrets = new ArrayList<>();
        private ContainerResources resources = ContainerResources.NONE;
        private Integer ttlSecondsAfterFinished;
        private Duration startTimeout;
        private KubernetesClient client;
        private BackendLifecycle.Settings lifecycleSettings;
        private Map<String, String> variables = System.getenv();

        private Builder() {
        }

        /** A YAML file with a {@code batch/v1} Job; read when {@link #build()} runs. */
        public Builder jobSpecFile(Path file) {
            this.jobSpecFile = file;
            return this;
        }

        /** A YAML file with a {@code batch/v1} Job, by path. */
        @JsonProperty("jobSpecFile")
        public Builder jobSpecFile(String file) {
            this.jobSpecFile = file == null ? null : Paths.get(file);
            return this;
        }

        /** The Job spec's YAML itself (wins over {@link #jobSpecFile(Path)}). */
        @JsonProperty("jobSpec")
        public Builder jobSpec(String yaml) {
            this.jobSpec = yaml;
            return this;
        }

        /** Whether each run's Job name gets a unique suffix (default true). */
        @JsonProperty("uniqueJobName")
        public Builder uniqueJobName(boolean value) {
            this.uniqueJobName = value;
            return this;
        }

        /** The flow container's image. */
        @JsonProperty("image")
        public Builder image(String value) {
            this.image = value;
            return this;
        }

        /** The namespace of the Jobs. */
        @JsonProperty("namespace")
        public Builder namespace(String value) {
            this.namespace = value;
            return this;
        }

        /** The pod's service account. */
        @JsonProperty("serviceAccount")
        public Builder serviceAccount(String value) {
            this.serviceAccount = value;
            return this;
        }

        /** Adds image pull secrets by name. */
        @JsonProperty("imagePullSecrets")
        public Builder imagePullSecrets(List<String> names) {
            names.forEach(n -> imagePullSecrets.add(Objects.requireNonNull(n, "imagePullSecret")));
            return this;
        }

        /** Adds image pull secrets by name. */
        public Builder imagePullSecrets(String... names) {
            return imagePullSecrets(List.of(names));
        }

        /** Sets the flow container's requests and limits. */
        @JsonProperty("resources")
        public Builder resources(ContainerResources value) {
            this.resources = value == null ? ContainerResources.NONE : value;
            return this;
        }

        /** Adds one request, e.g. {@code request("cpu", "500m")}. */
        public Builder request(String resource, String quantity) {
            this.resources = resources.withRequest(resource, quantity);
            return this;
        }

        /** Adds one limit, e.g. {@code limit("memory", "1Gi")}. */
        public Builder limit(String resource, String quantity) {
            this.resources = resources.withLimit(resource, quantity);
            return this;
        }

        /** Lets Kubernetes delete each Job this many seconds after it finished. */
        @JsonProperty("ttlSecondsAfterFinished")
        public Builder ttlSecondsAfterFinished(Integer seconds) {
            this.ttlSecondsAfterFinished = seconds;
            return this;
        }

        /** How long a run may take to start before it is Crashed (default 10 min). */
        @JsonProperty("startTimeout")
        public Builder startTimeout(Duration value) {
            this.startTimeout = value;
            return this;
        }

        /** Uses this client instead of the default configuration; it is not closed with the environment. */
        public Builder client(KubernetesClient value) {
            this.client = value;
            return this;
        }

        /** Lifecycle tuning (launch retries, poll and stop timeouts); overrides {@code startTimeout}. */
        public Builder lifecycleSettings(BackendLifecycle.Settings value) {
            this.lifecycleSettings = value;
            return this;
        }

        /** The variables the {@code FLOWPORT_KUBERNETES_*} defaults are read from (default: this process's). */
        public Builder environmentVariables(Map<String, String> values) {
            this.variables = Map.copyOf(values);
            return this;
        }

        /** Builds the environment; reads the spec file. Problems are reported by validation, not here. */
        public KubernetesJobEnvironment build() {
            List<String> problems = new ArrayList<>();
            if (image == null) {
                image = variable("IMAGE");
            }
            if (namespace == null) {
                namespace = variable("NAMESPACE");
            }
            if (serviceAccount == null) {
                serviceAccount = variable("SERVICE_ACCOUNT");
            }
            if (jobSpec == null && jobSpecFile == null && variable("JOB_SPEC_FILE") != null) {
                jobSpecFile = Paths.get(variable("JOB_SPEC_FILE"));
            }
            if (uniqueJobName == null && variable("UNIQUE_JOB_NAME") != null) {
                String v = variable("UNIQUE_JOB_NAME").trim().toLowerCase(Locale.ROOT);
                if (v.equals("true") || v.equals("false")) {
                    uniqueJobName = Boolean.parseBoolean(v);
                } else {
                    problems.add(ENV_PREFIX + "UNIQUE_JOB_NAME must be true or false, was '" + v + "'");
                }
            }
            if (imagePullSecrets.isEmpty() && variable("IMAGE_PULL_SECRETS") != null) {
                for (String s : variable("IMAGE_PULL_SECRETS").split(",")) {
                    if (!s.isBlank()) {
                        imagePullSecrets.add(s.trim());
                    }
                }
            }
            if (resources.isEmpty()) {
                Map<String, String> requests = pairs("RESOURCES_REQUESTS", problems);
                Map<String, String> limits = pairs("RESOURCES_LIMITS", problems);
                resources = new ContainerResources(requests, limits);
            }
            if (ttlSecondsAfterFinished == null && variable("TTL_SECONDS_AFTER_FINISHED") != null) {
                String v = variable("TTL_SECONDS_AFTER_FINISHED").trim();
                try {
                    ttlSecondsAfterFinished = Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    problems.add(ENV_PREFIX + "TTL_SECONDS_AFTER_FINISHED must be a whole number of seconds, was '"
                            + v + "'");
                }
            }
            if (startTimeout == null && variable("START_TIMEOUT") != null) {
                String v = variable("START_TIMEOUT").trim();
                try {
                    startTimeout = v.matches("\\d+") ? Duration.ofSeconds(Long.parseLong(v)) : Duration.parse(v);
                } catch (DateTimeParseException | ArithmeticException e) {
                    problems.add(ENV_PREFIX + "START_TIMEOUT must be seconds or an ISO-8601 duration such as PT10M,"
                            + " was '" + v + "'");
                }
            }
            if (jobSpec == null && jobSpecFile != null) {
                try {
                    jobSpec = Files.readString(jobSpecFile);
                } catch (NoSuchFileException e) {
                    problems.add("jobSpecFile " + jobSpecFile + " does not exist; give the path of a YAML file with"
                            + " a batch/v1 Job (relative paths start at " + Paths.get("").toAbsolutePath() + ")");
                } catch (IOException e) {
                    problems.add("jobSpecFile " + jobSpecFile + " cannot be read: " + e);
                }
            }
            return new KubernetesJobEnvironment(this, problems);
        }

        private String variable(String name) {
            String v = variables.get(ENV_PREFIX + name);
            return v == null || v.isBlank() ? null : v;
        }

        private Map<String, String> pairs(String name, List<String> problems) {
            Map<String, String> out = new LinkedHashMap<>();
            String v = variable(name);
            if (v == null) {
                return out;
            }
            for (String pair : v.split(",")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0 || eq == pair.length() - 1) {
                    problems.add(ENV_PREFIX + name + " must be a list like 'cpu=500m,memory=1Gi', found '"
                            + pair.trim() + "'");
                } else {
                    out.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
                }
            }
            return out;
        }
    }
}
