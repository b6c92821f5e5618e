package io.flowport.core;

import io.flowport.core.internal.Json;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment variables the runner entry point ({@link Runner}) reads. Remote environments set them on
 * the container; user values for other variables are kept, these always win.
 */
public final class RunnerSettings {

    /** The flow run's id. Optional: a random UUID when absent. */
    public static final String FLOW_RUN_ID = "FLOWPORT__FLOW_RUN_ID";
    /** The flow's location in the storage. Required. */
    public static final String FLOW_LOCATION = "FLOWPORT__FLOW_LOCATION";
    /** The storage as JSON ({@link Serialization}). Optional: classpath storage when absent. */
    public static final String STORAGE = "FLOWPORT__STORAGE";
    /** The environment as JSON. Optional: the flow runs with a parallel executor when absent. */
    public static final String ENVIRONMENT = "FLOWPORT__ENVIRONMENT";
    /** The run's parameters as a JSON object. Optional. */
    public static final String PARAMETERS = "FLOWPORT__PARAMETERS";

    /** The runner's main class, for container commands. */
    public static final String MAIN_CLASS = "io.flowport.core.Runner";

    /** The first field of the JSON line the runner prints at the end, so log readers can find it. */
    public static final String RESULT_EVENT = "flowport.result";

    /** Exit code of a successful run. */
    public static final int EXIT_SUCCESS = 0;
    /** Exit code of a run that ended in any other state. */
    public static final int EXIT_FAILED = 1;
    /** Exit code for bad input (a missing or malformed variable, an unknown flow). */
    public static final int EXIT_BAD_INPUT = 2;

    /**
     * The command that starts the runner in a container built by {@code ImageStorage} (Jib's layout:
     * {@code /app/resources}, {@code /app/classes}, {@code /app/libs}).
     */
    public static final List<String> DEFAULT_CONTAINER_COMMAND =
            List.of("java", "-cp", "/app/resources:/app/classes:/app/libs/*", MAIN_CLASS);

    private RunnerSettings() {
    }

    /**
     * The state a runner reported in its output (the last {@link #RESULT_EVENT} line among {@code lines}, which may
     * carry a log prefix), or empty if it reported none — e.g. it was killed, or the lines are from a command flow.
     */
    public static java.util.Optional<State> reportedState(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            State s = Runner.parseResultLine(lines.get(i));
            if (s != null) {
                return java.util.Optional.of(s);
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * The variables that tell a runner what to run: run id, flow location, storage, environment and parameters.
     * Without a storage in {@code run}, the flow is looked up by name on the runner's class path.
     *
     * @throws ConfigurationException if the parameters cannot be written as JSON
     */
    public static Map<String, String> variables(Flow flow, FlowRun run, Environment environment) {
        return variables(flow, run, Serialization.toJson(environment));
    }

    /**
     * As {@link #variables(Flow, FlowRun, Environment)}, with the environment already serialized (callers that
     * launch many runs serialize it once). The storage's JSON is interned: thousands of queued runs of one
     * storage share one string.
     */
    public static Map<String, String> variables(Flow flow, FlowRun run, String environmentJson) {
        Storage storage = run.storage().orElseGet(ClasspathStorage::new);
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put(FLOW_RUN_ID, run.id());
        vars.put(FLOW_LOCATION, run.flowLocation().orElse(flow.name()));
        vars.put(STORAGE, Serialization.toJson(storage).intern());
        vars.put(ENVIRONMENT, environmentJson);
        try {
            vars.put(PARAMETERS, Json.mapper().writeValueAsString(run.parameters()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigurationException("flow run " + run.id() + ": parameters cannot be written as JSON: "
                    + e.getOriginalMessage());
        }
        return vars;
    }

    /**
     * The environment of a container: the user's variables, then a command flow's own, then the runner's
     * variables, which win.
     */
    public static Map<String, String> mergeEnvironment(Map<String, String> user, Flow flow,
                                                       Map<String, String> runnerVariables) {
        Map<String, String> merged = new LinkedHashMap<>(user);
        flow.commandSpec().ifPresent(c -> merged.putAll(c.environment()));
        merged.putAll(runnerVariables);
        return merged;
    }
}
