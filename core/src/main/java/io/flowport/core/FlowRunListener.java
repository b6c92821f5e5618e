package io.flowport.core;

/**
 * Receives progress of a flow run: its start, each task's state changes (for tasks that run in this process), the
 * phases of its infrastructure (for remote runs: launched, pending, running, stopping, finished) and its end.
 * Methods are called on the threads that run the tasks or follow the infrastructure, so they must be quick and
 * thread-safe. A listener that throws is logged and ignored; it never changes the run. All methods default to
 * doing nothing.
 */
public interface FlowRunListener {

    /** Does nothing. */
    FlowRunListener NONE = new FlowRunListener() {
    };

    /** A run started. */
    default void runStarted(Flow flow, FlowRun run) {
    }

    /** A task changed state (Running, Retrying, or a final state). */
    default void taskStateChanged(FlowRun run, TaskSpec task, State state) {
    }

    /**
     * A task that runs in this process ended: called once per task, right after its final
     * {@link #taskStateChanged}, on the same thread, with its attempts' times. Tasks that never started (skipped,
     * cancelled before their turn) have no attempts.
     *
     * @param run     the run
     * @param task    the task
     * @param outcome its final state, attempts with their start and end, and duration
     */
    default void taskFinished(FlowRun run, TaskSpec task, TaskRun outcome) {
    }

    /**
     * The run's infrastructure entered another phase (remote runs only). Called once per phase change, in order,
     * between {@link #runStarted} and {@link #runFinished}.
     *
     * @param run    the run
     * @param change the phase entered, when, and the platform's words
     */
    default void runPhaseChanged(FlowRun run, PhaseChange change) {
    }

    /** A run finished. */
    default void runFinished(FlowRunResult result) {
    }

    /**
     * A listener that tells {@code this}, then {@code other}. Each is called even when the other throws (the error
     * is logged), so that one broken listener does not silence the next.
     */
    default FlowRunListener andThen(FlowRunListener other) {
        java.util.Objects.requireNonNull(other, "other");
        if (other == NONE) {
            return this;
        }
        if (this == NONE) {
            return other;
        }
        return new ListenerPair(this, other);
    }
}
