package io.flowport.core;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Runs the tasks of one flow run in the current process while respecting their dependencies.
 * Executors are stateless between runs and serializable (as part of an environment).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = SequentialExecutor.class, name = "sequential"),
        @JsonSubTypes.Type(value = ParallelExecutor.class, name = "parallel")})
public interface Executor {

    /**
     * Runs {@code flow} once and waits for it to finish. Blocking. Task failures, timeouts and cancellation are
     * reported in the result, never thrown.
     *
     * @throws ConfigurationException if the run's parameters do not fit the flow (before any task runs)
     */
    FlowRunResult execute(Flow flow, FlowRun run);

    /** Runs every task on the caller's thread, in topological order. */
    static Executor sequential() {
        return new SequentialExecutor();
    }

    /** Runs independent tasks on a bounded pool of {@code threads} threads. */
    static Executor parallel(int threads) {
        return new ParallelExecutor(threads);
    }

    /** Runs independent tasks on one thread per available processor. */
    static Executor parallel() {
        return new ParallelExecutor(0);
    }
}
