package io.flowport.env.dask.spi;

import java.util.List;
import java.util.Optional;

/**
 * Where the scheduler and workers of one Dask cluster run: processes on this machine, ECS tasks, Kubernetes pods.
 * The cluster logic (TLS material, health checks, adaptive scaling, teardown) is shared and lives in
 * {@code env-dask-cloud}; a platform only starts and stops processes and says where they listen.
 *
 * <p>Implementations are thread-safe. {@link #launch} returns without waiting for the process to run.
 */
public interface DaskPlatform extends AutoCloseable {

    /** A short name for logs, e.g. {@code local}. */
    String name();

    /**
     * Starts one process of the cluster. Returns at once; the process reports where it listens through
     * {@link DaskProcess#endpoint()}.
     *
     * @throws io.flowport.core.LaunchException    if the platform refuses
     * @throws io.flowport.core.TransientException if the platform is throttling or briefly unavailable
     */
    DaskProcess launch(ProcessSpec spec);

    /**
     * Arguments by which a worker of the cluster finds its scheduler before the scheduler's address is known (for
     * example {@code --scheduler-file} on a file system both share), so that the first workers start alongside the
     * scheduler instead of after it. Empty (the default) when workers need the address.
     */
    default Optional<List<String>> schedulerLocator(String clusterId) {
        return Optional.empty();
    }

    /**
     * Stops every process of the cluster, also those this object did not start (left by a driver that died), and
     * removes what was created for the cluster alone. Blocking; idempotent.
     *
     * @return how many processes were found running and stopped
     */
    int stopAll(String clusterId);

    /** Whether processes get public addresses (a loud warning is logged when they do). */
    default boolean publicAddresses() {
        return false;
    }

    /** Releases the platform's clients. Does not stop processes. */
    @Override
    default void close() {
    }
}
