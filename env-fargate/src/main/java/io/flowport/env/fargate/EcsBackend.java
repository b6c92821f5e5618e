package io.flowport.env.fargate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.LaunchException;
import io.flowport.core.RunLogs;
import io.flowport.core.State;
import io.flowport.core.TransientException;
import io.flowport.core.spi.Backend;
import io.flowport.core.spi.Definition;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.Names;
import io.flowport.core.spi.Observation;
import io.flowport.core.spi.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.AssignPublicIp;
import software.amazon.awssdk.services.ecs.model.AwsVpcConfiguration;
import software.amazon.awssdk.services.ecs.model.CapacityProviderStrategyItem;
import software.amazon.awssdk.services.ecs.model.ClientException;
import software.amazon.awssdk.services.ecs.model.Container;
import software.amazon.awssdk.services.ecs.model.ContainerOverride;
import software.amazon.awssdk.services.ecs.model.DescribeTaskDefinitionResponse;
import software.amazon.awssdk.services.ecs.model.DescribeTasksResponse;
import software.amazon.awssdk.services.ecs.model.DesiredStatus;
import software.amazon.awssdk.services.ecs.model.Failure;
import software.amazon.awssdk.services.ecs.model.InvalidParameterException;
import software.amazon.awssdk.services.ecs.model.KeyValuePair;
import software.amazon.awssdk.services.ecs.model.ListTaskDefinitionsResponse;
import software.amazon.awssdk.services.ecs.model.ListTasksRequest;
import software.amazon.awssdk.services.ecs.model.ListTasksResponse;
import software.amazon.awssdk.services.ecs.model.NetworkConfiguration;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.RunTaskRequest;
import software.amazon.awssdk.services.ecs.model.RunTaskResponse;
import software.amazon.awssdk.services.ecs.model.SortOrder;
import software.amazon.awssdk.services.ecs.model.Tag;
import software.amazon.awssdk.services.ecs.model.Task;
import software.amazon.awssdk.services.ecs.model.TaskDefinition;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionField;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionStatus;
import software.amazon.awssdk.services.ecs.model.TaskField;
import software.amazon.awssdk.services.ecs.model.TaskOverride;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityRequest;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The ECS {@link Backend}: task definitions (content-hashed, reused when equal), {@code RunTask} with an
 * idempotency {@code clientToken}, batched {@code DescribeTasks} polling (100 tasks a call, grouped by cluster),
 * {@code StopTask}, CloudWatch logs, and {@code ListTasks} + tags to find runs. Built by
 * {@link FargateTaskEnvironment}; uses the AWS SDK's sync clients with their own retry policy
 * ({@code sdkMaxAttempts}), and maps what is left after the SDK's retries: throttling, 5xx and I/O errors to
 * {@link TransientException}, refusals to {@link LaunchException}.
 *
 * <p>Nothing to delete: ECS removes stopped tasks by itself (they stay visible for about an hour), so
 * {@link #supportsDelete()} is false and {@link #find} reports tasks as not deletable. Task definitions are kept;
 * {@link #deregisterOldRevisions} removes old ones on request.
 *
 * <p>Thread-safe. Close it to release the HTTP connections.
 */
public final class EcsBackend implements Backend, Observation.Polling, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EcsBackend.class);
    /** DescribeTasks takes up to 100 tasks. */
    public static final int MAX_BATCH = 100;
    /** ECS limit on the JSON of a RunTask's overrides. */
    public static final int MAX_OVERRIDES_CHARS = 8192;
    /**
     * ECS's documented sustained rate of {@code DescribeTasks} per account and Region (the "Request throttling
     * for the Amazon ECS API" page of the ECS API reference: 20 per second, bursts of 100).
     */
    static final double DESCRIBE_TASKS_PER_SECOND = 20;
    /**
     * RegisterTaskDefinition attempts on {@code ClientException}: ECS answers a refused definition and "too many
     * concurrent attempts" of one family with the same code, so a few attempts tell the two apart.
     */
    static final int REGISTER_ATTEMPTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FargateTaskEnvironment env;
    private final EcsClient ecs;
    private final StsClient sts;
    private final AwsCredentialsProvider credentials;
    private final Function<String, CloudWatchLogsClient> logsClients;
    private final List<AutoCloseable> resources;
    private final String region;
    private final String firstContainer;
    private final RunTaskRequest runTaskTemplate;
    private final Map<String, Definition> definitions = new ConcurrentHashMap<>();
    private final Map<String, Integer> registerClientErrors = new ConcurrentHashMap<>();
    private final Object prepareLock = new Object();
    private volatile Identity identity;

    private EcsBackend(FargateTaskEnvironment env, EcsClient ecs, StsClient sts, AwsCredentialsProvider credentials,
                       Function<String, CloudWatchLogsClient> logsClients, List<AutoCloseable> resources,
                       String region) {
        this.env = env;
        this.ecs = ecs;
        this.sts = sts;
        this.credentials = credentials;
        this.logsClients = logsClients;
        this.resources = resources;
        this.region = region;
        this.firstContainer = env.containerDefinitions().isEmpty() ? null : env.containerDefinitions().get(0).name();
        List<String> problems = new ArrayList<>();
        RunTaskRequest.Builder template = RunTaskRequest.builder();
        EcsFields.apply(env.runTaskNode(), template, "runTaskRequest", problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException("runTaskRequest", problems);
        }
        this.runTaskTemplate = template.build();
    }

    /**
     * Builds the SDK clients from the environment's settings (which must be valid). Makes no AWS call.
     *
     * @throws ConfigurationException if no region can be found
     */
    static EcsBackend create(FargateTaskEnvironment env) {
        String regionName = env.resolvedRegion().orElseThrow(() -> new ConfigurationException(
                "regionName: no AWS region; set regionName, or the REGION_NAME or AWS_REGION environment variable"));
        Region region = Region.of(regionName);
        List<AutoCloseable> resources = new ArrayList<>();
        SdkHttpClient http = Apache5HttpClient.builder()
                .maxConnections(64)
                .connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(env.requestTimeout())
                .build();
        resources.add(http);
        ClientOverrideConfiguration override = ClientOverrideConfiguration.builder()
                .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(env.sdkMaxAttempts()).build())
                .apiCallAttemptTimeout(env.requestTimeout())
                .build();
        AwsCredentialsProvider base = baseCredentials(env);
        var stsBuilder = StsClient.builder().region(region).httpClient(http).credentialsProvider(base)
                .overrideConfiguration(override);
        if (env.endpointOverride() != null) {
            stsBuilder.endpointOverride(env.endpointOverride());
        }
        StsClient sts = stsBuilder.build();
        resources.add(0, sts);
        AwsCredentialsProvider creds = base;
        if (env.roleArn() != null) {
            StsAssumeRoleCredentialsProvider assumed = StsAssumeRoleCredentialsProvider.builder()
                    .stsClient(sts)
                    .refreshRequest(AssumeRoleRequest.builder().roleArn(env.roleArn())
                            .roleSessionName(env.roleSessionName() == null ? "flowport" : env.roleSessionName())
                            .externalId(env.externalId()).build())
                    .build();
            resources.add(0, assumed);
            creds = assumed;
        }
        var ecsBuilder = EcsClient.builder().region(region).httpClient(http).credentialsProvider(creds)
                .overrideConfiguration(override);
        if (env.endpointOverride() != null) {
            ecsBuilder.endpointOverride(env.endpointOverride());
        }
        EcsClient ecs = ecsBuilder.build();
        resources.add(0, ecs);
        Map<String, CloudWatchLogsClient> logs = new ConcurrentHashMap<>();
        AwsCredentialsProvider logCreds = creds;
        Function<String, CloudWatchLogsClient> logsFor = r -> logs.computeIfAbsent(r, k -> {
            var b = CloudWatchLogsClient.builder().region(Region.of(k)).httpClient(http)
                    .credentialsProvider(logCreds).overrideConfiguration(override);
            if (env.endpointOverride() != null) {
                b.endpointOverride(env.endpointOverride());
            }
            return b.build();
        });
        resources.add(0, () -> logs.values().forEach(CloudWatchLogsClient::close));
        return new EcsBackend(env, ecs, sts, creds, logsFor, resources, regionName);
    }

    /** Explicit keys, an explicit provider, the AWS_* variables, then the SDK's default chain. */
    private static AwsCredentialsProvider baseCredentials(FargateTaskEnvironment env) {
        if (env.awsAccessKeyId() != null) {
            return StaticCredentialsProvider.create(env.awsSessionToken() != null
                    ? AwsSessionCredentials.create(env.awsAccessKeyId(), env.awsSecretAccessKey(),
                    env.awsSessionToken())
                    : AwsBasicCredentials.create(env.awsAccessKeyId(), env.awsSecretAccessKey()));
        }
        if (env.credentialsProvider() != null) {
            return env.credentialsProvider();
        }
        Map<String, String> sys = env.systemEnvironment();
        String id = sys.get("AWS_ACCESS_KEY_ID");
        String secret = sys.get("AWS_SECRET_ACCESS_KEY");
        if (id != null && !id.isBlank() && secret != null && !secret.isBlank()) {
            String token = sys.get("AWS_SESSION_TOKEN");
            return StaticCredentialsProvider.create(token != null && !token.isBlank()
                    ? AwsSessionCredentials.create(id, secret, token) : AwsBasicCredentials.create(id, secret));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    @Override
    public String name() {
        return "ecs";
    }

    /** The region the clients call. */
    public String region() {
        return region;
    }

    // ------------------------------------------------------------------------------------------ prepare

    /**
     * Checks the credentials once (STS GetCallerIdentity), then reuses the family's latest ACTIVE revision if it
     * carries the wanted content hash (Flowport registered it) or equals the wanted definition after
     * normalisation (role names expanded to ARNs), else registers one new revision tagged with the content hash.
     * At most one registration per distinct definition for the life of this backend.
     */
    @Override
    public Definition prepare(Flow flow) {
        Identity who = checkIdentity();
        String family = env.familyFor(flow);
        RegisterTaskDefinitionRequest.Builder request = TaskDefinitions.request(env, family);
        var wanted = TaskDefinitions.normalise(request.build(), who::roleArn);
        String hash = TaskDefinitions.hash(wanted);
        Definition known = definitions.get(hash);
        if (known != null) {
            return new Definition(known.id(), hash, false);
        }
        synchronized (prepareLock) {
            known = definitions.get(hash);
            if (known != null) {
                return new Definition(known.id(), hash, false);
            }
            DescribeTaskDefinitionResponse latest = describeLatest(family);
            Definition d;
            if (latest != null && (hash.equals(TaskDefinitions.contentHash(latest.tags()))
                    || TaskDefinitions.normalise(latest.taskDefinition(), who::roleArn).equals(wanted))) {
                LOG.info("ecs: reusing task definition {} (content hash {})", latest.taskDefinition()
                        .taskDefinitionArn(), hash.substring(0, 12));
                d = new Definition(latest.taskDefinition().taskDefinitionArn(), hash, false);
            } else {
                if (latest != null) {
                    LOG.info("ecs: {} differs from the wanted definition in: {}",
                            latest.taskDefinition().taskDefinitionArn(), TaskDefinitions.readableDiff(wanted,
                                    TaskDefinitions.normalise(latest.taskDefinition(), who::roleArn)));
                }
                d = new Definition(register(request, family, hash).taskDefinitionArn(), hash, true);
            }
            definitions.put(hash, d);
            return d;
        }
    }

    private TaskDefinition register(RegisterTaskDefinitionRequest.Builder request, String family, String hash) {
        String what = "RegisterTaskDefinition of family " + family;
        TaskDefinition registered;
        try {
            registered = ecs.registerTaskDefinition(request.tags(TaskDefinitions.tags(hash)).build())
                    .taskDefinition();
        } catch (ClientException e) {
            // ECS answers both a refusal and "too many concurrent attempts to create a new revision" with this
            // code (nothing else tells them apart): retried a few times through the lifecycle, and each retry
            // describes the family again, so a revision another process registered meanwhile is reused
            int attempt = registerClientErrors.merge(hash, 1, Integer::sum);
            if (attempt < REGISTER_ATTEMPTS) {
                throw new TransientException(what + " failed (attempt " + attempt + " of " + REGISTER_ATTEMPTS
                        + "): " + AwsErrors.code(e) + ": " + e.awsErrorDetails().errorMessage(), e);
            }
            registerClientErrors.remove(hash);
            throw AwsErrors.map(what, e);
        } catch (SdkException e) {
            throw AwsErrors.map(what, e);
        }
        registerClientErrors.remove(hash);
        LOG.info("ecs: registered task definition {} (content hash {})", registered.taskDefinitionArn(),
                hash.substring(0, 12));
        return registered;
    }

    /** The family's latest ACTIVE revision with its tags, or null if it has none. */
    private DescribeTaskDefinitionResponse describeLatest(String family) {
        try {
            DescribeTaskDefinitionResponse r = ecs.describeTaskDefinition(b -> b.taskDefinition(family)
                    .include(TaskDefinitionField.TAGS));
            TaskDefinition d = r.taskDefinition();
            return d != null && d.status() == TaskDefinitionStatus.ACTIVE ? r : null;
        } catch (ClientException e) {
            return null; // ECS's answer for a family without an ACTIVE revision
        } catch (SdkException e) {
            throw AwsErrors.map("DescribeTaskDefinition of family " + family, e);
        }
    }

    /**
     * One GetCallerIdentity (and AssumeRole first, with a role) per backend, before anything is created.
     *
     * @return the account and partition the credentials belong to
     */
    private Identity checkIdentity() {
        Identity known = identity;
        if (known != null) {
            return known;
        }
        synchronized (prepareLock) {
            if (identity != null) {
                return identity;
            }
            if (env.roleArn() != null) {
                try {
                    credentials.resolveCredentials();
                } catch (SdkException e) {
                    RuntimeException mapped = AwsErrors.map("STS AssumeRole", e);
                    if (mapped instanceof TransientException) {
                        throw mapped;
                    }
                    throw new LaunchException("could not assume role " + env.roleArn() + ": "
                            + mapped.getMessage(), e);
                }
            }
            GetCallerIdentityResponse who;
            try {
                who = sts.getCallerIdentity(GetCallerIdentityRequest.builder()
                        .overrideConfiguration(o -> o.credentialsProvider(credentials)).build());
            } catch (SdkException e) {
                RuntimeException mapped = AwsErrors.map("STS GetCallerIdentity", e);
                if (mapped instanceof TransientException) {
                    throw mapped;
                }
                throw new LaunchException("the AWS credentials do not work, nothing was created: "
                        + mapped.getMessage(), e);
            }
            LOG.info("ecs: calling AWS in {} as {} (account {})", region, who.arn(), who.account());
            identity = Identity.of(who.arn(), who.account());
            return identity;
        }
    }

    /**
     * The account and partition of the credentials, from the STS check: what ECS uses to turn a role name into
     * the ARN it reports ({@code arn:<partition>:iam::<account>:role/<name>}).
     */
    record Identity(String partition, String account) {

        static Identity of(String callerArn, String account) {
            String[] parts = callerArn == null ? new String[0] : callerArn.split(":", 3);
            return new Identity(parts.length > 1 && !parts[1].isEmpty() ? parts[1] : "aws", account);
        }

        /** A role ARN as given, or the ARN of a role name in this account. */
        String roleArn(String nameOrArn) {
            if (nameOrArn == null || nameOrArn.startsWith("arn:")) {
                return nameOrArn;
            }
            return "arn:" + partition + ":iam::" + account + ":role/" + nameOrArn;
        }
    }

    // ------------------------------------------------------------------------------------------ launch

    /**
     * One RunTask with the run's command, environment, tags, {@code startedBy} and {@code clientToken}.
     *
     * @throws TransientException for throttling, 5xx, lost answers and RunTask failures (no capacity, agent)
     * @throws LaunchException    for refusals
     */
    @Override
    public Launch launch(Definition definition, LaunchRequest request) {
        TaskOverride overrides = overrides(request);
        int size = overridesSize(overrides);
        if (size > MAX_OVERRIDES_CHARS) {
            throw new LaunchException("flow run " + request.flowRunId() + ": the RunTask overrides are " + size
                    + " characters and ECS accepts " + MAX_OVERRIDES_CHARS + "; the largest variables are "
                    + largest(request.environment()) + " (shorten the parameters, metadata or command flow's "
                    + "environment)");
        }
        List<Tag> tags = new ArrayList<>();
        env.tags().forEach((k, v) -> tags.add(Tag.builder().key(k).value(v).build()));
        request.labels().forEach((k, v) -> tags.add(Tag.builder().key(k).value(v).build()));
        // the runTaskRequest fields first; Flowport's own fields are set over them (validation refuses overlaps)
        RunTaskRequest.Builder b = runTaskTemplate.toBuilder()
                .cluster(env.effectiveCluster())
                .taskDefinition(definition.id())
                .count(1)
                .overrides(overrides)
                .tags(tags)
                .startedBy(startedBy(request.labels().getOrDefault(Labels.FLOW_RUN_ID, request.flowRunId())))
                .clientToken(clientToken(request.idempotencyToken()));
        if (env.capacityProviderStrategy().isEmpty()) {
            b.launchType(env.launchType());
        } else {
            b.capacityProviderStrategy(env.capacityProviderStrategy().stream()
                    .map(c -> CapacityProviderStrategyItem.builder().capacityProvider(c.capacityProvider())
                            .weight(c.weight()).base(c.base()).build()).toList());
        }
        if (env.platformVersion() != null) {
            b.platformVersion(env.platformVersion());
        }
        if (env.propagateTags() != null) {
            b.propagateTags(env.propagateTags());
        }
        if ("awsvpc".equals(env.effectiveNetworkMode())) {
            b.networkConfiguration(NetworkConfiguration.builder().awsvpcConfiguration(AwsVpcConfiguration.builder()
                    .subnets(env.subnets()).securityGroups(env.securityGroups().isEmpty() ? null
                            : env.securityGroups())
                    .assignPublicIp(env.assignPublicIp() == null ? AssignPublicIp.DISABLED
                            : AssignPublicIp.fromValue(env.assignPublicIp()))
                    .build()).build());
        }
        RunTaskResponse r;
        try {
            r = ecs.runTask(b.build());
        } catch (SdkException e) {
            throw AwsErrors.map("RunTask of flow run " + request.flowRunId(), e);
        }
        if (!r.tasks().isEmpty()) {
            Task t = r.tasks().get(0);
            return new Launch(t.taskArn(), request.flowRunId(), request.labels(),
                    t.createdAt() != null ? t.createdAt() : Instant.now());
        }
        List<String> reasons = r.failures().stream().map(EcsBackend::describe).toList();
        // no capacity, no agent, placement: worth retrying until the launch deadline
        throw new TransientException("RunTask of flow run " + request.flowRunId() + " placed no task: "
                + (reasons.isEmpty() ? "no task and no failure in the answer" : String.join("; ", reasons)));
    }

    private TaskOverride overrides(LaunchRequest request) {
        List<KeyValuePair> vars = new ArrayList<>(request.environment().size());
        request.environment().forEach((k, v) -> vars.add(KeyValuePair.builder().name(k).value(v).build()));
        TaskOverride.Builder o = TaskOverride.builder().containerOverrides(ContainerOverride.builder()
                .name(firstContainer).command(request.command()).environment(vars).build());
        if (env.cpuOverride() != null) {
            o.cpu(String.valueOf(FargateValidation.parseUnits(env.cpuOverride(), true)));
        }
        if (env.memoryOverride() != null) {
            o.memory(String.valueOf(FargateValidation.parseUnits(env.memoryOverride(), false)));
        }
        return o.build();
    }

    /** The length of the overrides as ECS counts it: their JSON. */
    static int overridesSize(TaskOverride o) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> cos = new ArrayList<>();
        for (ContainerOverride c : o.containerOverrides()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("name", c.name());
            cm.put("command", c.command());
            cm.put("environment", c.environment().stream()
                    .map(v -> Map.of("name", v.name(), "value", v.value())).toList());
            cos.add(cm);
        }
        m.put("containerOverrides", cos);
        if (o.cpu() != null) {
            m.put("cpu", o.cpu());
        }
        if (o.memory() != null) {
            m.put("memory", o.memory());
        }
        try {
            return JSON.writeValueAsString(m).length();
        } catch (JsonProcessingException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static String largest(Map<String, String> vars) {
        return vars.entrySet().stream()
                .sorted((a, b) -> Integer.compare(b.getValue().length(), a.getValue().length()))
                .limit(3).map(e -> e.getKey() + " (" + e.getValue().length() + ")").toList().toString();
    }

    /** ECS startedBy: up to 36 letters, digits, hyphens, slashes and underscores. */
    static String startedBy(String flowRunId) {
        return Names.sanitize(flowRunId, Names.ECS_STARTED_BY);
    }

    /** The RunTask clientToken: the idempotency token itself when ECS accepts it (64 ASCII), else its SHA-256. */
    static String clientToken(String token) {
        if (token.length() <= 64 && token.chars().allMatch(c -> c > 32 && c < 127)) {
            return token;
        }
        return Names.sha256Hex(token);
    }

    private static String describe(Failure f) {
        return f.reason() + (f.detail() == null ? "" : " (" + f.detail() + ")")
                + (f.arn() == null ? "" : " for " + f.arn());
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

    /**
     * ECS's documented sustained DescribeTasks rate, 20 per second per account and Region; the lifecycle never
     * reads status faster (override with {@code BackendLifecycle.Settings.statusReadsPerSecond}, e.g. when
     * several processes share an account's quota).
     */
    @Override
    public double readsPerSecond() {
        return DESCRIBE_TASKS_PER_SECOND;
    }

    /** One DescribeTasks per cluster per 100 tasks. Tasks ECS does not know (failure MISSING) are left out. */
    @Override
    public Map<String, RunStatus> describe(List<Launch> launches) {
        Map<String, RunStatus> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> group : byCluster(launches.stream().map(Launch::id).toList())
                .entrySet()) {
            for (List<String> chunk : chunks(group.getValue())) {
                for (Task t : describeTasks(group.getKey(), chunk, false).tasks()) {
                    out.put(t.taskArn(), statusOf(t));
                }
            }
        }
        return out;
    }

    /**
     * The private IPv4 address of a task's network interface ({@code awsvpc}), once ECS has attached one. One
     * {@code DescribeTasks} call. Blocking.
     */
    java.util.Optional<String> privateAddress(String taskArn) {
        for (Task t : describeTasks(clusterOf(taskArn), List.of(taskArn), false).tasks()) {
            for (software.amazon.awssdk.services.ecs.model.Attachment a : t.attachments()) {
                if ("ElasticNetworkInterface".equals(a.type())) {
                    for (software.amazon.awssdk.services.ecs.model.KeyValuePair kv : a.details()) {
                        if ("privateIPv4Address".equals(kv.name()) && kv.value() != null && !kv.value().isBlank()) {
                            return java.util.Optional.of(kv.value());
                        }
                    }
                }
            }
        }
        return java.util.Optional.empty();
    }

    private DescribeTasksResponse describeTasks(String cluster, List<String> arns, boolean tags) {
        try {
            return ecs.describeTasks(b -> {
                b.cluster(cluster).tasks(arns);
                if (tags) {
                    b.include(TaskField.TAGS);
                }
            });
        } catch (SdkException e) {
            throw AwsErrors.map("DescribeTasks of " + arns.size() + " tasks in cluster " + cluster, e);
        }
    }

    private Map<String, List<String>> byCluster(List<String> arns) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String arn : arns) {
            m.computeIfAbsent(clusterOf(arn), k -> new ArrayList<>()).add(arn);
        }
        return m;
    }

    /** The cluster in a task ARN ({@code ...:task/<cluster>/<id>}), else the configured cluster. */
    String clusterOf(String taskArn) {
        int i = taskArn.indexOf(":task/");
        if (i >= 0) {
            String rest = taskArn.substring(i + 6);
            int slash = rest.indexOf('/');
            if (slash > 0) {
                return rest.substring(0, slash);
            }
        }
        return env.effectiveCluster();
    }

    private static List<List<String>> chunks(List<String> all) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += MAX_BATCH) {
            out.add(all.subList(i, Math.min(all.size(), i + MAX_BATCH)));
        }
        return out;
    }

    /** Maps an ECS task to a status; see the module README for the table. */
    RunStatus statusOf(Task t) {
        String last = t.lastStatus() == null ? "" : t.lastStatus();
        String detail = last + (t.stoppedReason() == null ? "" : ": " + t.stoppedReason());
        switch (last) {
            case "PROVISIONING":
                return RunStatus.of(RunStatus.Phase.PROVISIONING, detail);
            case "PENDING":
            case "ACTIVATING":
                return RunStatus.of(RunStatus.Phase.PENDING, detail);
            case "RUNNING":
                return RunStatus.of(RunStatus.Phase.RUNNING, detail);
            case "DEACTIVATING":
            case "STOPPING":
            case "DEPROVISIONING":
                return RunStatus.of(RunStatus.Phase.STOPPING, detail);
            case "STOPPED":
                return RunStatus.finished(finalState(t), detail);
            default:
                return RunStatus.of(RunStatus.Phase.PROVISIONING, detail);
        }
    }

    private State finalState(Task t) {
        Container main = null;
        for (Container c : t.containers()) {
            if (Objects.equals(c.name(), firstContainer)) {
                main = c;
            }
        }
        if (main == null && !t.containers().isEmpty()) {
            main = t.containers().get(0);
        }
        String name = main == null ? "the flow's container" : "container " + main.name();
        String stopCode = t.stopCodeAsString();
        String reason = t.stoppedReason() == null ? "" : t.stoppedReason();
        String containerReason = main == null || main.reason() == null ? "" : "; " + name + ": " + main.reason();
        Integer exit = main == null ? null : main.exitCode();
        if ("TaskFailedToStart".equals(stopCode)) {
            return State.crashed("ECS task failed to start: " + (reason.isEmpty() ? "ECS gave no reason" : reason)
                    + containerReason, null);
        }
        if ("UserInitiated".equals(stopCode)) {
            return State.cancelled("ECS task was stopped" + (reason.isEmpty() ? "" : ": " + reason));
        }
        if (exit == null) {
            return State.crashed("ECS task stopped without an exit code of " + name + "; " + known(t, main), null);
        }
        if (exit == 0) {
            return State.success(name + " exited with code 0");
        }
        return State.failed(name + " exited with code " + exit + (reason.isEmpty() ? "" : " (" + reason + ")")
                + containerReason, null);
    }

    /** What ECS says about a task that stopped without an exit code: only what it reported, never "null". */
    private static String known(Task t, Container main) {
        List<String> facts = new ArrayList<>();
        if (t.stopCodeAsString() != null) {
            facts.add("stop code " + t.stopCodeAsString());
        }
        if (t.stoppedReason() != null && !t.stoppedReason().isBlank()) {
            facts.add("reason: " + t.stoppedReason());
        }
        if (main != null && main.reason() != null && !main.reason().isBlank()) {
            facts.add("container " + main.name() + ": " + main.reason());
        }
        if (main != null && main.lastStatus() != null) {
            facts.add("container " + main.name() + " was " + main.lastStatus());
        }
        if (t.stoppingAt() != null || t.stoppedAt() != null) {
            facts.add("stopped at " + (t.stoppedAt() != null ? t.stoppedAt() : t.stoppingAt()));
        }
        return facts.isEmpty() ? "ECS gave no stop code and no reason (look at the task in the ECS console or its "
                + "logs)" : String.join("; ", facts);
    }

    // ------------------------------------------------------------------------------------------ stop, logs

    /** StopTask; stopping a stopped or unknown task does nothing. */
    @Override
    public void stop(Launch launch, String reason) {
        String r = reason == null ? "stopped by Flowport" : reason;
        try {
            ecs.stopTask(b -> b.cluster(clusterOf(launch.id())).task(launch.id())
                    .reason(r.length() > 255 ? r.substring(0, 255) : r));
        } catch (InvalidParameterException e) {
            // ECS's answer for a task it does not know (any more); it uses the same code for other refusals, so
            // the task's own status decides
            if (gone(launch)) {
                return;
            }
            throw AwsErrors.map("StopTask of " + launch.id(), e);
        } catch (SdkException e) {
            throw AwsErrors.map("StopTask of " + launch.id(), e);
        }
    }

    /** Whether ECS no longer knows the task, or knows it as STOPPED. */
    private boolean gone(Launch launch) {
        DescribeTasksResponse r = describeTasks(clusterOf(launch.id()), List.of(launch.id()), false);
        return r.tasks().stream().noneMatch(t -> launch.id().equals(t.taskArn()))
                || r.tasks().stream().allMatch(t -> "STOPPED".equals(t.lastStatus()));
    }

    /**
     * The run's CloudWatch stream ({@code prefix/containerName/taskId}) when the first container logs with
     * {@code awslogs}; else no logs. Lazy: nothing is read until {@link RunLogs#lines()}.
     */
    @Override
    public RunLogs logs(Launch launch) {
        ContainerDefinition first = env.containerDefinitions().get(0);
        LogConfiguration log = first.logConfiguration();
        if (log == null || !log.isAwsLogs()) {
            return RunLogs.of("ECS task " + launch.id() + " (no awslogs log configuration on container "
                    + first.name() + ")", List.of());
        }
        String logRegion = log.options().getOrDefault(LogConfiguration.REGION, region);
        String prefix = log.options().get(LogConfiguration.STREAM_PREFIX);
        String taskId = launch.id().substring(launch.id().lastIndexOf('/') + 1);
        String stream = (prefix == null ? "" : prefix + "/") + first.name() + "/" + taskId;
        return new CloudWatchRunLogs(logsClients.apply(logRegion), log.options().get(LogConfiguration.GROUP),
                stream, logRegion);
    }

    // ------------------------------------------------------------------------------------------ find, delete

    /**
     * ListTasks (desired RUNNING, then STOPPED; by {@code startedBy} when the labels name a flow run, else by
     * the configured family, else the whole cluster), then DescribeTasks with tags, 100 at a time, keeping
     * tasks that carry every label.
     */
    @Override
    public List<Found> find(Map<String, String> labels) {
        String cluster = env.effectiveCluster();
        Set<String> arns = new LinkedHashSet<>();
        String runLabel = labels.get(Labels.FLOW_RUN_ID);
        for (DesiredStatus status : List.of(DesiredStatus.RUNNING, DesiredStatus.STOPPED)) {
            String token = null;
            do {
                ListTasksRequest.Builder b = ListTasksRequest.builder().cluster(cluster).desiredStatus(status)
                        .maxResults(100).nextToken(token);
                if (runLabel != null) {
                    b.startedBy(startedBy(runLabel));
                } else if (env.family() != null) {
                    b.family(env.family());
                }
                ListTasksResponse r;
                try {
                    r = ecs.listTasks(b.build());
                } catch (SdkException e) {
                    throw AwsErrors.map("ListTasks in cluster " + cluster, e);
                }
                arns.addAll(r.taskArns());
                token = r.nextToken();
            } while (token != null);
        }
        List<Found> found = new ArrayList<>();
        for (Map.Entry<String, List<String>> group : byCluster(new ArrayList<>(arns)).entrySet()) {
            for (List<String> chunk : chunks(group.getValue())) {
                for (Task t : describeTasks(group.getKey(), chunk, true).tasks()) {
                    Map<String, String> tags = new LinkedHashMap<>();
                    t.tags().forEach(tag -> tags.put(tag.key(), tag.value()));
                    if (!tags.entrySet().containsAll(labels.entrySet())) {
                        continue;
                    }
                    String runId = tags.getOrDefault(Labels.FLOW_RUN_ID,
                            t.startedBy() == null ? t.taskArn() : t.startedBy());
                    Map<String, String> runLabels = new LinkedHashMap<>();
                    tags.forEach((k, v) -> {
                        if (k.startsWith("flowport.io/")) {
                            runLabels.put(k, v);
                        }
                    });
                    Launch launch = new Launch(t.taskArn(), runId, runLabels,
                            t.createdAt() != null ? t.createdAt() : Instant.now());
                    // ECS removes stopped tasks by itself: nothing to delete
                    found.add(new Found(launch, statusOf(t), t.stoppedAt(), false));
                }
            }
        }
        return found;
    }

    /**
     * False: a stopped ECS task needs no deletion, ECS removes it by itself after about an hour. A TTL controller
     * ({@code BackendCleaner}, the agent) therefore deletes nothing here.
     */
    @Override
    public boolean supportsDelete() {
        return false;
    }

    /**
     * Deregisters ACTIVE revisions of {@code family} that carry Flowport's tag, newest {@code keep} excepted.
     * Running tasks are not affected. Blocking.
     *
     * @return the ARNs deregistered
     */
    public List<String> deregisterOldRevisions(String family, int keep) {
        if (keep < 0) {
            throw new ConfigurationException("keep must be >= 0, was " + keep);
        }
        List<String> arns = new ArrayList<>();
        String token = null;
        do {
            ListTaskDefinitionsResponse r;
            try {
                String t = token;
                r = ecs.listTaskDefinitions(b -> b.familyPrefix(family).status(TaskDefinitionStatus.ACTIVE)
                        .sort(SortOrder.DESC).nextToken(t));
            } catch (SdkException e) {
                throw AwsErrors.map("ListTaskDefinitions of family " + family, e);
            }
            for (String arn : r.taskDefinitionArns()) {
                if (arn.contains(":task-definition/" + family + ":")) {
                    arns.add(arn);
                }
            }
            token = r.nextToken();
        } while (token != null);
        List<String> done = new ArrayList<>();
        for (String arn : arns.subList(Math.min(keep, arns.size()), arns.size())) {
            try {
                DescribeTaskDefinitionResponse d = ecs.describeTaskDefinition(b -> b.taskDefinition(arn)
                        .include(TaskDefinitionField.TAGS));
                boolean ours = d.tags().stream().anyMatch(t -> Labels.MANAGED_BY.equals(t.key())
                        && "flowport".equals(t.value()));
                if (ours) {
                    ecs.deregisterTaskDefinition(b -> b.taskDefinition(arn));
                    definitions.values().removeIf(x -> x.id().equals(arn));
                    done.add(arn);
                    LOG.info("ecs: deregistered task definition {}", arn);
                }
            } catch (SdkException e) {
                throw AwsErrors.map("deregistering " + arn, e);
            }
        }
        return done;
    }

    /** Closes the SDK clients and their HTTP connections. Runs in flight are not affected. */
    @Override
    public void close() {
        for (AutoCloseable c : resources) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing {} failed", c, e);
            }
        }
    }
}
