package io.flowport.core.spi;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One launched unit of infrastructure.
 *
 * @param id         the platform's identifier (a task ARN, a Job name, a pid)
 * @param flowRunId  the run it belongs to
 * @param labels     the labels it carries
 * @param launchedAt when it was launched
 */
public record Launch(String id, String flowRunId, Map<String, String> labels, Instant launchedAt) {
    /** Validates the launch and copies its labels. */
    public Launch {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(flowRunId, "flowRunId");
        labels = Map.copyOf(labels);
        Objects.requireNonNull(launchedAt, "launchedAt");
    }
}
