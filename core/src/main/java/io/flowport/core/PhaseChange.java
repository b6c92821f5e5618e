package io.flowport.core;

import java.time.Instant;
import java.util.Objects;

/**
 * One step of a remote run's infrastructure: the phase it entered, when, and the platform's own words.
 *
 * @param phase  the phase entered
 * @param at     when Flowport saw it
 * @param detail the platform's words (a task ARN, a stop reason, a pod condition); may be empty, never null
 */
public record PhaseChange(RunPhase phase, Instant at, String detail) {

    /** Validates the change; a {@code null} detail becomes empty. */
    public PhaseChange {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(at, "at");
        detail = detail == null ? "" : detail;
    }
}
