package io.flowport.core.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to start for one flow run, independent of the platform.
 *
 * @param flowRunId        the run's id
 * @param flowName         the flow's name
 * @param command          the first container's command: the runner entry point for a Java flow, the flow's
 *                         own command for a command flow
 * @param environment      the {@code FLOWPORT__*} variables (and a command flow's own); the backend merges them
 *                         into the container's environment, keeping user values and letting these win
 * @param labels           labels/tags that identify the run ({@link Labels})
 * @param idempotencyToken the same for every retry of this launch
 */
public record LaunchRequest(String flowRunId, String flowName, List<String> command, Map<String, String> environment,
                            Map<String, String> labels, String idempotencyToken) {
    /** Validates the request and copies its collections. */
    public LaunchRequest {
        Objects.requireNonNull(flowRunId, "flowRunId");
        Objects.requireNonNull(flowName, "flowName");
        command = List.copyOf(command);
        environment = Map.copyOf(environment);
        labels = Map.copyOf(labels);
        Objects.requireNonNull(idempotencyToken, "idempotencyToken");
    }
}
