package io.flowport.env.dask;

import java.time.Duration;
import java.util.Map;

/**
 * What one cluster is to be, once the settings (and {@code onExecute}'s changes) are validated.
 *
 * @param clusterId         unique per cluster; on every process and resource created
 * @param flowRunId         the run the cluster serves
 * @param settings          the provider settings, for the platform
 * @param tls               TLS between every part (default on)
 * @param minWorkers        workers at start, and the adaptive minimum
 * @param maxWorkers        the adaptive maximum (equal to {@code minWorkers} without adaptive mode)
 * @param adaptive          whether to follow the scheduler's adaptive target
 * @param workerThreads     threads per worker
 * @param workerMemoryLimit Dask's {@code --memory-limit} per worker
 * @param environment       extra variables for every process
 * @param workerResources   Dask resources each worker offers
 * @param workStealing      Dask's work stealing
 * @param idleTimeout       the scheduler closes after this long without tasks (its driver sends a heartbeat task,
 *                          so this only happens when the driver is gone)
 * @param maxLifetime       nothing of the cluster lives longer than this
 * @param startTimeout      the scheduler and the first workers must be ready within this
 * @param adaptInterval     how often the scaling loop looks at the scheduler
 * @param deathTimeout      a worker whose scheduler is gone this long exits
 */
record ClusterPlan(String clusterId, String flowRunId, Map<String, Object> settings, boolean tls, int minWorkers,
                   int maxWorkers, boolean adaptive, int workerThreads, String workerMemoryLimit,
                   Map<String, String> environment, Map<String, Double> workerResources, boolean workStealing,
                   Duration idleTimeout, Duration maxLifetime, Duration startTimeout, Duration adaptInterval,
                   Duration deathTimeout) {
}
