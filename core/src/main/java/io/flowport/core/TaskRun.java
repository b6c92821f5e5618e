package io.flowport.core;

import java.time.Duration;

/**
 * How one task of a run ended.
 *
 * @param name     the task's name
 * @param state    its final state
 * @param result   what its body returned, or {@code null}
 * @param attempts how many attempts ran (0 if it never started)
 * @param duration time from the first attempt's start to the end of the last
 */
public record TaskRun(String name, State state, Object result, int attempts, Duration duration) {
}
