package io.flowport.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One attempt of a task: when it started and ended and how it ended. A task that was retried has one attempt per
 * try; every attempt but the last ended in a state that was retried ({@code Failed}, {@code TimedOut}).
 *
 * @param number  the attempt's number, starting at 1
 * @param start   when the attempt started
 * @param end     when it ended
 * @param state   how it ended
 */
public record TaskAttempt(int number, Instant start, Instant end, State state) {

    /** Validates the attempt. */
    public TaskAttempt {
        if (number < 1) {
            throw new IllegalArgumentException("number must be >= 1, was " + number);
        }
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        Objects.requireNonNull(state, "state");
        if (end.isBefore(start)) {
            throw new IllegalArgumentException("end " + end + " is before start " + start);
        }
    }

    /** How long the attempt took. */
    public Duration duration() {
        return Duration.between(start, end);
    }
}
