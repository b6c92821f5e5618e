package io.flowport.env.fargate;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.Flow;
import io.flowport.core.RunnerSettings;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendEnvironment;
import io.flowport.core.spi.BackendLifecycle;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs each flow run as an AWS ECS task, on Fargate or on EC2 container instances (type {@code fargate-task}).
 *
 * <p>{@link #setup} checks the credentials with one STS {@code GetCallerIdentity}, then makes the task
 * definition exist: the family's latest ACTIVE revision is reused when it equals the wanted definition after
 * normalising what ECS adds, else one new revision is registered. Each run is one {@code RunTask} with the
 * run's command and {@code FLOWPORT__*} variables in the first container's overrides, the run's labels as
 * tags, {@code startedBy} = the flow run id and {@code clientToken} = the run's idempotency token (a retried
 * launch never starts a second task). Runs are followed with batched {@code DescribeTasks} calls (100 tasks a
 * call), and with an {@code awslogs} log configuration the result's logs read the run's CloudWatch stream.
 *
 * <p>Credentials, in order: {@code awsAccessKeyId}/{@code awsSecretAccessKey}/{@code awsSessionToken}; an
 * explicit {@link Builder#credentialsProvider}; the {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}/
 * {@code AWS_SESSION_TOKEN} environment variables; the SDK's default chain (profile, web identity, container,
 * instance). With {@code roleArn} those credentials assume the role (STS AssumeRole, refreshed before expiry).
 * Region: {@code regionName}, then {@code REGION_NAME}, then {@code AWS_REGION}, then the SDK's default chain.
 *
 * <p>Serialized (JSON/YAML): {@code launchType, regionName, endpointOverride, family, cpu, memory,
 * networkMode, executionRoleArn, taskRoleArn, cpuArchitecture, containerDefinitions, cluster, subnets,
 * securityGroups, assignPublicIp, capacityProviderStrategy, platformVersion, propagateTags, tags, cpuOverride,
 * memoryOverride, roleArn, roleSessionName, runnerCommand, sdkMaxAttempts, requestTimeout,
 * launchesPerSecond, labels, metadata, executor}. Never serialized and never logged: {@code awsAccessKeyId,
 * awsSecretAccessKey, awsSessionToken, externalId}, the credentials provider, the injected environment map,
 * the lifecycle settings and the callbacks.
 */
@JsonDeserialize(builder = FargateTaskEnvironment.Builder.class)
public final class FargateTaskEnvironment extends BackendEnvironment {

    /** The Fargate launch type (the default). */
    public static final String FARGATE = "FARGATE";
    /** The EC2 launch type. */
    public static final String EC2 = "EC2";

    private final String launchType;
    private final String awsAccessKeyId;
    private final String awsSecretAccessKey;
    private final String awsSessionToken;
    private final AwsCredentialsProvider credentialsProvider;
    private final String regionName;
    private final URI endpointOverride;
    private final String family;
    private final String cpu;
    private final String memory;
    private final String networkMode;
    private final String executionRoleArn;
    private final String taskRoleArn;
    private final String cpuArchitecture;
    private final List<ContainerDefinition> containerDefinitions;
    private final String cluster;
    private final List<String> subnets;
    private final List<String> securityGroups;
    private final String assignPublicIp;
    private final List<CapacityProviderStrategyItem> capacityProviderStrategy;
    private final String platformVersion;
    private final String propagateTags;
    private final Map<String, String> tags;
    private final String cpuOverride;
    private final String memoryOverride;
    private final String roleArn;
    private final String externalId;
    private final String roleSessionName;
    private final List<String> runnerCommand;
    private final int sdkMaxAttempts;
    private final Duration requestTimeout;
    private final double launchesPerSecond;
    private final Map<String, String> systemEnvironment;
    private final BackendLifecycle.Settings lifecycleSettings;
    // one instance of each distinct serialized storage/environment, shared by every queued launch request

