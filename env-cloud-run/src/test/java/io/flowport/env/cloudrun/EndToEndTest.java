package io.flowport.env.cloudrun;

import com.google.cloud.run.v2.Execution;
import io.flowport.core.CancellationToken;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Whole runs through {@link CloudRunJobEnvironment}: outcomes, logs, cancellation, timeouts and keepJob. */
class EndToEndTest extends WithLocalCloudRun {

    private static Flow command(String name, String script) {
        return Flow.command(name, CommandSpec.of("sh", "-c", script));
    }

    /** The execution of a run, once it is launched. */
    private Execution executionOf(FlowRun run) {
        return await().atMost(20, TimeUnit.SECONDS).until(() -> server.executionsOfRun(run.id()),
                l -> !l.isEmpty()).get(0);
    }

    @Test
    void aSuccessfulRunHasItsLinesAndItsLogLink() {
        server.autoRun(Duration.ofMillis(20), Duration.ofMillis(50));
        FlowRunResult r = env(fixture()).execute(command("hello", "echo hello from cloud run; exit 0"),
                FlowRun.create());
        assertThat(r.isSuccess()).as(r.state().toString()).isTrue();
        assertThat(r.state().message()).contains("1 of 1 tasks succeeded");
        assertThat(r.logs().lines()).containsExactly("hello from cloud run");
        assertThat(r.logs().location()).startsWith("https://console.cloud.google.com/logs/viewer?project=flowport-test");
    }

