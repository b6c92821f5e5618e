package io.flowport.core;

/**
 * Runs after a flow run has ended, whatever the outcome (success, failure, cancellation, crash, a failed
 * {@code onStart}). If it throws, the error is logged and added to the result's warnings; the run's state
 * does not change.
 */
@FunctionalInterface
public interface ExitCallback {
    /** Called once per run, on the thread that called {@link Environment#execute}. */
    void onExit(RunInfo run, FlowRunResult result) throws Exception;
}
