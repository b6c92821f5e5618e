package io.flowport.core.spi;

import io.flowport.core.TransientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The TTL controller of the agent–environment model: finds finished units carrying Flowport's labels and deletes
 * those that finished longer ago than a TTL. Running units are never touched, and neither are units on platforms
 * that remove them by themselves ({@link Backend#supportsDelete()}). Callable from an agent's loop or a scheduled
 * job.
 */
public final class BackendCleaner {

    private static final Logger LOG = LoggerFactory.getLogger(BackendCleaner.class);

    private BackendCleaner() {
    }

    /**
     * Deletes finished units that carry {@code labels} (use {@link Labels#managed()} for everything Flowport
     * created) and finished more than {@code ttl} ago. Blocking. A unit that cannot be deleted now is left for
     * the next pass.
     *
     * @return the units deleted
     */
    public static List<Launch> deleteFinished(Backend backend, Map<String, String> labels, Duration ttl,
                                              Clock clock) {
        if (!backend.supportsDelete()) {
            return List.of();
        }
        Instant cutoff = clock.instant().minus(ttl);
        List<Launch> deleted = new ArrayList<>();
        for (Backend.Found f : backend.find(labels)) {
            if (!f.status().isFinished() || !f.deletable()) {
                continue;
            }
            Instant finished = f.finishedAt() != null ? f.finishedAt() : f.launch().launchedAt();
            if (finished.isAfter(cutoff)) {
                continue;
            }
            try {
                backend.delete(f.launch());
                deleted.add(f.launch());
                LOG.info("{}: deleted finished {} of flow run {}", backend.name(), f.launch().id(),
                        f.launch().flowRunId());
            } catch (TransientException e) {
                LOG.debug("{}: could not delete {} now: {}", backend.name(), f.launch().id(), e.getMessage());
            }
        }
        return deleted;
    }
}
