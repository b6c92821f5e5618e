package io.flowport.core.spi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: retry {@code n} waits a random time between half and all of
 * {@code min(max, base * 2^n)}, so that many clients throttled at once do not retry in step.
 *
 * @param base the first ceiling
 * @param max  the largest ceiling
 */
public record Backoff(Duration base, Duration max) {

    /**
     * Validates the backoff.
     *
     * @throws io.flowport.core.ConfigurationException if {@code base} is not positive or {@code max} is shorter
     */
    public Backoff {
        List<String> problems = new ArrayList<>();
        if (base == null || base.isZero() || base.isNegative()) {
            problems.add("base must be a positive duration, was " + base);
        }
        if (max == null || (base != null && max.compareTo(base) < 0)) {
            problems.add("max must be a duration >= base (" + base + "), was " + max);
        }
        if (!problems.isEmpty()) {
            throw new io.flowport.core.ConfigurationException("Backoff", problems);
        }
    }

    /** The delay before retry number {@code attempt} (0-based); never longer than {@link #max()}. */
    public Duration delay(int attempt) {
        long maxNanos = saturatedNanos(max);
        long ceiling = saturatedNanos(base);
        // double until the ceiling reaches max, without ever shifting past the range of a long
        for (int i = 0; i < attempt && ceiling < maxNanos; i++) {
            ceiling = ceiling > maxNanos / 2 ? maxNanos : ceiling * 2;
        }
        ceiling = Math.min(ceiling, maxNanos);
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1));
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE - 1;
        }
    }
}
