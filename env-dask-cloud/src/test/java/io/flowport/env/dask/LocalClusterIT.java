package io.flowport.env.dask;

import io.flowport.core.CommandResult;
import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.PhaseChange;
import io.flowport.core.RunPhase;
import io.flowport.core.StateType;
import io.flowport.core.TaskSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Dask cluster of real {@code dask-scheduler} and {@code dask-worker} processes per flow run, with TLS: the
 * flow's command tasks compute on it, {@code onExecute} sizes it, and nothing is left running afterwards.
 */
@ExtendWith(RequiresDask.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LocalClusterIT {

    @AfterEach
    void nothingLeftRunning() {
        await().atMost(15, TimeUnit.SECONDS).untilAsserted(() -> assertThat(DaskProcesses.all())
                .as("Dask processes left after the test").isEmpty());
    }

    /** rows command tasks that each print a square, and a Java task that adds them up in the driver. */
    static Flow squares(int n) {
        Flow.Builder b = Flow.builder("squares").parameter("rows", Integer.class, n);
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            names[i] = "square-" + i;
            b.task(names[i], new CommandTask(CommandSpec.of("sh", "-c", "echo $((" + i + " * " + i + "))")));
        }
        b.task("sum").after(names).run(ctx -> ctx.upstreamResults().values().stream()
                .mapToInt(r -> Integer.parseInt(((CommandResult) r).stdout().trim())).sum());
        return b.build();
    }

    @Test
    void commandTasksComputeOnTheClusterSizedByOnExecute() {
        AtomicInteger workersSeen = new AtomicInteger();
        List<PhaseChange> phases = new CopyOnWriteArrayList<>();
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder()
                .providerClass("local")
                .providerSetting("workerThreads", 2)
                .onExecute((params, settings) -> settings.put("nWorkers", (Integer) params.get("rows") / 4))
                .build();
        Flow flow = squares(12);
        FlowRun run = FlowRun.builder().parameter("rows", 12).listener(new FlowRunListener() {
            @Override
            public void runPhaseChanged(FlowRun r, PhaseChange change) {
                phases.add(change);
                if (change.phase() == RunPhase.RUNNING) {
                    workersSeen.set(DaskProcesses.workers().size());
                }
            }
        }).build();
        FlowRunResult r = env.execute(flow, run);

        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        int expected = 0;
        for (int i = 0; i < 12; i++) {
            expected += i * i;
        }
        assertThat(r.result("sum")).contains(expected);
        assertThat(workersSeen).as("worker processes while the flow ran").hasValue(3);
        assertThat(r.detail("dask.scheduler").orElseThrow().toString()).startsWith("tls://127.0.0.1:");
        assertThat(r.detail("dask.dashboard").orElseThrow().toString()).startsWith("https://127.0.0.1:");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> events = (List<Map<String, Object>>) r.detail("dask.workers").orElseThrow();
        assertThat(events).anySatisfy(e -> assertThat(e).containsEntry("workers", 3).containsEntry("reason",
                "nWorkers"));
        assertThat(phases).extracting(PhaseChange::phase).containsExactly(RunPhase.LAUNCHED, RunPhase.RUNNING,
                RunPhase.STOPPING, RunPhase.FINISHED);
        CommandResult one = (CommandResult) r.result("square-3").orElseThrow();
        assertThat(one.stdout().trim()).isEqualTo("9");
    }

    @Test
    void aFailingCommandFailsItsTaskWithTheExitCodeAndTheClusterIsTornDown() {
        Flow flow = Flow.builder("fails")
                .task("bad", new CommandTask(CommandSpec.of("sh", "-c", "echo broken >&2; exit 7")))
                .build();
        FlowRunResult r = DaskCloudProviderEnvironment.builder().build().execute(flow, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("7");
        assertThat(r.task("bad").orElseThrow().state().message()).contains("broken");
    }

    @Test
    void cancellingTheRunKillsTheCommandsWhereTheyRunAndTearsDownTheCluster() throws Exception {
        Flow flow = Flow.builder("long").task("sleep", new CommandTask(CommandSpec.of("sleep", "41.37"))).build();
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() ->
                DaskCloudProviderEnvironment.builder().build().execute(flow, run));
        await().atMost(60, TimeUnit.SECONDS).until(() -> !DaskProcesses.withArgument("41.37").isEmpty());
        run.cancellation().cancel("not needed any more");
        FlowRunResult r = f.get(60, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        await().atMost(10, TimeUnit.SECONDS).until(() -> DaskProcesses.withArgument("41.37").isEmpty());
    }

    @Test
    void aTaskTimeoutKillsItsCommandOnTheWorker() {
        Flow flow = Flow.builder("slow").task(new TaskSpec("sleep", List.of(), 0, Duration.ZERO,
                Duration.ofSeconds(2), new CommandTask(CommandSpec.of("sleep", "42.59")))).build();
        FlowRunResult r = DaskCloudProviderEnvironment.builder().build().execute(flow, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.task("sleep").orElseThrow().state().type()).isEqualTo(StateType.TIMED_OUT);
        await().atMost(10, TimeUnit.SECONDS).until(() -> DaskProcesses.withArgument("42.59").isEmpty());
    }
}
