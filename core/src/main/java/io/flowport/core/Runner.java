package io.flowport.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.internal.Json;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The runner entry point: what a container or child process runs. It reads the variables of
 * {@link RunnerSettings}, loads the flow from its storage, runs it with the environment's executor, prints the
 * final state as one JSON line on standard output and exits with {@link RunnerSettings#EXIT_SUCCESS},
 * {@link RunnerSettings#EXIT_FAILED} or, for bad input, {@link RunnerSettings#EXIT_BAD_INPUT} with a message
 * on standard error naming the variable.
 */
public final class Runner {

    private Runner() {
    }

    /** Runs the flow described by the process environment and exits. */
    public static void main(String[] args) {
        int code = run(System.getenv(), System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /**
     * Runs the flow described by {@code env}. Blocking.
     *
     * @return the exit code
     */
    public static int run(Map<String, String> env, PrintStream out, PrintStream err) {
        Flow flow;
        FlowRun run;
        Environment environment;
        try {
            String location = env.get(RunnerSettings.FLOW_LOCATION);
            if (location == null || location.isBlank()) {
                throw new ConfigurationException(RunnerSettings.FLOW_LOCATION
                        + " is not set; set it to the flow's location in its storage (e.g. its name)");
            }
            Storage storage = parse(env, RunnerSettings.STORAGE, Serialization::storageFromJson);
            if (storage == null) {
                storage = new ClasspathStorage();
            }
            environment = parse(env, RunnerSettings.ENVIRONMENT, Serialization::environmentFromJson);
            Map<String, Object> parameters = parameters(env.get(RunnerSettings.PARAMETERS));
            try {
                flow = storage.load(location);
            } catch (ConfigurationException e) {
                throw new ConfigurationException(RunnerSettings.FLOW_LOCATION + ": " + e.getMessage());
            }
            try {
                flow.resolveParameters(parameters);
            } catch (ConfigurationException e) {
                throw new ConfigurationException(RunnerSettings.PARAMETERS + ": " + e.getMessage());
            }
            FlowRun.Builder b = FlowRun.builder().parameters(parameters);
            String id = env.get(RunnerSettings.FLOW_RUN_ID);
            if (id != null && !id.isBlank()) {
                b.id(id);
            }
            run = b.build();
        } catch (ConfigurationException e) {
            err.println("flowport runner: " + e.getMessage());
            return RunnerSettings.EXIT_BAD_INPUT;
        }
        FlowRunResult result = environment != null ? environment.run(flow, run) : Executor.parallel().execute(flow, run);
        out.println(resultLine(result));
        return result.isSuccess() ? RunnerSettings.EXIT_SUCCESS : RunnerSettings.EXIT_FAILED;
    }

    /** The one-line JSON summary the runner prints: run id, flow, state, message, task counts, failed tasks. */
    public static String resultLine(FlowRunResult result) {
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("event", RunnerSettings.RESULT_EVENT);
        node.put("flowRunId", result.flowRunId());
        node.put("flow", result.flowName());
        node.put("state", result.state().type().displayName());
        node.put("message", result.state().message());
        node.put("durationMs", result.duration().toMillis());
        ObjectNode counts = node.putObject("tasks");
        result.countByState().forEach((k, v) -> counts.put(k.displayName(), v));
        ArrayNode failed = node.putArray("failedTasks");
        for (TaskRun t : result.tasks().values()) {
            StateType type = t.state().type();
            if (type != StateType.SUCCESS && type != StateType.SKIPPED && failed.size() < 20) {
                failed.addObject().put("name", t.name()).put("state", type.displayName())
                        .put("message", t.state().message());
            }
        }
        return node.toString();
    }

    /**
     * Reads a result line printed by a runner; {@link RunnerSettings#reportedState} is the public way.
     *
     * @return the state it reports, or {@code null} if {@code line} is not a result line
     */
    static State parseResultLine(String line) {
        if (line == null || !line.contains(RunnerSettings.RESULT_EVENT)) {
            return null;
        }
        try {
            JsonNode n = Json.mapper().readTree(line.substring(line.indexOf('{')));
            if (!RunnerSettings.RESULT_EVENT.equals(n.path("event").asText())) {
                return null;
            }
            return State.of(StateType.parse(n.path("state").asText()), n.path("message").asText());
        } catch (JsonProcessingException | IllegalArgumentException | StringIndexOutOfBoundsException e) {
            return null;
        }
    }

    private interface Parser<T> {
        T parse(String text);
    }

    private static <T> T parse(Map<String, String> env, String variable, Parser<T> parser) {
        String value = env.get(variable);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return parser.parse(value);
        } catch (ConfigurationException e) {
            throw new ConfigurationException(variable + ": " + e.getMessage());
        }
    }

    private static Map<String, Object> parameters(String json) {
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        try {
            JsonNode node = Json.mapper().readTree(json);
            if (!node.isObject()) {
                throw new ConfigurationException(RunnerSettings.PARAMETERS
                        + " must be a JSON object of parameter names to values, e.g. {\"rows\": 10}");
            }
            Map<String, Object> values = new LinkedHashMap<>();
            node.fields().forEachRemaining(e -> values.put(e.getKey(), Json.mapper().convertValue(e.getValue(),
                    Object.class)));
            return values;
        } catch (JsonProcessingException e) {
            throw new ConfigurationException(RunnerSettings.PARAMETERS + " is not valid JSON: "
                    + e.getOriginalMessage());
        }
    }
}
