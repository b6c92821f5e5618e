package io.flowport.benchmarks;

import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.spi.Instrumentation;
import io.flowport.core.spi.RunObservation;
import io.flowport.micrometer.FlowportMetrics;
import io.flowport.opentelemetry.FlowportTracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What observing a run costs per task: a chain of 10,000 no-op tasks run by {@code Executor.sequential()} with no
 * listener, with a listener that does nothing (the engine then makes each task's outcome), with
 * {@code FlowportMetrics} on a {@code SimpleMeterRegistry}, and with {@code FlowportTracing} on OpenTelemetry's
 * no-op API and on the SDK (a simple processor and an exporter that drops the spans). Time per task.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class InstrumentationBenchmark {

    public static final int TASKS = 10_000;

    private Flow flow;
    private final Executor sequential = Executor.sequential();
    private Instrumentation metrics;
    private Instrumentation tracingNoop;
    private Instrumentation tracingSdk;
    private OpenTelemetrySdk sdk;

    @Setup(Level.Trial)
    public void setUp() {
        flow = Graphs.build(Graphs.Shape.of("chain"), TASKS);
        metrics = FlowportMetrics.create(new SimpleMeterRegistry());
        tracingNoop = FlowportTracing.create(OpenTelemetry.noop());
        sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(new Dropping())).build()).build();
        tracingSdk = FlowportTracing.create(sdk);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sdk.close();
    }

    private FlowRunResult observed(Instrumentation instrumentation) {
        FlowRun run = FlowRun.create();
        RunObservation o = instrumentation.runStarted(flow, run, "benchmark", Map.of());
        FlowRunResult r = sequential.execute(flow, run.toBuilder().listener(o.listener()).build());
        o.finished(r);
        return r;
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public FlowRunResult none() {
        return sequential.execute(flow, FlowRun.create());
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public FlowRunResult emptyListener() {
        return sequential.execute(flow, FlowRun.builder().listener(new FlowRunListener() {
        }).build());
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public FlowRunResult micrometer() {
        return observed(metrics);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public FlowRunResult openTelemetryNoop() {
        return observed(tracingNoop);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public FlowRunResult openTelemetrySdk() {
        return observed(tracingSdk);
    }

    /** Takes spans and drops them: the SDK's cost without an exporter's I/O. */
    private static final class Dropping implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
