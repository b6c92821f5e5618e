package io.flowport.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowport.core.internal.Json;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The tasks' timeline in the runner's result line, and reading it back on the caller's side. */
class RunnerTimelineTest {

    @Test
    void theResultLineCarriesEveryAttemptAndTheCallerReadsItBack() throws Exception {
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        Flow flow = Flow.builder("timeline")
                .task("extract").retries(1, Duration.ofMillis(5)).run(ctx -> {
                    if (tries.incrementAndGet() == 1) {
                        throw new IllegalStateException("first try fails");
                    }
                    return 1;
                })
                .task("load").after("extract").run(ctx -> {
                    throw new IllegalArgumentException("no table");
                })
                .task("report").after("load").run(ctx -> 3)
                .build();
        FlowRunResult r = Executor.sequential().execute(flow, FlowRun.create());
        String line = Runner.resultLine(r);
        JsonNode n = Json.mapper().readTree(line);
        assertThat(n.path("timeline").path("omitted").asInt()).isZero();
        assertThat(n.path("timeline").path("tasks")).hasSize(3);

        RunnerSettings.ReportedRun back = RunnerSettings.reportedRun(List.of("some log line",
                "2026-11-26T10:00:00Z stdout " + line, "a line after")).orElseThrow();
        assertThat(back.state().type()).isEqualTo(StateType.FAILED);
        assertThat(back.startedAt()).isEqualTo(r.startedAt());
        assertThat(back.tasks()).containsOnlyKeys("extract", "load", "report");
        TaskRun extract = back.tasks().get("extract");
        TaskRun original = r.task("extract").orElseThrow();
        assertThat(extract.attempts()).isEqualTo(2);
        assertThat(extract.history()).extracting(a -> a.state().type())
                .containsExactly(StateType.FAILED, StateType.SUCCESS);
        assertThat(extract.history().get(0).state().message()).isEqualTo("IllegalStateException: first try fails");
        for (int i = 0; i < 2; i++) {
            // microseconds on the wire
            assertThat(Duration.between(original.history().get(i).start(), extract.history().get(i).start()).abs())
                    .isLessThan(Duration.ofNanos(1000));
            assertThat(Duration.between(original.history().get(i).end(), extract.history().get(i).end()).abs())
                    .isLessThan(Duration.ofNanos(1000));
        }
        assertThat(back.tasks().get("load").state()).isEqualTo(State.of(StateType.FAILED,
                "IllegalArgumentException: no table"));
        assertThat(back.tasks().get("load").upstream()).containsExactly("extract");
        assertThat(back.tasks().get("report").state().type()).isEqualTo(StateType.SKIPPED);
        assertThat(back.tasks().get("report").history()).isEmpty();
        assertThat(back.tasks().get("report").result()).isNull();
    }

    @Test
    void aHugeRunKeepsTheLineUnderItsBudgetAndKeepsTheTasksThatWentWrong() {
        Instant t0 = Instant.parse("2026-11-26T10:00:00Z");
        Map<String, TaskRun> tasks = new LinkedHashMap<>();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            String name = "task-number-" + i;
            State s = i == n - 7 ? State.failed("broke at the end", null) : State.success("");
            Instant start = t0.plusMillis(i);
            List<String> up = i == 0 ? List.of() : List.of("task-number-" + (i - 1));
            tasks.put(name, new TaskRun(name, s, null, 1, Duration.ofMillis(1),
                    List.of(new TaskAttempt(1, start, start.plusMillis(1), s)), up));
        }
        FlowRunResult r = new FlowRunResult("run", "huge", State.failed("1 failed", null), tasks, t0,
                Duration.ofSeconds(20), List.of(), RunLogs.NONE);
        String line = Runner.resultLine(r);
        assertThat(line.length()).isLessThan(Runner.TIMELINE_BUDGET + 5_000);
        RunnerSettings.ReportedRun back = RunnerSettings.reportedRun(List.of(line)).orElseThrow();
        assertThat(back.tasksOmitted()).isPositive();
        assertThat(back.tasks().size() + back.tasksOmitted()).isEqualTo(n);
        assertThat(back.tasks()).containsKey("task-number-" + (n - 7)).containsKey("task-number-0");
        // upstream links only among the tasks that were kept
        List<String> names = new ArrayList<>(back.tasks().keySet());
        assertThat(back.tasks().get(names.get(1)).upstream()).containsExactly(names.get(0));
    }

    @Test
    void oldResultLinesWithoutATimelineStillGiveTheState() {
        String old = "{\"event\":\"flowport.result\",\"flowRunId\":\"r\",\"flow\":\"f\",\"state\":\"Failed\","
                + "\"message\":\"boom\",\"durationMs\":3,\"tasks\":{\"Failed\":1},\"failedTasks\":[]}";
        RunnerSettings.ReportedRun back = RunnerSettings.reportedRun(List.of(old)).orElseThrow();
        assertThat(back.state()).isEqualTo(State.of(StateType.FAILED, "boom"));
        assertThat(back.tasks()).isEmpty();
        assertThat(RunnerSettings.reportedState(List.of(old))).contains(State.of(StateType.FAILED, "boom"));
        assertThat(RunnerSettings.reportedRun(List.of("no result here"))).isEmpty();
    }

    @Test
    void traceVariablesCarryOnlyTheW3cContext() {
        Map<String, String> vars = RunnerSettings.traceVariables(Map.of(
                "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "tracestate", "vendor=1", "other", "x"));
        assertThat(vars).containsOnlyKeys(RunnerSettings.TRACEPARENT, RunnerSettings.TRACESTATE);
        assertThat(RunnerSettings.traceContext(vars)).containsOnlyKeys("traceparent", "tracestate");
        assertThat(RunnerSettings.traceVariables(Map.of("tracestate", "only"))).isEmpty();
    }
}
