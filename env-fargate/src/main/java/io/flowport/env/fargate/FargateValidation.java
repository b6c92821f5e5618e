package io.flowport.env.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.Flow;
import io.flowport.core.RunnerSettings;
import io.flowport.core.spi.Labels;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.RunTaskRequest;

import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Every check made before any AWS call; each problem names the setting and the fix. */
final class FargateValidation {

    static final Pattern ROLE_ARN = Pattern.compile("arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}");
    /** An IAM role name, as RegisterTaskDefinition takes it instead of an ARN. */
    static final Pattern ROLE_NAME = Pattern.compile("[\\w+=,.@-]{1,64}");
    private static final Pattern SECRET_ARN = Pattern.compile(
            "arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\\d{12}:\\S+");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d{1,2}");
    private static final Pattern FAMILY = Pattern.compile("[A-Za-z0-9_-]{1,255}");
    private static final Pattern CONTAINER_NAME = Pattern.compile("[A-Za-z0-9_-]{1,255}");
    private static final Pattern SUBNET = Pattern.compile("subnet-[0-9a-f]{8,17}");
    private static final Pattern SECURITY_GROUP = Pattern.compile("sg-[0-9a-f]{8,17}");
    private static final Pattern SESSION_NAME = Pattern.compile("[\\w+=,.@-]{2,64}");
    private static final Pattern TAG_CHARS = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
    private static final Set<String> NETWORK_MODES = Set.of("awsvpc", "bridge", "host", "none");
    private static final Set<String> RUNNER_VARIABLES = Set.of(RunnerSettings.FLOW_RUN_ID,
            RunnerSettings.FLOW_LOCATION, RunnerSettings.STORAGE, RunnerSettings.ENVIRONMENT,
            RunnerSettings.PARAMETERS);
    /** Tags Flowport adds to every task ({@link Labels#forRun}). */
    private static final int FLOWPORT_TAGS = 3;
    /** RegisterTaskDefinition fields Flowport sets from typed settings, with the setting to use instead. */
    private static final Map<String, String> TYPED_DEFINITION_FIELDS = ordered(
            "family", "set family", "containerDefinitions", "set containerDefinitions",
            "cpu", "set cpu", "memory", "set memory", "networkMode", "set networkMode",
            "taskRoleArn", "set taskRoleArn", "executionRoleArn", "set executionRoleArn",
            "requiresCompatibilities", "set by launchType", "runtimePlatform", "set cpuArchitecture (Linux)",
            "tags", "Flowport tags revisions itself; tags on tasks come from tags");
    /** RunTask fields Flowport sets itself, with the setting to use instead. */
    private static final Map<String, String> TYPED_RUN_TASK_FIELDS = ordered(
            "cluster", "set cluster", "taskDefinition", "Flowport registers and names the task definition",
            "count", "one task per run", "overrides", "Flowport sets each run's command and variables; use "
                    + "cpuOverride/memoryOverride", "launchType", "set launchType",
            "capacityProviderStrategy", "set capacityProviderStrategy", "networkConfiguration",
            "set subnets, securityGroups and assignPublicIp", "platformVersion", "set platformVersion",
            "propagateTags", "set propagateTags", "tags", "set tags", "startedBy", "set by Flowport to the flow run "
                    + "id", "clientToken", "set by Flowport to the run's idempotency token");
    /** Container fields that are typed settings of {@link ContainerDefinition}. */
    private static final Set<String> TYPED_CONTAINER_FIELDS = Set.of("name", "image", "command", "entryPoint",
            "workingDirectory", "cpu", "memory", "memoryReservation", "essential", "environment", "secrets",
            "logConfiguration");

    private FargateValidation() {
    }