    private FargateTaskEnvironment(Builder b) {
        super(b);
        this.launchType = b.launchType == null ? FARGATE : b.launchType.trim().toUpperCase(Locale.ROOT);
        this.awsAccessKeyId = b.awsAccessKeyId;
        this.awsSecretAccessKey = b.awsSecretAccessKey;
        this.awsSessionToken = b.awsSessionToken;
        this.credentialsProvider = b.credentialsProvider;
        this.regionName = b.regionName;
        this.endpointOverride = b.endpointOverride;
        this.family = b.family;
        this.cpu = b.cpu;
        this.memory = b.memory;
        this.networkMode = b.networkMode;
        this.executionRoleArn = b.executionRoleArn;
        this.taskRoleArn = b.taskRoleArn;
        this.cpuArchitecture = b.cpuArchitecture;
        this.containerDefinitions = List.copyOf(b.containerDefinitions);
        this.cluster = b.cluster;
        this.subnets = List.copyOf(b.subnets);
        this.securityGroups = List.copyOf(b.securityGroups);
        this.assignPublicIp = b.assignPublicIp;
        this.capacityProviderStrategy = List.copyOf(b.capacityProviderStrategy);
        this.platformVersion = b.platformVersion;
        this.propagateTags = b.propagateTags;
        this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(b.tags));
        this.cpuOverride = b.cpuOverride;
        this.memoryOverride = b.memoryOverride;
        this.roleArn = b.roleArn;
        this.externalId = b.externalId;
        this.roleSessionName = b.roleSessionName;
        this.runnerCommand = b.runnerCommand == null ? null : List.copyOf(b.runnerCommand);
        this.sdkMaxAttempts = b.sdkMaxAttempts;
        this.requestTimeout = b.requestTimeout;
        this.launchesPerSecond = b.launchesPerSecond;
        this.systemEnvironment = b.systemEnvironment == null ? null : Map.copyOf(b.systemEnvironment);
        this.lifecycleSettings = b.lifecycleSettings;
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- serialized settings

    /** {@code FARGATE} (default) or {@code EC2}. */
    @JsonProperty("launchType")
    public String launchType() {
        return launchType;
    }

    /** The region setting as given (see {@link #resolvedRegion()} for the one used). */
    @JsonProperty("regionName")
    public String regionName() {
        return regionName;
    }

    /** An endpoint for ECS, STS and CloudWatch Logs instead of AWS's (LocalStack, a test server), or null. */
    @JsonProperty("endpointOverride")
    public URI endpointOverride() {
        return endpointOverride;
    }

    /** The task definition family as set, or null for {@code flowport-<flow name>}. */
    @JsonProperty("family")
    public String family() {
        return family;
    }

    /** Task CPU units ({@code 256}, {@code 1024} ...); required on Fargate. */
    @JsonProperty("cpu")
    public String cpu() {
        return cpu;
    }

    /** Task memory in MiB; required on Fargate. */
    @JsonProperty("memory")
    public String memory() {
        return memory;
    }

    /** The network mode as set ({@code awsvpc}, {@code bridge}, {@code host}, {@code none}), or null. */
    @JsonProperty("networkMode")
    public String networkMode() {
        return networkMode;
    }

    /** The role ECS uses to pull images, read secrets and write logs. */
    @JsonProperty("executionRoleArn")
    public String executionRoleArn() {
        return executionRoleArn;
    }

    /** The role the flow's code runs as. */
    @JsonProperty("taskRoleArn")
    public String taskRoleArn() {
        return taskRoleArn;
    }

    /** {@code X86_64} or {@code ARM64}, or null for ECS's default. */
    @JsonProperty("cpuArchitecture")
    public String cpuArchitecture() {
        return cpuArchitecture;
    }

    /** The containers; the first one runs the flow. */
    @JsonProperty("containerDefinitions")
    public List<ContainerDefinition> containerDefinitions() {
        return containerDefinitions;
    }

    /** The cluster as set, or null for ECS's {@code default} cluster. */
    @JsonProperty("cluster")
    public String cluster() {
        return cluster;
    }

