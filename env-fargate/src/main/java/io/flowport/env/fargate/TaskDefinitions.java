package io.flowport.env.fargate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.ConfigurationException;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Names;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.services.ecs.model.Compatibility;
import software.amazon.awssdk.services.ecs.model.KeyValuePair;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.RuntimePlatform;
import software.amazon.awssdk.services.ecs.model.Secret;
import software.amazon.awssdk.services.ecs.model.Tag;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * The wanted task definition of an environment, and the normal form used to hash it and to compare it with what
 * ECS describes. The normal form holds every field of the RegisterTaskDefinition request (typed settings and the
 * {@code taskDefinition}/container pass-through fields alike) under their ECS API names, and leaves out what ECS
 * adds or reorders: ARN, revision, status, registeredAt/By, compatibilities, requiresAttributes, the default
 * network mode, {@code essential} true, container {@code cpu} 0, empty lists and objects, the order of
 * environment variables and secrets. Role names are expanded to the ARNs ECS reports.
 */
final class TaskDefinitions {

    /** The tag carrying the normalised definition's hash. */
    static final String CONTENT_HASH_TAG = "flowport.io/content-hash";
    /** The fields of a RegisterTaskDefinition request that describe the definition (tags are not part of it). */
    private static final Set<String> DEFINITION_FIELDS;

    static {
        Set<String> names = new LinkedHashSet<>();
        for (SdkField<?> f : RegisterTaskDefinitionRequest.builder().build().sdkFields()) {
            names.add(f.locationName());
        }
        names.remove("tags");
        DEFINITION_FIELDS = Set.copyOf(names);
    }

    private TaskDefinitions() {
    }

