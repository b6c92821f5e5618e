package io.flowport.benchmarks;

import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;

import java.lang.management.ManagementFactory;

/**
 * Builds and runs 100,000-task flows of every shape with both executors in this JVM; meant to be started with
 * {@code -Xmx256m} (which {@link Report} does). Prints one line per run and a final line starting with
 * {@code OK} (exit 0) or {@code FAILED} (exit 1). An OutOfMemoryError fails it too.
 *
 * <p>{@code java -Xmx256m -cp benchmarks/target/benchmarks.jar io.flowport.benchmarks.HeapCheck}
 */
public final class HeapCheck {

    /** Runs per flow and executor, so that garbage from earlier runs is around too. */
    private static final int RUNS = 3;

    private HeapCheck() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : OverheadBenchmark.LARGE;
        long maxHeap = Runtime.getRuntime().maxMemory();
        boolean ok = true;
        long slowestMicros = 0;
        long maxLive = 0;
        try {
            for (Graphs.Shape shape : Graphs.Shape.values()) {
                Flow flow = Graphs.build(shape, n);
                FlowRunResult last = null;
                Executor[] executors = {Executor.sequential(), Executor.parallel(OverheadBenchmark.PARALLEL_THREADS)};
                for (Executor ex : executors) {
                    for (int rep = 1; rep <= RUNS; rep++) {
                        long t0 = System.nanoTime();
                        FlowRunResult r = ex.execute(flow, FlowRun.create());
                        last = r;
                        long micros = (System.nanoTime() - t0) / 1000;
                        slowestMicros = Math.max(slowestMicros, micros);
                        boolean good = r.isSuccess() && r.tasks().size() == n;
                        ok &= good;
                        System.out.printf("%-9s %,d tasks %-28s run %d: %s in %,d ms%n", shape.id(), n, ex, rep,
                                good ? "succeeded" : "NOT OK: " + r.state(), micros / 1000);
                    }
                }
                // what one 100k flow plus one run's result keep alive
                System.gc();
                long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                maxLive = Math.max(maxLive, live);
                System.out.printf("%-9s live heap after GC with the flow and one result held: %d MiB (%d tasks)%n",
                        shape.id(), mib(live), last == null ? 0 : last.tasks().size());
            }
        } catch (OutOfMemoryError e) {
            System.out.println("FAILED: OutOfMemoryError with max heap " + mib(maxHeap) + " MiB: " + e.getMessage());
            System.exit(1);
        }
        String summary = String.format("3 shapes x 2 executors x " + RUNS + " runs, %,d tasks each, max heap %d MiB, "
                + "live heap after GC at most %d MiB, slowest run %,d ms", n, mib(maxHeap), mib(maxLive),
                slowestMicros / 1000);
        System.out.println((ok ? "OK: " : "FAILED: ") + summary);
        System.exit(ok ? 0 : 1);
    }

    private static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
