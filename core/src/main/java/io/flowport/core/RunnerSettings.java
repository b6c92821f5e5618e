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

    /**
     * The W3C {@code traceparent} of the caller's span, so that the run's spans inside the unit join the caller's
     * trace. Optional: set when the caller traces its runs.
     */
    public static final String TRACEPARENT = "FLOWPORT__TRACEPARENT";
    /** The W3C {@code tracestate} that goes with {@link #TRACEPARENT}. Optional. */
    public static final String TRACESTATE = "FLOWPORT__TRACESTATE";

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
     * What a runner reported in its output: the last {@link #RESULT_EVENT} line among {@code lines} (which may
     * carry a log prefix) read with the tasks of its timeline — each task's state, upstream tasks and attempts with
     * their times on the runner's clock. Empty if it reported nothing (it was killed, or the lines are from a
     * command flow).
     */
    public static java.util.Optional<ReportedRun> reportedRun(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            ReportedRun r = Runner.parseReportedRun(lines.get(i));
            if (r != null) {
                return java.util.Optional.of(r);
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * A run as its runner reported it.
     *
     * @param state        the run's final state
     * @param startedAt    when the run started on the runner's clock, or {@code null} for a runner that did not say
     * @param tasks        its tasks by name, in topological order, without results (empty for a runner that did
     *                     not report them)
     * @param tasksOmitted how many tasks the runner left out of its line (which has a size limit)
     */
    public record ReportedRun(State state, java.time.Instant startedAt, Map<String, TaskRun> tasks, int tasksOmitted) {
        /** Validates the report and copies its tasks. */
        public ReportedRun {
            java.util.Objects.requireNonNull(state, "state");
            tasks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
        }
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
     * The runner variables that carry a W3C trace context: {@code traceparent} as {@link #TRACEPARENT},
     * {@code tracestate} as {@link #TRACESTATE}; other keys are not carried.
     */
    public static Map<String, String> traceVariables(Map<String, String> traceContext) {
        Map<String, String> vars = new LinkedHashMap<>();
        String parent = traceContext.get("traceparent");
        if (parent != null && !parent.isBlank()) {
            vars.put(TRACEPARENT, parent);
            String state = traceContext.get("tracestate");
            if (state != null && !state.isBlank()) {
                vars.put(TRACESTATE, state);
            }
        }
        return vars;
    }

    /** The W3C trace context a runner was started with ({@code traceparent}, {@code tracestate}), from its variables. */
    public static Map<String, String> traceContext(Map<String, String> variables) {
        Map<String, String> context = new LinkedHashMap<>();
        String parent = variables.get(TRACEPARENT);
        if (parent != null && !parent.isBlank()) {
            context.put("traceparent", parent.trim());
            String state = variables.get(TRACESTATE);
            if (state != null && !state.isBlank()) {
                context.put("tracestate", state.trim());
            }
        }
        return context;
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
