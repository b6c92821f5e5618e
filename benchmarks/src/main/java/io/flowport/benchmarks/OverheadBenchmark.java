package io.flowport.benchmarks;

import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Per-task overhead of the executors: flows of 10,000 and 100,000 no-op tasks, run by
 * {@code Executor.sequential()} and {@code Executor.parallel(2)}. The flows are built once per fork in
 * {@link #setUp()}; one operation is one {@code executor.execute(flow, FlowRun.create())}, and
 * {@link OperationsPerInvocation} makes JMH report the time <em>per task</em> (ns/op = ns per task).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class OverheadBenchmark {

    public static final int SMALL = 10_000;
    public static final int LARGE = 100_000;
    public static final int PARALLEL_THREADS = 2;

    @Param({"chain", "fanout", "diamonds"})
    public String shape;

    private Flow small;
    private Flow large;
    private final Executor sequential = Executor.sequential();
    private final Executor parallel = Executor.parallel(PARALLEL_THREADS);

    @Setup(Level.Trial)
    public void setUp() {
        Graphs.Shape s = Graphs.Shape.of(shape);
        small = Graphs.build(s, SMALL);
        large = Graphs.build(s, LARGE);
        // a wrong graph or a failing run would make the numbers meaningless
        check(sequential.execute(small, FlowRun.create()), SMALL);
        check(parallel.execute(small, FlowRun.create()), SMALL);
    }

    static void check(FlowRunResult r, int n) {
        if (!r.isSuccess() || r.tasks().size() != n) {
            throw new IllegalStateException("run did not succeed with " + n + " tasks: " + r.state()
                    + ", " + r.tasks().size() + " tasks");
        }
    }

    @Benchmark
    @OperationsPerInvocation(SMALL)
    public FlowRunResult sequential10k() {
        return sequential.execute(small, FlowRun.create());
    }

    @Benchmark
    @OperationsPerInvocation(LARGE)
    public FlowRunResult sequential100k() {
        return sequential.execute(large, FlowRun.create());
    }

    @Benchmark
    @OperationsPerInvocation(SMALL)
    public FlowRunResult parallel10k() {
        return parallel.execute(small, FlowRun.create());
    }

    @Benchmark
    @OperationsPerInvocation(LARGE)
    public FlowRunResult parallel100k() {
        return parallel.execute(large, FlowRun.create());
    }
}
