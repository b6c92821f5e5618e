package io.flowport.benchmarks;

import io.flowport.core.Flow;
import io.flowport.core.TaskFunction;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The graph shapes the benchmarks run. {@code src/main/python/dask_overhead.py} builds the same shapes for
 * Dask; keep the two in step.
 *
 * <ul>
 *   <li>{@link Shape#CHAIN}: {@code t0 -> t1 -> ... -> t(n-1)}.</li>
 *   <li>{@link Shape#FANOUT}: one root, {@code n-2} independent middle tasks after it, one sink after all
 *       of them.</li>
 *   <li>{@link Shape#DIAMONDS}: a head task, then repeated diamonds of {@link #DIAMOND_WIDTH} parallel tasks
 *       after the previous join followed by one join task after all of them; the last diamond is narrower
 *       (or a single chained task) so that the flow has exactly {@code n} tasks.</li>
 * </ul>
 */
public final class Graphs {

    /** Parallel tasks in each diamond. */
    public static final int DIAMOND_WIDTH = 4;

    /** A task that does nothing. */
    public static final TaskFunction NO_OP = ctx -> null;

    /** The shapes. */
    public enum Shape {
        CHAIN, FANOUT, DIAMONDS;

        /** The lower-case name used in parameters and reports. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@link #id()}. */
        public static Shape of(String id) {
            return valueOf(id.toUpperCase(Locale.ROOT));
        }
    }

    private Graphs() {
    }

    /** A flow of {@code n} no-op tasks in {@code shape}. */
    public static Flow build(Shape shape, int n) {
        return build(shape, n, NO_OP);
    }

    /** A flow of {@code n} tasks in {@code shape}, each running {@code body}. */
    public static Flow build(Shape shape, int n, TaskFunction body) {
        switch (shape) {
            case CHAIN:
                return chain(n, body);
            case FANOUT:
                return fanOut(n, body, body);
            case DIAMONDS:
                return diamonds(n, body);
            default:
                throw new IllegalArgumentException(String.valueOf(shape));
        }
    }

    /** {@code t0 -> t1 -> ... -> t(n-1)}. */
    public static Flow chain(int n, TaskFunction body) {
        requireAtLeast(n, 1);
        Flow.Builder b = Flow.builder("chain-" + n);
        b.task("t0").run(body);
        for (int i = 1; i < n; i++) {
            b.task("t" + i).after("t" + (i - 1)).run(body);
        }
        return b.build();
    }

    /** {@code root}, {@code n-2} middle tasks {@code m1..m(n-2)} after it, {@code sink} after all of them. */
    public static Flow fanOut(int n, TaskFunction middle, TaskFunction ends) {
        requireAtLeast(n, 3);
        Flow.Builder b = Flow.builder("fanout-" + n);
        b.task("root").run(ends);
        List<String> mids = new ArrayList<>(n - 2);
        for (int i = 1; i <= n - 2; i++) {
            String name = "m" + i;
            mids.add(name);
            b.task(name).after("root").run(middle);
        }
        b.task("sink").after(mids).run(ends);
        return b.build();
    }

    /** Layered diamonds of {@link #DIAMOND_WIDTH}; see the class comment. */
    public static Flow diamonds(int n, TaskFunction body) {
        requireAtLeast(n, 1);
        Flow.Builder b = Flow.builder("diamonds-" + n);
        String join = "j0";
        b.task(join).run(body);
        int count = 1;
        int layer = 0;
        while (count < n) {
            layer++;
            int remaining = n - count;
            if (remaining == 1) {
                String next = "j" + layer;
                b.task(next).after(join).run(body);
                count++;
                join = next;
                continue;
            }
            int width = Math.min(DIAMOND_WIDTH, remaining - 1);
            List<String> mids = new ArrayList<>(width);
            for (int k = 0; k < width; k++) {
                String name = "d" + layer + "_" + k;
                mids.add(name);
                b.task(name).after(join).run(body);
            }
            String next = "j" + layer;
            b.task(next).after(mids).run(body);
            count += width + 1;
            join = next;
        }
        return b.build();
    }

    private static void requireAtLeast(int n, int min) {
        if (n < min) {
            throw new IllegalArgumentException("need at least " + min + " tasks, got " + n);
        }
    }
}
