package io.flowport.env.aci;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.resourcemanager.containerinstance.fluent.models.ContainerGroupInner;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.core.spi.RunStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Following many runs: one list of the resource group per poll, paced reads of single groups (lists carry no
 * container states), 429 with Retry-After honoured, and the mapping of container states and events.
 */
class AciStatusTest extends WithLocalArm {

    private static final Flow FLOW = Flow.command("many", io.flowport.core.CommandSpec.of("sh", "-c", "echo ok"));

    private static BackendLifecycle.Settings polls(Duration every) {
        return BackendLifecycle.Settings.defaults().withPollIntervals(every, every)
                .withStartTimeout(Duration.ofSeconds(60)).withStopTimeout(Duration.ofSeconds(10))
                .withLaunchRetries(Duration.ofSeconds(30), new Backoff(Duration.ofMillis(10), Duration.ofMillis(100)));
    }

    private List<CompletableFuture<FlowRunResult>> submit(ContainerInstanceEnvironment env, int n) {
        List<CompletableFuture<FlowRunResult>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(env.submit(FLOW, FlowRun.create()));
        }
        return out;
    }

    @Test
    void onePollIsOneListPlusReadsWithinTheReadBudget() {
        double readsPerSecond = 20;
        ContainerInstanceEnvironment env = env(Fixtures.env(server).readsPerSecond(readsPerSecond)
                .lifecycleSettings(polls(Duration.ofMillis(250))));
        List<CompletableFuture<FlowRunResult>> runs = submit(env, 30);
        await().atMost(30, TimeUnit.SECONDS).until(() -> server.groupNames().size() == 30);
        server.groupNames().forEach(server::start);
        long windowStart = System.nanoTime();
        await().atMost(30, TimeUnit.SECONDS).until(() -> server.calls("List") >= 12);
        long windowEnd = System.nanoTime();
        server.groupNames().forEach(n -> server.exit(n, 0));
        runs.forEach(f -> assertThat(f.orTimeout(60, TimeUnit.SECONDS).join().state().type())
                .isEqualTo(StateType.SUCCESS));

        double seconds = (windowEnd - windowStart) / 1e9;
        long readsInWindow = server.callLog().stream()
                .filter(c -> c.nanos() >= windowStart && c.nanos() <= windowEnd)
                .filter(c -> !c.operation().equals("Put") && !c.operation().equals("Delete")
                        && !c.operation().equals("Stop"))
                .count();
        // the client's bucket holds one second of reads: at most rate * time + one burst
        assertThat(readsInWindow).as("reads in %.1f s at %s/s", seconds, readsPerSecond)
                .isLessThanOrEqualTo((long) Math.ceil(readsPerSecond * seconds + readsPerSecond) + 1);
        // one list per poll, never one per run: while 30 ran, each poll read at most the budget of single groups
        List<Integer> getsPerPoll = server.getsPerPoll();
        assertThat(getsPerPoll.stream().mapToInt(Integer::intValue).max().orElse(0))
                .isLessThanOrEqualTo((int) readsPerSecond + 1);
        assertThat(server.groupNames()).isEmpty();
    }

    @Test
    void listsWithoutContainerStatesNeedReadsAndListsWithThemNeedNone() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).lifecycleSettings(polls(Duration.ofMillis(50))));
        server.listIncludesInstanceView(true);
        List<CompletableFuture<FlowRunResult>> runs = submit(env, 5);
        await().atMost(30, TimeUnit.SECONDS).until(() -> server.groupNames().size() == 5);
        server.groupNames().forEach(n -> server.exit(n, 0));
        runs.forEach(f -> assertThat(f.orTimeout(60, TimeUnit.SECONDS).join().isSuccess()).isTrue());
        assertThat(server.callLog()).filteredOn(c -> c.operation().equals("Get") && c.status() == 200)
                .as("single-group reads when the list carries states").isEmpty();

        server.listIncludesInstanceView(false); // what ARM does
        List<CompletableFuture<FlowRunResult>> more = submit(env, 5);
        await().atMost(30, TimeUnit.SECONDS).until(() -> server.groupNames().size() == 5);
        server.groupNames().forEach(n -> server.exit(n, 0));
        more.forEach(f -> assertThat(f.orTimeout(60, TimeUnit.SECONDS).join().isSuccess()).isTrue());
        assertThat(server.callLog()).filteredOn(c -> c.operation().equals("Get") && c.status() == 200)
                .hasSizeGreaterThanOrEqualTo(5);
    }

    @Test
    void aThrottledListPausesEveryReadForItsRetryAfter() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).lifecycleSettings(polls(Duration.ofMillis(50))));
        CompletableFuture<FlowRunResult> f = env.submit(FLOW, FlowRun.create());
        await().atMost(30, TimeUnit.SECONDS).until(() -> server.groupNames().size() == 1);
        server.inject("List", LocalArmServer.Fault.throttle(2));
        await().atMost(30, TimeUnit.SECONDS).until(() -> server.throttled().getOrDefault("List", 0) == 1);
        server.groupNames().forEach(n -> server.exit(n, 0));
        assertThat(f.orTimeout(60, TimeUnit.SECONDS).join().isSuccess()).isTrue();

        List<LocalArmServer.Call> log = server.callLog();
        LocalArmServer.Call throttled = log.stream().filter(c -> c.status() == 429).findFirst().orElseThrow();
        LocalArmServer.Call nextRead = log.stream().filter(c -> c.nanos() > throttled.nanos())
                .filter(c -> !c.operation().equals("Delete")).findFirst().orElseThrow();
        assertThat(Duration.ofNanos(nextRead.nanos() - throttled.nanos()))
                .as("pause after 429 with Retry-After: 2").isGreaterThanOrEqualTo(Duration.ofMillis(1950));
    }

    @Test
    void serverErrorsAndLostAnswersOnReadsAreRetriedByTheSdk() {
        server.autoRun(Duration.ofMillis(100), Duration.ofMillis(200));
        ContainerInstanceEnvironment env = env(Fixtures.env(server).lifecycleSettings(polls(Duration.ofMillis(50))));
        server.inject("List", LocalArmServer.Fault.error(500, "InternalServerError", -1));
        server.inject("List", LocalArmServer.Fault.error(503, "ServiceUnavailable", 0));
        server.inject("Logs", LocalArmServer.Fault.loseAnswer());
        FlowRunResult r = env.execute(Flow.command("flaky", io.flowport.core.CommandSpec.of("sh", "-c",
                "echo still here")), FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.logs().lines()).containsExactly("still here");
        assertThat(server.calls("Logs")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aGroupDeletedBehindTheRunsBackCrashesIt() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).lifecycleSettings(polls(Duration.ofMillis(50))));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = env.submit(FLOW, run);
        String name = awaitGroup(env, run);
        server.start(name);
        server.remove(name); // someone else deletes it
        FlowRunResult r = f.orTimeout(60, TimeUnit.SECONDS).join();
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("no longer knows");
    }

    // ------------------------------------------------------------------------------------- state mapping

    private static ContainerGroupInner group(String provisioning, String groupState, String containerState,
                                             Integer exitCode, String detail, String warning) throws Exception {
        String view = containerState == null ? "" : ",\"instanceView\":{\"restartCount\":0,\"currentState\":{"
                + "\"state\":\"" + containerState + "\"" + (exitCode == null ? "" : ",\"exitCode\":" + exitCode)
                + ",\"finishTime\":\"2026-11-26T10:00:00Z\",\"detailStatus\":\"" + detail + "\"},\"events\":["
                + (warning == null ? "" : "{\"name\":\"Failed\",\"message\":\"" + warning + "\",\"type\":\"Warning\"}")
                + "]}";
        String json = "{\"name\":\"g\",\"properties\":{\"provisioningState\":\"" + provisioning + "\","
                + "\"osType\":\"Linux\",\"containers\":[{\"name\":\"flow\",\"properties\":{\"image\":\"i\""
                + view + "}}]" + (groupState == null ? "" : ",\"instanceView\":{\"state\":\"" + groupState + "\"}")
                + "}}";
        try (JsonReader r = JsonProviders.createReader(json)) {
            return ContainerGroupInner.fromJson(r);
        }
    }

    @Test
    void containerStatesAndEventsMapToRunStates() throws Exception {
        RunStatus ok = GroupStates.of(group("Succeeded", "Succeeded", "Terminated", 0, "Completed", null), "flow");
        assertThat(ok.isFinished()).isTrue();
        assertThat(ok.state().type()).isEqualTo(StateType.SUCCESS);

        RunStatus failed = GroupStates.of(group("Succeeded", "Failed", "Terminated", 2, "Error", null), "flow");
        assertThat(failed.state().type()).isEqualTo(StateType.FAILED);
        assertThat(failed.state().message()).contains("exited with code 2 (Error)");

        RunStatus oom = GroupStates.of(group("Succeeded", "Failed", "Terminated", 137, "OOMKilled", null), "flow");
        assertThat(oom.state().type()).isEqualTo(StateType.FAILED);
        assertThat(oom.state().message()).contains("137").contains("raise memoryInGb");

        RunStatus noCode = GroupStates.of(group("Succeeded", "Failed", "Terminated", null, "", null), "flow");
        assertThat(noCode.state().type()).isEqualTo(StateType.CRASHED);

        RunStatus pull = GroupStates.of(group("Failed", "Failed", "Waiting", null, "ImagePullBackOff",
                "Failed to pull image \\\"x\\\": not found"), "flow");
        assertThat(pull.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(pull.state().message()).contains("failed to start").contains("Failed to pull image");

        RunStatus stopped = GroupStates.of(group("Succeeded", "Stopped", "Terminated", null, "Killed", null), "flow");
        assertThat(stopped.state().type()).isEqualTo(StateType.CANCELLED);

        RunStatus waiting = GroupStates.of(group("Creating", "Pending", "Waiting", null, "ContainerCreating",
                "Back-off pulling image"), "flow");
        assertThat(waiting.phase()).isEqualTo(RunStatus.Phase.PENDING);
        assertThat(waiting.detail()).contains("Back-off pulling image");

        assertThat(GroupStates.of(group("Succeeded", "Running", "Running", null, "", null), "flow").phase())
                .isEqualTo(RunStatus.Phase.RUNNING);
        assertThat(GroupStates.of(group("Deleting", null, null, null, null, null), "flow").phase())
                .isEqualTo(RunStatus.Phase.STOPPING);
    }

    @Test
    void aListedGroupWithoutInstanceViewsIsOnlyAsPreciseAsItsProvisioningState() throws Exception {
        ContainerGroupInner listed = group("Succeeded", null, null, null, null, null);
        assertThat(GroupStates.isPrecise(listed, "flow")).isFalse();
        assertThat(GroupStates.of(listed, "flow").phase()).isEqualTo(RunStatus.Phase.RUNNING);
        assertThat(GroupStates.of(group("Pending", null, null, null, null, null), "flow").phase())
                .isEqualTo(RunStatus.Phase.PROVISIONING);
        assertThat(GroupStates.of(group("Failed", null, null, null, null, null), "flow").state().type())
                .isEqualTo(StateType.CRASHED);
        assertThat(GroupStates.isPrecise(group("Succeeded", "Running", "Running", null, "", null), "flow")).isTrue();
    }

    @Test
    void aRunStuckPullingItsImageCrashesWithTheEventInTheMessageAndIsDeleted() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).lifecycleSettings(polls(Duration.ofMillis(50))
                .withStartTimeout(Duration.ofSeconds(2))));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env.execute(FLOW, run));
        String name = awaitGroup(env, run);
        server.warn(name, "BackOff", "Back-off pulling image \"flowsregistry.azurecr.io/flows:1\"");
        FlowRunResult r = f.orTimeout(60, TimeUnit.SECONDS).join();
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("did not start within PT2S").contains("Back-off pulling image");
        assertThat(server.groupNames()).isEmpty();
    }
}