    static List<String> problems(FargateTaskEnvironment e, Flow flow) {
        List<String> p = new ArrayList<>();
        boolean fargate = FargateTaskEnvironment.FARGATE.equals(e.launchType());
        if (!fargate && !FargateTaskEnvironment.EC2.equals(e.launchType())) {
            p.add("launchType: unknown launch type '" + e.launchType() + "'; use FARGATE or EC2");
        }
        credentials(e, p);
        region(e, p);
        if (e.endpointOverride() != null) {
            URI u = e.endpointOverride();
            if (!u.isAbsolute() || u.getHost() == null
                    || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
                p.add("endpointOverride: '" + u + "' is not an absolute http(s) URL; use e.g. http://localhost:4566");
            }
        }
        if (e.family() != null && !FAMILY.matcher(e.family()).matches()) {
            p.add("family: '" + e.family() + "' is not a valid task definition family; use up to 255 letters, "
                    + "digits, hyphens and underscores");
        }
        if (e.family() == null && flow != null && !FAMILY.matcher(e.familyFor(flow)).matches()) {
            p.add("family: the default family '" + e.familyFor(flow) + "' is invalid; set family");
        }
        cpuAndMemory(e, fargate, p);
        String mode = e.effectiveNetworkMode();
        if (!NETWORK_MODES.contains(mode)) {
            p.add("networkMode: unknown network mode '" + mode + "'; use awsvpc, bridge, host or none");
        } else if (fargate && !"awsvpc".equals(mode)) {
            p.add("networkMode: Fargate tasks need awsvpc, was '" + mode + "'; remove networkMode or set awsvpc");
        }
        if ("awsvpc".equals(mode) && e.subnets().isEmpty()) {
            p.add("subnets: the awsvpc network mode needs at least one subnet id (subnet-...) for RunTask");
        }
        for (String s : e.subnets()) {
            if (s == null || !SUBNET.matcher(s).matches()) {
                p.add("subnets: '" + s + "' is not a subnet id; expected subnet- followed by 8 or 17 hex digits");
            }
        }
        for (String s : e.securityGroups()) {
            if (s == null || !SECURITY_GROUP.matcher(s).matches()) {
                p.add("securityGroups: '" + s + "' is not a security group id; expected sg- followed by 8 or 17 "
                        + "hex digits");
            }
        }
        if (!"awsvpc".equals(mode) && (!e.subnets().isEmpty() || !e.securityGroups().isEmpty()
                || e.assignPublicIp() != null)) {
            p.add("subnets/securityGroups/assignPublicIp: only apply to the awsvpc network mode, which is '"
                    + mode + "' here; remove them or use awsvpc");
        }
        if (e.assignPublicIp() != null && !Set.of("ENABLED", "DISABLED").contains(e.assignPublicIp())) {
            p.add("assignPublicIp: '" + e.assignPublicIp() + "' is not ENABLED or DISABLED");
        }
        roleNameOrArn("executionRoleArn", e.executionRoleArn(), p);
        roleNameOrArn("taskRoleArn", e.taskRoleArn(), p);
        roleArn("roleArn", e.roleArn(), p);
        if (e.externalId() != null && e.roleArn() == null) {
            p.add("externalId: only used when assuming a role; set roleArn too, or remove externalId");
        }
        if (e.externalId() != null && (e.externalId().length() < 2 || e.externalId().length() > 1224)) {
            p.add("externalId: must be 2 to 1224 characters long");
        }
        if (e.roleSessionName() != null && !SESSION_NAME.matcher(e.roleSessionName()).matches()) {
            p.add("roleSessionName: '" + e.roleSessionName() + "' is invalid; use 2 to 64 characters of "
                    + "letters, digits and +=,.@_-");
        }
        if (e.cpuArchitecture() != null && !Set.of("X86_64", "ARM64").contains(e.cpuArchitecture())) {
            p.add("cpuArchitecture: '" + e.cpuArchitecture() + "' is not X86_64 or ARM64");
        }
        containers(e, fargate, p);
        passThrough(e, fargate, p);
        if (e.platformVersion() != null && !fargate) {
            p.add("platformVersion: only applies to the FARGATE launch type; remove it for EC2");
        }
        if (e.propagateTags() != null && !Set.of("TASK_DEFINITION", "NONE").contains(e.propagateTags())) {
            p.add("propagateTags: '" + e.propagateTags() + "' is not TASK_DEFINITION or NONE");
        }
        capacityProviders(e, p);
        tags(e, p);
        if (e.runnerCommandSetting() != null && (e.runnerCommandSetting().isEmpty()
                || e.runnerCommandSetting().get(0) == null || e.runnerCommandSetting().get(0).isBlank())) {
            p.add("runnerCommand: empty; give the program and its arguments, or remove it for the default "
                    + String.join(" ", RunnerSettings.DEFAULT_CONTAINER_COMMAND));
        }
        if (e.sdkMaxAttempts() < 1 || e.sdkMaxAttempts() > 10) {
            p.add("sdkMaxAttempts: must be 1 to 10 (1 = no SDK retry), was " + e.sdkMaxAttempts());
        }
        if (e.requestTimeout() == null || e.requestTimeout().isZero() || e.requestTimeout().isNegative()) {
            p.add("requestTimeout: must be a positive duration, was " + e.requestTimeout());
        }
        if (e.launchesPerSecond() < 0 || Double.isNaN(e.launchesPerSecond())) {
            p.add("launchesPerSecond: must be >= 0 (0 = no pacing), was " + e.launchesPerSecond());
        }
        return p;
    }

