package io.flowport.core.spi;

import io.flowport.core.State;

import java.util.Objects;

/**
 * A platform's view of a run, mapped by the backend.
 *
 * @param phase  where the unit is in its life
 * @param state  the final state, set when {@code phase} is {@link Phase#FINISHED}
 * @param detail the platform's own words (last status, stop reason), for logs and messages
 */
public record RunStatus(Phase phase, State state, String detail) {

    /** Validates the status: a finished run needs a final state. */
    public RunStatus {
        Objects.requireNonNull(phase, "phase");
        detail = detail == null ? "" : detail;
        if (phase == Phase.FINISHED && state == null) {
            throw new IllegalArgumentException("a finished run needs a final state");
        }
    }

    /** A run that has not finished. */
    public static RunStatus of(Phase phase, String detail) {
        return new RunStatus(phase, null, detail);
    }

    /** A finished run. */
    public static RunStatus finished(State state, String detail) {
        return new RunStatus(Phase.FINISHED, state, detail);
    }

    /** Whether the run has finished. */
    public boolean isFinished() {
        return phase == Phase.FINISHED;
    }

    /** The phases every platform's life cycle maps onto. */
    public enum Phase {
        /** Accepted, resources being found (ECS PROVISIONING, an unscheduled pod). */
        PROVISIONING,
        /** Resources found, not yet running (ECS PENDING, image pulling). */
        PENDING,
        /** Running. */
        RUNNING,
        /** Stopping. */
        STOPPING,
        /** Finished; {@link RunStatus#state()} says how. */
        FINISHED;

        /** Whether the unit has not started running yet. */
        public boolean isStarting() {
            return this == PROVISIONING || this == PENDING;
        }
    }
}
