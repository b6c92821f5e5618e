package io.flowport.core;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One task of a flow: its name, its upstream tasks, its retry policy, an optional timeout and its body.
 *
 * @param name       unique within the flow
 * @param upstream   names of the tasks whose results this one takes, in order
 * @param retries    how many times a failed attempt is tried again (0 = no retry)
 * @param retryDelay pause between attempts
 * @param timeout    longest time one attempt may take, or {@code null} for none
 * @param function   the body
 */
public record TaskSpec(String name, List<String> upstream, int retries, Duration retryDelay, Duration timeout,
                       TaskFunction function) {

    /** Validates the task: a non-blank name, retries and delays not negative, a positive timeout. */
    public TaskSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(function, "function");
        upstream = List.copyOf(upstream);
        retryDelay = retryDelay == null ? Duration.ZERO : retryDelay;
        if (name.isBlank()) {
            throw new ConfigurationException("task name must not be blank");
        }
        if (retries < 0) {
            throw new ConfigurationException("task '" + name + "': retries must be >= 0, was " + retries);
        }
        if (retryDelay.isNegative()) {
            throw new ConfigurationException("task '" + name + "': retryDelay must not be negative, was " + retryDelay);
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new ConfigurationException("task '" + name + "': timeout must be positive, was " + timeout);
        }
    }

    /** The timeout, if one is set. */
    public Optional<Duration> optionalTimeout() {
        return Optional.ofNullable(timeout);
    }
}