    /**
     * The RegisterTaskDefinition request for {@code family}, without tags: the {@code taskDefinition} and container
     * pass-through fields, then the typed settings over them (validation refuses overlaps).
     *
     * @throws ConfigurationException if a pass-through field is invalid (validation reports it first)
     */
    static RegisterTaskDefinitionRequest.Builder request(FargateTaskEnvironment e, String family) {
        List<String> problems = new ArrayList<>();
        RegisterTaskDefinitionRequest.Builder r = RegisterTaskDefinitionRequest.builder();
        EcsFields.apply(e.taskDefinitionNode(), r, "taskDefinition", problems);
        List<software.amazon.awssdk.services.ecs.model.ContainerDefinition> containers = new ArrayList<>();
        String region = e.resolvedRegion().orElse(null);
        for (int i = 0; i < e.containerDefinitions().size(); i++) {
            ContainerDefinition c = e.containerDefinitions().get(i);
            var b = software.amazon.awssdk.services.ecs.model.ContainerDefinition.builder();
            EcsFields.apply(c.ecsFieldsNode(), b, "containerDefinitions[" + i + "]", problems);
            b.name(c.name()).image(c.image());
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
        if (!problems.isEmpty()) {
            throw new ConfigurationException("FargateTaskEnvironment", problems);
        }
        r.family(family)
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

    /** The content hash a revision was tagged with, or null. */
    static String contentHash(List<Tag> tags) {
        return tags.stream().filter(t -> CONTENT_HASH_TAG.equals(t.key())).map(Tag::value).findFirst().orElse(null);
    }

    /**
     * The normal form of a RegisterTaskDefinition request or of a described {@code TaskDefinition}.
     *
     * @param roleArn turns a role name into the ARN ECS reports for it (ARNs pass unchanged)
     */
    static ObjectNode normalise(SdkPojo definition, UnaryOperator<String> roleArn) {
        ObjectNode all = EcsFields.toJson(definition);
        ObjectNode m = EcsFields.JSON.createObjectNode();
        all.fields().forEachRemaining(e -> {
            if (DEFINITION_FIELDS.contains(e.getKey())) {
                m.set(e.getKey(), e.getValue());
            }
        });
        List<String> compatibilities = new ArrayList<>();
        m.path("requiresCompatibilities").forEach(c -> compatibilities.add(c.asText()));
        ArrayNode sortedCompatibilities = m.putArray("requiresCompatibilities");
        new TreeSet<>(compatibilities).forEach(sortedCompatibilities::add);
        if (!m.hasNonNull("networkMode")) {
            m.put("networkMode", compatibilities.contains("FARGATE") ? "awsvpc" : "bridge");
        }
        units(m, "cpu", true);
        units(m, "memory", false);
        for (String role : List.of("taskRoleArn", "executionRoleArn")) {
            if (m.hasNonNull(role)) {
                m.put(role, roleArn.apply(m.get(role).asText()));
            }
        }
        for (JsonNode c : m.path("containerDefinitions")) {
            ObjectNode cn = (ObjectNode) c;
            if (!cn.hasNonNull("essential")) {
                cn.put("essential", true);
            }
            if (!cn.hasNonNull("cpu")) {
                cn.put("cpu", 0);
            }
            sortByName(cn, "environment");
            sortByName(cn, "secrets");
        }
        return (ObjectNode) EcsFields.sorted(pruned(m));
    }

    private static void units(ObjectNode m, String field, boolean cpu) {
        if (m.hasNonNull(field)) {
            Integer n = FargateValidation.parseUnits(m.get(field).asText(), cpu);
            if (n != null) {
                m.put(field, String.valueOf(n));
            }
        }
    }

    private static void sortByName(ObjectNode container, String field) {
        if (container.path(field).isArray()) {
            List<JsonNode> items = new ArrayList<>();
            container.get(field).forEach(items::add);
            items.sort(Comparator.comparing(n -> n.path("name").asText()));
            container.putArray(field).addAll(items);
        }
    }

    /** {@code node} without nulls, empty lists and empty objects, at any depth (ECS adds and drops those). */
    private static JsonNode pruned(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = EcsFields.JSON.createObjectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = pruned(e.getValue());
                if (!empty(v)) {
                    out.set(e.getKey(), v);
                }
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = EcsFields.JSON.createArrayNode();
            node.forEach(n -> out.add(pruned(n)));
            return out;
        }
        return node;
    }

    private static boolean empty(JsonNode v) {
        return v == null || v.isNull() || (v.isContainerNode() && v.isEmpty());
    }

    /** The SHA-256 (hex) of the canonical JSON of a normal form. */
    static String hash(ObjectNode normalForm) {
        return Names.sha256Hex(json(normalForm));
    }

    /** The canonical JSON of a normal form (keys sorted at every level). */
    static String json(ObjectNode normalForm) {
        try {
            return EcsFields.JSON.writeValueAsString(EcsFields.sorted(normalForm));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a task definition", e);
        }
    }

    /** The fields that differ, for the log: top-level names, and {@code containerDefinitions[i].field}. */
    static String readableDiff(ObjectNode wanted, ObjectNode existing) {
        List<String> diff = new ArrayList<>();
        Set<String> keys = new TreeSet<>();
        wanted.fieldNames().forEachRemaining(keys::add);
        existing.fieldNames().forEachRemaining(keys::add);
        for (String k : keys) {
            if (Objects.equals(wanted.get(k), existing.get(k))) {
                continue;
            }
            if ("containerDefinitions".equals(k) && wanted.path(k).size() == existing.path(k).size()) {
                for (int i = 0; i < wanted.path(k).size(); i++) {
                    JsonNode a = wanted.path(k).get(i);
                    JsonNode b = existing.path(k).get(i);
                    Set<String> ck = new TreeSet<>();
                    a.fieldNames().forEachRemaining(ck::add);
                    b.fieldNames().forEachRemaining(ck::add);
                    for (String c : ck) {
                        if (!Objects.equals(a.get(c), b.get(c))) {
                            diff.add(k + "[" + i + "]." + c);
                        }
                    }
                }
            } else {
                diff.add(k);
            }
        }
        return String.join(", ", diff);
    }
}
