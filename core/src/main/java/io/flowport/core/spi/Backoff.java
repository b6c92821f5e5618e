package io.flowport.core.spi;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: retry {@code n} waits a random time between half and all of
 * {@code min(max, base * 2^n)}, so that many clients throttled at once do not retry in step.
 *
 * @param base the first ceiling
 * @param max  the largest ceiling
 */
public record Backoff(Duration base, Duration max) {

    /** The delay before retry number {@code attempt} (0-based). */
    public Duration delay(int attempt) {
        long ceiling = Math.min(max.toNanos(), base.toNanos() << Math.min(attempt, 30));
        if (ceiling <= 0) {
            ceiling = max.toNanos();
        }
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1));
    }
}
