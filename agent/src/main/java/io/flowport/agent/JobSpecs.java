package io.flowport.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.agent.internal.AgentJson;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Environment;
import io.flowport.core.Serialization;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How an agent turns a claimed run into the environment document it deploys (the "agent-side job spec"): the same
 * customisation for every run it takes, kept on the agent instead of in each flow's environment. In order:
 * <ol>
 *   <li><b>the run's environment</b>, or the agent's {@linkplain #defaultEnvironment default environment} when the
 *       run was submitted without one;</li>
 *   <li><b>template</b>: the agent's {@linkplain #template template} for the document's {@code type} is the base; the
 *       run's document is merged over it (objects merge key by key, other values replace), so a template adds what
 *       every run of that type needs (subnets, a role, a secret) and a run can still override it;</li>
 *   <li><b>profile</b>: {@code metadata.job_profile} names one of the agent's {@linkplain #profile profiles}, merged
 *       over the document (the profile wins); an unknown profile fails the run, naming the known ones;</li>
 *   <li><b>resources</b>: {@code metadata.cpu} and {@code metadata.memory} are copied to the provider's own fields —
 *       {@code fargate-task}: {@code cpu}, {@code memory}; {@code kubernetes-job}: {@code resources.requests.cpu},
 *       {@code resources.requests.memory}; {@code cloud-run-job}: {@code cpu}, {@code memory}; {@code aci}: {@code cpu},
 *       {@code memoryInGb} — or to the fields given with {@link #resourceField}; for a type with no such field the
 *       value is left out and a warning is recorded;</li>
 *   <li><b>callback</b>: the {@link JobSpecCustomizer}, which sees the result and may change anything.</li>
 * </ol>
 * Immutable; build with {@link #builder()}.
 */
public final class JobSpecs {

    /** The metadata key that selects a profile. */
    public static final String JOB_PROFILE = "job_profile";
    /** The metadata key for the CPU of the run's unit. */
    public static final String CPU = "cpu";
    /** The metadata key for the memory of the run's unit. */
    public static final String MEMORY = "memory";

    /** Where {@code metadata.cpu} / {@code metadata.memory} go, per environment type (JSON Pointers). */
    private static final Map<String, Map<String, String>> BUILT_IN_RESOURCES = Map.of(
            "fargate-task", Map.of(CPU, "/cpu", MEMORY, "/memory"),
            "kubernetes-job", Map.of(CPU, "/resources/requests/cpu", MEMORY, "/resources/requests/memory"),
            "cloud-run-job", Map.of(CPU, "/cpu", MEMORY, "/memory"),
            "aci", Map.of(CPU, "/cpu", MEMORY, "/memoryInGb"));

    private final ObjectNode defaultEnvironment;
    private final Map<String, ObjectNode> templates;
    private final Map<String, ObjectNode> profiles;
    private final Map<String, Map<String, String>> resources;
    private final JobSpecCustomizer customizer;

    private JobSpecs(Builder b) {
        this.defaultEnvironment = b.defaultEnvironment;
        this.templates = Collections.unmodifiableMap(new TreeMap<>(b.templates));
        this.profiles = Collections.unmodifiableMap(new TreeMap<>(b.profiles));
        Map<String, Map<String, String>> r = new TreeMap<>(BUILT_IN_RESOURCES);
        b.resources.forEach((type, fields) -> r.merge(type, fields, (a, c) -> {
            Map<String, String> m = new TreeMap<>(a);
            m.putAll(c);
            return m;
        }));
        this.resources = Collections.unmodifiableMap(r);
        this.customizer = b.customizer;
    }

    /** No customisation: runs deploy with their own environments. */
    public static JobSpecs none() {
        return builder().build();
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether a callback takes part (then the spec of a run may depend on more than its environment document). */
    public boolean hasCustomizer() {
        return customizer != null;
    }

    /** The default environment document, if any. */
    public java.util.Optional<ObjectNode> defaultEnvironment() {
        return java.util.Optional.ofNullable(defaultEnvironment).map(ObjectNode::deepCopy);
    }

    /**
     * The document to deploy {@code run} with, and the warnings met on the way.
     *
     * @throws ConfigurationException if the run has no environment and there is no default, its document is not
     *                                valid, its profile is unknown, or the callback fails or returns nothing
     */
    public Resolved resolve(QueuedRun run) {
        List<String> warnings = new ArrayList<>();
        ObjectNode spec;
        if (run.environmentJson() != null) {
            spec = AgentJson.object(run.environmentJson(), "the environment of run " + run.id());
        } else if (defaultEnvironment != null) {
            spec = defaultEnvironment.deepCopy();
        } else {
            throw new ConfigurationException("run " + run.id() + " has no environment and the agent has no default "
                    + "environment; submit it with an environment, or start the agent with one (--env)");
        }
        String type = spec.path("type").asText("");
        ObjectNode template = templates.get(type);
        if (template != null) {
            spec = AgentJson.merge(template, spec);
        }
        JsonNode metadata = spec.path("metadata");
        String profile = metadata.path(JOB_PROFILE).asText(null);
        if (profile != null) {
            ObjectNode p = profiles.get(profile);
            if (p == null) {
                throw new ConfigurationException("run " + run.id() + ": metadata." + JOB_PROFILE + " '" + profile
                        + "' is not a profile of this agent; known profiles: "
                        + (profiles.isEmpty() ? "(none)" : String.join(", ", profiles.keySet())));
            }
            if (p.has("type") && !p.path("type").asText().equals(type)) {
                throw new ConfigurationException("run " + run.id() + ": profile '" + profile + "' is for environment"
                        + " type '" + p.path("type").asText() + "', the run's environment is '" + type + "'");
            }
            spec = AgentJson.merge(spec, p);
        }
        type = spec.path("type").asText("");
        for (String key : List.of(CPU, MEMORY)) {
            JsonNode value = spec.path("metadata").get(key);
            if (value == null || value.isNull()) {
                continue;
            }
            String pointer = resources.getOrDefault(type, Map.of()).get(key);
            if (pointer == null) {
                warnings.add("metadata." + key + " ignored: environment type '" + type + "' has no " + key
                        + " setting (map one with JobSpecs.Builder.resourceField)");
                continue;
            }
            set(spec, pointer, value);
        }
        if (customizer != null) {
            ObjectNode out;
            try {
                out = customizer.customize(run, spec);
            } catch (RuntimeException e) {
                throw new ConfigurationException("run " + run.id() + ": the job spec callback failed: " + e);
            }
            if (out == null) {
                throw new ConfigurationException("run " + run.id() + ": the job spec callback returned no spec");
            }
            spec = out;
        }
        return new Resolved(spec, warnings);
    }

    private static void set(ObjectNode spec, String pointer, JsonNode value) {
        String[] parts = pointer.substring(1).split("/");
        ObjectNode at = spec;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = at.get(parts[i]);
            ObjectNode o;
            if (next instanceof ObjectNode existing) {
                o = existing;
            } else {
                o = JsonNodeFactory.instance.objectNode();
                at.set(parts[i], o);
            }
            at = o;
        }
        at.set(parts[parts.length - 1], value.deepCopy());
    }

    @Override
    public String toString() {
        return "JobSpecs[default=" + (defaultEnvironment == null ? "none" : defaultEnvironment.path("type").asText())
                + ", templates=" + templates.keySet() + ", profiles=" + profiles.keySet()
                + ", callback=" + (customizer != null) + "]";
    }

    /**
     * A resolved spec.
     *
     * @param spec     the environment document to deploy
     * @param warnings what was ignored on the way (recorded in the run's history)
     */
    public record Resolved(ObjectNode spec, List<String> warnings) {
        /** Copies the warnings. */
        public Resolved {
            Objects.requireNonNull(spec, "spec");
            warnings = List.copyOf(warnings);
        }
    }

    /** Builds {@link JobSpecs}; documents are checked as they are added. */
    public static final class Builder {
        private ObjectNode defaultEnvironment;
        private final Map<String, ObjectNode> templates = new LinkedHashMap<>();
        private final Map<String, ObjectNode> profiles = new LinkedHashMap<>();
        private final Map<String, Map<String, String>> resources = new LinkedHashMap<>();
        private JobSpecCustomizer customizer;

        private Builder() {
        }

        /** The environment of runs submitted without one. */
        public Builder defaultEnvironment(Environment environment) {
            this.defaultEnvironment = AgentJson.object(Serialization.toJson(environment), "default environment");
            return this;
        }

        /**
         * The environment of runs submitted without one, as a document with a {@code type}.
         *
         * @throws ConfigurationException if it does not read back as an environment
         */
        public Builder defaultEnvironment(ObjectNode document) {
            Serialization.environmentFromJson(document.toString());
            this.defaultEnvironment = document.deepCopy();
            return this;
        }

        /** The default environment from a {@code .json}/{@code .yaml} file. */
        public Builder defaultEnvironment(Path file) {
            return defaultEnvironment(AgentJson.readFile(file));
        }

        /**
         * A template for one environment type: a (partial) document with that {@code type}, the base under every run
         * of the type.
         *
         * @throws ConfigurationException if it has no {@code type}
         */
        public Builder template(ObjectNode document) {
            String type = document.path("type").asText("");
            if (type.isBlank()) {
                throw new ConfigurationException("a job spec template needs the 'type' of the environments it is for");
            }
            templates.put(type, document.deepCopy());
            return this;
        }

        /** A template from a {@code .json}/{@code .yaml} file. */
        public Builder template(Path file) {
            return template(AgentJson.readFile(file));
        }

        /**
         * A profile, chosen by runs whose {@code metadata.job_profile} is {@code name}: a partial document merged
         * over theirs (with a {@code type}, it only applies to environments of that type).
         */
        public Builder profile(String name, ObjectNode document) {
            if (name == null || name.isBlank()) {
                throw new ConfigurationException("a job profile needs a name");
            }
            profiles.put(name, document.deepCopy());
            return this;
        }

        /** A profile from a {@code .json}/{@code .yaml} file. */
        public Builder profile(String name, Path file) {
            return profile(name, AgentJson.readFile(file));
        }

        /**
         * Where {@code metadata.cpu} or {@code metadata.memory} goes for one environment type, as a JSON Pointer
         * (e.g. {@code resourceField("my-type", "memory", "/limits/memory")}); replaces a built-in one.
         */
        public Builder resourceField(String type, String key, String jsonPointer) {
            if (!CPU.equals(key) && !MEMORY.equals(key)) {
                throw new ConfigurationException("resourceField key must be 'cpu' or 'memory', was '" + key + "'");
            }
            if (jsonPointer == null || !jsonPointer.startsWith("/") || jsonPointer.length() < 2) {
                throw new ConfigurationException("resourceField pointer must be a JSON Pointer like '/cpu', was '"
                        + jsonPointer + "'");
            }
            resources.computeIfAbsent(type, t -> new LinkedHashMap<>()).put(key, jsonPointer);
            return this;
        }

        /** The callback that has the last word on every run's spec. */
        public Builder customizer(JobSpecCustomizer value) {
            this.customizer = value;
            return this;
        }

        /** The customisation. */
        public JobSpecs build() {
            return new JobSpecs(this);
        }
    }
}
