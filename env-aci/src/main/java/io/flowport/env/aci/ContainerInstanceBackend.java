package io.flowport.env.aci;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.core.http.rest.PagedResponse;
import com.azure.core.management.AzureEnvironment;
import com.azure.core.management.profile.AzureProfile;
import com.azure.core.util.polling.LongRunningOperationStatus;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.resourcemanager.containerinstance.ContainerInstanceManager;
import com.azure.resourcemanager.containerinstance.fluent.ContainerGroupsClient;
import com.azure.resourcemanager.containerinstance.fluent.ContainerInstanceManagementClient;
import com.azure.resourcemanager.containerinstance.fluent.ContainersClient;
import com.azure.resourcemanager.containerinstance.fluent.LocationsClient;
import com.azure.resourcemanager.containerinstance.fluent.models.ContainerGroupInner;
import com.azure.resourcemanager.containerinstance.models.Capabilities;
import com.azure.resourcemanager.containerinstance.models.Container;
import com.azure.resourcemanager.containerinstance.models.ContainerGroupIdentity;
import com.azure.resourcemanager.containerinstance.models.ContainerGroupIdentityUserAssignedIdentities;
import com.azure.resourcemanager.containerinstance.models.ContainerGroupRestartPolicy;
import com.azure.resourcemanager.containerinstance.models.ContainerGroupSubnetId;
import com.azure.resourcemanager.containerinstance.models.DnsConfiguration;
import com.azure.resourcemanager.containerinstance.models.EnvironmentVariable;
import com.azure.resourcemanager.containerinstance.models.GpuResource;
import com.azure.resourcemanager.containerinstance.models.GpuSku;
import com.azure.resourcemanager.containerinstance.models.ImageRegistryCredential;
import com.azure.resourcemanager.containerinstance.models.OperatingSystemTypes;
import com.azure.resourcemanager.containerinstance.models.ResourceIdentityType;
import com.azure.resourcemanager.containerinstance.models.ResourceRequests;
import com.azure.resourcemanager.containerinstance.models.ResourceRequirements;
import com.azure.resourcemanager.resources.fluentcore.utils.HttpPipelineProvider;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowRunResult;
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
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Azure Container Instances {@link Backend}: one container group per run, created idempotently (read first,
 * create only when absent), followed with one list of the resource group per poll plus paced reads of single
 * groups, stopped with ACI's stop action, logs from ACI's log endpoint, found by tags and deleted with a bounded
 * long-running operation. Built by {@link ContainerInstanceEnvironment} on the Azure SDK's generated client
 * ({@code ContainerInstanceManager.serviceClient()}) with the JDK HTTP client.
 *
 * <p>Two SDK pipelines share one HTTP client and one {@link ArmPacer}: reads, stops and deletes use the SDK's
 * retry policy as configured ({@code sdkMaxRetries}, exponential backoff, {@code Retry-After} honoured); the
 * create is retried by the SDK only after a 429 (the request was refused, so retrying cannot duplicate anything).
 * A create whose answer is lost or that failed with a 5xx goes back to the lifecycle as a
 * {@link TransientException}; its retry reads the group first and adopts it when it exists.
 *
 * <p>Thread-safe. Close it to stop its finishing threads.
 */
