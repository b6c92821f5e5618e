package io.flowport.core;

/**
 * Runs before anything is created for a flow run. If it throws, the run ends {@code Failed} with nothing
 * created, and {@code onExit} still runs.
 */
@FunctionalInterface
public interface StartCallback {
    /** Called once per run, on the thread that called {@link Environment#execute}. */
    void onStart(RunInfo run) throws Exception;
}
