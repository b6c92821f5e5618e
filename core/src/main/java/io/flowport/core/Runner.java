package io.flowport.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.internal.Json;
import io.flowport.core.spi.Instrumentation;
import io.flowport.core.spi.RunObservation;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
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
        String type = environment == null ? "runner" : Serialization.environmentType(environment.getClass());
        RunObservation observation = observe(flow, run, type, RunnerSettings.traceContext(env));
        FlowRun observed = observation == RunObservation.NONE ? run
                : run.toBuilder().listener(observation.listener()).build();
        FlowRunResult result = environment != null ? environment.run(flow, observed)
                : Executor.parallel().execute(flow, observed);
        try {
            observation.finished(result);
        } catch (RuntimeException e) {
            err.println("flowport runner: instrumentation failed on the run's end: " + e);
        }
        out.println(resultLine(result));
        return result.isSuccess() ? RunnerSettings.EXIT_SUCCESS : RunnerSettings.EXIT_FAILED;
    }

    /**
     * Observes the run with the instrumentations on the class path (OpenTelemetry's, when
     * {@code flowport-opentelemetry} is in the image), continuing the caller's trace.
     */
    private static RunObservation observe(Flow flow, FlowRun run, String environmentType, Map<String, String> parent) {
        try {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            Instrumentation instrumentation = Instrumentation.discover(loader == null ? Runner.class.getClassLoader()
                    : loader);
            RunObservation o = instrumentation.runStarted(flow, run, environmentType, parent);
            return o == null ? RunObservation.NONE : o;
        } catch (RuntimeException | LinkageError e) {
            System.err.println("flowport runner: instrumentation left out: " + e);
            return RunObservation.NONE;
        }
    }

    /**
     * Most characters the tasks' timeline may add to the result line: log platforms cut long lines (CloudWatch
     * Logs takes events of up to 256 KiB), and the caller reads the line from the tail of the logs.
     */
    static final int TIMELINE_BUDGET = 120_000;
    private static final int MESSAGE_CHARS = 300;

    /**
     * The one-line JSON summary the runner prints: run id, flow, state, message, task counts, failed tasks, and the
     * tasks' timeline (each task's state, upstream tasks and attempts with start and end, in microseconds after
     * {@code startedAt}) so that the caller can draw the run. Tasks beyond {@value #TIMELINE_BUDGET} characters
     * of timeline are left out (counted in {@code timeline.omitted}); tasks that did not succeed or were retried
     * are kept first.
     */
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
        if (result.startedAt() != null && !result.tasks().isEmpty()) {
            node.put("startedAt", result.startedAt().toString());
            timeline(result, node.putObject("timeline"));
        }
        return node.toString();
    }

    private static void timeline(FlowRunResult result, ObjectNode timeline) {
        List<TaskRun> all = new ArrayList<>(result.tasks().values());
        boolean[] keep = new boolean[all.size()];
        int budget = TIMELINE_BUDGET;
        // two passes: what went wrong or was retried first, then the rest in order, while the budget lasts
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < all.size() && budget > 0; i++) {
                TaskRun t = all.get(i);
                boolean notable = !t.state().isSuccess() || t.attempts() > 1;
                if (keep[i] || notable != (pass == 0)) {
                    continue;
                }
                int size = estimate(t);
                if (size <= budget) {
                    keep[i] = true;
                    budget -= size;
                }
            }
        }
        Map<String, Integer> index = new HashMap<>();
        ArrayNode tasks = timeline.putArray("tasks");
        int omitted = 0;
        Instant origin = result.startedAt();
        for (int i = 0; i < all.size(); i++) {
            TaskRun t = all.get(i);
            if (!keep[i]) {
                omitted++;
                continue;
            }
            index.put(t.name(), index.size());
            ObjectNode o = tasks.addObject();
            o.put("name", t.name());
            o.put("state", t.state().type().displayName());
            if (!t.state().message().isEmpty()) {
                o.put("message", cut(t.state().message()));
            }
            ArrayNode up = null;
            for (String u : t.upstream()) {
                Integer k = index.get(u);
                if (k != null) {
                    if (up == null) {
                        up = o.putArray("upstream");
                    }
                    up.add(k);
                }
            }
            ArrayNode attempts = o.putArray("attempts");
            for (TaskAttempt a : t.history()) {
                ArrayNode row = attempts.addArray();
                row.add(micros(origin, a.start()));
                row.add(micros(origin, a.end()));
                row.add(a.state().type().displayName());
                if (!a.state().message().isEmpty() && a.state() != t.state()) {
                    row.add(cut(a.state().message()));
                }
            }
        }
        timeline.put("omitted", omitted);
    }

    private static int estimate(TaskRun t) {
        return 60 + 2 * t.name().length() + Math.min(MESSAGE_CHARS, t.state().message().length())
                + 8 * t.upstream().size() + t.history().size() * (50 + MESSAGE_CHARS / 4);
    }

    private static String cut(String message) {
        return message.length() <= MESSAGE_CHARS ? message : message.substring(0, MESSAGE_CHARS - 3) + "...";
    }

    private static long micros(Instant origin, Instant at) {
        return Duration.between(origin, at).toNanos() / 1000;
    }

    /**
     * Reads the run a runner reported in a result line (state, and the tasks of its timeline); {@code null} if
     * {@code line} is not a result line.
     */
    static RunnerSettings.ReportedRun parseReportedRun(String line) {
        if (line == null || !line.contains(RunnerSettings.RESULT_EVENT)) {
            return null;
        }
        try {
            JsonNode n = Json.mapper().readTree(line.substring(line.indexOf('{')));
            if (!RunnerSettings.RESULT_EVENT.equals(n.path("event").asText())) {
                return null;
            }
            State state = State.of(StateType.parse(n.path("state").asText()), n.path("message").asText());
            JsonNode timeline = n.path("timeline");
            if (!timeline.isObject() || !n.hasNonNull("startedAt")) {
                return new RunnerSettings.ReportedRun(state, null, Map.of(), 0);
            }
            Instant origin = Instant.parse(n.get("startedAt").asText());
            Map<String, TaskRun> tasks = new LinkedHashMap<>();
            List<String> names = new ArrayList<>();
            for (JsonNode t : timeline.path("tasks")) {
                String name = t.path("name").asText();
                names.add(name);
                State taskState = State.of(StateType.parse(t.path("state").asText()), t.path("message").asText(""));
                List<String> upstream = new ArrayList<>();
                for (JsonNode u : t.path("upstream")) {
                    int k = u.asInt(-1);
                    if (k >= 0 && k < names.size() - 1) {
                        upstream.add(names.get(k));
                    }
                }
                List<TaskAttempt> attempts = new ArrayList<>();
                JsonNode rows = t.path("attempts");
                for (int k = 0; k < rows.size(); k++) {
                    JsonNode row = rows.get(k);
                    Instant start = origin.plusNanos(row.path(0).asLong() * 1000);
                    Instant end = origin.plusNanos(Math.max(row.path(0).asLong(), row.path(1).asLong()) * 1000);
                    State s = k == rows.size() - 1 && row.path(2).asText().equals(taskState.type().displayName())
                            ? taskState : State.of(StateType.parse(row.path(2).asText()), row.path(3).asText(""));
                    attempts.add(new TaskAttempt(k + 1, start, end, s));
                }
                Duration d = attempts.isEmpty() ? Duration.ZERO
                        : Duration.between(attempts.get(0).start(), attempts.get(attempts.size() - 1).end());
                tasks.put(name, new TaskRun(name, taskState, null, attempts.size(), d, attempts, upstream));
            }
            return new RunnerSettings.ReportedRun(state, origin, tasks, timeline.path("omitted").asInt(0));
        } catch (JsonProcessingException | IllegalArgumentException | StringIndexOutOfBoundsException
                 | java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Reads a result line printed by a runner; {@link RunnerSettings#reportedState} is the public way.
     *
     * @return the state it reports, or {@code null} if {@code line} is not a result line
     */
    static State parseResultLine(String line) {
        RunnerSettings.ReportedRun r = parseReportedRun(line);
        return r == null ? null : r.state();
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
