package io.flowport.env.aci;

import com.azure.core.credential.TokenCredential;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.RunnerSettings;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.BackendEnvironment;
import io.flowport.core.spi.BackendLifecycle;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Runs each flow run as one Azure Container Instances container group (type {@code aci-container-group}).
 *
 * <p>A run is one container group named after the run ({@code <groupNamePrefix>-<run id>}) in
 * {@code resourceGroup}, with one container that runs the flow: the runner entry point for a Java flow, or a
 * command flow's own command; restart policy {@code Never}; no public IP address. The group carries the run's
 * labels as tags. The create is idempotent: the group is read first and created only when it does not exist, so a
 * retried launch after a lost answer finds the first group instead of sending a second create (which ACI would
 * treat as an update that restarts the containers). Runs are followed with one list of the resource group per
 * poll plus a paced number of reads of single groups (the list does not carry container states, see the README);
 * the exit code and the container's events become the run's state; the logs are read into the result; then the
 * group is deleted unless {@code keepContainerGroup} is set. Cancellation stops the group, then deletes it.
 *
 * <p>Credentials: an explicit {@link Builder#credential(TokenCredential)}, else {@code DefaultAzureCredential}
 * ({@code AZURE_CLIENT_ID}/{@code AZURE_TENANT_ID}/{@code AZURE_CLIENT_SECRET}, workload identity, managed
 * identity, Azure CLI …). The subscription is {@code subscriptionId}, else {@code AZURE_SUBSCRIPTION_ID}.
 *
 * <p>Secrets reach the container only as secure environment variables ({@code secureValue}, which ARM never
 * returns): from secret references ({@code env:NAME}, {@code file:/path}) resolved in the calling process at
 * launch, or from values given to {@link Builder#secureEnvironmentVariable}. Serialized (JSON/YAML): every
 * setting annotated below, with secret <em>references</em> only. Never serialized and never logged: the credential,
 * secure values, registry passwords, the injected process environment, lifecycle settings, callbacks.
 */
@JsonDeserialize(builder = ContainerInstanceEnvironment.Builder.class)
public final class ContainerInstanceEnvironment extends BackendEnvironment {

    /** Prefix of the variables that give settings a default ({@code FLOWPORT_ACI_RESOURCE_GROUP} …). */
    public static final String ENV_PREFIX = "FLOWPORT_ACI_";
    /** The variable the subscription defaults from. */
    public static final String SUBSCRIPTION_VARIABLE = "AZURE_SUBSCRIPTION_ID";
    /** Default vCPUs of the flow's container. */
    public static final double DEFAULT_CPU = 1.0;
    /** Default memory of the flow's container, in GB. */
    public static final double DEFAULT_MEMORY_GB = 1.5;
    /** Default ARM read pace: 10/s, 40 % of the subscription's refill rate of 25 reads/s. */
    public static final double DEFAULT_READS_PER_SECOND = 10;

    private final String subscriptionId;
    private final String tenantId;
    private final String resourceGroup;
    private final String location;
    private final String image;
    private final String containerName;
    private final String groupNamePrefix;
    private final double cpu;
    private final double memoryInGb;
    private final Gpu gpu;
    private final String osType;
    private final String restartPolicy;
    private final List<String> subnetIds;
    private final DnsConfig dnsConfig;
    private final boolean systemAssignedIdentity;
    private final List<String> userAssignedIdentities;
    private final List<RegistryCredential> imageRegistryCredentials;
    private final Map<String, String> environmentVariables;
    private final Map<String, String> secureEnvironmentVariables;
    private final Map<String, String> secureValues;
    private final Map<String, String> tags;
    private final boolean keepContainerGroup;
    private final List<String> runnerCommand;
    private final String cloud;
    private final URI resourceManagerEndpoint;
    private final Duration requestTimeout;
    private final int sdkMaxRetries;
    private final double readsPerSecond;
    private final double launchesPerSecond;
    private final Duration deleteTimeout;
    private final Duration lroPollInterval;
    private final TokenCredential credential;
    private final Map<String, String> systemEnvironment;
    private final BackendLifecycle.Settings lifecycleSettings;
    private final List<String> settingProblems;

    private ContainerInstanceEnvironment(Builder b, List<String> settingProblems) {
        super(b);
        this.subscriptionId = b.subscriptionId;
        this.tenantId = b.tenantId;
        this.resourceGroup = b.resourceGroup;
        this.location = b.location;
        this.image = b.image;
        this.containerName = b.containerName == null ? "flow" : b.containerName;
        this.groupNamePrefix = b.groupNamePrefix == null ? "flowport" : b.groupNamePrefix;
        this.cpu = b.cpu == null ? DEFAULT_CPU : b.cpu;
        this.memoryInGb = b.memoryInGb == null ? DEFAULT_MEMORY_GB : b.memoryInGb;
        this.gpu = b.gpu;
        this.osType = b.osType == null ? "Linux" : b.osType;
        this.restartPolicy = b.restartPolicy == null ? "Never" : b.restartPolicy;
        this.subnetIds = List.copyOf(b.subnetIds);
        this.dnsConfig = b.dnsConfig;
        this.systemAssignedIdentity = b.systemAssignedIdentity;
        this.userAssignedIdentities = List.copyOf(b.userAssignedIdentities);
        this.imageRegistryCredentials = List.copyOf(b.imageRegistryCredentials);
        this.environmentVariables = Collections.unmodifiableMap(new LinkedHashMap<>(b.environmentVariables));
        this.secureEnvironmentVariables = Collections.unmodifiableMap(new LinkedHashMap<>(b.secureEnvironmentVariables));
        this.secureValues = Collections.unmodifiableMap(new LinkedHashMap<>(b.secureValues));
        this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(b.tags));
        this.keepContainerGroup = b.keepContainerGroup;
        this.runnerCommand = b.runnerCommand == null ? null : List.copyOf(b.runnerCommand);
        this.cloud = b.cloud == null ? "AZURE" : b.cloud;
        this.resourceManagerEndpoint = b.resourceManagerEndpoint;
        this.requestTimeout = b.requestTimeout;
        this.sdkMaxRetries = b.sdkMaxRetries;
        this.readsPerSecond = b.readsPerSecond;
        this.launchesPerSecond = b.launchesPerSecond;
        this.deleteTimeout = b.deleteTimeout;
        this.lroPollInterval = b.lroPollInterval;
        this.credential = b.credential;
        this.systemEnvironment = Map.copyOf(b.systemEnvironment);
        this.lifecycleSettings = b.lifecycleSettings;
        this.settingProblems = List.copyOf(settingProblems);
    }

    /** A builder whose unset settings default from {@code AZURE_SUBSCRIPTION_ID} and {@code FLOWPORT_ACI_*}. */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- serialized settings

    /** The Azure subscription (a GUID). */
    @JsonProperty("subscriptionId")
    public String subscriptionId() {
        return subscriptionId;
    }

    /** The Microsoft Entra tenant for {@code DefaultAzureCredential}, or null for its own default. */
    @JsonProperty("tenantId")
    public String tenantId() {
        return tenantId;
    }

    /** The resource group the container groups are created in (it must exist). */
    @JsonProperty("resourceGroup")
    public String resourceGroup() {
        return resourceGroup;
    }

    /** The Azure location of the container groups, e.g. {@code westeurope}. */
    @JsonProperty("location")
    public String location() {
        return location;
    }

    /** The image of the flow's container. */
    @JsonProperty("image")
    public String image() {
        return image;
    }

    /** The name of the flow's container in each group (default {@code flow}). */
    @JsonProperty("containerName")
    public String containerName() {
        return containerName;
    }

    /** The start of every container group's name (default {@code flowport}). */
    @JsonProperty("groupNamePrefix")
    public String groupNamePrefix() {
        return groupNamePrefix;
    }

    /** vCPUs requested for the flow's container (default 1). */
    @JsonProperty("cpu")
    public double cpu() {
        return cpu;
    }

    /** Memory requested for the flow's container in GB (default 1.5). */
    @JsonProperty("memoryInGb")
    public double memoryInGb() {
        return memoryInGb;
    }

    /** GPUs for the flow's container, or null. */
    @JsonProperty("gpu")
    public Gpu gpu() {
        return gpu;
    }

    /** {@code Linux} (default) or {@code Windows}. */
    @JsonProperty("osType")
    public String osType() {
        return osType;
    }

    /** Always {@code Never}: a flow run runs once, and a failure must not be hidden by a restart. */
    @JsonProperty("restartPolicy")
    public String restartPolicy() {
        return restartPolicy;
    }

    /** Subnet resource ids for a container group inside a virtual network (the subnet must be delegated to ACI). */
    @JsonProperty("subnetIds")
    public List<String> subnetIds() {
        return subnetIds;
    }

    /** DNS settings of the group, or null. */
    @JsonProperty("dnsConfig")
    public DnsConfig dnsConfig() {
        return dnsConfig;
    }

    /** Whether the group gets a system-assigned managed identity. */
    @JsonProperty("systemAssignedIdentity")
    public boolean systemAssignedIdentity() {
        return systemAssignedIdentity;
    }

    /** Resource ids of user-assigned managed identities given to the group. */
    @JsonProperty("userAssignedIdentities")
    public List<String> userAssignedIdentities() {
        return userAssignedIdentities;
    }

    /** How private images are pulled. */
    @JsonProperty("imageRegistryCredentials")
    public List<RegistryCredential> imageRegistryCredentials() {
        return imageRegistryCredentials;
    }

    /** Plain environment variables of the flow's container (serialized: never put secrets here). */
    @JsonProperty("environmentVariables")
    public Map<String, String> environmentVariables() {
        return environmentVariables;
    }

    /** Secure environment variables by name → secret reference ({@code env:NAME}, {@code file:/path}). */
    @JsonProperty("secureEnvironmentVariables")
    public Map<String, String> secureEnvironmentVariables() {
        return secureEnvironmentVariables;
    }

    /** Extra tags of every container group. */
    @JsonProperty("tags")
    public Map<String, String> tags() {
        return tags;
    }

    /** Whether finished container groups are kept (default false: each is deleted once its run ended). */
    @JsonProperty("keepContainerGroup")
    public boolean keepContainerGroup() {
        return keepContainerGroup;
    }

    /** The runner command as set, or null for the default. */
    @JsonProperty("runnerCommand")
    public List<String> runnerCommandSetting() {
        return runnerCommand;
    }

    /** {@code AZURE} (default), {@code AZURE_CHINA} or {@code AZURE_US_GOVERNMENT}. */
    @JsonProperty("cloud")
    public String cloud() {
        return cloud;
    }

    /**
     * Another Resource Manager endpoint (Azure Stack, a test server), or null for the cloud's. A plain
     * {@code http://} endpoint is accepted on the loopback interface only, and no credential is sent to it.
     */
    @JsonProperty("resourceManagerEndpoint")
    public URI resourceManagerEndpoint() {
        return resourceManagerEndpoint;
    }

    /** Time limit of one HTTP attempt (default 30 s). */
    @JsonProperty("requestTimeout")
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Retries of the SDK's own retry policy per call (default 3; a create is retried on 429 only). */
    @JsonProperty("sdkMaxRetries")
    public int sdkMaxRetries() {
        return sdkMaxRetries;
    }

    /** The pace of ARM reads of this environment (default 10/s). */
    @JsonProperty("readsPerSecond")
    public double readsPerSecond() {
        return readsPerSecond;
    }

    /** Client-side pacing of container group creates (0 = none). */
    @JsonProperty("launchesPerSecond")
    public double launchesPerSecond() {
        return launchesPerSecond;
    }

    /** How long a delete may take before it is reported and left to the TTL cleaner (default 5 min). */
    @JsonProperty("deleteTimeout")
    public Duration deleteTimeout() {
        return deleteTimeout;
    }

    /** Poll interval of long-running operations when ARM sends no {@code Retry-After} (default 5 s). */
    @JsonProperty("lroPollInterval")
    public Duration lroPollInterval() {
        return lroPollInterval;
    }

    // ---------------------------------------------------------------- never serialized

    /** The explicit credential, or null for {@code DefaultAzureCredential}. Never serialized. */
    TokenCredential credential() {
        return credential;
    }

    /** Secure variables given by value (never serialized, never logged). */
    Map<String, String> secureValues() {
        return secureValues;
    }

    /** The process environment (or the map injected for tests) that secret references read. */
    Map<String, String> systemEnvironment() {
        return systemEnvironment;
    }

    /** Problems found while reading {@code FLOWPORT_ACI_*} variables at build time. */
    List<String> settingProblems() {
        return settingProblems;
    }

    /** The container group name of a run. */
    public String groupNameFor(String flowRunId) {
        return AciNames.groupName(groupNamePrefix, flowRunId);
    }

    /** The flow container's command for a run of {@code flow} (the runner, or a command flow's command). */
    public List<String> commandFor(Flow flow) {
        return containerCommand(flow);
    }

    @Override
    protected List<String> runnerCommand() {
        return runnerCommand != null ? runnerCommand : RunnerSettings.DEFAULT_CONTAINER_COMMAND;
    }

    @Override
    protected List<String> validate(Flow flow) {
        return AciValidation.problems(this, flow);
    }

    @Override
    protected Backend createBackend() {
        return ContainerInstanceBackend.create(this);
    }

    @Override
    protected BackendLifecycle.Settings lifecycleSettings() {
        if (lifecycleSettings != null) {
            return lifecycleSettings;
        }
        return BackendLifecycle.Settings.defaults().withLaunchesPerSecond(launchesPerSecond);
    }

    /** The ACI backend of this environment (created on first use). */
    ContainerInstanceBackend backend() {
        return (ContainerInstanceBackend) lifecycle().backend();
    }

    /** How many runs of this environment are in flight. */
    int runsInFlight() {
        return lifecycle().inFlight();
    }

    /** Runs, then reads the logs into the result and deletes the container group (unless kept). */
    @Override
    protected FlowRunResult doExecute(Flow flow, FlowRun run) {
        FlowRunResult result = super.doExecute(flow, run);
        return backend().finishRun(result, keepContainerGroup).join();
    }

    /**
     * Launches a run and returns at once; the future completes once the run ended, its logs were read and its
     * container group was deleted (unless kept). Cancelling the future cancels the run; its group is deleted.
     */
    @Override
    public CompletableFuture<FlowRunResult> submit(Flow flow, FlowRun run) {
        return finishing(super.submit(flow, run), run);
    }

    /** As {@link #submit}, for a run that may have been launched before (see {@link BackendEnvironment#resume}). */
    @Override
    public CompletableFuture<FlowRunResult> resume(Flow flow, FlowRun run) {
        return finishing(super.resume(flow, run), run);
    }

    private CompletableFuture<FlowRunResult> finishing(CompletableFuture<FlowRunResult> ofLifecycle, FlowRun run) {
        ContainerInstanceBackend backend = backend();
        Finishing out = new Finishing(ofLifecycle);
        ofLifecycle.whenCompleteAsync((r, e) -> {
            if (r != null) {
                backend.finishRun(r, keepContainerGroup).whenComplete((done, error) -> {
                    if (error != null) {
                        out.completeExceptionally(error);
                    } else {
                        out.complete(done);
                    }
                });
            } else if (e instanceof java.util.concurrent.CancellationException) {
                // the caller gave up the result; the run is cancelled and its group must not be left behind
                if (!keepContainerGroup) {
                    backend.deleteAfterCancel(groupNameFor(run.id()));
                }
            } else {
                out.completeExceptionally(e);
            }
        }, backend.finishingExecutor());
        return out;
    }

    /** The future handed to callers: cancelling it cancels the lifecycle's future, and so the run. */
    private static final class Finishing extends CompletableFuture<FlowRunResult> {
        private final CompletableFuture<FlowRunResult> ofLifecycle;

        Finishing(CompletableFuture<FlowRunResult> ofLifecycle) {
            this.ofLifecycle = ofLifecycle;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                ofLifecycle.cancel(mayInterruptIfRunning);
            }
            return cancelled;
        }
    }

    @Override
    public String toString() {
        return "ContainerInstanceEnvironment[subscription=" + subscriptionId + ", resourceGroup=" + resourceGroup
                + ", location=" + location + ", image=" + image + ", cpu=" + cpu + ", memoryInGb=" + memoryInGb
                + (gpu == null ? "" : ", gpu=" + gpu)
                + ", environmentVariables=" + environmentVariables.keySet()
                + ", secureEnvironmentVariables=" + secureEnvironmentVariables.keySet()
                + (secureValues.isEmpty() ? "" : ", secureValues=" + secureValues.keySet() + "=****")
                + (credential == null ? "" : ", credential=" + credential.getClass().getSimpleName())
                + ", keepContainerGroup=" + keepContainerGroup + ", labels=" + labels() + "]";
    }

    /**
     * Builds a {@link ContainerInstanceEnvironment}. Unset settings default from {@code AZURE_SUBSCRIPTION_ID}
     * and {@code FLOWPORT_ACI_RESOURCE_GROUP}, {@code FLOWPORT_ACI_LOCATION}, {@code FLOWPORT_ACI_IMAGE},
     * {@code FLOWPORT_ACI_CPU}, {@code FLOWPORT_ACI_MEMORY_IN_GB} when {@link #build()} runs. Nothing is checked
     * until the environment is used; then every problem is reported at once.
     */
    @JsonPOJOBuilder(withPrefix = "")
    public static final class Builder extends AbstractEnvironment.Builder<Builder> {
        private String subscriptionId;
        private String tenantId;
        private String resourceGroup;
        private String location;
        private String image;
        private String containerName;
        private String groupNamePrefix;
        private Double cpu;
        private Double memoryInGb;
        private Gpu gpu;
        private String osType;
        private String restartPolicy;
        private final List<String> subnetIds = new ArrayList<>();
        private DnsConfig dnsConfig;
        private boolean systemAssignedIdentity;
        private final List<String> userAssignedIdentities = new ArrayList<>();
        private final List<RegistryCredential> imageRegistryCredentials = new ArrayList<>();
        private final Map<String, String> environmentVariables = new LinkedHashMap<>();
        private final Map<String, String> secureEnvironmentVariables = new LinkedHashMap<>();
        private final Map<String, String> secureValues = new LinkedHashMap<>();
        private final Map<String, String> tags = new LinkedHashMap<>();
        private boolean keepContainerGroup;
        private List<String> runnerCommand;
        private String cloud;
        private URI resourceManagerEndpoint;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private int sdkMaxRetries = 3;
        private double readsPerSecond = DEFAULT_READS_PER_SECOND;
        private double launchesPerSecond;
        private Duration deleteTimeout = Duration.ofMinutes(5);
        private Duration lroPollInterval = Duration.ofSeconds(5);
        private TokenCredential credential;
        private Map<String, String> systemEnvironment = System.getenv();
        private BackendLifecycle.Settings lifecycleSettings;

        private Builder() {
        }

        /** The subscription (default: {@code AZURE_SUBSCRIPTION_ID}). */
        @JsonProperty("subscriptionId")
        public Builder subscriptionId(String value) {
            this.subscriptionId = value;
            return this;
        }

        /** The tenant {@code DefaultAzureCredential} signs in to (default: its own, e.g. {@code AZURE_TENANT_ID}). */
        @JsonProperty("tenantId")
        public Builder tenantId(String value) {
            this.tenantId = value;
            return this;
        }

        /** The resource group (default: {@code FLOWPORT_ACI_RESOURCE_GROUP}). */
        @JsonProperty("resourceGroup")
        public Builder resourceGroup(String value) {
            this.resourceGroup = value;
            return this;
        }

        /** The location, e.g. {@code westeurope} (default: {@code FLOWPORT_ACI_LOCATION}). */
        @JsonProperty("location")
        public Builder location(String value) {
            this.location = value;
            return this;
        }

        /** The flow container's image (default: {@code FLOWPORT_ACI_IMAGE}). */
        @JsonProperty("image")
        public Builder image(String value) {
            this.image = value;
            return this;
        }

        /** The flow container's name (default {@code flow}). */
        @JsonProperty("containerName")
        public Builder containerName(String value) {
            this.containerName = value;
            return this;
        }

        /** The start of container group names (default {@code flowport}). */
        @JsonProperty("groupNamePrefix")
        public Builder groupNamePrefix(String value) {
            this.groupNamePrefix = value;
            return this;
        }

        /** vCPUs, one decimal place (default 1; {@code FLOWPORT_ACI_CPU}). */
        @JsonProperty("cpu")
        public Builder cpu(double value) {
            this.cpu = value;
            return this;
        }

        /** Memory in GB, one decimal place (default 1.5; {@code FLOWPORT_ACI_MEMORY_IN_GB}). */
        @JsonProperty("memoryInGb")
        public Builder memoryInGb(double value) {
            this.memoryInGb = value;
            return this;
        }

        /** GPUs for the flow's container. */
        @JsonProperty("gpu")
        public Builder gpu(Gpu value) {
            this.gpu = value;
            return this;
        }

        /** {@code Linux} (default) or {@code Windows}. */
        @JsonProperty("osType")
        public Builder osType(String value) {
            this.osType = value;
            return this;
        }

        /** Only {@code Never} is accepted (a run runs once); settable so that documents saying so read. */
        @JsonProperty("restartPolicy")
        public Builder restartPolicy(String value) {
            this.restartPolicy = value;
            return this;
        }

        /** Adds subnet resource ids (virtual network deployment). */
        @JsonProperty("subnetIds")
        public Builder subnetIds(List<String> values) {
            subnetIds.addAll(values);
            return this;
        }

        /** Adds one subnet resource id. */
        public Builder subnetId(String value) {
            subnetIds.add(Objects.requireNonNull(value, "subnetId"));
            return this;
        }

        /** DNS settings of the group. */
        @JsonProperty("dnsConfig")
        public Builder dnsConfig(DnsConfig value) {
            this.dnsConfig = value;
            return this;
        }

        /** Gives each group a system-assigned managed identity. */
        @JsonProperty("systemAssignedIdentity")
        public Builder systemAssignedIdentity(boolean value) {
            this.systemAssignedIdentity = value;
            return this;
        }

        /** Adds user-assigned managed identities by resource id. */
        @JsonProperty("userAssignedIdentities")
        public Builder userAssignedIdentities(List<String> values) {
            userAssignedIdentities.addAll(values);
            return this;
        }

        /** Adds one user-assigned managed identity by resource id. */
        public Builder userAssignedIdentity(String value) {
            userAssignedIdentities.add(Objects.requireNonNull(value, "userAssignedIdentity"));
            return this;
        }

        /** Adds image registry credentials. */
        @JsonProperty("imageRegistryCredentials")
        public Builder imageRegistryCredentials(List<RegistryCredential> values) {
            imageRegistryCredentials.addAll(values);
            return this;
        }

        /** Adds one image registry credential. */
        public Builder imageRegistryCredential(RegistryCredential value) {
            imageRegistryCredentials.add(Objects.requireNonNull(value, "imageRegistryCredential"));
            return this;
        }

        /** Adds plain environment variables (serialized; never secrets). */
        @JsonProperty("environmentVariables")
        public Builder environmentVariables(Map<String, String> values) {
            environmentVariables.putAll(values);
            return this;
        }

        /** Adds one plain environment variable. */
        public Builder environmentVariable(String name, String value) {
            environmentVariables.put(Objects.requireNonNull(name, "name"), value);
            return this;
        }

        /** Adds secure environment variables: name → secret reference ({@code env:NAME}, {@code file:/path}). */
        @JsonProperty("secureEnvironmentVariables")
        public Builder secureEnvironmentVariables(Map<String, String> references) {
            secureEnvironmentVariables.putAll(references);
            return this;
        }

        /** Adds one secure environment variable read from a secret reference at launch. */
        public Builder secureEnvironmentVariableFrom(String name, String reference) {
            secureEnvironmentVariables.put(Objects.requireNonNull(name, "name"), reference);
            return this;
        }

        /**
         * Adds one secure environment variable by value. The value is sent only as ACI's {@code secureValue},
         * never serialized (a runner that rebuilds this environment elsewhere does not get it) and never logged.
         */
        @JsonIgnore
        public Builder secureEnvironmentVariable(String name, String value) {
            secureValues.put(Objects.requireNonNull(name, "name"), value);
            return this;
        }

        /** Adds tags put on every container group. */
        @JsonProperty("tags")
        public Builder tags(Map<String, String> values) {
            tags.putAll(values);
            return this;
        }

        /** Adds one tag. */
        public Builder tag(String name, String value) {
            tags.put(Objects.requireNonNull(name, "name"), value);
            return this;
        }

        /** Keeps finished container groups instead of deleting them (the TTL cleaner can delete them later). */
        @JsonProperty("keepContainerGroup")
        public Builder keepContainerGroup(boolean value) {
            this.keepContainerGroup = value;
            return this;
        }

        /** The command that starts the runner in the image (default: Jib's layout). */
        @JsonProperty("runnerCommand")
        public Builder runnerCommand(List<String> value) {
            this.runnerCommand = value == null ? null : new ArrayList<>(value);
            return this;
        }

        /** {@code AZURE} (default), {@code AZURE_CHINA} or {@code AZURE_US_GOVERNMENT}. */
        @JsonProperty("cloud")
        public Builder cloud(String value) {
            this.cloud = value;
            return this;
        }

        /** Another Resource Manager endpoint (Azure Stack, a local test server on 127.0.0.1). */
        @JsonProperty("resourceManagerEndpoint")
        public Builder resourceManagerEndpoint(URI value) {
            this.resourceManagerEndpoint = value;
            return this;
        }

        /** Time limit of one HTTP attempt (default 30 s). */
        @JsonProperty("requestTimeout")
        public Builder requestTimeout(Duration value) {
            this.requestTimeout = value;
            return this;
        }

        /** Retries of the SDK's retry policy per call (default 3). */
        @JsonProperty("sdkMaxRetries")
        public Builder sdkMaxRetries(int value) {
            this.sdkMaxRetries = value;
            return this;
        }

        /** ARM reads per second this environment may make (default 10). */
        @JsonProperty("readsPerSecond")
        public Builder readsPerSecond(double value) {
            this.readsPerSecond = value;
            return this;
        }

        /** Client-side pacing of creates (0 = none). */
        @JsonProperty("launchesPerSecond")
        public Builder launchesPerSecond(double value) {
            this.launchesPerSecond = value;
            return this;
        }

        /** Deadline of a container group delete (default 5 min). */
        @JsonProperty("deleteTimeout")
        public Builder deleteTimeout(Duration value) {
            this.deleteTimeout = value;
            return this;
        }

        /** Poll interval of long-running operations without {@code Retry-After} (default 5 s). */
        @JsonProperty("lroPollInterval")
        public Builder lroPollInterval(Duration value) {
            this.lroPollInterval = value;
            return this;
        }

        /** A credential to use instead of {@code DefaultAzureCredential}. Never serialized. */
        @JsonIgnore
        public Builder credential(TokenCredential value) {
            this.credential = value;
            return this;
        }

        /**
         * Replaces the process environment where {@code AZURE_SUBSCRIPTION_ID}, {@code FLOWPORT_ACI_*} and
         * {@code env:} secret references are read (for tests).
         */
        @JsonIgnore
        public Builder systemEnvironment(Map<String, String> values) {
            this.systemEnvironment = Map.copyOf(values);
            return this;
        }

        /** Tuning of the shared lifecycle (polls, deadlines, threads); replaces {@code launchesPerSecond}. */
        @JsonIgnore
        public Builder lifecycleSettings(BackendLifecycle.Settings value) {
            this.lifecycleSettings = value;
            return this;
        }

        /** Builds the environment; defaults come from the variables now, problems are reported when it is used. */
        public ContainerInstanceEnvironment build() {
            List<String> problems = new ArrayList<>();
            if (subscriptionId == null) {
                subscriptionId = blankToNull(systemEnvironment.get(SUBSCRIPTION_VARIABLE));
            }
            if (resourceGroup == null) {
                resourceGroup = variable("RESOURCE_GROUP");
            }
            if (location == null) {
                location = variable("LOCATION");
            }
            if (image == null) {
                image = variable("IMAGE");
            }
            if (cpu == null) {
                cpu = number("CPU", problems);
            }
            if (memoryInGb == null) {
                memoryInGb = number("MEMORY_IN_GB", problems);
            }
            return new ContainerInstanceEnvironment(this, problems);
        }

        private String variable(String name) {
            return blankToNull(systemEnvironment.get(ENV_PREFIX + name));
        }

        private Double number(String name, List<String> problems) {
            String v = variable(name);
            if (v == null) {
                return null;
            }
            try {
                return Double.parseDouble(v.trim());
            } catch (NumberFormatException e) {
                problems.add(ENV_PREFIX + name + ": '" + v + "' is not a number");
                return null;
            }
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s.trim();
        }
    }
}
