package io.flowport.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowport.core.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the report's page is given; {@code RunReportBrowserIT} checks what a browser makes of it. */
class RunReportTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    private static TaskRun task(String name, State state, long startMs, long endMs, String... upstream) {
        return new TaskRun(name, state, null, 1, Duration.ofMillis(endMs - startMs),
                List.of(new TaskAttempt(1, T0.plusMillis(startMs), T0.plusMillis(endMs), state)), List.of(upstream));
    }

    @Test
    void theCriticalPathFollowsTheUpstreamTaskThatEndedLast() {
        Map<String, TaskRun> tasks = new LinkedHashMap<>();
        tasks.put("a", task("a", State.success(""), 0, 100));
        tasks.put("b", task("b", State.success(""), 100, 400, "a"));
        tasks.put("c", task("c", State.success(""), 100, 200, "a"));
        tasks.put("d", task("d", State.success(""), 400, 450, "b", "c"));
        tasks.put("e", task("e", State.success(""), 0, 300));
        assertThat(RunReport.criticalPath(tasks)).containsExactlyInAnyOrder("a", "b", "d");
    }

    @Test
    void thePageDataHasEveryAttemptPhaseAndDetailAndCannotBreakOutOfItsScript(@TempDir Path dir) throws Exception {
        Map<String, TaskRun> tasks = new LinkedHashMap<>();
        tasks.put("fetch", new TaskRun("fetch", State.success(""), null, 2, Duration.ofMillis(300),
                List.of(new TaskAttempt(1, T0.plusMillis(10), T0.plusMillis(100), State.failed("HTTP 503", null)),
                        new TaskAttempt(2, T0.plusMillis(200), T0.plusMillis(310), State.success(""))), List.of()));
        tasks.put("parse", task("parse", State.failed("bad </script><img src=x onerror=alert(1)>", null), 310, 320,
                "fetch"));
        FlowRunResult r = new FlowRunResult("run-1", "etl", State.failed("parse failed", null), tasks, T0,
                Duration.ofMillis(400), List.of("onExit callback failed"), RunLogs.of("pod etl-1",
                List.of("line 1", "line 2")),
                List.of(new PhaseChange(RunPhase.LAUNCHED, T0.minusMillis(500), "task/abc"),
                        new PhaseChange(RunPhase.RUNNING, T0.minusMillis(100), "RUNNING"),
                        new PhaseChange(RunPhase.FINISHED, T0.plusMillis(420), "Failed")),
                Map.of("dask.workers", List.of(Map.of("at", T0.toString(), "workers", 2, "reason", "started"),
                                Map.of("at", T0.plusMillis(200).toString(), "workers", 4, "reason", "scaled up")),
                        "dask.dashboard", "http://127.0.0.1:8787/status",
                        FlowRunResult.PARAMETERS, Map.of("rows", 10)));
        Path file = RunReport.write(r, dir.resolve("sub/report.html"));
        String html = Files.readString(file);
        assertThat(html).doesNotContain("</script><img").doesNotContain("https://").doesNotContain("src=\"http");
        String json = RunReport.data(r);
        JsonNode d = Json.mapper().readTree(json);
        // the axis starts at the first phase, before the run's own start
        assertThat(d.path("origin").asLong()).isEqualTo(T0.minusMillis(500).toEpochMilli());
        assertThat(d.path("runStart").asDouble()).isEqualTo(500.0);
        assertThat(d.path("phases")).hasSize(3);
        assertThat(d.path("series").get(0).path("name").asText()).isEqualTo("dask.workers");
        assertThat(d.path("series").get(0).path("points").get(1).get(1).asDouble()).isEqualTo(4.0);
        assertThat(d.path("details").path("dask.dashboard").asText()).isEqualTo("http://127.0.0.1:8787/status");
        assertThat(d.path("parameters").path("rows").asInt()).isEqualTo(10);
        JsonNode fetch = d.path("tasks").get(0);
        assertThat(fetch.get(0).asText()).isEqualTo("fetch");
        assertThat(fetch.get(4)).hasSize(2);
        assertThat(fetch.get(4).get(0).get(3).asText()).isEqualTo("HTTP 503");
        assertThat(d.path("criticalPath")).extracting(JsonNode::asText).containsExactly("fetch", "parse");
        assertThat(d.path("logs").path("lines")).extracting(JsonNode::asText).containsExactly("line 1", "line 2");
        assertThat(d.path("warnings").get(0).asText()).isEqualTo("onExit callback failed");
    }

    @Test
    void aRemoteRunIsDrawnFromTheTimelineItsRunnerPrinted() throws Exception {
        Flow flow = Flow.builder("remote").task("a", ctx -> 1).task("b").after("a").run(ctx -> 2).build();
        FlowRunResult inContainer = Executor.sequential().execute(flow, FlowRun.create());
        FlowRunResult seenByCaller = FlowRunResult.of(inContainer.flowRunId(), "remote", State.success("exit 0"),
                inContainer.startedAt().minusSeconds(5)).withLogs(RunLogs.of("ecs task 1",
                List.of("starting", Runner.resultLine(inContainer))));
        JsonNode d = Json.mapper().readTree(RunReport.data(seenByCaller));
        assertThat(d.path("tasks")).hasSize(2);
        assertThat(d.path("tasksFrom").asText()).contains("runner's report");
        assertThat(d.path("criticalPath")).extracting(JsonNode::asText).containsExactly("a", "b");
    }
}
