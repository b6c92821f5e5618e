package io.flowport.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowport.env.fargate.LocalAwsServer;
import io.flowport.env.local.LocalProcessEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Agents in their own JVMs, killed with {@code kill -9} (no shutdown hook, nothing released) or stopped with
 * {@code SIGTERM} while runs are in flight; another agent, or the same one restarted, takes over. Every run reaches
 * its final state and the backend saw exactly one launch per run: on the local ECS server (tasks per run, RunTask
 * calls) and with local processes (each run's own count of its starts).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AgentCrashIT {

    @TempDir
    Path dir;
    LocalAwsServer ecs;
    URI endpoint;
    RunQueue queue;
    String url;
    final List<ChildJvm> children = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        ecs = new LocalAwsServer();
        endpoint = ecs.endpoint();
        url = dir.resolve("queue.db").toString();
        queue = RunQueues.open(url);
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (ChildJvm c : children) {
            c.close();
        }
        queue.close();
        ecs.close();
    }

    ChildJvm agent(String id, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("queue=" + url, "id=" + id, "leaseMs=3000", "heartbeatMs=500"));
        args.addAll(List.of(more));
        ChildJvm c = ChildJvm.start(AgentMain.class, ChildJvm.log(getClass().getSimpleName() + "-" + id), List.of(),
                args.toArray(String[]::new));
        children.add(c);
        c.await(l -> l.startsWith("STARTED " + id), Duration.ofSeconds(60));
        return c;
    }

    List<String> submitEcs(int n, String script) {
        List<RunRequest> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(RunRequest.builder(Ecs.flow("crash-job", script)).environmentJson(Ecs.envJson(endpoint)).build());
        }
        return queue.submitAll(batch);
    }

    long launched(List<String> ids) {
        return ids.stream().filter(id -> queue.get(id).orElseThrow().launchedAt() != null).count();
    }

    void awaitAllFinal(List<String> ids, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() ->
                ids.stream().allMatch(id -> queue.get(id).orElseThrow().isFinished()));
    }

    @Test
    void runsOfAnAgentKilledOnEcsAreTakenOverByAnotherAndLaunchedOnce() throws Exception {
        ecs.autoRun(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(500));
        ecs.loseAnswers("RunTask", 0.1); // launches whose answer is lost are retried with the same token
        List<String> ids = submitEcs(60, "echo working; sleep 4; exit 0");
        ChildJvm first = agent("doomed", "max=40");
        await().atMost(Duration.ofSeconds(60)).until(() -> launched(ids) >= 30);
        first.kill();
        long inFlightAtKill = ids.stream().map(id -> queue.get(id).orElseThrow())
                .filter(r -> r.state().isHeld()).count();
        assertThat(inFlightAtKill).as("runs in flight when the agent died").isGreaterThanOrEqualTo(30);

        agent("rescuer");
        awaitAllFinal(ids, Duration.ofSeconds(120));
        assertThat(queue.counts()).containsOnly(Map.entry(RunState.SUCCESS, 60L));
        JsonNode stats = Ecs.stats(endpoint);
        assertThat(stats.path("tasks").asInt()).as("one task per run").isEqualTo(60);
        assertThat(stats.path("runsWithMoreThanOneTask").asInt()).isZero();
        assertThat(stats.path("calls").path("RunTask").asInt() - stats.path("lostAnswers").asInt())
                .as("RunTask calls, less the retries of lost answers: one per run").isEqualTo(60);
        long takenOver = ids.stream().filter(id -> queue.get(id).orElseThrow().history().stream()
                .anyMatch(h -> h.message().startsWith("taken over by agent rescuer from agent doomed"))).count();
        assertThat(takenOver).isGreaterThanOrEqualTo(inFlightAtKill);
        long reattached = ids.stream().filter(id -> queue.get(id).orElseThrow().history().stream()
                .anyMatch(h -> h.message().startsWith("reattached to arn:aws:ecs"))).count();
        assertThat(reattached).as("runs whose task was found by its label and followed").isPositive();
    }

    @Test
    void localProcessesOutliveAKilledAgentAndTheRestartedAgentReattaches() throws Exception {
        Path markers = Files.createDirectories(dir.resolve("markers"));
        Path processes = dir.resolve("processes");
        LocalProcessEnvironment env = LocalProcessEnvironment.builder().labels("lp")
                .jvmOptions(List.of("-Xmx48m", "-XX:TieredStopAtLevel=1")).build();
        List<RunRequest> batch = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            batch.add(RunRequest.builder(AgentTestFlows.MARKED).environment(env)
                    .parameter("marker", markers.toString()).parameter("ms", i < 4 ? 6000 : 500).build());
        }
        List<String> ids = queue.submitAll(batch);
        ChildJvm first = agent("lp-agent", "labels=lp", "max=4", "processes=" + processes);
        // the four long runs have started working (each wrote its marker): kill the agent
        await().atMost(Duration.ofSeconds(90)).until(() -> ids.subList(0, 4).stream()
                .allMatch(id -> Files.exists(markers.resolve(id))));
        first.kill();
        assertThat(ids.subList(4, 6)).as("still waiting in the queue").allSatisfy(id ->
                assertThat(queue.get(id).orElseThrow().state()).isEqualTo(RunState.QUEUED));

        agent("lp-agent", "labels=lp", "max=4", "processes=" + processes);
        awaitAllFinal(ids, Duration.ofSeconds(120));
        for (String id : ids) {
            QueuedRun r = queue.get(id).orElseThrow();
            assertThat(r.state()).as("%s: %s", id, r.history()).isEqualTo(RunState.SUCCESS);
            assertThat(Files.readAllLines(markers.resolve(id))).as("starts of run " + id).hasSize(1);
        }
        assertThat(ids.subList(0, 4)).allSatisfy(id -> assertThat(queue.get(id).orElseThrow().history())
                .extracting(StateChange::message)
                .anyMatch(m -> m.startsWith("released: agent lp-agent restarted"))
                .anyMatch(m -> m.startsWith("reattached to ")));
    }

    @Test
    void sigtermReleasesRunsForTheNextAgentAndDrainWaitsForThem() throws Exception {
        ecs.autoRun(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(500));
        List<String> ids = submitEcs(10, "sleep 3; exit 0");
        ChildJvm first = agent("polite");
        await().atMost(Duration.ofSeconds(60)).until(() -> launched(ids) == 10);
        assertThat(first.terminate(Duration.ofSeconds(60))).isEqualTo(143);
        assertThat(first.output()).anyMatch(l -> l.startsWith("STOPPED polite"));
        assertThat(ids).allSatisfy(id -> {
            QueuedRun r = queue.get(id).orElseThrow();
            if (!r.isFinished()) {
                assertThat(r.history()).extracting(StateChange::message)
                        .anyMatch(m -> m.startsWith("released: agent polite shut down"));
            }
        });
        assertThat(ecs.calls("StopTask")).as("nothing was stopped").isZero();

        List<String> more = submitEcs(5, "sleep 2; exit 0");
        ChildJvm drainer = agent("drainer", "drain=true");
        await().atMost(Duration.ofSeconds(60)).until(() -> launched(more) == 5);
        assertThat(drainer.terminate(Duration.ofSeconds(90))).isEqualTo(143);
        List<String> all = new ArrayList<>(ids);
        all.addAll(more);
        assertThat(all).as("the drain waited for every run").allSatisfy(id ->
                assertThat(queue.get(id).orElseThrow().state()).isEqualTo(RunState.SUCCESS));
        assertThat(Ecs.stats(endpoint).path("tasks").asInt()).isEqualTo(15);
        assertThat(ecs.calls("RunTask")).isEqualTo(15);
    }
}