    private static void credentials(FargateTaskEnvironment e, List<String> p) {
        boolean id = e.awsAccessKeyId() != null && !e.awsAccessKeyId().isBlank();
        boolean secret = e.awsSecretAccessKey() != null && !e.awsSecretAccessKey().isBlank();
        if (secret && !id) {
            p.add("awsSecretAccessKey: given without awsAccessKeyId; set both, or neither to use the default "
                    + "credential chain");
        }
        if (id && !secret) {
            p.add("awsAccessKeyId: given without awsSecretAccessKey; set both, or neither to use the default "
                    + "credential chain");
        }
        if (e.awsSessionToken() != null && !(id && secret)) {
            p.add("awsSessionToken: only valid with awsAccessKeyId and awsSecretAccessKey (temporary credentials)");
        }
        if ((id || secret) && e.credentialsProvider() != null) {
            p.add("credentialsProvider: set either explicit keys or a credentials provider, not both");
        }
    }

    private static void region(FargateTaskEnvironment e, List<String> p) {
        var region = e.resolvedRegion();
        if (region.isEmpty()) {
            p.add("regionName: no AWS region; set regionName, or the REGION_NAME or AWS_REGION environment "
                    + "variable");
        } else if (!REGION.matcher(region.get()).matches()) {
            p.add("regionName: '" + region.get() + "' is not an AWS region name such as us-east-1");
        }
    }

    private static void cpuAndMemory(FargateTaskEnvironment e, boolean fargate, List<String> p) {
        Integer cpu = units("cpu", e.cpu(), true, p);
        Integer mem = units("memory", e.memory(), false, p);
        Integer cpuO = units("cpuOverride", e.cpuOverride(), true, p);
        Integer memO = units("memoryOverride", e.memoryOverride(), false, p);
        if (!fargate) {
            return;
        }
        if (e.cpu() == null) {
            p.add("cpu: Fargate needs the task's cpu; use 256, 512, 1024, 2048, 4096, 8192 or 16384");
        }
        if (e.memory() == null) {
            p.add("memory: Fargate needs the task's memory in MiB, e.g. 512 with cpu 256");
        }
        if (cpu != null && mem != null) {
            fargatePair("cpu/memory", cpu, mem, p);
        }
        if (cpuO != null || memO != null) {
            Integer c = cpuO != null ? cpuO : cpu;
            Integer m = memO != null ? memO : mem;
            if (c != null && m != null) {
                fargatePair("cpuOverride/memoryOverride", c, m, p);
            }
        }
    }

