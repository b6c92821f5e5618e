package io.flowport.opentelemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.CommandSpec;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.RunReport;
import io.flowport.core.RunnerSettings;
import io.flowport.core.StateType;
import io.flowport.core.TaskRun;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.ScriptedBackend;
import io.flowport.env.local.LocalEnvironment;
import io.flowport.env.local.LocalProcessEnvironment;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Spans of runs, tasks and provider calls, with the OpenTelemetry SDK's in-memory exporter. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FlowportTracingTest {

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build();
    private final FlowportTracing tracing = FlowportTracing.create(sdk);

    @AfterEach
    void close() {
        sdk.close();
    }

    private SpanData span(String name) {
        return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span '" + name + "' among " + names()));
    }

    private List<String> names() {
        return exporter.getFinishedSpanItems().stream().map(SpanData::getName).toList();
    }

    @Test
    void anInProcessRunHasASpanPerTaskUnderItsRunSpanAndTheTaskSpanIsCurrentInTheBody() {
        LocalEnvironment env = LocalEnvironment.builder().executor(Executor.parallel(2)).instrumentation(tracing)
                .build();
        FlowRunResult r = env.execute(TracedFlows.etl(), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);

        SpanData run = span("run traced-etl");
        assertThat(run.getParentSpanContext().isValid()).isFalse();
        assertThat(run.getAttributes().get(FlowportTracing.ENVIRONMENT)).isEqualTo("local");
        assertThat(run.getAttributes().get(FlowportTracing.RUN_ID)).isEqualTo(r.flowRunId());
        assertThat(run.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        SpanData extract = span("task extract");
        SpanData transform = span("task transform");
        SpanData load = span("task load");
        for (SpanData t : List.of(extract, transform, load)) {
            assertThat(t.getTraceId()).isEqualTo(run.getTraceId());
            assertThat(t.getParentSpanId()).isEqualTo(run.getSpanId());
        }
        assertThat(extract.getAttributes().get(FlowportTracing.ATTEMPTS)).isEqualTo(2L);
        assertThat(extract.getEvents()).extracting(e -> e.getName()).contains("retry");
        assertThat(extract.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(load.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(load.getEvents()).extracting(e -> e.getName()).contains("exception");
        // what a task calls joins the trace: its span is the current one while its body runs
        assertThat(r.result("transform")).contains(transform.getTraceId() + "/" + transform.getSpanId());
        // the task span covers the attempts the engine measured
        TaskRun t = r.task("transform").orElseThrow();
        long engineEnd = t.endedAt().orElseThrow().getEpochSecond() * 1_000_000_000L
                + t.endedAt().orElseThrow().getNano();
        long engineStart = t.startedAt().orElseThrow().getEpochSecond() * 1_000_000_000L
                + t.startedAt().orElseThrow().getNano();
        assertThat(transform.getStartEpochNanos()).isBetween(engineStart - 50_000_000L, engineStart + 50_000_000L);
        assertThat(transform.getEndEpochNanos()).isBetween(engineEnd - 50_000_000L, engineEnd + 50_000_000L);
    }

    @Test
    void providerCallsAreChildSpansOfTheRunAndItsTraceContextGoesIntoTheLaunch() throws Exception {
        ScriptedBackend backend = new ScriptedBackend("scripted").runFor(Duration.ofMillis(100))
                .throttleNextLaunches(1);
        Flow flow = Flow.command("remote-job", CommandSpec.of("true"));
        FlowRun run = FlowRun.create();
        try (BackendLifecycle lifecycle = new BackendLifecycle(backend, BackendLifecycle.Settings.builder()
                .pollIntervals(Duration.ofMillis(20), Duration.ofMillis(50))
                .backoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(20))).build(), tracing, "scripted-env")) {
            CompletableFuture<FlowRunResult> f = lifecycle.submit(flow, run, new LaunchRequest(run.id(), flow.name(),
                    List.of("true"), Map.of(), Labels.forRun(run.id(), flow.name()), run.id()));
            assertThat(f.get(10, TimeUnit.SECONDS).isSuccess()).isTrue();
        }
        SpanData runSpan = span("run remote-job");
        List<SpanData> launches = exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals("scripted launch")).toList();
        assertThat(launches).hasSize(2).allSatisfy(l -> {
            assertThat(l.getParentSpanId()).isEqualTo(runSpan.getSpanId());
            assertThat(l.getKind()).isEqualTo(SpanKind.CLIENT);
        });
        assertThat(launches).filteredOn(l -> l.getStatus().getStatusCode() == StatusCode.ERROR).singleElement()
                .satisfies(l -> assertThat(l.getAttributes().get(FlowportTracing.THROTTLED)).isTrue());
        assertThat(span("scripted logs").getParentSpanId()).isEqualTo(runSpan.getSpanId());
        assertThat(runSpan.getEvents()).extracting(e -> e.getName())
                .contains("phase prepared", "phase launched", "phase finished");
        String traceparent = backend.request(run.id()).environment().get(RunnerSettings.TRACEPARENT);
        assertThat(traceparent).startsWith("00-" + runSpan.getTraceId() + "-" + runSpan.getSpanId() + "-");
    }

    @Test
    void aRunInAChildJvmContinuesTheCallersTrace(@TempDir Path dir) throws Exception {
        Path spansFile = dir.resolve("child-spans.jsonl");
        LocalProcessEnvironment env = LocalProcessEnvironment.builder()
                .jvmOptions(List.of("-Xmx256m",
                        // the child's SDK comes from OpenTelemetry's own autoconfiguration, as in an image
                        "-Dotel.java.global-autoconfigure.enabled=true",
                        "-Dotel.traces.exporter=" + FileSpanExporter.NAME,
                        "-D" + FileSpanExporter.FILE_PROPERTY + "=" + spansFile,
                        "-Dotel.metrics.exporter=none", "-Dotel.logs.exporter=none",
                        "-Dotel.service.name=flowport-runner"))
                .instrumentation(tracing)
                .build();
        FlowRunResult r = env.execute(TracedFlows.etl(), FlowRun.create());
        assertThat(r.state().type()).as(String.join("\n", r.logs().lines())).isEqualTo(StateType.FAILED);

        SpanData caller = span("run traced-etl");
        assertThat(span("process launch").getParentSpanId()).isEqualTo(caller.getSpanId());
        // the child exported its spans when it exited (the SDK's shutdown hook flushes them)
        List<JsonNode> child = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        for (String line : Files.readAllLines(spansFile)) {
            child.add(mapper.readTree(line));
        }
        JsonNode runner = find(child, "runner traced-etl").orElseThrow(() -> new AssertionError(child.toString()));
        assertThat(runner.path("traceId").asText()).isEqualTo(caller.getTraceId());
        assertThat(runner.path("parentSpanId").asText()).isEqualTo(caller.getSpanId());
        assertThat(runner.path("attributes").path("flowport.runner").asBoolean()).isTrue();
        assertThat(runner.path("attributes").path("flowport.flow_run.id").asText()).isEqualTo(r.flowRunId());
        for (String task : List.of("task extract", "task transform", "task load")) {
            JsonNode t = find(child, task).orElseThrow(() -> new AssertionError(task + " in " + child));
            assertThat(t.path("traceId").asText()).isEqualTo(caller.getTraceId());
            assertThat(t.path("parentSpanId").asText()).isEqualTo(runner.path("spanId").asText());
        }
        assertThat(find(child, "task extract").orElseThrow().path("attributes").path("flowport.task.attempts")
                .asInt()).isEqualTo(2);
        assertThat(find(child, "task load").orElseThrow().path("status").asText()).isEqualTo("ERROR");

        // the caller's result has the child's tasks with their attempts, so the report draws them
        assertThat(r.task("extract").orElseThrow().history()).extracting(a -> a.state().type())
                .containsExactly(StateType.FAILED, StateType.SUCCESS);
        String html = RunReport.html(r);
        assertThat(html).contains("\"extract\"").contains("table missing");
    }

    private static Optional<JsonNode> find(List<JsonNode> spans, String name) {
        return spans.stream().filter(s -> s.path("name").asText().equals(name)).findFirst();
    }
}
