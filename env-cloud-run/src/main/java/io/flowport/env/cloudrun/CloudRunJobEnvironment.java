package io.flowport.env.cloudrun;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.auth.Credentials;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.RunnerSettings;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendEnvironment;
import io.flowport.core.spi.BackendLifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Runs each flow run as one execution of a Google Cloud Run job (type {@code cloud-run-job}), on the Cloud Run
 * Admin API v2 through Google's client library ({@code google-cloud-run}).
 *
 * <p>{@link #setup} makes the job exist: one job per flow ({@code flowport-<flow name>}, or {@code jobName}),
 * created when missing and updated only when what this environment sets differs from what the job has (server
 * defaults and fields it fills in are not compared), so a second setup makes no write. Each run is one
 * {@code RunJob} with per-run overrides: the runner's {@code FLOWPORT__*} variables (merged into the job's
 * variables), the command's arguments, the task count and the task timeout. A run's execution is found again by
 * a marker variable in those overrides, so a retried launch after a lost answer never starts a second
 * execution. Runs are followed with {@code ListExecutions} per job (one paged listing covers every run of the
 * job in flight), cancelled with {@code CancelExecution}, and their logs are read from Cloud Logging. With
 * {@code keepJob=false} the job is deleted once no run of it is in flight any more.
 *
 * <p>Credentials: an explicit {@link Builder#credentials(Credentials)} (never serialized, never logged), else
 * Application Default Credentials ({@code GOOGLE_APPLICATION_CREDENTIALS}, gcloud's ADC file, the metadata
 * server). Project: {@code project}, else {@code GOOGLE_CLOUD_PROJECT}. Region: {@code region}, else
 * {@code GOOGLE_CLOUD_REGION}, else {@code CLOUDSDK_RUN_REGION}.
 *
 * <p>Serialized (JSON/YAML, and the {@code FLOWPORT__ENVIRONMENT} variable of each run): {@code project, region,
 * jobName, image, cpu, memory, taskTimeout, maxRetries, taskCount, parallelism, serviceAccount, vpcConnector,
 * vpcNetwork, vpcSubnetwork, vpcNetworkTags, vpcEgress, env, secrets, jobLabels, keepJob, runnerCommand,
 * endpoint, readLogs, launchesPerSecond, readsPerSecond, sdkMaxAttempts, requestTimeout, labels, metadata,
 * executor}. Never serialized and never logged: the credentials, the transport, the injected environment map,
 * the lifecycle settings and the callbacks. Secret values never appear at all: {@code secrets} holds Secret
 * Manager references, resolved by Cloud Run inside the execution.
 */
@JsonDeserialize(builder = CloudRunJobEnvironment.Builder.class)
public final class CloudRunJobEnvironment extends BackendEnvironment {

    /** The default API endpoint (gRPC). */
    public static final String DEFAULT_ENDPOINT = "run.googleapis.com:443";
    /** Default CPU limit of the flow's container (Cloud Run's default). */
    public static final String DEFAULT_CPU = "1";
    /** Default memory limit of the flow's container (Cloud Run's default). */
    public static final String DEFAULT_MEMORY = "512Mi";
    /** Default task timeout (Cloud Run's default). */
    public static final Duration DEFAULT_TASK_TIMEOUT = Duration.ofMinutes(10);
    /**
     * Default RunJob pacing: Cloud Run's default quota of 180 job runs per minute and region. Raise it with the
     * quota ({@code launchesPerSecond}).
     */
    public static final double DEFAULT_LAUNCHES_PER_SECOND = 3.0;
    /** Default pace of status reads: 1,000 Admin API reads per 100 seconds, Cloud Run's documented read quota. */
    public static final double DEFAULT_READS_PER_SECOND = 10.0;
    /** The project variable read when {@code project} is not set. */
    public static final String PROJECT_VARIABLE = "GOOGLE_CLOUD_PROJECT";
    /** The region variables read, in order, when {@code region} is not set. */
    public static final List<String> REGION_VARIABLES = List.of("GOOGLE_CLOUD_REGION", "CLOUDSDK_RUN_REGION");

    private final String project;
    private final String region;
    private final String jobName;
    private final String image;
    private final String cpu;
    private final String memory;
    private final Duration taskTimeout;
    private final int maxRetries;
    private final int taskCount;
    private final Integer parallelism;
    private final String serviceAccount;
    private final String vpcConnector;
    private final String vpcNetwork;
    private final String vpcSubnetwork;
    private final List<String> vpcNetworkTags;
    private final String vpcEgress;
    private final Map<String, String> env;
    private final Map<String, String> secrets;
    private final Map<String, String> jobLabels;
    private final boolean keepJob;
    private final List<String> runnerCommand;
    private final String endpoint;
    private final boolean readLogs;
    private final double launchesPerSecond;
    private final double readsPerSecond;
    private final int sdkMaxAttempts;
    private final Duration requestTimeout;
    private final Credentials credentials;
    private final TransportChannelProvider transportChannelProvider;
    private final Duration operationPollInterval;
    private final Map<String, String> systemEnvironment;
    private final BackendLifecycle.Settings lifecycleSettings;

    private CloudRunJobEnvironment(Builder b) {
        super(b);
        this.project = b.project;
        this.region = b.region;
        this.jobName = b.jobName;
        this.image = b.image;
        this.cpu = b.cpu == null ? DEFAULT_CPU : b.cpu;
        this.memory = b.memory == null ? DEFAULT_MEMORY : b.memory;
        this.taskTimeout = b.taskTimeout == null ? DEFAULT_TASK_TIMEOUT : b.taskTimeout;
        this.maxRetries = b.maxRetries;
        this.taskCount = b.taskCount;
        this.parallelism = b.parallelism;
        this.serviceAccount = b.serviceAccount;
        this.vpcConnector = b.vpcConnector;
        this.vpcNetwork = b.vpcNetwork;
        this.vpcSubnetwork = b.vpcSubnetwork;
        this.vpcNetworkTags = List.copyOf(b.vpcNetworkTags);
        this.vpcEgress = b.vpcEgress;
        this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        this.secrets = Collections.unmodifiableMap(new LinkedHashMap<>(b.secrets));
        this.jobLabels = Collections.unmodifiableMap(new LinkedHashMap<>(b.jobLabels));
        this.keepJob = b.keepJob;
        this.runnerCommand = b.runnerCommand == null ? null : List.copyOf(b.runnerCommand);
        this.endpoint = b.endpoint;
        this.readLogs = b.readLogs;
        this.launchesPerSecond = b.launchesPerSecond;
        this.readsPerSecond = b.readsPerSecond;
        this.sdkMaxAttempts = b.sdkMaxAttempts;
        this.requestTimeout = b.requestTimeout;
        this.credentials = b.credentials;
        this.transportChannelProvider = b.transportChannelProvider;
        this.operationPollInterval = b.operationPollInterval;
        this.systemEnvironment = b.systemEnvironment == null ? null : Map.copyOf(b.systemEnvironment);
        this.lifecycleSettings = b.lifecycleSettings;
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- serialized settings

    /** The project as set (see {@link #resolvedProject()} for the one used), or null. */
    @JsonProperty("project")
    public String project() {
        return project;
    }

    /** The region as set (see {@link #resolvedRegion()} for the one used), or null. */
    @JsonProperty("region")
    public String region() {
        return region;
    }

    /** The job name as set, or null for {@code flowport-<flow name>} (see {@link #jobNameFor}). */
    @JsonProperty("jobName")
    public String jobName() {
        return jobName;
    }

    /** The container image that runs the flow. */
    @JsonProperty("image")
    public String image() {
        return image;
    }

    /** The flow container's CPU limit ({@code 1}, {@code 2}, {@code 4}, {@code 6}, {@code 8}; default 1). */
    @JsonProperty("cpu")
    public String cpu() {
        return cpu;
    }

    /** The flow container's memory limit ({@code 512Mi} … {@code 32Gi}; default 512Mi). */
    @JsonProperty("memory")
    public String memory() {
        return memory;
    }

    /** The longest a task may run before Cloud Run stops it (default 10 minutes, at most 168 hours). */
    @JsonProperty("taskTimeout")
    public Duration taskTimeout() {
        return taskTimeout;
    }

    /** How often Cloud Run retries a failed task (0 to 10; default 0: Flowport retries tasks of the flow). */
    @JsonProperty("maxRetries")
    public int maxRetries() {
        return maxRetries;
    }

    /** Tasks per execution (default 1; each task runs the flow's container once). */
    @JsonProperty("taskCount")
    public int taskCount() {
        return taskCount;
    }

    /** Tasks run at once, or null for Cloud Run's default (as many as possible). */
    @JsonProperty("parallelism")
    public Integer parallelism() {
        return parallelism;
    }

    /** The service account the execution runs as, or null for the project's default compute account. */
    @JsonProperty("serviceAccount")
    public String serviceAccount() {
        return serviceAccount;
    }

    /** A Serverless VPC Access connector (name or full resource name), or null. */
    @JsonProperty("vpcConnector")
    public String vpcConnector() {
        return vpcConnector;
    }

    /** The VPC network for Direct VPC egress (name or resource name), or null. */
    @JsonProperty("vpcNetwork")
    public String vpcNetwork() {
        return vpcNetwork;
    }

    /** The subnetwork for Direct VPC egress (name or resource name), or null. */
    @JsonProperty("vpcSubnetwork")
    public String vpcSubnetwork() {
        return vpcSubnetwork;
    }

    /** Network tags of the Direct VPC egress interface. */
    @JsonProperty("vpcNetworkTags")
    public List<String> vpcNetworkTags() {
        return vpcNetworkTags;
    }

    /** {@code ALL_TRAFFIC} or {@code PRIVATE_RANGES_ONLY} (with a connector or Direct VPC), or null. */
    @JsonProperty("vpcEgress")
    public String vpcEgress() {
        return vpcEgress;
    }

    /** Plain environment variables of the flow's container (never put secret values here: use secrets). */
    @JsonProperty("env")
    public Map<String, String> env() {
        return env;
    }

    /**
     * Variables whose values Cloud Run reads from Secret Manager inside the execution: name → reference
     * {@code projects/<project>/secrets/<secret>/versions/<version|latest>}. Only references are kept here.
     */
    @JsonProperty("secrets")
    public Map<String, String> secrets() {
        return secrets;
    }

    /** Labels put on the job and its executions (added to Flowport's own). */
    @JsonProperty("jobLabels")
    public Map<String, String> jobLabels() {
        return jobLabels;
    }

    /** Whether the job stays after the runs (default true); false deletes it when no run of it is in flight. */
    @JsonProperty("keepJob")
    public boolean keepJob() {
        return keepJob;
    }

    /** The runner command of a Java flow as set, or null for {@link RunnerSettings#DEFAULT_CONTAINER_COMMAND}. */
    @JsonProperty("runnerCommand")
    public List<String> runnerCommandSetting() {
        return runnerCommand;
    }

    /** The Admin API endpoint as set ({@code host:port}), or null for {@value #DEFAULT_ENDPOINT}. */
    @JsonProperty("endpoint")
    public String endpoint() {
        return endpoint;
    }

    /** Whether the result's logs read the execution's lines from Cloud Logging (default true). */
    @JsonProperty("readLogs")
    public boolean readLogs() {
        return readLogs;
    }

    /** Client-side pacing of RunJob calls (0 = none; default {@value #DEFAULT_LAUNCHES_PER_SECOND}). */
    @JsonProperty("launchesPerSecond")
    public double launchesPerSecond() {
        return launchesPerSecond;
    }

    /** The pace of status reads (ListExecutions pages) per second (default {@value #DEFAULT_READS_PER_SECOND}). */
    @JsonProperty("readsPerSecond")
    public double readsPerSecond() {
        return readsPerSecond;
    }

    /** Attempts the client library makes per call (its own retry policy; 1 = no retry). Default 4. */
    @JsonProperty("sdkMaxAttempts")
    public int sdkMaxAttempts() {
        return sdkMaxAttempts;
    }

    /** Time limit of one call attempt. Default 30 s. */
    @JsonProperty("requestTimeout")
    public Duration requestTimeout() {
        return requestTimeout;
    }

    // ---------------------------------------------------------------- not serialized

    /** Whether explicit credentials were given (they are never exposed). */
    public boolean hasExplicitCredentials() {
        return credentials != null;
    }

    Credentials credentials() {
        return credentials;
    }

    TransportChannelProvider transportChannelProvider() {
        return transportChannelProvider;
    }

    Duration operationPollInterval() {
        return operationPollInterval;
    }

    /** The process environment, or the map injected for tests. */
    Map<String, String> systemEnvironment() {
        return systemEnvironment != null ? systemEnvironment : System.getenv();
    }

    /** The project the clients use: the setting, else {@code GOOGLE_CLOUD_PROJECT}. */
    public Optional<String> resolvedProject() {
        if (project != null && !project.isBlank()) {
            return Optional.of(project.trim());
        }
        return variable(PROJECT_VARIABLE);
    }

    /** The region the clients use: the setting, else {@code GOOGLE_CLOUD_REGION}, else {@code CLOUDSDK_RUN_REGION}. */
    public Optional<String> resolvedRegion() {
        if (region != null && !region.isBlank()) {
            return Optional.of(region.trim());
        }
        for (String name : REGION_VARIABLES) {
            Optional<String> v = variable(name);
            if (v.isPresent()) {
                return v;
            }
        }
        return Optional.empty();
    }

    private Optional<String> variable(String name) {
        String v = systemEnvironment().get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    /** The endpoint the clients call. */
    public String effectiveEndpoint() {
        return endpoint == null || endpoint.isBlank() ? DEFAULT_ENDPOINT : endpoint.trim();
    }

    /**
     * The job that runs {@code flow}: {@code jobName} when set, else {@code flowport-<flow name>} made a valid job
     * name (lower case letters, digits and hyphens, starting with a letter, at most 63 characters; a long name
     * keeps a hash of the whole so that two flows do not collide).
     */
    public String jobNameFor(Flow flow) {
        if (jobName != null) {
            return jobName;
        }
        return JobSpec.defaultJobName(flow.name());
    }

    /** The first container's command for a run of {@code flow} (the runner, or a command flow's command). */
    public List<String> commandFor(Flow flow) {
        return containerCommand(flow);
    }

    @Override
    protected List<String> runnerCommand() {
        return runnerCommand != null ? runnerCommand : RunnerSettings.DEFAULT_CONTAINER_COMMAND;
    }

    @Override
    protected List<String> validate(Flow flow) {
        return CloudRunValidation.problems(this, flow);
    }

    @Override
    protected Backend createBackend() {
        return CloudRunBackend.create(this);
    }

    @Override
    protected BackendLifecycle.Settings lifecycleSettings() {
        if (lifecycleSettings != null) {
            return lifecycleSettings;
        }
        return BackendLifecycle.Settings.defaults().withLaunchesPerSecond(launchesPerSecond);
    }

    /** The backend of this environment (created on first use). */
    CloudRunBackend backend() {
        return (CloudRunBackend) lifecycle().backend();
    }

    // With keepJob=false the job is deleted when its last run of this environment ends; the count of runs in
    // flight per job is held from before the launch until the result, so that no run loses its job.

    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run) {
        if (keepJob) {
            return super.doExecute(flow, run);
        }
        CloudRunBackend b = backend();
        String job = jobNameFor(flow);
        b.acquireJob(job);
        try {
            return super.doExecute(flow, run);
        } finally {
            b.releaseJob(job);
        }
    }

    /**
     * Launches a run and returns at once, without callbacks (see {@link BackendEnvironment#submit}). With
     * {@code keepJob=false} the job is deleted after the last run of it submitted here ends.
     *
     * @throws ConfigurationException for invalid settings or parameters
     */
    @Override
    public CompletableFuture<FlowRunResult> submit(Flow flow, FlowRun run) {
        return keepJob ? super.submit(flow, run) : holdingJob(flow, () -> super.submit(flow, run));
    }

    /**
     * Follows a run launched before, or launches it with its first token (see {@link BackendEnvironment#resume}).
     * With {@code keepJob=false} the job is deleted after the last run of it ends here.
     *
     * @throws ConfigurationException for invalid settings or parameters
     */
    @Override
    public CompletableFuture<FlowRunResult> resume(Flow flow, FlowRun run) {
        return keepJob ? super.resume(flow, run) : holdingJob(flow, () -> super.resume(flow, run));
    }

    /** Counts the run as a user of its job until its result is there, then releases the job (keepJob=false). */
    private CompletableFuture<FlowRunResult> holdingJob(Flow flow,
                                                        java.util.function.Supplier<CompletableFuture<FlowRunResult>> start) {
        checkValid(flow);
        CloudRunBackend b = backend();
        String job = jobNameFor(flow);
        b.acquireJob(job);
        CompletableFuture<FlowRunResult> f;
        try {
            f = start.get();
        } catch (RuntimeException e) {
            b.releaseJob(job);
            throw e;
        }
        // cancelling what the caller holds cancels the run, as with the lifecycle's own future
        CompletableFuture<FlowRunResult> out = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                f.cancel(mayInterruptIfRunning);
                return super.cancel(mayInterruptIfRunning);
            }
        };
        // the release may delete the job (blocking): never on the thread that completes the run
        f.whenCompleteAsync((r, e) -> {
            b.releaseJob(job);
            if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete(r);
            }
        }, b.cleanupExecutor());
        return out;
    }

    /** How many runs of this environment are in flight (for benchmarks). */
    int runsInFlight() {
        return lifecycle().inFlight();
    }

    @Override
    public String toString() {
        return "CloudRunJobEnvironment[project=" + resolvedProject().orElse(null) + ", region="
                + resolvedRegion().orElse(null) + ", jobName=" + jobName + ", image=" + image + ", cpu=" + cpu
                + ", memory=" + memory + ", env=" + env.keySet() + ", secrets=" + secrets.keySet()
                + (credentials != null ? ", credentials=****" : "") + ", keepJob=" + keepJob
                + ", labels=" + labels() + "]";
    }

    /** Builds a {@link CloudRunJobEnvironment}. Nothing is checked until the environment is used. */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        private String project;
        private String region;
        private String jobName;
        private String image;
        private String cpu;
        private String memory;
        private Duration taskTimeout;
        private int maxRetries;
        private int taskCount = 1;
        private Integer parallelism;
        private String serviceAccount;
        private String vpcConnector;
        private String vpcNetwork;
        private String vpcSubnetwork;
        private final List<String> vpcNetworkTags = new ArrayList<>();
        private String vpcEgress;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> secrets = new LinkedHashMap<>();
        private final Map<String, String> jobLabels = new LinkedHashMap<>();
        private boolean keepJob = true;
        private List<String> runnerCommand;
        private String endpoint;
        private boolean readLogs = true;
        private double launchesPerSecond = DEFAULT_LAUNCHES_PER_SECOND;
        private double readsPerSecond = DEFAULT_READS_PER_SECOND;
        private int sdkMaxAttempts = 4;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Credentials credentials;
        private TransportChannelProvider transportChannelProvider;
        private Duration operationPollInterval = Duration.ofSeconds(1);
        private Map<String, String> systemEnvironment;
        private BackendLifecycle.Settings lifecycleSettings;

        private Builder() {
        }

        /** The Google Cloud project id (default: {@code GOOGLE_CLOUD_PROJECT}). */
        @JsonProperty("project")
        public Builder project(String value) {
            this.project = value;
            return this;
        }

        /** The Cloud Run region, e.g. {@code europe-west1} (default: {@code GOOGLE_CLOUD_REGION}). */
        @JsonProperty("region")
        public Builder region(String value) {
            this.region = value;
            return this;
        }

        /** The job's name (default {@code flowport-<flow name>}). */
        @JsonProperty("jobName")
        public Builder jobName(String value) {
            this.jobName = value;
            return this;
        }

        /** The container image, e.g. {@code europe-docker.pkg.dev/my-project/flows/etl:1.4}. Required. */
        @JsonProperty("image")
        public Builder image(String value) {
            this.image = value;
            return this;
        }

        /** CPU limit: {@code 1}, {@code 2}, {@code 4}, {@code 6} or {@code 8} (or in millis, {@code 2000m}). */
        @JsonProperty("cpu")
        public Builder cpu(String value) {
            this.cpu = value;
            return this;
        }

        /** Memory limit, e.g. {@code 512Mi}, {@code 2Gi}. */
        @JsonProperty("memory")
        public Builder memory(String value) {
            this.memory = value;
            return this;
        }

        /** The task timeout (1 second to 168 hours; default 10 minutes). */
        @JsonProperty("taskTimeout")
        public Builder taskTimeout(Duration value) {
            this.taskTimeout = value;
            return this;
        }

        /** Cloud Run's retries of a failed task (0 to 10; default 0). */
        @JsonProperty("maxRetries")
        public Builder maxRetries(int value) {
            this.maxRetries = value;
            return this;
        }

        /** Tasks per execution (1 to 10,000; default 1). */
        @JsonProperty("taskCount")
        public Builder taskCount(int value) {
            this.taskCount = value;
            return this;
        }

        /** Tasks run at once (0 or unset: as many as possible; at most {@code taskCount}). */
        @JsonProperty("parallelism")
        public Builder parallelism(Integer value) {
            this.parallelism = value;
            return this;
        }

        /** The service account email the execution runs as. */
        @JsonProperty("serviceAccount")
        public Builder serviceAccount(String value) {
            this.serviceAccount = value;
            return this;
        }

        /** A Serverless VPC Access connector: its name, or {@code projects/…/locations/…/connectors/…}. */
        @JsonProperty("vpcConnector")
        public Builder vpcConnector(String value) {
            this.vpcConnector = value;
            return this;
        }

        /** The VPC network for Direct VPC egress. */
        @JsonProperty("vpcNetwork")
        public Builder vpcNetwork(String value) {
            this.vpcNetwork = value;
            return this;
        }

        /** The subnetwork for Direct VPC egress. */
        @JsonProperty("vpcSubnetwork")
        public Builder vpcSubnetwork(String value) {
            this.vpcSubnetwork = value;
            return this;
        }

        /** Adds network tags for Direct VPC egress. */
        @JsonProperty("vpcNetworkTags")
        public Builder vpcNetworkTags(List<String> values) {
            vpcNetworkTags.addAll(values);
            return this;
        }

        /** {@code ALL_TRAFFIC} or {@code PRIVATE_RANGES_ONLY}. */
        @JsonProperty("vpcEgress")
        public Builder vpcEgress(String value) {
            this.vpcEgress = value;
            return this;
        }

        /** Adds plain environment variables. */
        @JsonProperty("env")
        public Builder env(Map<String, String> values) {
            env.putAll(values);
            return this;
        }

        /** Adds one plain environment variable. */
        public Builder env(String name, String value) {
            env.put(Objects.requireNonNull(name, "name"), value);
            return this;
        }

        /** Adds secret variables: name → {@code projects/<p>/secrets/<s>/versions/<v|latest>}. */
        @JsonProperty("secrets")
        public Builder secrets(Map<String, String> values) {
            secrets.putAll(values);
            return this;
        }

        /** Adds one secret variable: its name and its Secret Manager reference (never the value). */
        public Builder secret(String name, String reference) {
            secrets.put(Objects.requireNonNull(name, "name"), reference);
            return this;
        }

        /** Adds labels for the job and its executions. */
        @JsonProperty("jobLabels")
        public Builder jobLabels(Map<String, String> values) {
            jobLabels.putAll(values);
            return this;
        }

        /** Whether the job stays after the runs (default true). */
        @JsonProperty("keepJob")
        public Builder keepJob(boolean value) {
            this.keepJob = value;
            return this;
        }

        /** The command that starts the runner in the image (default: Jib's layout). */
        @JsonProperty("runnerCommand")
        public Builder runnerCommand(List<String> value) {
            this.runnerCommand = value == null ? null : new ArrayList<>(value);
            return this;
        }

        /** The Admin API endpoint, {@code host:port} (default {@value #DEFAULT_ENDPOINT}). */
        @JsonProperty("endpoint")
        public Builder endpoint(String value) {
            this.endpoint = value;
            return this;
        }

        /** Whether results read the execution's lines from Cloud Logging (default true). */
        @JsonProperty("readLogs")
        public Builder readLogs(boolean value) {
            this.readLogs = value;
            return this;
        }

        /** Client-side pacing of RunJob calls (0 = none). */
        @JsonProperty("launchesPerSecond")
        public Builder launchesPerSecond(double value) {
            this.launchesPerSecond = value;
            return this;
        }

        /** The pace of status reads per second. */
        @JsonProperty("readsPerSecond")
        public Builder readsPerSecond(double value) {
            this.readsPerSecond = value;
            return this;
        }

        /** Attempts the client library makes per call, its own retries included (default 4). */
        @JsonProperty("sdkMaxAttempts")
        public Builder sdkMaxAttempts(int value) {
            this.sdkMaxAttempts = value;
            return this;
        }

        /** Time limit of one call attempt (default 30 s). */
        @JsonProperty("requestTimeout")
        public Builder requestTimeout(Duration value) {
            this.requestTimeout = value;
            return this;
        }

        /** Explicit credentials instead of Application Default Credentials. Never serialized, never logged. */
        @JsonIgnore
        public Builder credentials(Credentials value) {
            this.credentials = value;
            return this;
        }

        /**
         * Rejects credentials in a JSON or YAML document: they are never read from (or written to) one.
         *
         * @throws ConfigurationException always
         */
        @JsonProperty("credentials")
        Builder credentialsFromDocument(Object ignored) {
            throw new ConfigurationException("credentials: never read from JSON or YAML; use Application Default "
                    + "Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, the "
                    + "metadata server) or CloudRunJobEnvironment.builder().credentials(...) in code");
        }

        /**
         * The gRPC transport for every client instead of one channel per client to {@code endpoint} (a private
         * channel, a test server). Not serialized.
         */
        @JsonIgnore
        public Builder transportChannelProvider(TransportChannelProvider value) {
            this.transportChannelProvider = value;
            return this;
        }

        /**
         * The first wait before polling a long-running operation (job create/update/delete), growing 1.5× per
         * poll up to 10 s (default 1 s). Not serialized.
         */
        @JsonIgnore
        public Builder operationPollInterval(Duration value) {
            this.operationPollInterval = value;
            return this;
        }

        /** Replaces the process environment where {@code GOOGLE_CLOUD_PROJECT} and the region are read (tests). */
        @JsonIgnore
        public Builder systemEnvironment(Map<String, String> values) {
            this.systemEnvironment = values == null ? null : new LinkedHashMap<>(values);
            return this;
        }

        /** Tuning of the shared lifecycle (threads, polls, deadlines); replaces {@code launchesPerSecond}. */
        @JsonIgnore
        public Builder lifecycleSettings(BackendLifecycle.Settings value) {
            this.lifecycleSettings = value;
            return this;
        }

        /** Builds the environment; settings are validated when it is first used, all problems at once. */
        public CloudRunJobEnvironment build() {
            return new CloudRunJobEnvironment(this);
        }
    }
}
