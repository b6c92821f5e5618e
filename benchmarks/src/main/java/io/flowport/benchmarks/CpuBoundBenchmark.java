package io.flowport.benchmarks;

import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.TaskFunction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Parallel speed-up on CPU-bound tasks: a no-op root, {@link #TASKS} tasks of about 1 ms of real CPU work
 * each ({@link CpuWork#spin}) after it, and a no-op sink after all of them; one operation is one run of that
 * flow, reported in ms. Speed-up = sequential / parallel(2).
 *
 * <p>{@code iterations} is the loop count of one task; 0 (the default) calibrates it to ~1 ms in each fork.
 * {@link Report} calibrates once and passes the same value to both benchmarks so that they do the same work.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class CpuBoundBenchmark {

    public static final int TASKS = 200;
    public static final long TARGET_NANOS = 1_000_000;

    @Param({"0"})
    public long iterations;

    private Flow flow;
    private long workIterations;
    private final Executor sequential = Executor.sequential();
    private final Executor parallel = Executor.parallel(OverheadBenchmark.PARALLEL_THREADS);

    @Setup(Level.Trial)
    public void setUp() {
        workIterations = iterations > 0 ? iterations : CpuWork.calibrate(TARGET_NANOS);
        flow = cpuFlow(workIterations);
        OverheadBenchmark.check(sequential.execute(flow, FlowRun.create()), TASKS + 2);
    }

    /** The fan-out of {@link #TASKS} CPU-bound tasks; each returns its (boxed) result, kept by the run. */
    public static Flow cpuFlow(long iterations) {
        TaskFunction work = ctx -> CpuWork.spin(ctx.taskName().hashCode(), iterations);
        return Graphs.fanOut(TASKS + 2, work, Graphs.NO_OP);
    }

    @Benchmark
    public FlowRunResult sequential() {
        return sequential.execute(flow, FlowRun.create());
    }

    @Benchmark
    public FlowRunResult parallel() {
        return parallel.execute(flow, FlowRun.create());
    }

    /**
     * The same {@link #TASKS} pieces of work on a plain {@code Executors.newFixedThreadPool(2)} created per
     * operation (as the parallel executor creates its pool per run), without flowport: the speed-up this
     * machine allows at the moment, to read the executor's number against.
     */
    @Benchmark
    public long plainThreadPool() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(OverheadBenchmark.PARALLEL_THREADS);
        try {
            List<Future<Long>> futures = new ArrayList<>(TASKS);
            for (int i = 1; i <= TASKS; i++) {
                long seed = ("m" + i).hashCode();
                futures.add(pool.submit(() -> CpuWork.spin(seed, workIterations)));
            }
            long sum = 0;
            for (Future<Long> f : futures) {
                sum += f.get();
            }
            return sum;
        } finally {
            pool.shutdownNow();
        }
    }
}
