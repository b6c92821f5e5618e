package io.flowport.env.dask;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.AbstractEnvironment;
import io.flowport.core.CommandResult;
import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.Environment;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.Serialization;
import io.flowport.core.StateType;
import io.flowport.core.TaskSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Dask executor on its own, against a cluster someone else started (a plain scheduler and worker started by
 * the test as a user would), and a worker lost in the middle of a task.
 */
@ExtendWith(RequiresDask.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DaskExecutorIT {

    private static Process scheduler;
    private static Process worker;
    private static String address;

    @BeforeAll
    static void startACluster() throws Exception {
        Path dir = Files.createTempDirectory("existing-dask");
        Path file = dir.resolve("scheduler.json");
        scheduler = new ProcessBuilder(DaskExecutor.DEFAULT_PYTHON, "-m", "distributed.cli.dask_scheduler",
                "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0", "--scheduler-file",
                file.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("s.log").toFile()).start();
        await().atMost(60, TimeUnit.SECONDS).until(() -> Files.exists(file) && Files.size(file) > 0);
        JsonNode n = new ObjectMapper().readTree(file.toFile());
        address = n.path("address").asText();
        worker = new ProcessBuilder(DaskExecutor.DEFAULT_PYTHON, "-m", "distributed.cli.dask_worker", address,
                "--host", "127.0.0.1", "--nthreads", "2", "--no-nanny")
                .redirectErrorStream(true).redirectOutput(dir.resolve("w.log").toFile()).start();
    }

    @AfterAll
    static void stopTheCluster() throws Exception {
        for (Process p : new Process[]{worker, scheduler}) {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static Flow pipeline() {
        return Flow.builder("pipeline")
                .task("extract", new CommandTask(CommandSpec.of("sh", "-c", "echo 20")))
                .task("double").after("extract").run(ctx -> 2 * Integer.parseInt(
                        ctx.upstream("extract", CommandResult.class).stdout().trim()))
                .task(new TaskSpec("load", List.of("double"), 0, Duration.ZERO, null,
                        new CommandTask(CommandSpec.of("sh", "-c", "echo $GREETING").withEnv("GREETING", "hello"))))
                .build();
    }

    @Test
    void executorDaskRunsCommandTasksOnAnExistingClusterAndJavaTasksHere() {
        FlowRunResult r = Executor.dask(address).execute(pipeline(), FlowRun.create());
        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        assertThat(r.result("double")).contains(40);
        assertThat(((CommandResult) r.result("load").orElseThrow()).stdout()).isEqualTo("hello\n");
    }

    @Test
    void anEnvironmentWithTheDaskExecutorReadFromJsonRunsThere() {
        String json = "{\"type\":\"local\",\"executor\":{\"type\":\"dask\",\"address\":\"" + address
                + "\",\"concurrency\":8}}";
        Environment env = Serialization.environmentFromJson(json);
        assertThat(env.executor()).isEqualTo(DaskExecutor.builder().address(address).concurrency(8).build());
        assertThat(Serialization.toJson(env)).contains("\"type\":\"dask\"").contains("\"concurrency\":8");
        FlowRunResult r = env.execute(pipeline(), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(env).isInstanceOf(AbstractEnvironment.class);
    }

    @Test
    void anUnreachableSchedulerCrashesTheRunWithTheReason() {
        FlowRunResult r = DaskExecutor.builder().address("tcp://127.0.0.1:9").connectTimeout(Duration.ofSeconds(2))
                .build().execute(pipeline(), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("could not connect to the Dask scheduler tcp://127.0.0.1:9");
    }

    @Test
    void aWorkerLostInTheMiddleOfATaskMakesThatTaskRetryByItsOwnSettings() throws Exception {
        Path marker = Files.createTempDirectory("lost").resolve("first-attempt");
        Flow flow = Flow.builder("lost").task(new TaskSpec("work", List.of(), 1, Duration.ofMillis(100), null,
                new CommandTask(CommandSpec.of("sh", "-c", "if [ -f " + marker + " ]; then echo second; else touch "
                        + marker + "; sleep 45.55; fi")))).build();
        DaskCloudProviderEnvironment env = DaskCloudProviderEnvironment.builder()
                .adaptiveInterval(Duration.ofMillis(500)).build();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env.execute(flow, FlowRun.create()));
        await().atMost(60, TimeUnit.SECONDS).until(() -> !DaskProcesses.withArgument("45.55").isEmpty());
        List<ProcessHandle> workers = DaskProcesses.workers();
        assertThat(workers).hasSize(1);
        workers.get(0).destroyForcibly();
        FlowRunResult r = f.get(90, TimeUnit.SECONDS);
        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        assertThat(r.task("work").orElseThrow().attempts()).isEqualTo(2);
        assertThat(((CommandResult) r.result("work").orElseThrow()).stdout().trim()).isEqualTo("second");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> events = (List<Map<String, Object>>) r.detail("dask.workers").orElseThrow();
        assertThat(events).anySatisfy(e -> assertThat(e.get("reason").toString()).contains("replacing lost"));
        await().atMost(15, TimeUnit.SECONDS).until(() -> DaskProcesses.all().isEmpty()
                && DaskProcesses.withArgument("45.55").isEmpty());
    }
}
