package io.flowport.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowport.core.internal.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A picture of one flow run: a self-contained HTML page (inline SVG, CSS and JavaScript; nothing is fetched from
 * the network) with a timeline of one bar per task attempt, coloured by state, retries side by side in their
 * task's row, the critical path highlighted and details on hover; the infrastructure phases of a remote run and
 * the environment's details over time (a Dask cluster's worker count); the parameters, the final state and the
 * messages of the tasks that did not succeed; and the last log lines.
 *
 * <p>A run whose tasks ran remotely (its result has no tasks) is drawn from the timeline its runner printed at the
 * end of its logs ({@link RunnerSettings#reportedRun}), read from the tail of {@link FlowRunResult#logs()}.
 *
 * <p>Large runs stay usable: the page holds the data once as compact JSON (about 45 bytes per task) and draws only
 * the rows in view as the timeline scrolls, above an aggregate lane of how many tasks ran at each moment.
 */
public final class RunReport {

    /** How many of the run's last log lines the report shows. */
    public static final int LOG_LINES = 50;
    /** How many log lines are searched for the runner's timeline when the result has no tasks. */
    static final int SEARCHED_LINES = 400;
    private static final int MAX_LINE_CHARS = 500;
    private static final int MESSAGE_CHARS = 500;
    private static final String TEMPLATE = "run-report.html";
    private static final String DATA_MARK = "/*FLOWPORT_DATA*/";

    private RunReport() {
    }

    /**
     * Writes the report of {@code result} to {@code path} (creating parent directories). Blocking: may read the
     * run's logs.
     *
     * @throws UncheckedIOException if the file cannot be written
     */
    public static Path write(FlowRunResult result, Path path) {
        Objects.requireNonNull(path, "path");
        String html = html(result);
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(path, html, StandardCharsets.UTF_8);
            return path;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run report to " + path + ": " + e.getMessage(), e);
        }
    }

    /** The report of {@code result} as one HTML document. Blocking: may read the run's logs. */
    public static String html(FlowRunResult result) {
        Objects.requireNonNull(result, "result");
        String template = template();
        int at = template.indexOf(DATA_MARK);
        String json = data(result);
        return template.substring(0, at) + json + template.substring(at + DATA_MARK.length());
    }

    private static String template() {
        try (InputStream in = RunReport.class.getResourceAsStream(TEMPLATE)) {
            if (in == null) {
                throw new IllegalStateException(TEMPLATE + " is missing from flowport-core's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The run as the page's JSON, safe to embed in a script element. */
    static String data(FlowRunResult result) {
        List<String> logLines = logTail(result);
        Map<String, TaskRun> tasks = result.tasks();
        int omitted = 0;
        String tasksFrom = "";
        if (tasks.isEmpty()) {
            RunnerSettings.ReportedRun reported = RunnerSettings.reportedRun(logLines).orElse(null);
            if (reported != null && !reported.tasks().isEmpty()) {
                tasks = reported.tasks();
                omitted = reported.tasksOmitted();
                tasksFrom = "the runner's report at the end of the logs (times on the runner's clock)";
            }
        }
        List<TaskRun> rows = new ArrayList<>(tasks.values());
        Set<String> critical = criticalPath(tasks);

        Instant origin = result.startedAt();
        Instant end = origin.plus(result.duration());
        for (PhaseChange p : result.phases()) {
            origin = min(origin, p.at());
            end = max(end, p.at());
        }
        for (TaskRun t : rows) {
            for (TaskAttempt a : t.history()) {
                origin = min(origin, a.start());
                end = max(end, a.end());
            }
        }

        ObjectNode root = Json.mapper().createObjectNode();
        root.put("flow", result.flowName());
        root.put("runId", result.flowRunId());
        root.put("state", result.state().type().displayName());
        root.put("message", result.state().message());
        root.put("startedAt", result.startedAt().toString());
        root.put("origin", origin.toEpochMilli());
        root.put("span", ms(origin, end));
        root.put("runStart", ms(origin, result.startedAt()));
        root.put("runEnd", ms(origin, result.startedAt().plus(result.duration())));
        root.put("durationMs", result.duration().toNanos() / 1e6);
        root.put("tasksFrom", tasksFrom);
        root.put("omitted", omitted);
        root.set("parameters", Json.mapper().valueToTree(printable(result.parameters())));
        ArrayNode warnings = root.putArray("warnings");
        result.warnings().forEach(warnings::add);

        ArrayNode phases = root.putArray("phases");
        for (PhaseChange p : result.phases()) {
            phases.addArray().add(ms(origin, p.at())).add(p.phase().name()).add(cut(p.detail(), MESSAGE_CHARS));
        }
        ObjectNode details = root.putObject("details");
        ArrayNode series = root.putArray("series");
        for (Map.Entry<String, Object> d : result.details().entrySet()) {
            if (d.getKey().equals(FlowRunResult.PARAMETERS)) {
                continue;
            }
            ArrayNode points = timeSeries(d.getValue(), origin);
            if (points != null) {
                ObjectNode s = series.addObject();
                s.put("name", d.getKey());
                s.set("points", points);
            } else {
                details.put(d.getKey(), cut(String.valueOf(printable(d.getValue())), 2000));
            }
        }

        List<String> stateNames = new ArrayList<>();
        Map<StateType, Integer> stateIndex = new HashMap<>();
        for (StateType t : StateType.values()) {
            stateIndex.put(t, stateNames.size());
            stateNames.add(t.displayName());
        }
        ArrayNode states = root.putArray("states");
        stateNames.forEach(states::add);

        // rows by their first start, so that the picture reads left to right and top to bottom
        List<TaskRun> ordered = new ArrayList<>(rows);
        ordered.sort(Comparator.comparing((TaskRun t) -> t.startedAt().orElse(Instant.MAX)));
        ArrayNode taskArray = root.putArray("tasks");
        for (TaskRun t : ordered) {
            ArrayNode row = taskArray.addArray();
            row.add(t.name());
            row.add(stateIndex.get(t.state().type()));
            row.add(cut(t.state().message(), MESSAGE_CHARS));
            row.add(critical.contains(t.name()) ? 1 : 0);
            ArrayNode attempts = row.addArray();
            for (TaskAttempt a : t.history()) {
                ArrayNode bar = attempts.addArray();
                bar.add(ms(origin, a.start()));
                bar.add(ms(origin, a.end()));
                bar.add(stateIndex.get(a.state().type()));
                if (a.state() != t.state() && !a.state().message().isEmpty()) {
                    bar.add(cut(a.state().message(), MESSAGE_CHARS));
                }
            }
        }
        ArrayNode path = root.putArray("criticalPath");
        criticalOrder(tasks, critical).forEach(path::add);

        ObjectNode logs = root.putObject("logs");
        logs.put("location", result.logs().location());
        ArrayNode lines = logs.putArray("lines");
        for (String l : logLines.subList(Math.max(0, logLines.size() - LOG_LINES), logLines.size())) {
            lines.add(cut(l, MAX_LINE_CHARS));
        }
        try {
            String json = Json.mapper().writeValueAsString(root);
            // <, > and & occur only inside JSON strings: escaping them keeps "</script>" in a message harmless
            return json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
        } catch (JsonProcessingException e) {
            throw new FlowportException("cannot write the report of flow run " + result.flowRunId() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * The tasks that decided when the run ended: from the task that ended last, back through the upstream task
     * that ended last before it, to a task that waited for none.
     */
    static Set<String> criticalPath(Map<String, TaskRun> tasks) {
        TaskRun last = null;
        for (TaskRun t : tasks.values()) {
            if (t.endedAt().isPresent() && (last == null || t.endedAt().get().isAfter(last.endedAt().get()))) {
                last = t;
            }
        }
        Set<String> path = new HashSet<>();
        TaskRun current = last;
        // bounded: each step adds a new task, and there are finitely many
        while (current != null && path.add(current.name())) {
            TaskRun gate = null;
            for (String u : current.upstream()) {
                TaskRun up = tasks.get(u);
                if (up != null && up.endedAt().isPresent()
                        && (gate == null || up.endedAt().get().isAfter(gate.endedAt().get()))) {
                    gate = up;
                }
            }
            current = gate;
        }
        return path;
    }

    private static List<String> criticalOrder(Map<String, TaskRun> tasks, Set<String> critical) {
        List<TaskRun> path = new ArrayList<>();
        for (String name : critical) {
            path.add(tasks.get(name));
        }
        path.sort(Comparator.comparing((TaskRun t) -> t.startedAt().orElse(Instant.MAX)));
        List<String> names = new ArrayList<>();
        path.forEach(t -> names.add(t.name()));
        return names;
    }

    /** A list of maps each with an instant {@code at} and one number, drawn as a step chart; else null. */
    private static ArrayNode timeSeries(Object value, Instant origin) {
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            return null;
        }
        ArrayNode points = Json.mapper().createArrayNode();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("at") instanceof String at)) {
                return null;
            }
            Number number = null;
            StringBuilder why = new StringBuilder();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() instanceof Number n && number == null) {
                    number = n;
                } else if (!"at".equals(e.getKey())) {
                    why.append(why.isEmpty() ? "" : ", ").append(e.getValue());
                }
            }
            if (number == null) {
                return null;
            }
            try {
                points.addArray().add(ms(origin, Instant.parse(at))).add(number.doubleValue())
                        .add(cut(why.toString(), MESSAGE_CHARS));
            } catch (java.time.format.DateTimeParseException e) {
                return null;
            }
        }
        return points;
    }

    /** Values the page can show: collections and maps as they are, anything else as its string. */
    private static Object printable(Object value) {
        if (value == null || value instanceof Number || value instanceof Boolean || value instanceof String) {
            return value;
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), printable(v)));
            return out;
        }
        if (value instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            it.forEach(v -> out.add(printable(v)));
            return out;
        }
        return value.toString();
    }

    private static List<String> logTail(FlowRunResult result) {
        try {
            return result.logs().tail(SEARCHED_LINES);
        } catch (RuntimeException e) {
            return List.of("(the logs could not be read: " + e + ")");
        }
    }

    private static double ms(Instant origin, Instant at) {
        return Math.round(Duration.between(origin, at).toNanos() / 1e3) / 1e3;
    }

    private static Instant min(Instant a, Instant b) {
        return b.isBefore(a) ? b : a;
    }

    private static Instant max(Instant a, Instant b) {
        return b.isAfter(a) ? b : a;
    }

    private static String cut(String s, int max) {
        return s == null ? "" : s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }
}
