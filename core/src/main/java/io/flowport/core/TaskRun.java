package io.flowport.core;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How one task of a run ended.
 *
 * @param name     the task's name
 * @param state    its final state
 * @param result   what its body returned, or {@code null}
 * @param attempts how many attempts ran (0 if it never started)
 * @param duration time from the first attempt's start to the end of the last
 * @param history  each attempt with its start, end and state, oldest first (empty if it never started, or when
 *                 the task ran where its attempts were not recorded)
 * @param upstream the names of the tasks it waited for, in declaration order (empty when unknown)
 */
public record TaskRun(String name, State state, Object result, int attempts, Duration duration,
                      List<TaskAttempt> history, List<String> upstream) {

    /** Validates the outcome; {@code null} lists become empty. */
    public TaskRun {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(duration, "duration");
        history = history == null ? List.of() : List.copyOf(history);
        upstream = upstream == null ? List.of() : List.copyOf(upstream);
    }

    /** An outcome without the attempts' times or the upstream tasks. */
    public TaskRun(String name, State state, Object result, int attempts, Duration duration) {
        this(name, state, result, attempts, duration, List.of(), List.of());
    }

    /** When the first attempt started, if the task ran and its attempts were recorded. */
    public Optional<Instant> startedAt() {
        return history.isEmpty() ? Optional.empty() : Optional.of(history.get(0).start());
    }

    /** When the last attempt ended, if the task ran and its attempts were recorded. */
    public Optional<Instant> endedAt() {
        return history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1).end());
    }
}