    /** Parses task cpu ("1024", "1 vCPU") or memory ("2048", "2 GB") to units/MiB, or adds a problem. */
    static Integer units(String field, String value, boolean cpu, List<String> p) {
        if (value == null) {
            return null;
        }
        Integer n = parseUnits(value, cpu);
        if (n == null || n <= 0) {
            p.add(field + ": '" + value + "' is not " + (cpu ? "CPU units (e.g. 1024) or vCPU (e.g. 1 vCPU)"
                    : "memory in MiB (e.g. 2048) or GB (e.g. 2 GB)"));
            return null;
        }
        return n;
    }

    /** "1 vCPU" = 1024 units, "2 GB" = 2048 MiB; plain numbers are units/MiB. Null when malformed. */
    static Integer parseUnits(String value, boolean cpu) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        String suffix = cpu ? "vcpu" : "gb";
        try {
            if (v.endsWith(suffix)) {
                BigDecimal d = new BigDecimal(v.substring(0, v.length() - suffix.length()).trim());
                return d.multiply(BigDecimal.valueOf(1024)).intValueExact();
            }
            return Integer.parseInt(v);
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }

    /** Checks a cpu/memory pair against AWS's Fargate table. */
    static void fargatePair(String field, int cpu, int mem, List<String> p) {
        int[] r = fargateMemoryRange(cpu);
        if (r == null) {
            p.add(field + ": Fargate does not offer cpu " + cpu + "; use 256, 512, 1024, 2048, 4096, 8192 or 16384");
            return;
        }
        boolean ok = cpu == 256 ? (mem == 512 || mem == 1024 || mem == 2048)
                : mem >= r[0] && mem <= r[1] && (mem - r[0]) % r[2] == 0;
        if (!ok) {
            String allowed = cpu == 256 ? "512, 1024 or 2048"
                    : r[0] + " to " + r[1] + " in steps of " + r[2];
            p.add(field + ": Fargate does not accept memory " + mem + " with cpu " + cpu + "; use memory "
                    + allowed + " MiB");
        }
    }

    /** {min, max, step} of Fargate memory for a cpu, or null for a cpu Fargate does not offer. */
    static int[] fargateMemoryRange(int cpu) {
        return switch (cpu) {
            case 256 -> new int[]{512, 2048, 512};
            case 512 -> new int[]{1024, 4096, 1024};
            case 1024 -> new int[]{2048, 8192, 1024};
            case 2048 -> new int[]{4096, 16384, 1024};
            case 4096 -> new int[]{8192, 30720, 1024};
            case 8192 -> new int[]{16384, 61440, 4096};
            case 16384 -> new int[]{32768, 122880, 8192};
            default -> null;
        };
    }

    /** A role ECS takes by name or ARN (RegisterTaskDefinition's taskRoleArn and executionRoleArn). */
    private static void roleNameOrArn(String field, String value, List<String> p) {
        if (value != null && !ROLE_ARN.matcher(value).matches() && !ROLE_NAME.matcher(value).matches()) {
            p.add(field + ": '" + value + "' is neither an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)"
                    + " nor a role name (1 to 64 letters, digits and +=,.@_-; give a role with a path as an ARN)");
        }
    }

    private static void roleArn(String field, String value, List<String> p) {
        if (value != null && !ROLE_ARN.matcher(value).matches()) {
            p.add(field + ": '" + value + "' is not an IAM role ARN; expected arn:aws:iam::<12-digit account>:"
                    + "role/<name>");
        }
    }