    /** Subnets of the task's network interface (awsvpc). */
    @JsonProperty("subnets")
    public List<String> subnets() {
        return subnets;
    }

    /** Security groups of the task's network interface (awsvpc). */
    @JsonProperty("securityGroups")
    public List<String> securityGroups() {
        return securityGroups;
    }

    /** {@code ENABLED} or {@code DISABLED} (awsvpc), or null for {@code DISABLED}. */
    @JsonProperty("assignPublicIp")
    public String assignPublicIp() {
        return assignPublicIp;
    }

    /** A capacity provider strategy (RunTask is then sent without a launch type). */
    @JsonProperty("capacityProviderStrategy")
    public List<CapacityProviderStrategyItem> capacityProviderStrategy() {
        return capacityProviderStrategy;
    }

    /** The Fargate platform version, or null for {@code LATEST}. */
    @JsonProperty("platformVersion")
    public String platformVersion() {
        return platformVersion;
    }

    /** {@code TASK_DEFINITION} or {@code NONE}, or null. */
    @JsonProperty("propagateTags")
    public String propagateTags() {
        return propagateTags;
    }

    /** Extra tags on every task (Flowport's own labels are added). */
    @JsonProperty("tags")
    public Map<String, String> tags() {
        return tags;
    }

    /** Task-level CPU override per run, or null. */
    @JsonProperty("cpuOverride")
    public String cpuOverride() {
        return cpuOverride;
    }

    /** Task-level memory override per run (MiB), or null. */
    @JsonProperty("memoryOverride")
    public String memoryOverride() {
        return memoryOverride;
    }

    /** A role to assume for every AWS call, or null. */
    @JsonProperty("roleArn")
    public String roleArn() {
        return roleArn;
    }

    /** The session name used when assuming {@link #roleArn()} (default {@code flowport}). */
    @JsonProperty("roleSessionName")
    public String roleSessionName() {
        return roleSessionName;
    }

    /** The runner command of a Java flow as set, or null for {@link RunnerSettings#DEFAULT_CONTAINER_COMMAND}. */
    @JsonProperty("runnerCommand")
    public List<String> runnerCommandSetting() {
        return runnerCommand;
    }

    /** Attempts the SDK makes per call (its own retry policy; 1 = no SDK retry). Default 3. */
    @JsonProperty("sdkMaxAttempts")
    public int sdkMaxAttempts() {
        return sdkMaxAttempts;
    }

    /** Time limit of one HTTP attempt. Default 30 s. */
    @JsonProperty("requestTimeout")
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Client-side pacing of RunTask calls (0 = none). */
    @JsonProperty("launchesPerSecond")
    public double launchesPerSecond() {
        return launchesPerSecond;
    }

    // ---------------------------------------------------------------- not serialized

    /** Whether explicit access keys were given (their values are never exposed). */
    public boolean hasExplicitCredentials() {
        return awsAccessKeyId != null || awsSecretAccessKey != null || awsSessionToken != null;
    }

    String awsAccessKeyId() {
        return awsAccessKeyId;
    }

    String awsSecretAccessKey() {
        return awsSecretAccessKey;
    }

    String awsSessionToken() {
        return awsSessionToken;
    }

    AwsCredentialsProvider credentialsProvider() {
        return credentialsProvider;
    }

    String externalId() {
        return externalId;
    }

    /** The process environment, or the map injected for tests. */
    Map<String, String> systemEnvironment() {
        return systemEnvironment != null ? systemEnvironment : System.getenv();
    }

