package io.flowport.env.fargate;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.RunnerSettings;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendEnvironment;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.core.spi.Names;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

import java.lang.reflect.Method;
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
import java.util.Set;
import java.util.TreeSet;

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
 * <p>Credentials, in order: {@code awsAccessKeyId}/{@code awsSecretAccessKey}/{@code awsSessionToken} given in
 * code; an explicit {@link Builder#credentialsProvider}; the {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}/
 * {@code AWS_SESSION_TOKEN} environment variables; the SDK's default chain (profile, web identity, container,
 * instance). With {@code roleArn} those credentials assume the role (STS AssumeRole, refreshed before expiry).
 * A JSON/YAML document never carries credentials: one that has them ({@code awsAccessKeyId},
 * {@code aws_secret_access_key} ...) is refused with a {@link ConfigurationException} saying where credentials
 * come from, and so is any other setting this type does not know. Region: {@code regionName}, then
 * {@code REGION_NAME}, then {@code AWS_REGION}, then the SDK's default chain.
 *
 * <p>Task definition and RunTask fields without a typed setting (volumes, ephemeral storage, placement ...) are
 * given as in the ECS API reference in {@code taskDefinition} and {@code runTaskRequest}, and a container's
 * (port mappings, health checks, {@code dependsOn}, {@code linuxParameters}, FireLens ...) next to its typed
 * fields; all are validated before any AWS call.
 *
 * <p>Serialized (JSON/YAML): {@code launchType, regionName, endpointOverride, family, cpu, memory,
 * networkMode, executionRoleArn, taskRoleArn, cpuArchitecture, containerDefinitions, taskDefinition, cluster,
 * subnets, securityGroups, assignPublicIp, capacityProviderStrategy, platformVersion, propagateTags, tags,
 * cpuOverride, memoryOverride, runTaskRequest, roleArn, roleSessionName, runnerCommand, sdkMaxAttempts,
 * requestTimeout, launchesPerSecond, labels, metadata, executor}. Never serialized and never logged:
 * {@code awsAccessKeyId, awsSecretAccessKey, awsSessionToken, externalId}, the credentials provider, the injected
 * environment map, the lifecycle settings and the callbacks.
 */
@JsonDeserialize(builder = FargateTaskEnvironment.Builder.class)
public final class FargateTaskEnvironment extends BackendEnvironment {

    /** Keys (lower case, without '_', '-' and spaces) that carry AWS credentials in one tool or another. */
    private static final Set<String> CREDENTIAL_KEYS = Set.of("awsaccesskeyid", "accesskeyid", "awsaccesskey",
            "accesskey", "awssecretaccesskey", "secretaccesskey", "awssecretkey", "secretkey", "awssessiontoken",
            "sessiontoken", "awssecuritytoken", "securitytoken", "awscredentials", "credentials");
    /** Builder settings that hold objects or secrets and are never read from a document. */
    private static final Set<String> CODE_ONLY = Set.of("credentialsProvider", "systemEnvironment",
            "lifecycleSettings", "onStart", "onExit");

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
    private final ObjectNode taskDefinitionFields;
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
    private final ObjectNode runTaskFields;
    private final String roleArn;
    private final String externalId;
    private final String roleSessionName;
    private final List<String> runnerCommand;
    private final int sdkMaxAttempts;
    private final Duration requestTimeout;
    private final double launchesPerSecond;
    private final Map<String, String> systemEnvironment;
    private final BackendLifecycle.Settings lifecycleSettings;
    private volatile EcsBackend backend;

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
        this.taskDefinitionFields = b.taskDefinitionFields.deepCopy();
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
        this.runTaskFields = b.runTaskFields.deepCopy();
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