    private static void containers(FargateTaskEnvironment e, boolean fargate, List<String> p) {
        List<ContainerDefinition> cs = e.containerDefinitions();
        if (cs.isEmpty()) {
            p.add("containerDefinitions: no container; the first container runs the flow, give at least one "
                    + "with a name and an image");
            return;
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < cs.size(); i++) {
            ContainerDefinition c = cs.get(i);
            String at = "containerDefinitions[" + i + "]";
            if (c == null) {
                p.add(at + ": null container");
                continue;
            }
            if (c.name() == null || c.name().isBlank()) {
                p.add(at + ".name: missing; give each container a name");
            } else if (!CONTAINER_NAME.matcher(c.name()).matches()) {
                p.add(at + ".name: '" + c.name() + "' is invalid; use up to 255 letters, digits, hyphens and "
                        + "underscores");
            } else if (!names.add(c.name())) {
                p.add(at + ".name: duplicate container name '" + c.name() + "'");
            }
            if (c.image() == null || c.image().isBlank()) {
                p.add(at + ".image: missing; " + (i == 0 ? "the first container runs the flow and needs an image"
                        : "give the container an image"));
            }
            if (i == 0 && Boolean.FALSE.equals(c.essential())) {
                p.add(at + ".essential: the first container runs the flow and must be essential; remove essential");
            }
            positive(at + ".cpu", c.cpu(), true, p);
            positive(at + ".memory", c.memory(), false, p);
            positive(at + ".memoryReservation", c.memoryReservation(), false, p);
            if (!fargate && e.memory() == null && c.memory() == null && c.memoryReservation() == null) {
                p.add(at + ".memory: EC2 tasks without task memory need memory or memoryReservation on each "
                        + "container");
            }
            for (Map.Entry<String, String> v : c.environment().entrySet()) {
                if (v.getKey() == null || v.getKey().isBlank()) {
                    p.add(at + ".environment: a variable has no name");
                } else if (RUNNER_VARIABLES.contains(v.getKey())) {
                    p.add(at + ".environment: " + v.getKey() + " is set by Flowport for each run; remove it");
                }
                if (v.getValue() == null) {
                    p.add(at + ".environment: " + v.getKey() + " has no value");
                }
            }
            for (Map.Entry<String, String> s : c.secrets().entrySet()) {
                if (s.getKey() == null || s.getKey().isBlank()) {
                    p.add(at + ".secrets: a secret has no name");
                }
                if (s.getValue() == null || !SECRET_ARN.matcher(s.getValue()).matches()) {
                    p.add(at + ".secrets: " + s.getKey() + " must reference a Secrets Manager secret or SSM "
                            + "parameter by ARN (arn:aws:secretsmanager:... or arn:aws:ssm:...), was '"
                            + s.getValue() + "'");
                }
            }
            if (!c.secrets().isEmpty() && e.executionRoleArn() == null) {
                p.add(at + ".secrets: ECS reads secrets with the task execution role; set executionRoleArn");
            }
            LogConfiguration log = c.logConfiguration();
            if (log != null) {
                if (log.logDriver() == null || log.logDriver().isBlank()) {
                    p.add(at + ".logConfiguration.logDriver: missing; use awslogs to read logs back");
                } else if (log.isAwsLogs()) {
                    if (blank(log.options().get(LogConfiguration.GROUP))) {
                        p.add(at + ".logConfiguration: awslogs needs the option awslogs-group");
                    }
                    if (fargate && blank(log.options().get(LogConfiguration.STREAM_PREFIX))) {
                        p.add(at + ".logConfiguration: awslogs on Fargate needs the option awslogs-stream-prefix");
                    }
                    String r = log.options().get(LogConfiguration.REGION);
                    if (r != null && !REGION.matcher(r).matches()) {
                        p.add(at + ".logConfiguration: awslogs-region '" + r + "' is not an AWS region name");
                    }
                    if (fargate && e.executionRoleArn() == null) {
                        p.add(at + ".logConfiguration: Fargate writes awslogs with the task execution role; set "
                                + "executionRoleArn");
                    }
                }
            }
        }
    }

    private static void positive(String field, Integer v, boolean zeroOk, List<String> p) {
        if (v != null && (v < 0 || (!zeroOk && v == 0))) {
            p.add(field + ": must be " + (zeroOk ? ">= 0" : "> 0") + ", was " + v);
        }
    }

