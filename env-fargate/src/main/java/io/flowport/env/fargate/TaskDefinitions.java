package io.flowport.env.fargate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowport.core.spi.Labels;
import software.amazon.awssdk.services.ecs.model.Compatibility;
import software.amazon.awssdk.services.ecs.model.KeyValuePair;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.RuntimePlatform;
import software.amazon.awssdk.services.ecs.model.Secret;
import software.amazon.awssdk.services.ecs.model.Tag;
import software.amazon.awssdk.services.ecs.model.TaskDefinition;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The wanted task definition of an environment, and the normal form used to compare it with what ECS
 * describes: everything ECS adds or defaults (ARN, revision, status, registeredAt/By, compatibilities,
 * requiresAttributes, the default network mode, {@code essential}, container {@code cpu} 0, empty lists) and
 * the order of environment variables and secrets do not count.
 */
final class TaskDefinitions {

    /** The tag carrying the normalised definition's hash. */
    static final String CONTENT_HASH_TAG = "flowport.io/content-hash";

    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private TaskDefinitions() {
    }

    /** The RegisterTaskDefinition request for {@code family}, without tags. */
    static RegisterTaskDefinitionRequest.Builder request(FargateTaskEnvironment e, String family) {
        List<software.amazon.awssdk.services.ecs.model.ContainerDefinition> containers = new ArrayList<>();
        String region = e.resolvedRegion().orElse(null);
        for (ContainerDefinition c : e.containerDefinitions()) {
            var b = software.amazon.awssdk.services.ecs.model.ContainerDefinition.builder()
                    .name(c.name()).image(c.image());
            if (!c.command().isEmpty()) {
                b.command(c.command());
            }
            if (!c.entryPoint().isEmpty()) {
                b.entryPoint(c.entryPoint());
            }
            b.workingDirectory(c.workingDirectory()).cpu(c.cpu()).memory(c.memory())
                    .memoryReservation(c.memoryReservation()).essential(c.essential());
            if (!c.environment().isEmpty()) {
                b.environment(c.environment().entrySet().stream()
                        .map(v -> KeyValuePair.builder().name(v.getKey()).value(v.getValue()).build()).toList());
            }
            if (!c.secrets().isEmpty()) {
                b.secrets(c.secrets().entrySet().stream()
                        .map(s -> Secret.builder().name(s.getKey()).valueFrom(s.getValue()).build()).toList());
            }
            LogConfiguration log = c.logConfiguration();
            if (log != null) {
                Map<String, String> options = new TreeMap<>(log.options());
                if (log.isAwsLogs() && region != null) {
                    options.putIfAbsent(LogConfiguration.REGION, region);
                }
                b.logConfiguration(software.amazon.awssdk.services.ecs.model.LogConfiguration.builder()
                        .logDriver(log.logDriver()).options(options).build());
            }
            containers.add(b.build());
        }
        RegisterTaskDefinitionRequest.Builder r = RegisterTaskDefinitionRequest.builder()
                .family(family)
                .networkMode(e.effectiveNetworkMode())
                .requiresCompatibilities(Compatibility.fromValue(e.launchType()))
                .containerDefinitions(containers)
                .taskRoleArn(e.taskRoleArn())
                .executionRoleArn(e.executionRoleArn());
        if (e.cpu() != null) {
            r.cpu(String.valueOf(FargateValidation.parseUnits(e.cpu(), true)));
        }
        if (e.memory() != null) {
            r.memory(String.valueOf(FargateValidation.parseUnits(e.memory(), false)));
        }
        if (e.cpuArchitecture() != null) {
            r.runtimePlatform(RuntimePlatform.builder().cpuArchitecture(e.cpuArchitecture())
                    .operatingSystemFamily("LINUX").build());
        }
        return r;
    }

    /** The tags put on a registered revision: Flowport's marker and the content hash. */
    static List<Tag> tags(String hash) {
        return List.of(Tag.builder().key(Labels.MANAGED_BY).value("flowport").build(),
                Tag.builder().key(CONTENT_HASH_TAG).value(hash).build());
    }

    /** The normal form of a request. */
    static Map<String, Object> normalise(RegisterTaskDefinitionRequest r) {
        return normalise(r.family(), r.taskRoleArn(), r.executionRoleArn(), r.networkModeAsString(), r.cpu(),
                r.memory(), r.requiresCompatibilitiesAsStrings(), r.runtimePlatform(), r.containerDefinitions(),
                r.volumes().size(), r.placementConstraints().size(), r.pidModeAsString(), r.ipcModeAsString(),
                r.ephemeralStorage() == null ? null : r.ephemeralStorage().sizeInGiB());
    }

    /** The normal form of a described revision. */
    static Map<String, Object> normalise(TaskDefinition d) {
        return normalise(d.family(), d.taskRoleArn(), d.executionRoleArn(), d.networkModeAsString(), d.cpu(),
                d.memory(), d.requiresCompatibilitiesAsStrings(), d.runtimePlatform(), d.containerDefinitions(),
                d.volumes().size(), d.placementConstraints().size(), d.pidModeAsString(), d.ipcModeAsString(),
                d.ephemeralStorage() == null ? null : d.ephemeralStorage().sizeInGiB());
    }

