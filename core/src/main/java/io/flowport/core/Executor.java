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

    /**
     * Runs the flow's command tasks on an existing Dask cluster (its Java tasks in this process), with the TLS
     * settings of Dask's own configuration ({@code DASK_DISTRIBUTED__COMM__TLS__*}). For certificates given in
     * code and other settings, use {@code io.flowport.env.dask.DaskExecutor.builder()}.
     *
     * @param schedulerAddress the scheduler, e.g. {@code tls://10.0.1.5:8786}
     * @throws ProviderNotFoundException if {@code io.flowport:flowport-env-dask-cloud} is not on the class path
     */
    static Executor dask(String schedulerAddress) {
        java.util.Map<String, Object> doc = new java.util.LinkedHashMap<>();
        doc.put("type", "dask");
        doc.put("address", java.util.Objects.requireNonNull(schedulerAddress, "schedulerAddress"));
        try {
            return io.flowport.core.internal.Json.mapper().convertValue(doc, Executor.class);
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof com.fasterxml.jackson.databind.exc.InvalidTypeIdException) {
                throw new ProviderNotFoundException("the Dask executor is not on the class path: add the dependency"
                        + " io.flowport:flowport-env-dask-cloud (its version comes from io.flowport:flowport-bom)");
            }
            if (e.getCause() instanceof com.fasterxml.jackson.databind.JsonMappingException m
                    && m.getCause() instanceof ConfigurationException c) {
                throw c;
            }
            throw new ConfigurationException("Executor.dask: " + e.getMessage());
        }
    }
}