    private static void capacityProviders(FargateTaskEnvironment e, List<String> p) {
        for (int i = 0; i < e.capacityProviderStrategy().size(); i++) {
            CapacityProviderStrategyItem c = e.capacityProviderStrategy().get(i);
            String at = "capacityProviderStrategy[" + i + "]";
            if (c == null || blank(c.capacityProvider())) {
                p.add(at + ".capacityProvider: missing; name a capacity provider such as FARGATE_SPOT");
                continue;
            }
            if (c.weight() != null && (c.weight() < 0 || c.weight() > 1000)) {
                p.add(at + ".weight: must be 0 to 1000, was " + c.weight());
            }
            if (c.base() != null && (c.base() < 0 || c.base() > 100000)) {
                p.add(at + ".base: must be 0 to 100000, was " + c.base());
            }
        }
    }

    private static void tags(FargateTaskEnvironment e, List<String> p) {
        if (e.tags().size() + FLOWPORT_TAGS > 50) {
            p.add("tags: ECS takes at most 50 tags and Flowport adds " + FLOWPORT_TAGS + "; give at most "
                    + (50 - FLOWPORT_TAGS) + ", was " + e.tags().size());
        }
        for (Map.Entry<String, String> t : e.tags().entrySet()) {
            String k = t.getKey();
            String v = t.getValue();
            if (blank(k) || k.length() > 128 || !TAG_CHARS.matcher(k).matches()) {
                p.add("tags: key '" + k + "' is invalid; use 1 to 128 letters, digits, spaces and _.:/=+-@");
            } else if (k.toLowerCase(Locale.ROOT).startsWith("aws:")) {
                p.add("tags: key '" + k + "' uses the reserved prefix aws:");
            } else if (k.startsWith("flowport.io/")) {
                p.add("tags: key '" + k + "' uses the prefix flowport.io/, which Flowport sets itself");
            }
            if (v == null || v.length() > 256 || !TAG_CHARS.matcher(v).matches()) {
                p.add("tags: value of '" + k + "' is invalid; use up to 256 letters, digits, spaces and _.:/=+-@");
            }
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    // ------------------------------------------------------------------ ECS API fields without a typed setting

    /**
     * The {@code taskDefinition}, {@code runTaskRequest} and container pass-through fields: each read into the
     * SDK's model (names, types, enum values), fields Flowport sets itself refused, then the checks ECS would
     * make across fields (volumes and mount points, dependsOn targets, Fargate's limits).
     */
    private static void passThrough(FargateTaskEnvironment e, boolean fargate, List<String> p) {
        ObjectNode td = e.taskDefinitionNode();
        td.fieldNames().forEachRemaining(k -> {
            if (TYPED_DEFINITION_FIELDS.containsKey(k)) {
                p.add("taskDefinition." + k + ": " + TYPED_DEFINITION_FIELDS.get(k) + " instead");
            }
        });
        ObjectNode tdChecked = td.deepCopy();
        tdChecked.remove(TYPED_DEFINITION_FIELDS.keySet());
        RegisterTaskDefinitionRequest.Builder definition = RegisterTaskDefinitionRequest.builder();
        EcsFields.apply(tdChecked, definition, "taskDefinition", p);
        EcsFields.checkEnums(definition.build(), "taskDefinition", p);

        ObjectNode rt = e.runTaskNode();
        rt.fieldNames().forEachRemaining(k -> {
            if (TYPED_RUN_TASK_FIELDS.containsKey(k)) {
                p.add("runTaskRequest." + k + ": " + TYPED_RUN_TASK_FIELDS.get(k) + " instead");
            }
        });
        ObjectNode rtChecked = rt.deepCopy();
        rtChecked.remove(TYPED_RUN_TASK_FIELDS.keySet());
        RunTaskRequest.Builder run = RunTaskRequest.builder();
        EcsFields.apply(rtChecked, run, "runTaskRequest", p);
        EcsFields.checkEnums(run.build(), "runTaskRequest", p);

        volumes(td, fargate, p);
        if (td.has("ephemeralStorage")) {
            JsonNode size = td.path("ephemeralStorage").path("sizeInGiB");
            if (!fargate) {
                p.add("taskDefinition.ephemeralStorage: only Fargate tasks take it; size EC2 storage on the instances");
            } else if (size.isIntegralNumber() && (size.asInt() < 21 || size.asInt() > 200)) {
                p.add("taskDefinition.ephemeralStorage.sizeInGiB: Fargate takes 21 to 200 GiB, was " + size.asInt());
            }
        }

        Set<String> containerNames = new HashSet<>();
        Set<String> withHealthCheck = new HashSet<>();
        boolean firelensRouter = false;
        for (ContainerDefinition c : e.containerDefinitions()) {
            if (c != null && c.name() != null) {
                containerNames.add(c.name());
                if (c.ecsFieldsNode().has("healthCheck")) {
                    withHealthCheck.add(c.name());
                }
                firelensRouter |= c.ecsFieldsNode().has("firelensConfiguration");
            }
        }
        Set<String> volumeNames = new HashSet<>();
        td.path("volumes").forEach(v -> volumeNames.add(v.path("name").asText()));
        boolean awsvpc = "awsvpc".equals(e.effectiveNetworkMode());
        for (int i = 0; i < e.containerDefinitions().size(); i++) {
            ContainerDefinition c = e.containerDefinitions().get(i);
            if (c == null) {
                continue;
            }
            String at = "containerDefinitions[" + i + "]";
            ObjectNode extra = c.ecsFieldsNode();
            extra.fieldNames().forEachRemaining(k -> {
                if (TYPED_CONTAINER_FIELDS.contains(k)) {
                    p.add(at + "." + k + ": a typed setting of the container; set it with " + k + "(...) instead");
                }
            });
            ObjectNode checked = extra.deepCopy();
            checked.remove(TYPED_CONTAINER_FIELDS);
            var container = software.amazon.awssdk.services.ecs.model.ContainerDefinition.builder();
            EcsFields.apply(checked, container, at, p);
            EcsFields.checkEnums(container.build(), at, p);
            containerChecks(at, c, checked, fargate, awsvpc, volumeNames, containerNames, withHealthCheck, p);
            if (c.logConfiguration() != null && "awsfirelens".equals(c.logConfiguration().logDriver())
                    && !firelensRouter) {
                p.add(at + ".logConfiguration: the awsfirelens driver needs a log router container with "
                        + "firelensConfiguration (type fluentbit or fluentd) in the task");
            }
        }
    }

    private static void volumes(ObjectNode td, boolean fargate, List<String> p) {
        Set<String> names = new HashSet<>();
        JsonNode volumes = td.path("volumes");
        for (int i = 0; i < volumes.size(); i++) {
            JsonNode v = volumes.get(i);
            String at = "taskDefinition.volumes[" + i + "]";
            String name = v.path("name").asText("");
            if (name.isBlank()) {
                p.add(at + ".name: missing; mount points refer to volumes by name");
            } else if (!names.add(name)) {
                p.add(at + ".name: duplicate volume name '" + name + "'");
            }
            if (v.has("efsVolumeConfiguration") && v.path("efsVolumeConfiguration").path("fileSystemId").asText("")
                    .isBlank()) {
                p.add(at + ".efsVolumeConfiguration.fileSystemId: missing; give the EFS file system id (fs-...)");
            }
            if (fargate && v.path("host").has("sourcePath")) {
                p.add(at + ".host.sourcePath: Fargate has no host paths; remove host (a task-scoped bind mount) or "
                        + "use efsVolumeConfiguration");
            }
            if (fargate && v.has("dockerVolumeConfiguration")) {
                p.add(at + ".dockerVolumeConfiguration: Docker volumes are EC2 only; use efsVolumeConfiguration or a "
                        + "bind mount on Fargate");
            }
        }
    }

    private static void containerChecks(String at, ContainerDefinition c, ObjectNode extra, boolean fargate,
                                        boolean awsvpc, Set<String> volumeNames, Set<String> containerNames,
                                        Set<String> withHealthCheck, List<String> p) {
        JsonNode mounts = extra.path("mountPoints");
        for (int j = 0; j < mounts.size(); j++) {
            String volume = mounts.get(j).path("sourceVolume").asText("");
            if (!volumeNames.contains(volume)) {
                p.add(at + ".mountPoints[" + j + "].sourceVolume: '" + volume + "' is not a volume of the task; "
                        + "declare it in taskDefinition.volumes");
            }
            if (mounts.get(j).path("containerPath").asText("").isBlank()) {
                p.add(at + ".mountPoints[" + j + "].containerPath: missing");
            }
        }
        JsonNode ports = extra.path("portMappings");
        for (int j = 0; j < ports.size(); j++) {
            JsonNode pm = ports.get(j);
            JsonNode port = pm.path("containerPort");
            if (pm.has("containerPortRange")) {
                continue;
            }
            if (!port.isIntegralNumber() || port.asInt() < 1 || port.asInt() > 65535) {
                p.add(at + ".portMappings[" + j + "].containerPort: give a port from 1 to 65535");
            } else if (awsvpc && pm.has("hostPort") && pm.path("hostPort").asInt() != port.asInt()) {
                p.add(at + ".portMappings[" + j + "].hostPort: with awsvpc it must equal containerPort ("
                        + port.asInt() + ") or be left out");
            }
        }
        if (extra.has("healthCheck")) {
            JsonNode cmd = extra.path("healthCheck").path("command");
            String first = cmd.isArray() && cmd.size() > 0 ? cmd.get(0).asText() : "";
            if (!Set.of("CMD", "CMD-SHELL", "NONE").contains(first) || (!"NONE".equals(first) && cmd.size() < 2)) {
                p.add(at + ".healthCheck.command: start with CMD (then the program and its arguments) or CMD-SHELL "
                        + "(then one shell command), e.g. [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]");
            }
            range(at + ".healthCheck.interval", extra.path("healthCheck").path("interval"), 5, 300, p);
            range(at + ".healthCheck.timeout", extra.path("healthCheck").path("timeout"), 2, 60, p);
            range(at + ".healthCheck.retries", extra.path("healthCheck").path("retries"), 1, 10, p);
            range(at + ".healthCheck.startPeriod", extra.path("healthCheck").path("startPeriod"), 0, 300, p);
        }
        JsonNode deps = extra.path("dependsOn");
        for (int j = 0; j < deps.size(); j++) {
            String target = deps.get(j).path("containerName").asText("");
            String condition = deps.get(j).path("condition").asText("");
            if (target.equals(c.name()) || !containerNames.contains(target)) {
                p.add(at + ".dependsOn[" + j + "].containerName: '" + target + "' is not another container of the "
                        + "task");
            } else if ("HEALTHY".equals(condition) && !withHealthCheck.contains(target)) {
                p.add(at + ".dependsOn[" + j + "].condition: HEALTHY needs a healthCheck on container " + target);
            }
            if (condition.isEmpty()) {
                p.add(at + ".dependsOn[" + j + "].condition: missing; START, COMPLETE, SUCCESS or HEALTHY");
            }
        }
        JsonNode linux = extra.path("linuxParameters");
        if (fargate && linux.isObject()) {
            for (String unsupported : List.of("devices", "sharedMemorySize", "tmpfs", "maxSwap", "swappiness")) {
                if (linux.has(unsupported)) {
                    p.add(at + ".linuxParameters." + unsupported + ": not supported on Fargate");
                }
            }
            JsonNode add = linux.path("capabilities").path("add");
            for (int j = 0; j < add.size(); j++) {
                if (!"SYS_PTRACE".equals(add.get(j).asText())) {
                    p.add(at + ".linuxParameters.capabilities.add[" + j + "]: Fargate adds only SYS_PTRACE, was '"
                            + add.get(j).asText() + "'");
                }
            }
        }
    }

    private static void range(String field, JsonNode v, int min, int max, List<String> p) {
        if (v.isIntegralNumber() && (v.asInt() < min || v.asInt() > max)) {
            p.add(field + ": must be " + min + " to " + max + ", was " + v.asInt());
        }
    }
}