    @Test
    void aNonZeroExitIsFailedWithTheExitCode() {
        server.autoRun(Duration.ofMillis(20), Duration.ofMillis(50));
        FlowRunResult r = env(fixture()).execute(command("broken", "echo about to fail; exit 3"), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("exited with code 3").contains("NON_ZERO_EXIT_CODE");
        assertThat(r.logs().lines()).contains("about to fail");
    }

    @Test
    void aFailedJavaFlowCarriesTheRunnersReportFromTheLogs() throws Exception {
        Flow java = Flow.builder("etl").task("extract", ctx -> 1).build();
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = env(fixture()).submit(java, run);
        Execution e = executionOf(run);
        server.log(e.getName(), "starting",
                "{\"event\":\"flowport.result\",\"state\":\"Failed\",\"message\":\"task extract failed: boom\"}");
        server.exit(e.getName(), 1);
        FlowRunResult r = f.get(20, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("the runner reported: Failed: task extract failed: boom");
        // a JSON line arrives as jsonPayload and is given back as the line the runner printed
        assertThat(r.logs().lines()).hasSize(2).first().isEqualTo("starting");
    }

    @Test
    void theTailIsOneCallWhateverTheLengthOfTheLog() throws Exception {
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = env(fixture()).submit(command("chatty", "exit 0"), run);
        Execution e = executionOf(run);
        for (int i = 0; i < 3000; i++) {
            server.log(e.getName(), "line " + i);
        }
        server.exit(e.getName(), 0);
        FlowRunResult r = f.get(20, TimeUnit.SECONDS);
        int before = server.calls("ListLogEntries");
        assertThat(((CloudLoggingRunLogs) r.logs()).tail(3)).containsExactly("line 2997", "line 2998", "line 2999");
        assertThat(server.calls("ListLogEntries") - before).isEqualTo(1);
        assertThat(r.logs().lines()).hasSize(3000).startsWith("line 0");
        assertThat(((CloudLoggingRunLogs) r.logs()).filter()).contains("execution_name\"=\""
                + e.getName().substring(e.getName().lastIndexOf('/') + 1) + "\"");
    }

    @Test
    void withoutReadLogsOnlyTheLinkIsGiven() {
        server.autoRun(Duration.ofMillis(20), Duration.ofMillis(50));
        FlowRunResult r = env(fixture().readLogs(false)).execute(command("quiet", "echo x"), FlowRun.create());
        assertThat(r.logs().lines()).isEmpty();
        assertThat(r.logs().location()).startsWith("https://console.cloud.google.com/");
        assertThat(server.calls("ListLogEntries")).isZero();
    }

    @Test
    void cancellingARunCancelsItsExecution() throws Exception {
        CancellationToken token = new CancellationToken();
        FlowRun run = FlowRun.builder().cancellation(token).build();
        CompletableFuture<FlowRunResult> f = env(fixture()).submit(command("long", "sleep 600"), run);
        Execution e = executionOf(run);
        server.start(e.getName());
        token.cancel("the user changed their mind");
        FlowRunResult r = f.get(20, TimeUnit.SECONDS);
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(r.state().message()).contains("the user changed their mind");
        assertThat(server.calls("CancelExecution")).isEqualTo(1);
        assertThat(server.execution(e.getName()).getCancelledCount()).isEqualTo(1);
    }

    @Test
    void aRunTimeoutCancelsTheExecutionAndEndsTimedOut() {
        server.autoRun(Duration.ofMillis(10), Duration.ofMinutes(10));
        FlowRunResult r = env(fixture()).execute(command("slow", "sleep 600"),
                FlowRun.builder().timeout(Duration.ofMillis(500)).build());
        assertThat(r.state().type()).isEqualTo(StateType.TIMED_OUT);
        assertThat(server.calls("CancelExecution")).isEqualTo(1);
    }

    @Test
    void anImageThatCannotBePulledCrashesTheRun() {
        server.autoRun(Duration.ofMillis(20), Duration.ofMillis(50));
        server.missingImages.add("europe-docker.pkg.dev/flowport-test/flows/missing:1");
        FlowRunResult r = env(fixture().image("europe-docker.pkg.dev/flowport-test/flows/missing:1"))
                .execute(command("nope", "exit 0"), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("did not start").contains("not found");
    }

    @Test
    void withKeepJobFalseTheJobIsDeletedAfterTheRunAndMadeAgainForTheNext() {
        server.autoRun(Duration.ofMillis(20), Duration.ofMillis(50));
        Flow flow = command("once", "exit 0");
        CloudRunJobEnvironment e = env(fixture().keepJob(false));
        assertThat(e.execute(flow, FlowRun.create()).isSuccess()).isTrue();
        assertThat(server.job("flowport-once")).isNull();
        assertThat(server.calls("DeleteJob")).isEqualTo(1);

        assertThat(e.execute(flow, FlowRun.create()).isSuccess()).isTrue();
        assertThat(server.calls("CreateJob")).isEqualTo(2);
        assertThat(server.job("flowport-once")).isNull();
    }

    @Test
    void withKeepJobFalseTheJobStaysUntilTheLastRunOfItEnds() throws Exception {
        Flow flow = command("shared", "exit 0");
        CloudRunJobEnvironment e = env(fixture().keepJob(false));
        FlowRun first = FlowRun.create();
        FlowRun second = FlowRun.create();
        CompletableFuture<FlowRunResult> a = e.submit(flow, first);
        CompletableFuture<FlowRunResult> b = e.submit(flow, second);
        Execution ea = executionOf(first);
        Execution eb = executionOf(second);
        server.exit(ea.getName(), 0);
        assertThat(a.get(20, TimeUnit.SECONDS).isSuccess()).isTrue();
        // the second run still needs the job
        await().during(Duration.ofMillis(300)).atMost(5, TimeUnit.SECONDS)
                .until(() -> server.job("flowport-shared") != null);
        server.exit(eb.getName(), 0);
        assertThat(b.get(20, TimeUnit.SECONDS).isSuccess()).isTrue();
        await().atMost(10, TimeUnit.SECONDS).until(() -> server.job("flowport-shared") == null);
        assertThat(server.calls("DeleteJob")).isEqualTo(1);
    }

    @Test
    void withKeepJobFalseAJobIsKeptWhileAnExecutionRunsElsewhereAndDeletedAfter() throws Exception {
        Flow flow = command("busy", "exit 0");
        CloudRunJobEnvironment other = env(fixture()); // keeps its job; its run goes on
        FlowRun elsewhere = FlowRun.create();
        CompletableFuture<FlowRunResult> running = other.submit(flow, elsewhere);
        Execution stillRunning = executionOf(elsewhere);

        CloudRunJobEnvironment e = env(fixture().keepJob(false));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = e.submit(flow, run);
        server.exit(executionOf(run).getName(), 0);
        assertThat(f.get(20, TimeUnit.SECONDS).isSuccess()).isTrue();
        await().during(Duration.ofMillis(300)).atMost(5, TimeUnit.SECONDS)
                .until(() -> server.job("flowport-busy") != null);
        assertThat(server.calls("DeleteJob")).isZero();

        server.exit(stillRunning.getName(), 0);
        assertThat(running.get(20, TimeUnit.SECONDS).isSuccess()).isTrue();
        // looked at again a little later: nothing runs any more, so the job goes
        await().atMost(10, TimeUnit.SECONDS).until(() -> server.job("flowport-busy") == null);
    }

    @Test
    void withKeepJobFalseCancellingTheFutureCancelsTheRunAndTheJobGoesOnceItStopped() throws Exception {
        CloudRunJobEnvironment e = env(fixture().keepJob(false));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = e.submit(command("cancelled", "sleep 600"), run);
        Execution ex = executionOf(run);
        server.start(ex.getName());
        assertThat(f.cancel(true)).isTrue();
        await().atMost(10, TimeUnit.SECONDS).until(() -> server.calls("CancelExecution") == 1);
        await().atMost(10, TimeUnit.SECONDS).until(() -> server.job("flowport-cancelled") == null);
        assertThat(server.execution(ex.getName())).isNull(); // deleted with its job
    }

    @Test
    void withKeepJobTheJobStays() {
        server.autoRun(Duration.ofMillis(20), Duration.ofMillis(50));
        env(fixture()).execute(command("kept", "exit 0"), FlowRun.create());
        assertThat(server.job("flowport-kept")).isNotNull();
        assertThat(server.calls("DeleteJob")).isZero();
        assertThat(List.of(server.executionsOf("flowport-kept").size())).containsExactly(1);
    }
}
