package io.flowport.core;

/** Runs every task on the caller's thread, in topological order. */
public final class SequentialExecutor implements Executor {

    /** Creates the executor. */
    public SequentialExecutor() {
    }

    @Override
    public FlowRunResult execute(Flow flow, FlowRun run) {
        RunEngine engine = new RunEngine(flow, run);
        return engine.runSequentially();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SequentialExecutor;
    }

    @Override
    public int hashCode() {
        return 1;
    }

    @Override
    public String toString() {
        return "SequentialExecutor";
    }
}
