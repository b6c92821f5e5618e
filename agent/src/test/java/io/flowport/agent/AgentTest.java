package io.flowport.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowport.env.fargate.LocalAwsServer;
import io.flowport.env.local.LocalEnvironment;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent in this JVM, on the embedded queue, deploying to the local ECS server (the real AWS SDK over HTTP) and
 * running {@code local} environments in-process.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AgentTest {

    @TempDir
    Path dir;
    LocalAwsServer ecs;
    URI endpoint;
    RunQueue queue;
    final List<Agent> agents = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        ecs = new LocalAwsServer();
        ecs.autoRun(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(200));
        endpoint = ecs.endpoint();
        queue = EmbeddedRunQueue.open(dir.resolve("queue.db"));
    }

    @AfterEach
    void stop() {
        agents.forEach(a -> a.shutdown(false, Duration.ofSeconds(10)));
        queue.close();
        ecs.close();
    }

    Agent.Builder agent(String... labels) {
        return Agent.builder(queue).labels(labels).environmentFactory(Ecs.FACTORY)
                .pollInterval(Duration.ofMillis(100)).lease(Duration.ofSeconds(10)).recordInterval(Duration.ofMillis(20));
    }

    Agent started(Agent.Builder b) {
        Agent a = b.build();
        agents.add(a);
        return a.start();
    }

    RunRequest.Builder ecsRun(String script, String... labels) {
        return RunRequest.builder(Ecs.flow("ecs-job", script)).environmentJson(Ecs.envJson(endpoint, labels));
    }

    void awaitFinal(List<String> ids) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() ->
                ids.stream().allMatch(id -> queue.get(id).orElseThrow().isFinished()));
    }

    @Test
    void runsFromTheQueueAreLaunchedOnEcsFollowedInBatchesAndRecorded() throws Exception {
        List<RunRequest> batch = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            batch.add(ecsRun(i % 10 == 0 ? "echo failing; exit 3" : "echo hello; sleep 0.3; exit 0", "ecs").build());
        }
        List<String> ids = queue.submitAll(batch);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Agent a = started(agent("ecs").metrics(MicrometerAgentMetrics.of(registry)));

        awaitFinal(ids);
        for (int i = 0; i < ids.size(); i++) {
            QueuedRun r = queue.get(ids.get(i)).orElseThrow();
            assertThat(r.state()).isEqualTo(i % 10 == 0 ? RunState.FAILED : RunState.SUCCESS);
            assertThat(r.unitId()).startsWith("arn:aws:ecs:us-east-1:123456789012:task/flows/");
            assertThat(r.agentId()).isEqualTo(a.id());
            // a short run may go from PENDING to its end between two status reads
            assertThat(r.history()).extracting(StateChange::state).containsSubsequence(RunState.QUEUED,
                    RunState.CLAIMED, RunState.LAUNCHED, r.state());
            if (i % 10 != 0) {
                assertThat(r.history()).extracting(StateChange::state).contains(RunState.RUNNING);
            }
            assertThat(r.history()).extracting(StateChange::message)
                    .contains("claimed by agent " + a.id(), "launched as " + r.unitId());
        }
        JsonNode stats = Ecs.stats(endpoint);
        assertThat(stats.path("tasks").asInt()).as("one task per run").isEqualTo(60);
        assertThat(stats.path("runsWithMoreThanOneTask").asInt()).isZero();
        assertThat(stats.path("calls").path("RunTask").asInt()).as("one launch per run").isEqualTo(60);
        assertThat(stats.path("calls").path("RegisterTaskDefinition").asInt())
                .as("runs of equal environments share one environment (and one task definition)").isEqualTo(1);
        assertThat(stats.path("maxDescribeBatch").asInt()).as("status is read in batches").isGreaterThan(1);

        assertThat(registry.get("flowport.agent.runs.claimed").tag("takeover", "false").counter().count())
                .isEqualTo(60);
        assertThat(registry.get("flowport.agent.runs.launched").counter().count()).isEqualTo(60);
        assertThat(registry.get("flowport.agent.runs.finished").tag("state", "SUCCESS").counter().count())
                .isEqualTo(54);
        assertThat(registry.get("flowport.agent.runs.finished").tag("state", "FAILED").counter().count())
                .isEqualTo(6);
        assertThat(registry.get("flowport.agent.launch.latency").timer().count()).isEqualTo(60);
        assertThat(registry.get("flowport.agent.claim.latency").timer().count()).isPositive();
        System.gc(); // the gauges hold their suppliers strongly: they still read after a collection
        assertThat(registry.get("flowport.agent.runs.in.flight").gauge().value()).isZero();
        assertThat(registry.get("flowport.agent.queue.depth").gauge().value()).isZero();
    }

    @Test
    void anAgentNeverClaimsARunWhoseLabelsItLacks() {
        String mine = queue.submit(ecsRun("exit 0", "ecs").build());
        String gpu = queue.submit(ecsRun("exit 0", "ecs", "gpu").build());
        String other = queue.submit(ecsRun("exit 0", "other").build());
        started(agent("ecs", "spare"));
        awaitFinal(List.of(mine));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() ->
                queue.get(gpu).orElseThrow().state() == RunState.QUEUED
                        && queue.get(other).orElseThrow().state() == RunState.QUEUED);
        started(agent("ecs", "gpu"));
        awaitFinal(List.of(gpu));
        assertThat(queue.get(other).orElseThrow().state()).isEqualTo(RunState.QUEUED);
    }

    @Test
    void neverMoreThanMaxConcurrentInFlightAndTheRestWait() {
        Agent a = started(agent().maxConcurrent(5));
        assertBackpressure(queue, a, endpoint, 5, 24);
    }

    /**
     * Submits {@code runs} runs and checks, on ECS itself (ListTasks), that at most {@code max} ran at once, that runs
     * waited in the queue meanwhile, and that all succeeded.
     */
    static void assertBackpressure(RunQueue queue, Agent a, URI endpoint, int max, int runs) {
        List<RunRequest> batch = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            batch.add(RunRequest.builder(Ecs.flow("ecs-job", "sleep 0.6; exit 0"))
                    .environmentJson(Ecs.envJson(endpoint)).build());
        }
        List<String> ids = queue.submitAll(batch);
        AtomicInteger most = new AtomicInteger();
        AtomicInteger mostOnEcs = new AtomicInteger();
        AtomicInteger queuedWhileFull = new AtomicInteger();
        try (var client = Ecs.client(endpoint)) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(25)).until(() -> {
                most.accumulateAndGet(a.inFlight(), Math::max);
                int onEcs = Ecs.tasksNotStopped(client);
                mostOnEcs.accumulateAndGet(onEcs, Math::max);
                if (onEcs == max && queue.counts().getOrDefault(RunState.QUEUED, 0L) > 0) {
                    queuedWhileFull.incrementAndGet();
                }
                return ids.stream().allMatch(id -> queue.get(id).orElseThrow().isFinished());
            });
        }
        assertThat(most.get()).isEqualTo(max);
        assertThat(mostOnEcs.get()).as("tasks ECS ran at once").isEqualTo(max);
        assertThat(queuedWhileFull.get()).as("runs waited in the queue while " + max + " were in flight").isPositive();
        assertThat(ids).allSatisfy(id -> assertThat(queue.get(id).orElseThrow().state()).isEqualTo(RunState.SUCCESS));
    }

    @Test
    void cancellingStopsTheTaskOrEndsAQueuedRunBeforeItStarts() {
        String running = queue.submit(ecsRun("sleep 60; exit 0").build());
        String queued = queue.submit(ecsRun("exit 0").notBefore(Instant.now().plusSeconds(600)).build());
        started(agent().heartbeatInterval(Duration.ofMillis(200)));
        await().atMost(Duration.ofSeconds(30)).until(() -> queue.get(running).orElseThrow().state() == RunState.RUNNING);

        assertThat(queue.cancel(queued, "not wanted").cancelledNow()).isTrue();
        RunQueue.CancelOutcome o = queue.cancel(running, "wrong input");
        assertThat(o.cancelledNow()).isFalse();
        awaitFinal(List.of(running));
        QueuedRun r = queue.get(running).orElseThrow();
        assertThat(r.state()).isEqualTo(RunState.CANCELLED);
        assertThat(r.stateMessage()).contains("wrong input");
        assertThat(ecs.calls("StopTask")).isEqualTo(1);
        assertThat(ecs.calls("RunTask")).as("the queued run never started").isEqualTo(1);
        assertThat(queue.get(queued).orElseThrow().state()).isEqualTo(RunState.CANCELLED);
    }

    @Test
    void runsWithoutUsableEnvironmentsFailWithTheReasonAndLaunchNothing() {
        String noEnv = queue.submit(RunRequest.builder(Ecs.flow("ecs-job", "exit 0")).build());
        String badProfile = queue.submit(RunRequest.builder(Ecs.flow("ecs-job", "exit 0"))
                .environment(Ecs.env(endpoint).metadata("job_profile", "huge").build()).build());
        started(agent());
        awaitFinal(List.of(noEnv, badProfile));
        assertThat(queue.get(noEnv).orElseThrow()).satisfies(r -> {
            assertThat(r.state()).isEqualTo(RunState.FAILED);
            assertThat(r.stateMessage()).contains("has no environment and the agent has no default environment");
        });
        assertThat(queue.get(badProfile).orElseThrow().stateMessage())
                .contains("metadata.job_profile 'huge' is not a profile of this agent; known profiles: (none)");
        assertThat(ecs.calls("RunTask")).isZero();
    }

    @Test
    void theJobSpecTemplateProfileMetadataAndCallbackShapeWhatIsLaunched() {
        // the run's document has no network settings: the agent's template adds them
        com.fasterxml.jackson.databind.node.ObjectNode template = Ecs.JSON.createObjectNode().put("type", "fargate-task");
        template.putArray("subnets").add("subnet-0123456789abcdef0");
        template.putArray("securityGroups").add("sg-0123456789abcdef0");
        com.fasterxml.jackson.databind.node.ObjectNode big = Ecs.JSON.createObjectNode().put("memory", "4096");
        JobSpecs specs = JobSpecs.builder().template(template).profile("big", big)
                .customizer((run, spec) -> spec.put("family", "flows-" + run.flowName())).build();
        com.fasterxml.jackson.databind.node.ObjectNode doc =
                io.flowport.agent.internal.AgentJson.object(Ecs.envJson(endpoint), "env");
        doc.remove("subnets");
        doc.remove("securityGroups");
        doc.putObject("metadata").put("job_profile", "big").put("cpu", "1024");
        String id = queue.submit(RunRequest.builder(Ecs.flow("shaped", "exit 0")).environmentJson(doc.toString()).build());
        started(agent().jobSpecs(specs));
        awaitFinal(List.of(id));
        assertThat(queue.get(id).orElseThrow().state()).isEqualTo(RunState.SUCCESS);
        assertThat(ecs.revisions("flows-shaped")).isEqualTo(1);
        JsonNode registered = ecs.revision("flows-shaped", 1);
        assertThat(registered.path("cpu").asText()).as("metadata.cpu").isEqualTo("1024");
        assertThat(registered.path("memory").asText()).as("the profile").isEqualTo("4096");
    }

    @Test
    void inProcessEnvironmentsRunOnTheAgentsPoolAndAreNeverStartedTwiceAfterATakeover() {
        LocalEnvironment local = LocalEnvironment.builder().labels("local").build();
        String ok = queue.submit(RunRequest.builder(AgentTestFlows.HELLO).parameter("n", 21).environment(local).build());
        // two runs an agent that died held: one it had started, one it had only claimed
        String started = queue.submit(RunRequest.builder(AgentTestFlows.HELLO).environment(local).build());
        String claimedOnly = queue.submit(RunRequest.builder(AgentTestFlows.HELLO).environment(local).build());
        List<RunQueue.Claim> dead = queue.claim("dead-agent", Set.of("local"), 3, Duration.ofMillis(1));
        assertThat(dead).hasSize(3);
        queue.record(List.of(new RunQueue.Transition(started, "dead-agent", 1, RunState.LAUNCHED, Instant.now(),
                "started in agent dead-agent", "agent:dead-agent", null)));
        Agent a = started(agent("local"));
        awaitFinal(List.of(ok, started, claimedOnly));
        assertThat(queue.get(ok).orElseThrow().state()).isEqualTo(RunState.SUCCESS);
        assertThat(queue.get(claimedOnly).orElseThrow().state()).isEqualTo(RunState.SUCCESS);
        QueuedRun crashed = queue.get(started).orElseThrow();
        assertThat(crashed.state()).isEqualTo(RunState.CRASHED);
        assertThat(crashed.stateMessage()).contains("cannot be reattached, so it is not started again");
        assertThat(queue.get(ok).orElseThrow().history()).extracting(StateChange::message)
                .anyMatch(m -> m.startsWith("started in agent " + a.id()));
    }

    @Test
    void shuttingDownLeavesRemoteRunsRunningForTheNextAgentOrDrainsThem() {
        List<RunRequest> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(ecsRun("sleep 2; exit 0").build());
        }
        List<String> ids = queue.submitAll(batch);
        Agent first = started(agent().id("first"));
        await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream()
                .allMatch(id -> queue.get(id).orElseThrow().state() == RunState.RUNNING));
        first.shutdown(false, Duration.ofSeconds(10));
        assertThat(ecs.calls("StopTask")).as("nothing was stopped").isZero();
        assertThat(queue.counts()).containsOnly(Map.entry(RunState.RUNNING, 10L));
        assertThat(queue.get(ids.get(0)).orElseThrow().history()).extracting(StateChange::message)
                .anyMatch(m -> m.startsWith("released: agent first shut down"));

        Agent second = started(agent().id("second"));
        awaitFinal(ids);
        assertThat(queue.counts()).containsOnly(Map.entry(RunState.SUCCESS, 10L));
        assertThat(ecs.calls("RunTask")).as("reattached, not launched again").isEqualTo(10);
        assertThat(queue.get(ids.get(0)).orElseThrow().history()).extracting(StateChange::message)
                .anyMatch(m -> m.startsWith("taken over by agent second from agent first"))
                .anyMatch(m -> m.startsWith("reattached to arn:aws:ecs"));

        List<RunRequest> more = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            more.add(ecsRun("sleep 1; exit 0").build());
        }
        List<String> moreIds = queue.submitAll(more);
        await().atMost(Duration.ofSeconds(30)).until(() -> second.inFlight() == 5);
        second.shutdown(true, Duration.ofSeconds(60));
        assertThat(moreIds).allSatisfy(id -> assertThat(queue.get(id).orElseThrow().state())
                .as("%s", queue.get(id).orElseThrow().history()).isEqualTo(RunState.SUCCESS));
        assertThat(ecs.calls("RunTask")).isEqualTo(15);
        assertThat(EnumSet.copyOf(queue.counts().keySet())).containsOnly(RunState.SUCCESS);
    }
}
