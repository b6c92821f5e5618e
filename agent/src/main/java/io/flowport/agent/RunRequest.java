package io.flowport.agent;

import io.flowport.agent.internal.AgentJson;
import io.flowport.core.ClasspathStorage;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Environment;
import io.flowport.core.Flow;
import io.flowport.core.Serialization;
import io.flowport.core.Storage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A flow run to put in a {@link RunQueue}: the flow (by reference), its parameters, its environment, the labels an
 * agent needs to claim it, its priority and earliest start. Build one with {@link #builder(Flow)} (parameters are
 * checked against the flow) or {@link #builder(String)} (by name, for a submitter without the flow's classes).
 * Everything is validated by {@link Builder#build()}, before anything is stored; all problems are reported at once.
 *
 * @param id              the run's id
 * @param flowName        the flow's name
 * @param flowLocation    where the runner finds the flow in its storage
 * @param storageJson     the storage as JSON, or {@code null} for the class path
 * @param commandJson     a command flow's command as JSON, or {@code null}
 * @param parametersJson  the parameters as a JSON object
 * @param labels          the labels an agent must all have (the environment's labels and the ones given)
 * @param environmentJson the environment as JSON, or {@code null} for the agent's default
 * @param priority        higher first
 * @param notBefore       earliest claim, or {@code null} for now
 * @param timeout         longest run time, or {@code null}
 */
public record RunRequest(String id, String flowName, String flowLocation, String storageJson, String commandJson,
                         String parametersJson, Set<String> labels, String environmentJson, int priority,
                         Instant notBefore, Duration timeout) {

    /** Run ids: valid as a label value, an ECS {@code startedBy} and a file name, so no two ids map to one unit. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,35}");

    /** Validates the request and copies its labels. */
    public RunRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(flowName, "flowName");
        Objects.requireNonNull(flowLocation, "flowLocation");
        Objects.requireNonNull(parametersJson, "parametersJson");
        labels = Collections.unmodifiableSet(new TreeSet<>(labels));
    }

    /** A request for {@code flow}: parameters are checked against the flow's declarations at {@link Builder#build()}. */
    public static Builder builder(Flow flow) {
        return new Builder(Objects.requireNonNull(flow, "flow").name(), flow);
    }

    /**
     * A request for the flow called {@code flowName}, for a submitter that does not have its classes: parameters
     * are not checked here (the runner checks them).
     */
    public static Builder builder(String flowName) {
        return new Builder(Objects.requireNonNull(flowName, "flowName"), null);
    }

    @Override
    public String toString() {
        return "RunRequest[" + id + ", flow=" + flowName + ", labels=" + labels + ", priority=" + priority + "]";
    }

    /** Builds a {@link RunRequest}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private final String flowName;
        private final Flow flow;
        private String id;
        private String location;
        private Storage storage;
        private final Map<String, Object> parameters = new LinkedHashMap<>();
        private final Set<String> labels = new TreeSet<>();
        private Environment environment;
        private String environmentJson;
        private int priority;
        private Instant notBefore;
        private Duration timeout;

        private Builder(String flowName, Flow flow) {
            this.flowName = flowName;
            this.flow = flow;
        }

        /** The run's id (default: a random UUID). Letters, digits, {@code -} and {@code _}, at most 36. */
        public Builder id(String value) {
            this.id = Objects.requireNonNull(value, "id");
            return this;
        }

        /** Where a runner finds the flow: its storage and its location there (default: the class path, by name). */
        public Builder storage(Storage value, String flowLocation) {
            this.storage = Objects.requireNonNull(value, "storage");
            this.location = Objects.requireNonNull(flowLocation, "flowLocation");
            return this;
        }

        /** Adds parameter values (converted to JSON; checked against the flow when it is known). */
        public Builder parameters(Map<String, ?> values) {
            parameters.putAll(values);
            return this;
        }

        /** Adds one parameter value. */
        public Builder parameter(String name, Object value) {
            parameters.put(Objects.requireNonNull(name, "name"), value);
            return this;
        }

        /** The environment to run in; its labels become the run's labels (default: the agent's environment). */
        public Builder environment(Environment value) {
            this.environment = Objects.requireNonNull(value, "environment");
            this.environmentJson = null;
            return this;
        }

        /** The environment as a JSON document with a {@code type}; read back at {@link #build()} to check it. */
        public Builder environmentJson(String value) {
            this.environmentJson = Objects.requireNonNull(value, "environmentJson");
            this.environment = null;
            return this;
        }

        /** Adds labels an agent must have, besides the environment's. */
        public Builder labels(Iterable<String> values) {
            values.forEach(l -> labels.add(Objects.requireNonNull(l, "label")));
            return this;
        }

        /** Adds labels an agent must have, besides the environment's. */
        public Builder labels(String... values) {
            return labels(List.of(values));
        }

        /** Higher priorities are claimed first (default 0; may be negative). */
        public Builder priority(int value) {
            this.priority = value;
            return this;
        }

        /** Not claimed before this instant (a scheduled start). */
        public Builder notBefore(Instant value) {
            this.notBefore = value;
            return this;
        }

        /** The longest the run may take once claimed; past it the run ends {@code TimedOut}. */
        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        /**
         * The request.
         *
         * @throws ConfigurationException listing every problem: a bad id or label, unknown, missing or unconvertible
         *                                parameters, an environment document that is not valid JSON or whose type is
         *                                not on the class path, a non-positive timeout
         */
        public RunRequest build() {
            List<String> problems = new ArrayList<>();
            String runId = id == null ? UUID.randomUUID().toString() : id;
            if (!ID.matcher(runId).matches()) {
                problems.add("id '" + runId + "' must be 1 to 36 letters, digits, '-' or '_', starting with a letter or"
                        + " digit");
            }
            if (flowName.isBlank()) {
                problems.add("flow name must not be blank");
            }
            if (flow != null) {
                try {
                    flow.resolveParameters(parameters);
                } catch (ConfigurationException e) {
                    problems.addAll(e.problems());
                }
            }
            String params = null;
            try {
                params = AgentJson.write(parameters);
            } catch (ConfigurationException e) {
                problems.add("parameters: " + e.getMessage());
            }
            Set<String> allLabels = new TreeSet<>(labels);
            String envJson = null;
            try {
                Environment env = environment;
                if (environmentJson != null) {
                    env = Serialization.environmentFromJson(environmentJson);
                }
                if (env != null) {
                    envJson = environmentJson != null ? AgentJson.object(environmentJson, "environment").toString()
                            : Serialization.toJson(env);
                    allLabels.addAll(env.labels());
                }
            } catch (io.flowport.core.FlowportException e) {
                problems.add("environment: " + e.getMessage());
            }
            for (String l : allLabels) {
                if (l.isBlank() || l.contains(",")) {
                    problems.add("label '" + l + "' must not be blank or contain ','");
                }
            }
            if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
                problems.add("timeout must be positive, was " + timeout);
            }
            String storageJson = null;
            try {
                storageJson = storage == null || (storage instanceof ClasspathStorage && storage.flows().isEmpty())
                        ? null : Serialization.toJson(storage);
            } catch (io.flowport.core.FlowportException e) {
                problems.add("storage: " + e.getMessage());
            }
            String commandJson = null;
            if (flow != null && flow.commandSpec().isPresent()) {
                try {
                    commandJson = AgentJson.write(flow.commandSpec().get());
                } catch (ConfigurationException e) {
                    problems.add("command: " + e.getMessage());
                }
            }
            if (!problems.isEmpty()) {
                throw new ConfigurationException("run of flow '" + flowName + "'", problems);
            }
            return new RunRequest(runId, flowName, location == null ? flowName : location, storageJson, commandJson,
                    params, allLabels, envJson, priority, notBefore, timeout);
        }
    }
}
