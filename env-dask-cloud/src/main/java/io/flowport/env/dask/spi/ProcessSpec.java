package io.flowport.env.dask.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One process to start.
 *
 * @param clusterId   the cluster's id (every platform labels or names what it creates with it)
 * @param flowRunId   the flow run the cluster serves
 * @param role        scheduler or worker
 * @param name        the process's name (unique in the cluster; a worker's Dask name)
 * @param args        the Dask command-line arguments after the program, without listen addresses and ports (the
 *                    platform adds those: {@code --host}, {@code --port}, {@code --dashboard-address})
 * @param environment variables for the process: Dask configuration ({@code DASK_*}, TLS material among them) and
 *                    the user's own
 * @param settings    the cluster's provider settings (image, cpu, memory …)
 */
public record ProcessSpec(String clusterId, String flowRunId, Role role, String name, List<String> args,
                          Map<String, String> environment, Map<String, Object> settings) {

    /** Validates the spec and copies its collections. */
    public ProcessSpec {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(flowRunId, "flowRunId");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(name, "name");
        args = List.copyOf(args);
        environment = Map.copyOf(environment);
        settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
    }

    /** The Dask program: {@code dask-scheduler} or {@code dask-worker}, as a Python module. */
    public String module() {
        return role == Role.SCHEDULER ? "distributed.cli.dask_scheduler" : "distributed.cli.dask_worker";
    }

    /** What a process is to the cluster. */
    public enum Role {
        /** The scheduler. */
        SCHEDULER,
        /** A worker. */
        WORKER
    }
}