public final class ContainerInstanceBackend implements Backend, Observation.Polling, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerInstanceBackend.class);
    /** One list answers for every run in the resource group, so one describe call takes all of them. */
    public static final int MAX_BATCH = 100_000;
    /** A group launched this recently may be missing from a list (ARM's lists lag behind writes); it is read. */
    static final Duration LIST_GRACE = Duration.ofMinutes(2);
    private static final Duration FORGET_AFTER = Duration.ofMinutes(30);

    private final ContainerInstanceEnvironment env;
    private final ContainerGroupsClient groups;
    private final ContainerGroupsClient creates;
    private final ContainersClient containers;
    private final LocationsClient locations;
    private final ArmPacer pacer;
    private final String resourceGroup;
    private final String containerName;
    private final ExecutorService finishing;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    private final Set<String> created = ConcurrentHashMap.newKeySet();
    /** Orders reads of single groups: the least recently read comes first (0 = never read). */
    private final java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
    private final Object prepareLock = new Object();
    private volatile boolean checked;

    private ContainerInstanceBackend(ContainerInstanceEnvironment env, ContainerInstanceManagementClient reads,
                                     ContainerInstanceManagementClient writes, ArmPacer pacer) {
        this.env = env;
        this.groups = reads.getContainerGroups();
        this.creates = writes.getContainerGroups();
        this.containers = reads.getContainers();
        this.locations = reads.getLocations();
        this.pacer = pacer;
        this.resourceGroup = env.resourceGroup();
        this.containerName = env.containerName();
        AtomicInteger seq = new AtomicInteger();
        this.finishing = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "flowport-aci-finish-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Builds the SDK clients from the environment's settings (which must be valid). Makes no Azure call and asks
     * no credential for a token yet.
     */
    static ContainerInstanceBackend create(ContainerInstanceEnvironment env) {
        AzureEnvironment azure = azureEnvironment(env);
        boolean plainHttp = env.resourceManagerEndpoint() != null
                && "http".equals(env.resourceManagerEndpoint().getScheme());
        AzureProfile profile = new AzureProfile(env.tenantId(), env.subscriptionId(), azure);
        HttpClient http = new JdkHttpClientBuilder()
                .connectionTimeout(Duration.ofSeconds(10))
                .responseTimeout(env.requestTimeout())
                .readTimeout(env.requestTimeout())
                .build();
        // a local test server speaks plain http, and the SDK refuses to send a token over http: no credential
        TokenCredential credential = plainHttp ? null
                : env.credential() != null ? env.credential() : defaultCredential(env, azure, http);
        ArmPacer pacer = new ArmPacer(env.readsPerSecond());
        HttpLogOptions noLogging = new HttpLogOptions().setLogLevel(HttpLogDetailLevel.NONE);
        RetryOptions readRetries = new RetryOptions(backoff(env));
        // a create is retried by the SDK only when ARM refused it with 429: nothing was applied
        RetryOptions createRetries = new RetryOptions(backoff(env)).setShouldRetryCondition(
                c -> c.getResponse() != null && c.getResponse().getStatusCode() == 429);
        HttpPipeline reads = HttpPipelineProvider.buildHttpPipeline(credential, profile, null, noLogging, null,
                new RetryPolicy(readRetries), List.of(pacer), http);
        HttpPipeline writes = HttpPipelineProvider.buildHttpPipeline(credential, profile, null, noLogging, null,
                new RetryPolicy(createRetries), List.of(pacer), http);
        return new ContainerInstanceBackend(env,
                ContainerInstanceManager.authenticate(reads, profile).serviceClient(),
                ContainerInstanceManager.authenticate(writes, profile).serviceClient(), pacer);
    }

    private static ExponentialBackoffOptions backoff(ContainerInstanceEnvironment env) {
        return new ExponentialBackoffOptions().setMaxRetries(env.sdkMaxRetries())
                .setBaseDelay(Duration.ofMillis(800)).setMaxDelay(Duration.ofSeconds(30));
    }

    private static TokenCredential defaultCredential(ContainerInstanceEnvironment env, AzureEnvironment azure,
                                                     HttpClient http) {
        DefaultAzureCredentialBuilder b = new DefaultAzureCredentialBuilder()
                .authorityHost(azure.getActiveDirectoryEndpoint())
                .httpClient(http);
        if (env.tenantId() != null) {
            b.tenantId(env.tenantId());
        }
        return b.build();
    }

    /** The cloud's endpoints, with {@code resourceManagerEndpoint} replacing Resource Manager's when set. */
    static AzureEnvironment azureEnvironment(ContainerInstanceEnvironment env) {
        AzureEnvironment base = switch (env.cloud()) {
            case "AZURE_CHINA" -> AzureEnvironment.AZURE_CHINA;
            case "AZURE_US_GOVERNMENT" -> AzureEnvironment.AZURE_US_GOVERNMENT;
            default -> AzureEnvironment.AZURE;
        };
        if (env.resourceManagerEndpoint() == null) {
            return base;
        }
        Map<String, String> endpoints = new HashMap<>(base.getEndpoints());
        String url = env.resourceManagerEndpoint().toString();
        endpoints.put("resourceManagerEndpointUrl", url.endsWith("/") ? url : url + "/");
        return new AzureEnvironment(endpoints);
    }

    @Override
    public String name() {
        return "aci";
    }

    /** The resource group of the container groups. */
    public String resourceGroup() {
        return resourceGroup;
    }

    /** The name of the flow's container in each group. */
    public String containerName() {
        return containerName;
    }

    // ------------------------------------------------------------------------------------------ prepare

    /**
     * Checks once per backend that the resource group can be listed (credential, role, the group exists) and that
     * the location offers what is asked (ACI's location capabilities: vCPUs, memory, GPU model and count for the
     * OS type), then returns the content hash of the container group template. Nothing is registered on Azure:
     * a container group is its own definition.
     *
     * @throws ConfigurationException if the location cannot give what the settings ask for
     * @throws LaunchException        if the credential, the role or the resource group is wrong
     */
    @Override
    public Definition prepare(Flow flow) {
        checkOnce();
        String hash = AciNames.hash(templateDescription());
        return new Definition("aci:" + resourceGroup + "/" + env.groupNamePrefix() + "@" + hash.substring(0, 12),
                hash, false);
    }

    private void checkOnce() {
        if (checked) {
            return;
        }
        synchronized (prepareLock) {
            if (checked) {
                return;
            }
            try {
                Iterator<PagedResponse<ContainerGroupInner>> pages = groups.listByResourceGroup(resourceGroup)
                        .iterableByPage().iterator();
                if (pages.hasNext()) {
                    pages.next(); // one page proves access; the rest is not needed
                }
            } catch (RuntimeException e) {
                throw ArmErrors.map("listing container groups in resource group " + resourceGroup, e);
            }
            List<String> problems = capabilityProblems();
            if (!problems.isEmpty()) {
                throw new ConfigurationException("ContainerInstanceEnvironment (location " + env.location() + ")",
                        problems);
            }
            checked = true;
        }
    }

    /** What the location's capabilities say against cpu, memory and GPU; empty when they fit. */
    private List<String> capabilityProblems() {
        List<Capabilities> all = new ArrayList<>();
        try {
            locations.listCapabilities(env.location()).forEach(all::add);
        } catch (RuntimeException e) {
            RuntimeException mapped = ArmErrors.map("reading the capabilities of location " + env.location(), e);
            if (mapped instanceof TransientException) {
                throw mapped;
            }
            if (ArmErrors.status(e) == 400 || ArmErrors.status(e) == 404) {
                return List.of("location: '" + env.location() + "' does not offer Azure Container Instances ("
                        + ArmErrors.code(e) + ")");
            }
            throw mapped;
        }
        if (all.isEmpty()) {
            LOG.debug("aci: location {} lists no capabilities; not checked", env.location());
            return List.of();
        }
        String gpu = env.gpu() == null ? "None" : env.gpu().sku().trim().toUpperCase(Locale.ROOT);
        double maxCpu = 0;
        double maxMemory = 0;
        double maxGpus = 0;
        Set<String> offered = new java.util.TreeSet<>();
        for (Capabilities c : all) {
            if (c.resourceType() != null && !"containerGroups".equalsIgnoreCase(c.resourceType())) {
                continue;
            }
            offered.add(c.osType() + "/" + c.gpu());
            if (!env.osType().equalsIgnoreCase(c.osType()) || !gpu.equalsIgnoreCase(c.gpu())
                    || c.capabilities() == null) {
                continue;
            }
            maxCpu = Math.max(maxCpu, value(c.capabilities().maxCpu()));
            maxMemory = Math.max(maxMemory, value(c.capabilities().maxMemoryInGB()));
            maxGpus = Math.max(maxGpus, value(c.capabilities().maxGpuCount()));
        }
        List<String> p = new ArrayList<>();
        if (maxCpu == 0 && maxMemory == 0) {
            p.add((env.gpu() == null ? "osType" : "gpu.sku") + ": location " + env.location() + " offers no "
                    + env.osType() + " container groups" + (env.gpu() == null ? "" : " with " + gpu + " GPUs")
                    + "; it offers (os/GPU): " + offered);
            return p;
        }
        if (env.cpu() > maxCpu) {
            p.add("cpu: location " + env.location() + " offers at most " + maxCpu + " vCPUs for this container "
                    + "group, asked " + env.cpu());
        }
        if (env.memoryInGb() > maxMemory) {
            p.add("memoryInGb: location " + env.location() + " offers at most " + maxMemory + " GB for this "
                    + "container group, asked " + env.memoryInGb());
        }
        if (env.gpu() != null && env.gpu().count() > maxGpus) {
            p.add("gpu.count: location " + env.location() + " offers at most " + (int) maxGpus + " " + gpu
                    + " GPUs per container group, asked " + env.gpu().count());
        }
        return p;
    }

    private static double value(Float f) {
        return f == null ? 0 : f;
    }

    /** Everything of the template that is the same for every run, without secret values. */
    private String templateDescription() {
        Map<String, Object> m = new TreeMap<>();
        m.put("location", env.location());
        m.put("image", env.image());
        m.put("container", containerName);
        m.put("cpu", env.cpu());
        m.put("memoryInGb", env.memoryInGb());
        m.put("gpu", String.valueOf(env.gpu()));
        m.put("osType", env.osType());
        m.put("subnets", env.subnetIds());
        m.put("dns", String.valueOf(env.dnsConfig()));
        m.put("identity", env.systemAssignedIdentity() + " " + env.userAssignedIdentities());
        m.put("registries", env.imageRegistryCredentials().stream()
                .map(c -> c.server() + "|" + c.identity() + "|" + c.username()).toList());
        m.put("variables", new TreeMap<>(env.environmentVariables()));
        m.put("secureNames", new java.util.TreeSet<>(secureNames()));
        m.put("tags", new TreeMap<>(env.tags()));
        return m.toString();
    }

    private List<String> secureNames() {
        List<String> names = new ArrayList<>(env.secureEnvironmentVariables().keySet());
        names.addAll(env.secureValues().keySet());
        return names;
    }

    // ------------------------------------------------------------------------------------------ launch

    /**
     * Reads the run's container group; if it exists and carries the run's tags (a retry after a lost answer, or
     * a relaunch after a restart) it is adopted and nothing is sent. Otherwise one create (PUT) is sent; its
     * long-running operation is not waited for: provisioning is followed by the batched status reads.
     *
     * @throws TransientException for throttling, 5xx and a create without an answer
     * @throws LaunchException    for refusals, and when a group of that name belongs to something else
     */
    @Override
    public Launch launch(Definition definition, LaunchRequest request) {
        String name = env.groupNameFor(request.flowRunId());
        ContainerGroupInner existing = read(name);
        if (existing != null) {
            if (!AciNames.belongsTo(existing.tags(), request.flowRunId())) {
                throw new LaunchException("container group " + name + " already exists in resource group "
                        + resourceGroup + " and does not belong to flow run " + request.flowRunId()
                        + "; delete it or choose another groupNamePrefix");
            }
            created.add(name);
            tracked(name).observed(GroupStates.of(existing, containerName), true);
            LOG.info("aci: container group {} of flow run {} exists already; adopted, nothing sent", name,
                    request.flowRunId());
            return new Launch(name, request.flowRunId(), request.labels(), launchedAt(existing.tags()));
        }
        Instant now = Instant.now();
        ContainerGroupInner body = template(request, now);
        created.add(name);
        try {
            // the PUT happens here (the poller's activation); the operation itself is followed by describe()
            creates.beginCreateOrUpdate(resourceGroup, name, body);
        } catch (RuntimeException e) {
            throw ArmErrors.map("create of container group " + name + " for flow run " + request.flowRunId(), e);
        }
        tracked(name);
        return new Launch(name, request.flowRunId(), request.labels(), now);
    }

    /** The container group of one run. Secret values are resolved here, in the calling process. */
    ContainerGroupInner template(LaunchRequest request, Instant launchedAt) {
        Map<String, String> sys = env.systemEnvironment();
        List<EnvironmentVariable> vars = new ArrayList<>();
        Map<String, String> plain = new LinkedHashMap<>(env.environmentVariables());
        plain.putAll(request.environment()); // a command flow's variables and the runner's win
        plain.forEach((k, v) -> vars.add(new EnvironmentVariable().withName(k).withValue(v)));
        env.secureEnvironmentVariables().forEach((k, ref) -> vars.add(new EnvironmentVariable().withName(k)
                .withSecureValue(SecretReferences.resolve(ref, sys))));
        env.secureValues().forEach((k, v) -> vars.add(new EnvironmentVariable().withName(k).withSecureValue(v)));

        ResourceRequests requests = new ResourceRequests().withCpu(env.cpu()).withMemoryInGB(env.memoryInGb());
        if (env.gpu() != null) {
            requests.withGpu(new GpuResource().withCount(env.gpu().count())
                    .withSku(GpuSku.fromString(env.gpu().sku().trim().toUpperCase(Locale.ROOT))));
        }
        Container container = new Container().withName(containerName).withImage(env.image())
                .withCommand(request.command()).withEnvironmentVariables(vars)
                .withResources(new ResourceRequirements().withRequests(requests));

        Map<String, String> tags = new LinkedHashMap<>(env.tags());
        tags.putAll(AciNames.tags(request.labels()));
        tags.put(AciNames.LAUNCHED_AT_TAG, String.valueOf(launchedAt.getEpochSecond()));

        ContainerGroupInner g = new ContainerGroupInner()
                .withContainers(List.of(container))
                .withOsType(OperatingSystemTypes.fromString(env.osType()))
                .withRestartPolicy(ContainerGroupRestartPolicy.NEVER);
        g.withLocation(env.location()).withTags(tags);
        if (!env.subnetIds().isEmpty()) {
            g.withSubnetIds(env.subnetIds().stream().map(id -> new ContainerGroupSubnetId().withId(id)).toList());
        }
        if (env.dnsConfig() != null) {
            g.withDnsConfig(new DnsConfiguration().withNameServers(env.dnsConfig().nameServers())
                    .withSearchDomains(env.dnsConfig().searchDomains()).withOptions(env.dnsConfig().options()));
        }
        ContainerGroupIdentity identity = identity();
        if (identity != null) {
            g.withIdentity(identity);
        }
        if (!env.imageRegistryCredentials().isEmpty()) {
            List<ImageRegistryCredential> creds = new ArrayList<>();
            for (RegistryCredential c : env.imageRegistryCredentials()) {
                ImageRegistryCredential r = new ImageRegistryCredential().withServer(c.server());
                if (c.usesIdentity()) {
                    r.withIdentity(c.identity());
                } else {
                    r.withUsername(c.username()).withPassword(SecretReferences.resolve(c.passwordSecret(), sys));
                }
                creds.add(r);
            }
            g.withImageRegistryCredentials(creds);
        }
        return g;
    }

    private ContainerGroupIdentity identity() {
        boolean user = !env.userAssignedIdentities().isEmpty();
        if (!user && !env.systemAssignedIdentity()) {
            return null;
        }
        ContainerGroupIdentity identity = new ContainerGroupIdentity().withType(user && env.systemAssignedIdentity()
                ? ResourceIdentityType.SYSTEM_ASSIGNED_USER_ASSIGNED
                : user ? ResourceIdentityType.USER_ASSIGNED : ResourceIdentityType.SYSTEM_ASSIGNED);
        if (user) {
            Map<String, ContainerGroupIdentityUserAssignedIdentities> ids = new LinkedHashMap<>();
            env.userAssignedIdentities().forEach(id -> ids.put(id, new ContainerGroupIdentityUserAssignedIdentities()));
            identity.withUserAssignedIdentities(ids);
        }
        return identity;
    }

    private static Instant launchedAt(Map<String, String> tags) {
        String v = tags == null ? null : tags.get(AciNames.LAUNCHED_AT_TAG);
        if (v != null) {
            try {
                return Instant.ofEpochSecond(Long.parseLong(v));
            } catch (NumberFormatException ignored) {
                // a tag edited by hand: fall back to now
            }
        }
        return Instant.now();
    }

    /** One group with its instance views, or null when it does not exist. */
    private ContainerGroupInner read(String name) {
        try {
            return groups.getByResourceGroup(resourceGroup, name);
        } catch (RuntimeException e) {
            if (ArmErrors.isNotFound(e)) {
                return null;
            }
            throw ArmErrors.map("read of container group " + name, e);
        }
    }

    // ------------------------------------------------------------------------------------------ observe

    @Override
    public Observation observation() {
        return this;
    }

    @Override
    public int maxBatch() {
        return MAX_BATCH;
    }

    /** ARM's read pace this backend keeps to ({@code readsPerSecond}); the lifecycle paces its polls with it. */
    @Override
    public double readsPerSecond() {
        return pacer.readsPerSecond();
    }

    /**
     * One list of the resource group (one call per page), then reads of single groups for as many runs as the read
     * budget allows now, most needed first: groups a stop was sent to, groups whose provisioning failed (for their
     * events), groups not listed yet, groups never read, then the least recently read. ARM's list leaves out
     * instance views (container states, exit codes, events; see the README), so a listed group whose containers
     * were started is RUNNING until a read says how it is. Runs not read this time keep their last known status.
     * A group absent from the list and older than {@link #LIST_GRACE} is left out (the lifecycle counts it
     * missing).
     */
    @Override
    public Map<String, RunStatus> describe(List<Launch> launches) {
        Map<String, ContainerGroupInner> listed = list();
        long now = System.nanoTime();
        Map<String, RunStatus> out = new LinkedHashMap<>();
        List<Candidate> candidates = new ArrayList<>();
        for (Launch launch : launches) {
            String name = launch.id();
            Tracked t = tracked(name);
            t.seen = now;
            ContainerGroupInner g = listed.get(name);
            if (g == null && t.deletedByUs) {
                out.put(name, RunStatus.finished(io.flowport.core.State.cancelled("container group " + name
                        + " was deleted"), "deleted"));
                continue;
            }
            if (g == null) {
                boolean young = Duration.between(launch.launchedAt(), Instant.now()).compareTo(LIST_GRACE) < 0;
                if (young) {
                    candidates.add(new Candidate(name, 1, t.readAt));
                    out.put(name, t.last != null ? t.last : RunStatus.of(RunStatus.Phase.PROVISIONING,
                            "accepted, not listed yet"));
                }
                continue;
            }
            if (GroupStates.isPrecise(g, containerName)) {
                RunStatus s = GroupStates.of(g, containerName);
                t.observed(s, true);
                out.put(name, s);
                continue;
            }
            String provisioning = g.provisioningState() == null ? "" : g.provisioningState();
            RunStatus fromList = GroupStates.fromProvisioning(name, provisioning, "provisioning " + provisioning);
            if (t.precise && t.last != null && t.last.isFinished()) {
                out.put(name, t.last); // finished for good: nothing to read again
            } else if (GroupStates.isFailedProvisioning(provisioning) || "Deleting".equalsIgnoreCase(provisioning)) {
                boolean settled = t.precise && t.last != null && t.last.isFinished();
                out.put(name, settled ? t.last : fromList);
                if (!settled) {
                    candidates.add(new Candidate(name, 0, t.readAt)); // its events say why
                }
            } else if (fromList.phase().isStarting()) {
                out.put(name, fromList);
                candidates.add(new Candidate(name, t.stopRequested ? 0 : 3, t.readAt));
            } else {
                // a read that saw the containers start (or end) says more than the list; an older read that saw
                // the group still starting says less
                boolean known = t.precise && t.last != null && !t.last.phase().isStarting();
                out.put(name, known ? t.last : fromList);
                candidates.add(new Candidate(name, t.stopRequested ? 0 : t.readAt == 0 ? 1 : 2, t.readAt));
            }
        }
        candidates.sort(Comparator.comparingInt(Candidate::priority).thenComparingLong(Candidate::readAt));
        int budget = pacer.readsAvailable();
        for (Candidate c : candidates) {
            if (budget-- <= 0) {
                break;
            }
            ContainerGroupInner g;
            try {
                g = read(c.name());
            } catch (TransientException e) {
                LOG.debug("aci: status reads stopped for this poll: {}", e.getMessage());
                break; // throttled or failing: the next poll goes on where this one stopped
            }
            Tracked t = tracked(c.name());
            t.readAt = reads.incrementAndGet();
            if (g == null) {
                out.remove(c.name());
                t.last = null;
                continue;
            }
            RunStatus s = GroupStates.of(g, containerName);
            t.observed(s, true);
            out.put(c.name(), s);
        }
        forgetUnseen(now);
        return out;
    }

    /** Every container group of the resource group, by name (one call per page of ARM's answer). */
    private Map<String, ContainerGroupInner> list() {
        Map<String, ContainerGroupInner> all = new HashMap<>();
        try {
            for (ContainerGroupInner g : groups.listByResourceGroup(resourceGroup)) {
                if (g.name() != null) {
                    all.put(g.name(), g);
                }
            }
        } catch (RuntimeException e) {
            throw ArmErrors.map("list of container groups in resource group " + resourceGroup, e);
        }
        return all;
    }

    private void forgetUnseen(long now) {
        long cutoff = now - FORGET_AFTER.toNanos();
        tracked.entrySet().removeIf(e -> e.getValue().seen != 0 && e.getValue().seen - cutoff < 0);
    }

    private Tracked tracked(String name) {
        return tracked.computeIfAbsent(name, k -> new Tracked());
    }

    /** Whether the last status read of {@code group} was final (its logs will not change any more). */
    boolean isFinished(String group) {
        Tracked t = tracked.get(group);
        return t != null && t.last != null && t.last.isFinished();
    }

    // ------------------------------------------------------------------------------------------ stop, logs

    /**
     * ACI's stop action (containers stopped, compute released; the group stays until deleted). Stopping a group
     * that does not exist or has ended does nothing.
     */
    @Override
    public void stop(Launch launch, String reason) {
        String name = launch.id();
        tracked(name).stopRequested = true;
        try {
            groups.stop(resourceGroup, name);
            LOG.debug("aci: stop sent to container group {} ({})", name, reason);
        } catch (RuntimeException e) {
            if (ArmErrors.isNotFound(e)) {
                return;
            }
            if (ArmErrors.status(e) == 409) {
                // a group that has ended cannot be stopped: that is the state stop asks for
                ContainerGroupInner g = read(name);
                if (g == null || GroupStates.of(g, containerName).isFinished()) {
                    return;
                }
            }
            throw ArmErrors.map("stop of container group " + name, e);
        }
    }

    /** The flow container's logs, read when asked ({@link AciRunLogs}). */
    @Override
    public RunLogs logs(Launch launch) {
        return new AciRunLogs(this, launch.id());
    }

    /** The log text of a group's flow container; the newest {@code tail} lines when given. Empty when deleted. */
    String readLogs(String group, Integer tail) {
        try {
            var r = containers.listLogsWithResponse(resourceGroup, group, containerName, tail, false,
                    com.azure.core.util.Context.NONE);
            return r.getValue() == null || r.getValue().content() == null ? "" : r.getValue().content();
        } catch (RuntimeException e) {
            if (ArmErrors.isNotFound(e)) {
                return "";
            }
            throw ArmErrors.map("read of the logs of container group " + group, e);
        }
    }

    // ------------------------------------------------------------------------------------------ find, delete

    /**
     * Lists the resource group and keeps the groups whose tags carry every label; each group's status comes from a
     * read of it (paced like every read), since lists carry no container states.
     */
    @Override
    public List<Found> find(Map<String, String> labels) {
        Map<String, String> wanted = AciNames.tags(labels);
        List<Found> found = new ArrayList<>();
        for (ContainerGroupInner listed : list().values()) {
            Map<String, String> tags = listed.tags() == null ? Map.of() : listed.tags();
            if (!tags.entrySet().containsAll(wanted.entrySet())) {
                continue;
            }
            ContainerGroupInner g = GroupStates.isPrecise(listed, containerName) ? listed : read(listed.name());
            if (g == null) {
                continue; // deleted in between
            }
            Map<String, String> runLabels = AciNames.labels(tags);
            String runId = runLabels.getOrDefault(Labels.FLOW_RUN_ID, g.name());
            Launch launch = new Launch(g.name(), runId, runLabels, launchedAt(tags));
            RunStatus status = GroupStates.of(g, containerName);
            tracked(g.name()).observed(status, true);
            found.add(new Found(launch, status, GroupStates.finishedAt(g, containerName)));
        }
        return found;
    }

    /**
     * Deletes the container group and waits for the long-running operation, at most {@code deleteTimeout}
     * (polls at ARM's {@code Retry-After}, else every {@code lroPollInterval}). Deleting a group that is gone does
     * nothing.
     *
     * @throws TransientException if the delete did not finish in time (it may still finish) or was throttled
     */
    @Override
    public void delete(Launch launch) {
        CompletableFuture<Void> f = deleteAsync(launch.id());
        try {
            f.get(env.deleteTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransientException("interrupted while deleting container group " + launch.id(), e);
        } catch (TimeoutException e) {
            throw new TransientException("delete of container group " + launch.id() + " did not finish within "
                    + env.deleteTimeout(), e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r
                    : new TransientException("delete of container group " + launch.id() + " failed", e.getCause());
        }
    }

    /**
     * Deletes the group of a run whose caller cancelled its future (and so gave up its result and logs), if a
     * create was sent for it. A run still being followed sees its deleted group as Cancelled.
     */
    void deleteAfterCancel(String name) {
        if (!created.contains(name)) {
            return; // nothing was sent: the cancelled run never launches
        }
        deleteAsync(name).whenComplete((ok, e) -> {
            if (e != null) {
                LOG.warn("aci: container group {} of a cancelled run was not deleted: {}; "
                        + "BackendCleaner.deleteFinished removes it later", name, e.getMessage());
            }
        });
    }

    /** Deletes a container group without holding a thread while the operation runs. */
    CompletableFuture<Void> deleteAsync(String name) {
        Duration deadline = env.deleteTimeout();
        tracked(name).deletedByUs = true;
        return groups.beginDeleteAsync(resourceGroup, name)
                .setPollInterval(env.lroPollInterval())
                .last()
                .flatMap(r -> r.getStatus() == LongRunningOperationStatus.SUCCESSFULLY_COMPLETED ? Mono.just(true)
                        : Mono.error(new LaunchException("delete of container group " + name + " ended "
                        + r.getStatus())))
                .timeout(deadline)
                .onErrorResume(e -> ArmErrors.isNotFound(e) ? Mono.just(true) : Mono.error(e))
                .onErrorMap(e -> e instanceof TimeoutException
                        ? new TransientException("delete of container group " + name + " did not finish within "
                        + deadline + " (it may still finish; the TTL cleaner retries)", e)
                        : e instanceof RuntimeException r ? ArmErrors.map("delete of container group " + name, r) : e)
                .doOnSuccess(ok -> {
                    created.remove(name);
                    LOG.info("aci: deleted container group {}", name);
                })
                .then()
                .toFuture();
    }

    /**
     * What a run leaves behind once it ended: unless {@code keep}, its logs are read into memory (the group is
     * about to go) and its container group is deleted; a failed delete becomes a warning on the result (the TTL
     * cleaner, {@link io.flowport.core.spi.BackendCleaner}, removes the group later). A run that never created a
     * group, and a run whose group was last seen running with no stop sent (the lifecycle was closed), are
     * returned as they are.
     */
    CompletableFuture<FlowRunResult> finishRun(FlowRunResult result, boolean keep) {
        String name = env.groupNameFor(result.flowRunId());
        Tracked t = tracked.get(name);
        boolean ours = created.contains(name) || t != null;
        // a run that ended while its group still ran and nothing stopped it (the environment was closed, or its
        // status could not be read for too long) keeps its group: it carries its labels and can be resumed
        boolean mayStillRun = result.detail(io.flowport.core.spi.BackendLifecycle.UNIT_LEFT_RUNNING).isPresent()
                || (t != null && t.last != null && !t.last.isFinished() && !t.stopRequested);
        if (keep || !ours || mayStillRun) {
            if (mayStillRun && !keep) {
                LOG.info("aci: container group {} of flow run {} is left as it is (it may still run); resume the"
                        + " run or let BackendCleaner delete it once finished", name, result.flowRunId());
            }
            created.remove(name);
            return CompletableFuture.completedFuture(result);
        }
        FlowRunResult withLogs = result;
        if (result.logs() instanceof AciRunLogs logs) {
            RunLogs snapshot;
            try {
                snapshot = RunLogs.of(logs.location() + " (deleted after the run; lines read before)", logs.lines());
            } catch (RuntimeException e) {
                snapshot = RunLogs.of(logs.location() + " (deleted after the run; the logs could not be read: "
                        + e.getMessage() + ")", List.of());
            }
            withLogs = result.withLogs(snapshot);
        }
        FlowRunResult r = withLogs;
        return deleteAsync(name).handle((ok, e) -> {
            if (e == null) {
                return r;
            }
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            LOG.warn("aci: container group {} of flow run {} was not deleted: {}", name, result.flowRunId(),
                    cause.getMessage());
            return r.withWarning("container group " + name + " was not deleted: " + cause.getMessage()
                    + "; BackendCleaner.deleteFinished removes it later");
        });
    }

    /** Threads that finish runs submitted without waiting (log reads before deletion). */
    java.util.concurrent.Executor finishingExecutor() {
        return finishing;
    }

    /** Stops the finishing threads. Container groups are not affected. */
    @Override
    public void close() {
        finishing.shutdown();
    }

    /** What is known of one followed group. */
    private static final class Tracked {
        volatile RunStatus last;
        volatile boolean precise;
        /** Sequence number of the last read of this group (0 = never read). */
        volatile long readAt;
        volatile long seen;
        volatile boolean stopRequested;
        volatile boolean deletedByUs;

        void observed(RunStatus s, boolean fromRead) {
            last = s;
            precise = fromRead;
        }
    }

    private record Candidate(String name, int priority, long readAt) {
    }
}
