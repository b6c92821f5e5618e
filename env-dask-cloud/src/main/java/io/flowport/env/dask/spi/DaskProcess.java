package io.flowport.env.dask.spi;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** One scheduler or worker process of a cluster, as its platform started it. */
public interface DaskProcess {

    /** The name given in its {@link ProcessSpec} (a worker's Dask name). */
    String name();

    /**
     * Where the process listens, once the platform knows (a private IP, ports); fails if the process could not
     * start.
     */
    CompletableFuture<Endpoint> endpoint();

    /** Empty while it runs (or starts); why it ended otherwise. Non-blocking. */
    Optional<String> ended();

    /** Stops the process. Idempotent; non-blocking. */
    void stop();

    /** Its last log lines, if the platform can read them. May block. */
    default List<String> logTail(int lines) {
        return List.of();
    }

    /**
     * Where a process listens.
     *
     * @param host          its private address
     * @param port          its Dask port (the scheduler's comm port; 0 for workers)
     * @param dashboardPort the scheduler's dashboard port (HTTP API); 0 for workers
     */
    record Endpoint(String host, int port, int dashboardPort) {
    }
}
