package io.flowport.env.fargate;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonPOJOBuilder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One container of the task definition. The first container of {@link FargateTaskEnvironment} runs the flow:
 * its command is replaced per run (the runner, or a command flow's own command) and the {@code FLOWPORT__*}
 * variables are added to its environment. Other containers (sidecars) are registered as given.
 *
 * <p>{@code environment} values are plain text, part of the task definition and serialized with the
 * environment: put secret values in {@code secrets}, which only holds references (Secrets Manager or SSM
 * Parameter Store ARNs) that ECS resolves when the task starts.
 *
 * <p>Every other field of an ECS container definition is given with its key from the ECS API reference
 * ({@link #ecsFields()}): in JSON/YAML next to the typed ones ({@code portMappings}, {@code healthCheck},
 * {@code dependsOn}, {@code mountPoints}, {@code linuxParameters}, {@code firelensConfiguration},
 * {@code ulimits}, {@code user} ...), in Java with {@link Builder#ecsField}. They are checked against the ECS
 * model of the AWS SDK (names, types, enum values) and against the rest of the definition (volumes, other
 * containers) when the environment is validated, before any AWS call; they are part of the task definition's
 * content hash.
 */
@JsonDeserialize(builder = ContainerDefinition.Builder.class)
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public final class ContainerDefinition {

    private final String name;
    private final String image;
    private final List<String> command;
    private final List<String> entryPoint;
    private final String workingDirectory;
    private final Integer cpu;
    private final Integer memory;
    private final Integer memoryReservation;
    private final Boolean essential;
    private final Map<String, String> environment;
    private final Map<String, String> secrets;
    private final LogConfiguration logConfiguration;
    private final ObjectNode ecsFields;

    private ContainerDefinition(Builder b) {
        this.name = b.name;
        this.image = b.image;
        this.command = List.copyOf(b.command);
        this.entryPoint = List.copyOf(b.entryPoint);
        this.workingDirectory = b.workingDirectory;
        this.cpu = b.cpu;
        this.memory = b.memory;
        this.memoryReservation = b.memoryReservation;
        this.essential = b.essential;
        this.environment = Collections.unmodifiableMap(new LinkedHashMap<>(b.environment));
        this.secrets = Collections.unmodifiableMap(new LinkedHashMap<>(b.secrets));
        this.logConfiguration = b.logConfiguration;
        this.ecsFields = b.ecsFields.deepCopy();
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A container with a name and an image. */
    public static ContainerDefinition of(String name, String image) {
        return builder().name(name).image(image).build();
    }

    /** The container's name (unique in the task definition). */
    @JsonProperty("name")
    public String name() {
        return name;
    }

    /** The image, e.g. {@code 123456789012.dkr.ecr.eu-west-1.amazonaws.com/flows:1.4}. */
    @JsonProperty("image")
    public String image() {
        return image;
    }

    /** The registered command (for the first container it is replaced by each run's command). */
    @JsonProperty("command")
    public List<String> command() {
        return command;
    }

    /** The entry point, if the image's should be replaced. */
    @JsonProperty("entryPoint")
    public List<String> entryPoint() {
        return entryPoint;
    }

    /** The working directory inside the container. */
    @JsonProperty("workingDirectory")
    public String workingDirectory() {
        return workingDirectory;
    }

    /** CPU units reserved for this container ({@code null}: ECS's default 0). */
    @JsonProperty("cpu")
    public Integer cpu() {
        return cpu;
    }

    /** Hard memory limit in MiB. */
    @JsonProperty("memory")
    public Integer memory() {
        return memory;
    }

    /** Soft memory limit in MiB. */
    @JsonProperty("memoryReservation")
    public Integer memoryReservation() {
        return memoryReservation;
    }

    /** Whether the task stops when this container stops ({@code null}: ECS's default, true). */
    @JsonProperty("essential")
    public Boolean essential() {
        return essential;
    }

    /** Plain environment variables (not for secret values). */
    @JsonProperty("environment")
    public Map<String, String> environment() {
        return environment;
    }

    /** Secret variables: name to the ARN of a Secrets Manager secret or SSM parameter. */
    @JsonProperty("secrets")
    public Map<String, String> secrets() {
        return secrets;
    }

    /** The log configuration, or {@code null}. */
    @JsonProperty("logConfiguration")
    public LogConfiguration logConfiguration() {
        return logConfiguration;
    }

    /**
     * The container's other ECS fields, under their ECS API names (e.g. {@code portMappings}, {@code healthCheck});
     * a copy. Serialized next to the typed fields.
     */
    @JsonAnyGetter
    public Map<String, Object> ecsFields() {
        return EcsFields.toMap(ecsFields);
    }

    /** The other ECS fields as JSON (not copied: never modify it). */
    ObjectNode ecsFieldsNode() {
        return ecsFields;
    }

    /** A builder holding this container's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.image = image;
        b.command.addAll(command);
        b.entryPoint.addAll(entryPoint);
        b.workingDirectory = workingDirectory;
        b.cpu = cpu;
        b.memory = memory;
        b.memoryReservation = memoryReservation;
        b.essential = essential;
        b.environment.putAll(environment);
        b.secrets.putAll(secrets);
        b.logConfiguration = logConfiguration;
        b.ecsFields.setAll(ecsFields.deepCopy());
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContainerDefinition c && Objects.equals(name, c.name) && Objects.equals(image, c.image)
                && command.equals(c.command) && entryPoint.equals(c.entryPoint)
                && Objects.equals(workingDirectory, c.workingDirectory) && Objects.equals(cpu, c.cpu)
                && Objects.equals(memory, c.memory) && Objects.equals(memoryReservation, c.memoryReservation)
                && Objects.equals(essential, c.essential) && environment.equals(c.environment)
                && secrets.equals(c.secrets) && Objects.equals(logConfiguration, c.logConfiguration)
                && ecsFields.equals(c.ecsFields);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, image, command, entryPoint, workingDirectory, cpu, memory, memoryReservation,
                essential, environment, secrets, logConfiguration, ecsFields);
    }

    @Override
    public String toString() {
        // environment values may be sensitive even though they should not be: show names only
        return "ContainerDefinition[name=" + name + ", image=" + image + ", environment=" + environment.keySet()
                + ", secrets=" + secrets.keySet() + (ecsFields.isEmpty() ? "" : ", ecsFields="
                + EcsFields.toMap(ecsFields).keySet()) + "]";
    }

    /** Builds a {@link ContainerDefinition}. */
    @JsonPOJOBuilder(withPrefix = "")
    @JsonAutoDetect(setterVisibility = JsonAutoDetect.Visibility.NONE) // only the annotated methods read documents
    public static final class Builder {
        private String name;
        private String image;
        private final List<String> command = new ArrayList<>();
        private final List<String> entryPoint = new ArrayList<>();
        private String workingDirectory;
        private Integer cpu;
        private Integer memory;
        private Integer memoryReservation;
        private Boolean essential;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final Map<String, String> secrets = new LinkedHashMap<>();
        private LogConfiguration logConfiguration;
        private final ObjectNode ecsFields = EcsFields.JSON.createObjectNode();

        private Builder() {
        }

        /** The container's name. */
        @JsonProperty("name")
        public Builder name(String value) {
            this.name = value;
            return this;
        }

        /** The image. */
        @JsonProperty("image")
        public Builder image(String value) {
            this.image = value;
            return this;
        }

        /** The registered command. */
        @JsonProperty("command")
        public Builder command(List<String> value) {
            command.clear();
            command.addAll(value);
            return this;
        }

        /** The entry point. */
        @JsonProperty("entryPoint")
        public Builder entryPoint(List<String> value) {
            entryPoint.clear();
            entryPoint.addAll(value);
            return this;
        }

        /** The working directory. */
        @JsonProperty("workingDirectory")
        public Builder workingDirectory(String value) {
            this.workingDirectory = value;
            return this;
        }

        /** CPU units of this container. */
        @JsonProperty("cpu")
        public Builder cpu(Integer value) {
            this.cpu = value;
            return this;
        }

        /** Hard memory limit in MiB. */
        @JsonProperty("memory")
        public Builder memory(Integer value) {
            this.memory = value;
            return this;
        }

        /** Soft memory limit in MiB. */
        @JsonProperty("memoryReservation")
        public Builder memoryReservation(Integer value) {
            this.memoryReservation = value;
            return this;
        }

        /** Whether the task stops when this container stops. */
        @JsonProperty("essential")
        public Builder essential(Boolean value) {
            this.essential = value;
            return this;
        }

        /** Adds plain environment variables. */
        @JsonProperty("environment")
        public Builder environment(Map<String, String> values) {
            environment.putAll(values);
            return this;
        }

        /** Adds one plain environment variable. */
        public Builder env(String name, String value) {
            environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Adds secret variables (name to Secrets Manager / SSM ARN). */
        @JsonProperty("secrets")
        public Builder secrets(Map<String, String> values) {
            secrets.putAll(values);
            return this;
        }

        /** Adds one secret variable. */
        public Builder secret(String name, String valueFrom) {
            secrets.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(valueFrom, "valueFrom"));
            return this;
        }

        /** The log configuration. */
        @JsonProperty("logConfiguration")
        public Builder logConfiguration(LogConfiguration value) {
            this.logConfiguration = value;
            return this;
        }

        /**
         * Sets another field of the ECS container definition, with its name and JSON shape from the ECS API
         * reference, e.g. {@code ecsField("portMappings", List.of(Map.of("containerPort", 8080)))} or
         * {@code ecsField("linuxParameters", Map.of("initProcessEnabled", true))}. A {@code null} value removes
         * it. Checked when the environment is validated.
         */
        @JsonAnySetter
        public Builder ecsField(String name, Object value) {
            Objects.requireNonNull(name, "name");
            if (value == null) {
                ecsFields.remove(name);
            } else {
                ecsFields.set(name, EcsFields.JSON.valueToTree(value));
            }
            return this;
        }

        /** Sets several other ECS fields (see {@link #ecsField}). */
        public Builder ecsFields(Map<String, ?> values) {
            values.forEach(this::ecsField);
            return this;
        }

        /** Builds the container definition (validated by the environment, which names every problem). */
        public ContainerDefinition build() {
            return new ContainerDefinition(this);
        }
    }
}
