package io.flowport.agent;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of a queued run's state history.
 *
 * @param at      when it happened (the clock of whoever recorded it: the submitter, the agent, the database)
 * @param state   the state entered
 * @param message what happened, in words (never null, may be empty)
 * @param agentId the agent that recorded it, or {@code null} (submission, cancellation by a user)
 */
public record StateChange(Instant at, RunState state, String message, String agentId) {

    /** Validates the change; a {@code null} message becomes empty. */
    public StateChange {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(state, "state");
        message = message == null ? "" : message;
    }
}
