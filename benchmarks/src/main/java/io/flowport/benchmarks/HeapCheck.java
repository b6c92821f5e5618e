package io.flowport.benchmarks;

import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * Builds and runs 100,000-task flows of every shape with both executors in this JVM; meant to be started with
 * {@code -Xmx256m} (which {@link Report} does). Prints one line per run and a final line starting with
 * {@code OK} (exit 0) or {@code FAILED} (exit 1). An OutOfMemoryError fails it too.
 *
 * <p>{@code java -Xmx256m -cp benchmarks/target/benchmarks.jar io.flowport.benchmarks.HeapCheck}
 */
public final class HeapCheck {

    private HeapCheck() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : OverheadBenchmark.LARGE;
        long maxHeap = Runtime.getRuntime().maxMemory();
        boolean ok = true;
        long slowestMicros = 0;
        try {
            for (Graphs.Shape shape : Graphs.Shape.values()) {
                Flow flow = Graphs.build(shape, n);
                Executor[] executors = {Executor.sequential(), Executor.parallel(OverheadBenchmark.PARALLEL_THREADS)};
                for (Executor ex : executors) {
                    long t0 = System.nanoTime();
                    FlowRunResult r = ex.execute(flow, FlowRun.create());
                    long micros = (System.nanoTime() - t0) / 1000;
                    slowestMicros = Math.max(slowestMicros, micros);
                    boolean good = r.isSuccess() && r.tasks().size() == n;
                    ok &= good;
                    System.out.printf("%-9s %,d tasks %-28s %s in %,d ms%n", shape.id(), n, ex,
                            good ? "succeeded" : "NOT OK: " + r.state(), micros / 1000);
                }
            }
        } catch (OutOfMemoryError e) {
            System.out.println("FAILED: OutOfMemoryError with max heap " + mib(maxHeap) + " MiB: " + e.getMessage());
            System.exit(1);
        }
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        String summary = String.format("3 shapes x 2 executors, %,d tasks each, max heap %d MiB, "
                + "sum of heap pools' peaks %d MiB, slowest run %,d ms", n, mib(maxHeap), mib(peak),
                slowestMicros / 1000);
        System.out.println((ok ? "OK: " : "FAILED: ") + summary);
        System.exit(ok ? 0 : 1);
    }

    private static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