    /**
     * Other fields of the RegisterTaskDefinition request, under their ECS API names: {@code volumes} (EFS, bind
     * mounts), {@code ephemeralStorage}, {@code pidMode}, {@code ipcMode}, {@code placementConstraints},
     * {@code proxyConfiguration} ...; a copy. Part of the definition's content hash.
     */
    @JsonProperty("taskDefinition")
    public Map<String, Object> taskDefinition() {
        return EcsFields.toMap(taskDefinitionFields);
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

    /**
     * Other fields of every RunTask request, under their ECS API names: {@code enableExecuteCommand},
     * {@code placementConstraints}, {@code placementStrategy}, {@code group}, {@code enableECSManagedTags},
     * {@code referenceId}, {@code volumeConfigurations}; a copy.
     */
    @JsonProperty("runTaskRequest")
    public Map<String, Object> runTaskRequest() {
        return EcsFields.toMap(runTaskFields);
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
    boolean hasExplicitCredentials() {
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

    ObjectNode taskDefinitionNode() {
        return taskDefinitionFields;
    }

    ObjectNode runTaskNode() {
        return runTaskFields;
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
        return Names.sanitize("flowport-" + flow.name(), Names.ECS_FAMILY);
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
        EcsBackend b = EcsBackend.create(this);
        backend = b;
        return b;
    }

    @Override
    protected BackendLifecycle.Settings lifecycleSettings() {
        if (lifecycleSettings != null) {
            return lifecycleSettings;
        }
        return BackendLifecycle.Settings.builder().launchesPerSecond(launchesPerSecond).build();
    }

    @Override
    protected List<String> runnerCommand() {
        return runnerCommand != null ? runnerCommand : RunnerSettings.DEFAULT_CONTAINER_COMMAND;
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

    /**
     * The private IPv4 address of one of this environment's tasks (the task's {@code awsvpc} network interface),
     * once ECS has attached it; empty before that, or for other network modes. One {@code DescribeTasks} call.
     * Blocking.
     *
     * @param taskArn the task, e.g. from the {@link io.flowport.core.RunPhase#LAUNCHED} phase of its run
     */
    public Optional<String> privateAddress(String taskArn) {
        return backend().privateAddress(Objects.requireNonNull(taskArn, "taskArn"));
    }

    /** The ECS backend of this environment (created with the lifecycle, on first use). */
    EcsBackend backend() {
        lifecycle();
        return backend;
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

    /**
     * Builds a {@link FargateTaskEnvironment}. Settings are checked when the environment is first used; only a
     * JSON/YAML document is checked while it is read, for settings a document must not or cannot carry.
     */
    @JsonPOJOBuilder(withPrefix = "")
    // only the methods annotated with @JsonProperty read documents; every other key goes to unknownSetting
    @JsonAutoDetect(setterVisibility = JsonAutoDetect.Visibility.NONE)
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
        private final ObjectNode taskDefinitionFields = EcsFields.JSON.createObjectNode();
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
        private final ObjectNode runTaskFields = EcsFields.JSON.createObjectNode();
        private String roleArn;
        private String externalId;
        private String roleSessionName;
        private List<String> runnerCommand;
        private int sdkMaxAttempts = 3;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private double launchesPerSecond;
        private Map<String, String> systemEnvironment;
        private BackendLifecycle.Settings lifecycleSettings;
        // problems of the JSON/YAML document being read (never values: a credential is dropped, not kept)
        private final List<String> documentProblems = new ArrayList<>();

        private Builder() {
        }

        /** {@code FARGATE} (default) or {@code EC2}. */
        @JsonProperty("launchType")
        public Builder launchType(String value) {
            this.launchType = value;
            return this;
        }

        /** An explicit access key id (never serialized, never logged). */
        public Builder awsAccessKeyId(String value) {
            this.awsAccessKeyId = value;
            return this;
        }

        /** An explicit secret access key (never serialized, never logged). */
        public Builder awsSecretAccessKey(String value) {
            this.awsSecretAccessKey = value;
            return this;
        }

        /** An explicit session token for temporary credentials (never serialized, never logged). */
        public Builder awsSessionToken(String value) {
            this.awsSessionToken = value;
            return this;
        }

        /** A credentials provider to use instead of the environment variables and the SDK's chain. */
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

        /**
         * Adds fields of the RegisterTaskDefinition request that have no typed setting, with their names and JSON
         * shape from the ECS API reference, e.g. {@code Map.of("ephemeralStorage", Map.of("sizeInGiB", 50))} or
         * {@code volumes}. Fields Flowport sets from typed settings ({@code family}, {@code cpu},
         * {@code containerDefinitions} ...) are refused, naming the setting to use.
         */
        @JsonProperty("taskDefinition")
        public Builder taskDefinition(Map<String, ?> fields) {
            taskDefinitionFields.setAll(EcsFields.toNode(fields));
            return this;
        }

        /** Sets one RegisterTaskDefinition field (see {@link #taskDefinition}); {@code null} removes it. */
        public Builder taskDefinitionField(String name, Object value) {
            Objects.requireNonNull(name, "name");
            if (value == null) {
                taskDefinitionFields.remove(name);
            } else {
                taskDefinitionFields.set(name, EcsFields.JSON.valueToTree(value));
            }
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

        /**
         * Adds fields of every RunTask request that have no typed setting, with their names and JSON shape from the
         * ECS API reference, e.g. {@code Map.of("enableExecuteCommand", true)}. Fields Flowport sets itself
         * ({@code cluster}, {@code overrides}, {@code tags} ...) are refused, naming the setting to use.
         */
        @JsonProperty("runTaskRequest")
        public Builder runTaskRequest(Map<String, ?> fields) {
            runTaskFields.setAll(EcsFields.toNode(fields));
            return this;
        }

        /** Sets one RunTask field (see {@link #runTaskRequest}); {@code null} removes it. */
        public Builder runTaskRequestField(String name, Object value) {
            Objects.requireNonNull(name, "name");
            if (value == null) {
                runTaskFields.remove(name);
            } else {
                runTaskFields.set(name, EcsFields.JSON.valueToTree(value));
            }
            return this;
        }

        /** A role to assume for every AWS call (STS AssumeRole, refreshed automatically). */
        @JsonProperty("roleArn")
        public Builder roleArn(String value) {
            this.roleArn = value;
            return this;
        }

        /** The external id the role's trust policy asks for (never serialized). */
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
        public Builder systemEnvironment(Map<String, String> values) {
            this.systemEnvironment = values == null ? null : new LinkedHashMap<>(values);
            return this;
        }

        /** Tuning of the shared lifecycle (threads, polls, deadlines); replaces {@code launchesPerSecond}. */
        public Builder lifecycleSettings(BackendLifecycle.Settings value) {
            this.lifecycleSettings = value;
            return this;
        }

        // ------------------------------------------------------------ what a document must not carry

        /**
         * Every key that is not a setting of this type. Credentials in any spelling ({@code awsAccessKeyId},
         * {@code aws_secret_access_key}, {@code AWS_SESSION_TOKEN}, a {@code credentials} object ...) are refused
         * saying where credentials come from, and dropped: the value is never kept. Other unknown keys are refused
         * with the closest setting.
         */
        @JsonAnySetter
        private void unknownSetting(String key, Object ignored) {
            String plain = key.replaceAll("[_\\-\\s]", "").toLowerCase(Locale.ROOT);
            if (CREDENTIAL_KEYS.contains(plain)) {
                documentProblems.add(key + ": AWS credentials are never read from a JSON/YAML document (this one was "
                        + "dropped, not used); remove it. " + capitalised(AwsErrors.CREDENTIALS_COME_FROM)
                        + "; to run as another identity, set roleArn (STS AssumeRole)");
            } else if ("externalid".equals(plain)) {
                documentProblems.add(key + ": not read from a document (it is kept out of documents like a secret, "
                        + "and this one was dropped); set it in code with FargateTaskEnvironment.builder()"
                        + ".externalId(...)");
            } else if (CODE_ONLY.contains(key)) {
                documentProblems.add(key + ": only set in code (FargateTaskEnvironment.builder()." + key
                        + "(...)), never read from a document");
            } else {
                documentProblems.add(key + ": not a setting of a 'fargate-task' environment"
                        + EcsFields.hint(key, documentSettings()) + " (settings: "
                        + String.join(", ", documentSettings()) + ")");
            }
        }

        private static String capitalised(String s) {
            return Character.toUpperCase(s.charAt(0)) + s.substring(1);
        }

        /** The names a document may use: the annotated builder methods, credentials excepted. */
        private static TreeSet<String> documentSettings() {
            TreeSet<String> names = new TreeSet<>();
            for (Class<?> c = Builder.class; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Method m : c.getDeclaredMethods()) {
                    JsonProperty p = m.getAnnotation(JsonProperty.class);
                    if (p != null && java.lang.reflect.Modifier.isPublic(m.getModifiers())) {
                        names.add(p.value());
                    }
                }
            }
            return names;
        }

        /**
         * Builds the environment; settings are validated when it is first used, all problems at once.
         *
         * @throws ConfigurationException only while reading a JSON/YAML document that carries credentials or
         *                                settings this type does not know, listing each of them
         */
        public FargateTaskEnvironment build() {
            if (!documentProblems.isEmpty()) {
                throw new ConfigurationException("fargate-task document", documentProblems);
            }
            return new FargateTaskEnvironment(this);
        }
    }
}
