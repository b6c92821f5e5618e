package io.flowport.core;

/**
 * Receives progress of a flow run. Methods are called on the threads that run the tasks, so they must be
 * quick and thread-safe. All methods default to doing nothing.
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

    /** A run finished. */
    default void runFinished(FlowRunResult result) {
    }
}