    /** The region the clients use: the setting, {@code REGION_NAME}, {@code AWS_REGION}, the SDK's chain. */
    public Optional<String> resolvedRegion() {
        if (regionName != null && !regionName.isBlank()) {
            return Optional.of(regionName.trim());
        }
        Map<String, String> env = systemEnvironment();
        for (String name : List.of("REGION_NAME", "AWS_REGION")) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                return Optional.of(v.trim());
            }
        }
        if (systemEnvironment != null) {
            return Optional.empty(); // an injected environment is the whole truth (tests)
        }
        try {
            return Optional.of(DefaultAwsRegionProviderChain.builder().build().getRegion().id());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The task definition family for {@code flow}: the setting, else {@code flowport-<flow name>}. */
    public String familyFor(Flow flow) {
        if (family != null) {
            return family;
        }
        String f = ("flowport-" + flow.name()).replaceAll("[^A-Za-z0-9_-]", "-");
        return f.length() > 255 ? f.substring(0, 255) : f;
    }

    /** The cluster RunTask uses ({@code default} when unset, as in ECS). */
    public String effectiveCluster() {
        return cluster == null || cluster.isBlank() ? "default" : cluster;
    }

    /** The network mode registered: the setting, else {@code awsvpc} on Fargate and {@code bridge} on EC2. */
    public String effectiveNetworkMode() {
        if (networkMode != null) {
            return networkMode;
        }
        return FARGATE.equals(launchType) ? "awsvpc" : "bridge";
    }

    @Override
    protected List<String> validate(Flow flow) {
        return FargateValidation.problems(this, flow);
    }

    @Override
    protected Backend createBackend() {
        return EcsBackend.create(this);
    }

    @Override
    protected BackendLifecycle.Settings lifecycleSettings() {
        if (lifecycleSettings != null) {
            return lifecycleSettings;
        }
        return BackendLifecycle.Settings.defaults().withLaunchesPerSecond(launchesPerSecond);
    }

    @Override
    protected List<String> runnerCommand() {
        return runnerCommand != null ? runnerCommand : RunnerSettings.DEFAULT_CONTAINER_COMMAND;
    }

    /** The first container's command for a run of {@code flow} (the runner, or a command flow's command). */
    public List<String> commandFor(Flow flow) {
        return containerCommand(flow);
    }

    /**
     * Deregisters the ACTIVE revisions of {@code flow}'s family that Flowport registered, except the newest
     * {@code keep}. Nothing is deregistered unless this is called: ECS keeps task definitions for free, and
     * running tasks are not affected by deregistration. Blocking.
     *
     * @return the ARNs deregistered
     */
    public List<String> deregisterOldRevisions(Flow flow, int keep) {
        checkValid(flow);
        return backend().deregisterOldRevisions(familyFor(flow), keep);
    }

    /** The ECS backend of this environment (created on first use). */
    EcsBackend backend() {
        return (EcsBackend) lifecycle().backend();
    }

    /** How many runs of this environment are in flight. */
    int runsInFlight() {
        return lifecycle().inFlight();
    }

    @Override
    public String toString() {
        return "FargateTaskEnvironment[launchType=" + launchType + ", region=" + regionName
                + ", cluster=" + effectiveCluster() + ", family=" + family
                + ", containers=" + containerDefinitions.stream().map(ContainerDefinition::name).toList()
                + (awsAccessKeyId != null ? ", awsAccessKeyId=****" : "")
                + (awsSecretAccessKey != null ? ", awsSecretAccessKey=****" : "")
                + (awsSessionToken != null ? ", awsSessionToken=****" : "")
                + (roleArn != null ? ", roleArn=" + roleArn : "")
                + (externalId != null ? ", externalId=****" : "")
                + ", labels=" + labels() + "]";
    }

    /** Builds a {@link FargateTaskEnvironment}. Nothing is checked until the environment is used. */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        private String launchType;
        private String awsAccessKeyId;
        private String awsSecretAccessKey;
        private String awsSessionToken;
        private AwsCredentialsProvider credentialsProvider;
        private String regionName;
        private URI endpointOverride;
        private String family;
        private String cpu;
        private String memory;
        private String networkMode;
        private String executionRoleArn;
        private String taskRoleArn;
        private String cpuArchitecture;
        private final List<ContainerDefinition> containerDefinitions = new ArrayList<>();
        private String cluster;
        private final List<String> subnets = new ArrayList<>();
        private final List<String> securityGroups = new ArrayList<>();
        private String assignPublicIp;
        private final List<CapacityProviderStrategyItem> capacityProviderStrategy = new ArrayList<>();
        private String platformVersion;
        private String propagateTags;
        private final Map<String, String> tags = new LinkedHashMap<>();
        private String cpuOverride;
        private String memoryOverride;
        private String roleArn;
        private String externalId;
        private String roleSessionName;
        private List<String> runnerCommand;
        private int sdkMaxAttempts = 3;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private double launchesPerSecond;
        private Map<String, String> systemEnvironment;
        private BackendLifecycle.Settings lifecycleSettings;

        private Builder() {
        }

        /** {@code FARGATE} (default) or {@code EC2}. */
        @JsonProperty("launchType")
        public Builder launchType(String value) {
            this.launchType = value;
            return this;
        }

        /** An explicit access key id (never serialized, never logged). */
        @JsonIgnore
        public Builder awsAccessKeyId(String value) {
            this.awsAccessKeyId = value;
            return this;
        }

        /** An explicit secret access key (never serialized, never logged). */
        @JsonIgnore
        public Builder awsSecretAccessKey(String value) {
            this.awsSecretAccessKey = value;
            return this;
        }

        /** An explicit session token for temporary credentials (never serialized, never logged). */
        @JsonIgnore
        public Builder awsSessionToken(String value) {
            this.awsSessionToken = value;
            return this;
        }

        /** A credentials provider to use instead of the environment variables and the SDK's chain. */
        @JsonIgnore
        public Builder credentialsProvider(AwsCredentialsProvider value) {
            this.credentialsProvider = value;
            return this;
        }

        /** The AWS region (default: {@code REGION_NAME}, {@code AWS_REGION}, the SDK's chain). */
        @JsonProperty("regionName")
        public Builder regionName(String value) {
            this.regionName = value;
            return this;
        }

        /** Sends ECS, STS and CloudWatch Logs calls to this endpoint (LocalStack, a test server). */
        @JsonProperty("endpointOverride")
        public Builder endpointOverride(URI value) {
            this.endpointOverride = value;
            return this;
        }

        /** The task definition family (default {@code flowport-<flow name>}). */
        @JsonProperty("family")
        public Builder family(String value) {
            this.family = value;
            return this;
        }

        /** Task CPU: units ({@code "1024"}) or vCPU ({@code "1 vCPU"}). */
        @JsonProperty("cpu")
        public Builder cpu(String value) {
            this.cpu = value;
            return this;
        }

        /** Task memory: MiB ({@code "2048"}) or GB ({@code "2 GB"}). */
        @JsonProperty("memory")
        public Builder memory(String value) {
            this.memory = value;
            return this;
        }

        /** The network mode (default {@code awsvpc} on Fargate, {@code bridge} on EC2). */
        @JsonProperty("networkMode")
        public Builder networkMode(String value) {
            this.networkMode = value;
            return this;
        }

        /** The task execution role ARN (needed for awslogs and secrets on Fargate, and for ECR pulls). */
        @JsonProperty("executionRoleArn")
        public Builder executionRoleArn(String value) {
            this.executionRoleArn = value;
            return this;
        }

        /** The task role ARN. */
        @JsonProperty("taskRoleArn")
        public Builder taskRoleArn(String value) {
            this.taskRoleArn = value;
            return this;
        }

        /** {@code X86_64} or {@code ARM64}. */
        @JsonProperty("cpuArchitecture")
        public Builder cpuArchitecture(String value) {
            this.cpuArchitecture = value;
            return this;
        }

        /** Adds containers; the first one runs the flow. */
        @JsonProperty("containerDefinitions")
        public Builder containerDefinitions(List<ContainerDefinition> values) {
            containerDefinitions.addAll(values);
            return this;
        }

        /** Adds one container. */
        public Builder container(ContainerDefinition value) {
            containerDefinitions.add(Objects.requireNonNull(value, "container"));
            return this;
        }

        /** The cluster (default {@code default}). */
        @JsonProperty("cluster")
        public Builder cluster(String value) {
            this.cluster = value;
            return this;
        }

        /** Adds subnets (required with awsvpc). */
        @JsonProperty("subnets")
        public Builder subnets(List<String> values) {
            subnets.addAll(values);
            return this;
        }

        /** Adds security groups. */
        @JsonProperty("securityGroups")
        public Builder securityGroups(List<String> values) {
            securityGroups.addAll(values);
            return this;
        }

        /** {@code ENABLED} or {@code DISABLED}. */
        @JsonProperty("assignPublicIp")
        public Builder assignPublicIp(String value) {
            this.assignPublicIp = value;
            return this;
        }

        /** Adds capacity provider strategy items. */
        @JsonProperty("capacityProviderStrategy")
        public Builder capacityProviderStrategy(List<CapacityProviderStrategyItem> values) {
            capacityProviderStrategy.addAll(values);
            return this;
        }

        /** The Fargate platform version (default {@code LATEST}). */
        @JsonProperty("platformVersion")
        public Builder platformVersion(String value) {
            this.platformVersion = value;
            return this;
        }

        /** {@code TASK_DEFINITION} or {@code NONE}. */
        @JsonProperty("propagateTags")
        public Builder propagateTags(String value) {
            this.propagateTags = value;
            return this;
        }

        /** Adds tags put on every task. */
        @JsonProperty("tags")
        public Builder tags(Map<String, String> values) {
            tags.putAll(values);
            return this;
        }

        /** Adds one tag. */
        public Builder tag(String key, String value) {
            tags.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Task-level CPU override for each run. */
        @JsonProperty("cpuOverride")
        public Builder cpuOverride(String value) {
            this.cpuOverride = value;
            return this;
        }

        /** Task-level memory override for each run. */
        @JsonProperty("memoryOverride")
        public Builder memoryOverride(String value) {
            this.memoryOverride = value;
            return this;
        }

        /** A role to assume for every AWS call (STS AssumeRole, refreshed automatically). */
        @JsonProperty("roleArn")
        public Builder roleArn(String value) {
            this.roleArn = value;
            return this;
        }

        /** The external id the role's trust policy asks for (never serialized). */
        @JsonIgnore
        public Builder externalId(String value) {
            this.externalId = value;
            return this;
        }

        /** The role session name (default {@code flowport}). */
        @JsonProperty("roleSessionName")
        public Builder roleSessionName(String value) {
            this.roleSessionName = value;
            return this;
        }

        /** The command that starts the runner in the image (default: Jib's layout). */
        @JsonProperty("runnerCommand")
        public Builder runnerCommand(List<String> value) {
            this.runnerCommand = value == null ? null : new ArrayList<>(value);
            return this;
        }

        /** Attempts the SDK makes per call, its own retries included (default 3). */
        @JsonProperty("sdkMaxAttempts")
        public Builder sdkMaxAttempts(int value) {
            this.sdkMaxAttempts = value;
            return this;
        }

        /** Time limit of one HTTP attempt (default 30 s). */
        @JsonProperty("requestTimeout")
        public Builder requestTimeout(Duration value) {
            this.requestTimeout = value;
            return this;
        }

        /** Client-side pacing of RunTask calls, e.g. the account's sustained RunTask rate (0 = none). */
        @JsonProperty("launchesPerSecond")
        public Builder launchesPerSecond(double value) {
            this.launchesPerSecond = value;
            return this;
        }

        /**
         * Replaces the process environment where this environment reads {@code REGION_NAME}, {@code AWS_REGION}
         * and the {@code AWS_*} credential variables (for tests). The SDK's region chain is then not consulted.
         */
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
        public FargateTaskEnvironment build() {
            return new FargateTaskEnvironment(this);
        }
    }
}
