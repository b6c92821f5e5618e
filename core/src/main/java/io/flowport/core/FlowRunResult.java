package io.flowport.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of a flow run: its final state, each task's state, durations and results, warnings such as a
 * failed {@code onExit} callback, and the run's logs when it ran on remote infrastructure.
 *
 * @param flowRunId the run's id
 * @param flowName  the flow's name
 * @param state     the run's final state
 * @param tasks     each task's outcome by name, in topological order (empty when the run's tasks ran
 *                  remotely and reported only the final state)
 * @param startedAt when the run started
 * @param duration  how long it took
 * @param warnings  things that went wrong without changing the state (e.g. a failed {@code onExit})
 * @param logs      the run's logs
 * @param phases    the phases its infrastructure went through, oldest first (empty for in-process runs)
 * @param details   what the environment adds about where the run ran, by key (e.g. {@code dask.dashboard}, the
 *                  worker count over time of a Dask cluster); values are JSON-like (strings, numbers, lists, maps)
 */
public record FlowRunResult(String flowRunId, String flowName, State state, Map<String, TaskRun> tasks,
                            Instant startedAt, Duration duration, List<String> warnings, RunLogs logs,
                            List<PhaseChange> phases, Map<String, Object> details) {

    /**
     * The {@link #details() detail} holding the run's parameters (defaults applied where the flow was at hand), set
     * by the executors and by every environment's {@code execute}.
     */
    public static final String PARAMETERS = "flowport.parameters";

    /** Validates the result and copies its collections. */
    public FlowRunResult {
        Objects.requireNonNull(flowRunId, "flowRunId");
        Objects.requireNonNull(state, "state");
        tasks = tasks == null ? Map.of() : Collections.unmodifiableMap(tasks);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        logs = logs == null ? RunLogs.NONE : logs;
        phases = phases == null ? List.of() : List.copyOf(phases);
        details = details == null ? Map.of() : Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }

    /** A result without infrastructure phases or details (an in-process run). */
    public FlowRunResult(String flowRunId, String flowName, State state, Map<String, TaskRun> tasks,
                         Instant startedAt, Duration duration, List<String> warnings, RunLogs logs) {
        this(flowRunId, flowName, state, tasks, startedAt, duration, warnings, logs, List.of(), Map.of());
    }

    /** A result with a final state and no tasks (a run that never started its tasks here). */
    public static FlowRunResult of(String flowRunId, String flowName, State state, Instant startedAt) {
        return new FlowRunResult(flowRunId, flowName, state, Map.of(), startedAt,
                Duration.between(startedAt, Instant.now()), List.of(), RunLogs.NONE, List.of(), Map.of());
    }

    /** Whether the run succeeded. */
    public boolean isSuccess() {
        return state.isSuccess();
    }

    /** One task's outcome. */
    public Optional<TaskRun> task(String name) {
        return Optional.ofNullable(tasks.get(name));
    }

    /** One task's result. */
    public Optional<Object> result(String task) {
        TaskRun t = tasks.get(task);
        return t == null ? Optional.empty() : Optional.ofNullable(t.result());
    }

    /** How many tasks ended in each state. */
    public Map<StateType, Integer> countByState() {
        Map<StateType, Integer> counts = new EnumMap<>(StateType.class);
        for (TaskRun t : tasks.values()) {
            counts.merge(t.state().type(), 1, Integer::sum);
        }
        return counts;
    }

    /** A copy with a different state (used by environments that wrap an execution). */
    public FlowRunResult withState(State newState) {
        return new FlowRunResult(flowRunId, flowName, newState, tasks, startedAt, duration, warnings, logs, phases, details);
    }

    /** A copy with one more warning. */
    public FlowRunResult withWarning(String warning) {
        List<String> w = new java.util.ArrayList<>(warnings);
        w.add(warning);
        return new FlowRunResult(flowRunId, flowName, state, tasks, startedAt, duration, w, logs, phases, details);
    }

    /** A copy with logs. */
    public FlowRunResult withLogs(RunLogs newLogs) {
        return new FlowRunResult(flowRunId, flowName, state, tasks, startedAt, duration, warnings, newLogs, phases, details);
    }

    /** A copy with the phases its infrastructure went through. */
    public FlowRunResult withPhases(List<PhaseChange> newPhases) {
        return new FlowRunResult(flowRunId, flowName, state, tasks, startedAt, duration, warnings, logs, newPhases, details);
    }

    /** A copy with one more detail (replacing an earlier value of the same key). */
    public FlowRunResult withDetail(String key, Object value) {
        Map<String, Object> d = new java.util.LinkedHashMap<>(details);
        d.put(Objects.requireNonNull(key, "key"), value);
        return new FlowRunResult(flowRunId, flowName, state, tasks, startedAt, duration, warnings, logs, phases, d);
    }

    /** The run's parameters, from the {@link #PARAMETERS} detail (empty when not recorded). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> parameters() {
        return details.get(PARAMETERS) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** One detail, if the environment recorded it. */
    public Optional<Object> detail(String key) {
        return Optional.ofNullable(details.get(key));
    }
}
