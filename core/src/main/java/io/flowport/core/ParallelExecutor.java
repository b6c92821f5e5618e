package io.flowport.core;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Runs independent tasks on a bounded pool of threads created for the run (no thread per task). A task
 * whose upstream tasks have finished starts on the thread that finished the last of them when that thread
 * is free, so chains do not pay a hand-off per task.
 */
public final class ParallelExecutor implements Executor {

    private final int threads;

    /**
     * Creates the executor.
     *
     * @param threads pool size; 0 means one per available processor
     */
    @JsonCreator
    public ParallelExecutor(@JsonProperty("threads") int threads) {
        if (threads < 0) {
            throw new ConfigurationException("ParallelExecutor.threads must be >= 0 (0 = one per processor), was "
                    + threads);
        }
        this.threads = threads;
    }

    /** The configured pool size (0 = one per available processor). */
    @JsonProperty("threads")
    public int threads() {
        return threads;
    }

    int effectiveThreads() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }

    @Override
    public FlowRunResult execute(Flow flow, FlowRun run) {
        RunEngine engine = new RunEngine(flow, run);
        return engine.runInParallel(effectiveThreads());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParallelExecutor p && p.threads == threads;
    }

    @Override
    public int hashCode() {
        return threads;
    }

    @Override
    public String toString() {
        return "ParallelExecutor[threads=" + (threads == 0 ? "auto" : threads) + "]";
    }
}
