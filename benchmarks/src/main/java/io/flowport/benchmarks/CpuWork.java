package io.flowport.benchmarks;

/** Real CPU work the JIT cannot remove: a data-dependent xorshift loop whose result the caller keeps. */
public final class CpuWork {

    private CpuWork() {
    }

    /** Runs {@code iterations} rounds of xorshift64* starting from {@code seed}; returns the final value. */
    public static long spin(long seed, long iterations) {
        long x = seed | 1;
        long acc = 0;
        for (long i = 0; i < iterations; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            acc += x * 0x2545F4914F6CDD1DL;
        }
        return acc;
    }

    /**
     * The number of iterations of {@link #spin} that take about {@code targetNanos} on this machine, after
     * warming the loop up so that it is compiled.
     */
    public static long calibrate(long targetNanos) {
        long sink = 0;
        long iterations = 100_000;
        // warm up: get the loop through C2
        for (int i = 0; i < 200; i++) {
            sink += spin(i, iterations);
        }
        long best = Long.MAX_VALUE;
        long probe = 1_000_000;
        for (int i = 0; i < 30; i++) {
            long t0 = System.nanoTime();
            sink += spin(i, probe);
            long t = System.nanoTime() - t0;
            best = Math.min(best, t);
        }
        if (sink == 42) {
            System.out.print(""); // keep sink alive
        }
        // the fastest probe is the least disturbed one
        return Math.max(1, Math.round((double) probe * targetNanos / best));
    }
}