    private static Map<String, Object> normalise(String family, String taskRole, String executionRole,
                                                 String networkMode, String cpu, String memory,
                                                 List<String> compatibilities, RuntimePlatform platform,
                                                 List<software.amazon.awssdk.services.ecs.model.ContainerDefinition>
                                                         containers, int volumes, int placementConstraints,
                                                 String pidMode, String ipcMode, Integer ephemeralGiB) {
        Map<String, Object> m = new TreeMap<>();
        m.put("family", family);
        put(m, "taskRoleArn", taskRole);
        put(m, "executionRoleArn", executionRole);
        boolean fargate = compatibilities.contains("FARGATE");
        put(m, "networkMode", networkMode != null ? networkMode : fargate ? "awsvpc" : "bridge");
        put(m, "cpu", units(cpu, true));
        put(m, "memory", units(memory, false));
        m.put("requiresCompatibilities", new java.util.TreeSet<>(compatibilities).toString());
        if (platform != null) {
            put(m, "cpuArchitecture", platform.cpuArchitectureAsString());
            put(m, "operatingSystemFamily", platform.operatingSystemFamilyAsString());
        }
        if (volumes > 0) {
            m.put("volumes", volumes);
        }
        if (placementConstraints > 0) {
            m.put("placementConstraints", placementConstraints);
        }
        put(m, "pidMode", pidMode);
        put(m, "ipcMode", ipcMode);
        if (ephemeralGiB != null) {
            m.put("ephemeralStorage", ephemeralGiB);
        }
        List<Map<String, Object>> cs = new ArrayList<>();
        for (var c : containers) {
            Map<String, Object> cm = new TreeMap<>();
            cm.put("name", c.name());
            put(cm, "image", c.image());
            if (!c.command().isEmpty()) {
                cm.put("command", c.command());
            }
            if (!c.entryPoint().isEmpty()) {
                cm.put("entryPoint", c.entryPoint());
            }
            put(cm, "workingDirectory", c.workingDirectory());
            cm.put("cpu", c.cpu() == null ? 0 : c.cpu());
            if (c.memory() != null) {
                cm.put("memory", c.memory());
            }
            if (c.memoryReservation() != null) {
                cm.put("memoryReservation", c.memoryReservation());
            }
            cm.put("essential", c.essential() == null || c.essential());
            Map<String, String> env = new TreeMap<>();
            c.environment().forEach(v -> env.put(v.name(), v.value()));
            if (!env.isEmpty()) {
                cm.put("environment", env);
            }
            Map<String, String> secrets = new TreeMap<>();
            c.secrets().forEach(s -> secrets.put(s.name(), s.valueFrom()));
            if (!secrets.isEmpty()) {
                cm.put("secrets", secrets);
            }
            if (c.logConfiguration() != null) {
                cm.put("logDriver", c.logConfiguration().logDriverAsString());
                if (!c.logConfiguration().options().isEmpty()) {
                    cm.put("logOptions", new TreeMap<>(c.logConfiguration().options()));
                }
            }
            // things Flowport never sets: a revision that has them is not the one wanted
            count(cm, "portMappings", c.portMappings().size());
            count(cm, "mountPoints", c.mountPoints().size());
            count(cm, "volumesFrom", c.volumesFrom().size());
            count(cm, "dependsOn", c.dependsOn().size());
            count(cm, "links", c.links().size());
            if (c.healthCheck() != null) {
                cm.put("healthCheck", true);
            }
            put(cm, "user", c.user());
            cs.add(cm);
        }
        m.put("containerDefinitions", cs);
        return m;
    }

    private static void put(Map<String, Object> m, String k, String v) {
        if (v != null && !v.isEmpty()) {
            m.put(k, v);
        }
    }

    private static void count(Map<String, Object> m, String k, int n) {
        if (n > 0) {
            m.put(k, n);
        }
    }

    private static String units(String v, boolean cpu) {
        if (v == null) {
            return null;
        }
        Integer n = FargateValidation.parseUnits(v, cpu);
        return n == null ? v : String.valueOf(n);
    }

    /** The SHA-256 (hex) of the normal form. */
    static String hash(Map<String, Object> normalForm) {
        try {
            byte[] json = CANONICAL.writeValueAsBytes(normalForm);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash a task definition", e);
        }
    }

    /** The canonical JSON of a normal form, for messages. */
    static String json(Map<String, Object> normalForm) {
        try {
            return CANONICAL.writeValueAsString(normalForm);
        } catch (JsonProcessingException e) {
            return normalForm.toString();
        }
    }

    static String readableDiff(Map<String, Object> wanted, Map<String, Object> existing) {
        List<String> diff = new ArrayList<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(wanted.keySet());
        keys.addAll(existing.keySet());
        for (String k : keys) {
            if (!java.util.Objects.equals(wanted.get(k), existing.get(k))) {
                diff.add(k);
            }
        }
        return String.join(", ", diff);
    }
}
