package io.flowport.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A flow run as the queue holds it: what to run (flow reference, parameters, environment), who may run it
 * (labels), when (priority, {@code notBefore}), and where it is (state, the agent holding it and its lease, the
 * unit of infrastructure it runs as, its history).
 *
 * <p>The flow is referenced, not stored: its name, its storage (JSON, {@code null} for the class path) and its
 * location there — so that an agent without the flow's classes (image storage) can still launch it — and, for a
 * command flow, its command.
 *
 * @param id              the run's id; also the idempotency token of its launch and the value of its
 *                        {@code flowport.io/flow-run-id} label
 * @param flowName        the flow's name
 * @param flowLocation    where the runner finds the flow in its storage
 * @param storageJson     the storage as JSON, or {@code null} for the class path
 * @param commandJson     a command flow's {@link io.flowport.core.CommandSpec} as JSON, or {@code null}
 * @param parametersJson  the parameters given, as a JSON object
 * @param labels          the labels an agent must all have to claim the run
 * @param environmentJson the environment as JSON, or {@code null} for the agent's default environment
 * @param priority        higher runs first
 * @param notBefore       not claimed before this
 * @param timeout         the longest the run may take, or {@code null}
 * @param submittedAt     when it was submitted
 * @param state           where it is
 * @param stateMessage    the last state's message (may be empty)
 * @param updatedAt       when the state or lease last changed
 * @param agentId         the agent holding it (or the last one that did), or {@code null}
 * @param leaseUntil      until when the agent's lease holds, or {@code null}
 * @param claims          how many times it was claimed (the fencing token of the current holder)
 * @param unitId          the unit of infrastructure it runs as (an ECS task ARN, a Job name), or {@code null}
 * @param logsLocation    where its logs are (known once it finished), or {@code null}
 * @param cancelReason    set when someone asked to cancel it, or {@code null}
 * @param launchedAt      when it was launched, or {@code null}
 * @param finishedAt      when it finished, or {@code null}
 * @param history         its state history, oldest first (empty unless read with {@link RunQueue#get})
 */
public record QueuedRun(String id, String flowName, String flowLocation, String storageJson, String commandJson,
                        String parametersJson, Set<String> labels, String environmentJson, int priority,
                        Instant notBefore, Duration timeout, Instant submittedAt, RunState state, String stateMessage,
                        Instant updatedAt, String agentId, Instant leaseUntil, int claims, String unitId,
                        String logsLocation, String cancelReason, Instant launchedAt, Instant finishedAt,
                        List<StateChange> history) {

    /** Validates the run and copies its collections (labels sorted). */
    public QueuedRun {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(flowName, "flowName");
        Objects.requireNonNull(flowLocation, "flowLocation");
        Objects.requireNonNull(parametersJson, "parametersJson");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(notBefore, "notBefore");
        Objects.requireNonNull(submittedAt, "submittedAt");
        labels = Collections.unmodifiableSet(new TreeSet<>(labels));
        stateMessage = stateMessage == null ? "" : stateMessage;
        history = history == null ? List.of() : List.copyOf(history);
    }

    /** Where the run runs or ran, for people: its unit, or where its logs are. */
    public Optional<String> where() {
        return Optional.ofNullable(unitId != null ? unitId : logsLocation);
    }

    /** Whether the run is over. */
    public boolean isFinished() {
        return state.isFinal();
    }

    /** A copy with a history. */
    public QueuedRun withHistory(List<StateChange> newHistory) {
        return new QueuedRun(id, flowName, flowLocation, storageJson, commandJson, parametersJson, labels,
                environmentJson, priority, notBefore, timeout, submittedAt, state, stateMessage, updatedAt, agentId,
                leaseUntil, claims, unitId, logsLocation, cancelReason, launchedAt, finishedAt, newHistory);
    }

    @Override
    public String toString() {
        // the environment and parameters stay out of logs: they are the user's data
        return "QueuedRun[" + id + ", flow=" + flowName + ", state=" + state + ", labels=" + labels
                + (agentId == null ? "" : ", agent=" + agentId) + "]";
    }
}
