package io.flowport.agent;

import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.env.local.LocalEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What every {@link RunQueue} store guarantees, stated once; each store's test extends it. Submission, claims by
 * labels, priority and age, {@code notBefore}, leases, heartbeats, takeovers with fencing, release, cancellation,
 * state history, and exclusive claims under concurrency.
 */
abstract class RunQueueContract {

    static final Duration LEASE = Duration.ofSeconds(30);
    static final Flow FLOW = Flow.builder("contract").parameter("n", Integer.class, 1)
            .task("t", ctx -> ctx.parameter("n", Integer.class)).build();

    RunQueue queue;

    /** A new, empty queue. */
    abstract RunQueue openQueue();

    /** Another handle on the same queue (another connection, as another process would have). */
    abstract RunQueue reopen();

    @BeforeEach
    void open() {
        queue = openQueue();
    }

    @AfterEach
    void closeQueue() {
        queue.close();
    }

    static RunRequest.Builder run(String... labels) {
        return RunRequest.builder(FLOW).environment(LocalEnvironment.builder().labels(labels).build());
    }

    @Test
    void aSubmittedRunReadsBackWithItsHistory() {
        Instant before = Instant.now().minusSeconds(1);
        String id = queue.submit(run("etl").parameter("n", 5).priority(3).timeout(Duration.ofMinutes(2))
                .labels("gpu").build());

        QueuedRun r = queue.get(id).orElseThrow();
        assertThat(r.flowName()).isEqualTo("contract");
        assertThat(r.flowLocation()).isEqualTo("contract");
        assertThat(r.labels()).containsExactly("etl", "gpu");
        assertThat(r.parametersJson()).isEqualTo("{\"n\":5}");
        assertThat(r.environmentJson()).contains("\"type\":\"local\"");
        assertThat(r.priority()).isEqualTo(3);
        assertThat(r.timeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(r.state()).isEqualTo(RunState.QUEUED);
        assertThat(r.submittedAt()).isAfter(before);
        assertThat(r.claims()).isZero();
        assertThat(r.history()).singleElement().satisfies(h -> {
            assertThat(h.state()).isEqualTo(RunState.QUEUED);
            assertThat(h.message()).isEqualTo("submitted");
        });
        assertThat(queue.get("no-such-run")).isEmpty();
    }

    @Test
    void badInputIsRefusedWithEveryProblemAndNothingIsStored() {
        assertThatThrownBy(() -> RunRequest.builder(FLOW).id("bad id!").parameter("x", 1)
                .environmentJson("{\"type\":\"no-such-type\"}").build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("id 'bad id!'")
                .hasMessageContaining("unknown parameter 'x'")
                .hasMessageContaining("unknown environment type 'no-such-type'");
        assertThatThrownBy(() -> RunRequest.builder(FLOW).environmentJson("{not json").build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("environment");
        Flow required = Flow.builder("needs").requiredParameter("day", String.class).task("t", c -> null).build();
        assertThatThrownBy(() -> RunRequest.builder(required).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("missing required parameter 'day'");
        assertThat(queue.counts()).isEmpty();
    }

    @Test
    void submitAllStoresEveryRunOrNone() {
        RunRequest a = run().id("dup-a").build();
        RunRequest b = run().id("dup-b").build();
        queue.submitAll(List.of(a, b));
        RunRequest c = run().id("dup-c").build();
        assertThatThrownBy(() -> queue.submitAll(List.of(c, run().id("dup-a").build())))
                .isInstanceOf(QueueException.class);
        assertThat(queue.get("dup-c")).isEmpty();
        assertThat(queue.counts()).containsEntry(RunState.QUEUED, 2L);
    }

    @Test
    void anAgentClaimsOnlyRunsWhoseLabelsItAllHas() {
        String none = queue.submit(run().build());
        String a = queue.submit(run("a").build());
        String ab = queue.submit(run("a", "b").build());
        String c = queue.submit(run("c").build());

        assertThat(ids(queue.claim("agent-a", Set.of("a"), 10, LEASE))).containsExactlyInAnyOrder(none, a);
        assertThat(ids(queue.claim("agent-ab", Set.of("a", "b", "x"), 10, LEASE))).containsExactly(ab);
        assertThat(queue.claim("agent-none", Set.of(), 10, LEASE)).isEmpty();
        assertThat(queue.get(c).orElseThrow().state()).isEqualTo(RunState.QUEUED);
        QueuedRun claimed = queue.get(ab).orElseThrow();
        assertThat(claimed.state()).isEqualTo(RunState.CLAIMED);
        assertThat(claimed.agentId()).isEqualTo("agent-ab");
        assertThat(claimed.claims()).isEqualTo(1);
        assertThat(claimed.leaseUntil()).isAfter(Instant.now().plusSeconds(20));
        assertThat(claimed.history()).extracting(StateChange::message).last().isEqualTo("claimed by agent agent-ab");
    }

    @Test
    void highestPriorityFirstThenOldest() {
        String low1 = queue.submit(run().priority(0).build());
        String high1 = queue.submit(run().priority(5).build());
        String low2 = queue.submit(run().priority(0).build());
        String high2 = queue.submit(run().priority(5).build());
        String urgent = queue.submit(run().priority(9).build());

        List<String> order = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            order.addAll(ids(queue.claim("agent", Set.of(), 1, LEASE)));
        }
        assertThat(order).containsExactly(urgent, high1, high2, low1, low2);

        String x = queue.submit(run().priority(1).build());
        String y = queue.submit(run().priority(2).build());
        assertThat(ids(queue.claim("agent", Set.of(), 5, LEASE))).containsExactly(y, x);
    }

    @Test
    void aScheduledRunIsNotClaimedBeforeItsTime() {
        String later = queue.submit(run().notBefore(Instant.now().plusMillis(1500)).build());
        String now = queue.submit(run().build());
        assertThat(ids(queue.claim("agent", Set.of(), 10, LEASE))).containsExactly(now);
        assertThat(queue.claim("agent", Set.of(), 10, LEASE)).isEmpty();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> !queue.claim("agent", Set.of(), 10, LEASE).isEmpty());
        assertThat(queue.get(later).orElseThrow().state()).isEqualTo(RunState.CLAIMED);
        assertThat(queue.get(later).orElseThrow().history().get(0).message()).contains("not before");
    }

    @Test
    void anExpiredLeaseIsTakenOverAndTheOldHolderIsFencedOut() {
        String id = queue.submit(run().build());
        RunQueue.Claim first = queue.claim("a", Set.of(), 1, Duration.ofMillis(400)).get(0);
        assertThat(first.isTakeover()).isFalse();
        assertThat(queue.record(List.of(transition(id, "a", 1, RunState.LAUNCHED, "unit-1")))).isEmpty();
        assertThat(queue.claim("b", Set.of(), 1, LEASE)).as("the lease still holds").isEmpty();

        RunQueue.Claim[] taken = new RunQueue.Claim[1];
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            List<RunQueue.Claim> c = queue.claim("b", Set.of(), 1, LEASE);
            taken[0] = c.isEmpty() ? null : c.get(0);
            return taken[0] != null;
        });
        assertThat(taken[0].isTakeover()).isTrue();
        assertThat(taken[0].previousAgent()).isEqualTo("a");
        assertThat(taken[0].run().claims()).isEqualTo(2);
        assertThat(taken[0].run().state()).as("the state is kept").isEqualTo(RunState.LAUNCHED);
        assertThat(taken[0].run().unitId()).isEqualTo("unit-1");

        assertThat(queue.record(List.of(transition(id, "a", 1, RunState.SUCCESS, null)))).containsExactly(id);
        assertThat(queue.heartbeat("a", LEASE).held()).isEmpty();
        assertThat(queue.heartbeat("b", LEASE).held()).containsEntry(id, 2);
        assertThat(queue.record(List.of(transition(id, "b", 2, RunState.RUNNING, null),
                transition(id, "b", 2, RunState.SUCCESS, null)))).isEmpty();
        QueuedRun done = queue.get(id).orElseThrow();
        assertThat(done.state()).isEqualTo(RunState.SUCCESS);
        assertThat(done.finishedAt()).isNotNull();
        assertThat(done.history()).extracting(StateChange::state).containsExactly(RunState.QUEUED, RunState.CLAIMED,
                RunState.LAUNCHED, RunState.LAUNCHED, RunState.RUNNING, RunState.SUCCESS);
        assertThat(done.history().get(3).message()).contains("taken over by agent b from agent a");
        assertThat(queue.record(List.of(transition(id, "b", 2, RunState.FAILED, null))))
                .as("a final state is final").containsExactly(id);
    }

    @Test
    void heartbeatsKeepALeaseAlive() {
        String id = queue.submit(run().build());
        queue.claim("a", Set.of(), 1, Duration.ofMillis(600));
        // for two seconds (more than three leases) the holder renews every 150 ms and nobody can take the run over
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(150))
                .until(() -> queue.heartbeat("a", Duration.ofMillis(600)).held().containsKey(id)
                        && queue.claim("b", Set.of(), 1, LEASE).isEmpty());
    }

    @Test
    void releasedRunsAreTakenOverAtOnceAndARestartReleasesItsEarlierLife() {
        String r1 = queue.submit(run().build());
        String r2 = queue.submit(run().build());
        queue.registerAgent("a", Set.of(), "host-a");
        queue.claim("a", Set.of(), 2, LEASE);
        assertThat(queue.release("a", "shutting down")).isEqualTo(2);
        assertThat(ids(queue.claim("b", Set.of(), 1, LEASE))).containsExactly(r1);
        assertThat(queue.get(r1).orElseThrow().history()).extracting(StateChange::message)
                .anyMatch(m -> m.equals("released: shutting down"));

        assertThat(queue.registerAgent("b", Set.of(), "host-b")).as("b's earlier life held r1").isEqualTo(1);
        assertThat(ids(queue.claim("b", Set.of(), 5, LEASE))).containsExactlyInAnyOrder(r1, r2);
        assertThat(queue.agents()).extracting(RunQueue.AgentRecord::id).containsExactlyInAnyOrder("a", "b");
        queue.agentStopped("a");
        assertThat(queue.agents()).filteredOn(a -> a.id().equals("a")).singleElement()
                .satisfies(a -> assertThat(a.stoppedAt()).isNotNull());
    }

    @Test
    void cancellingAQueuedRunEndsItAndAHeldRunIsAskedToStop() {
        String queued = queue.submit(run().build());
        RunQueue.CancelOutcome o = queue.cancel(queued, "not needed");
        assertThat(o.cancelledNow()).isTrue();
        assertThat(queue.get(queued).orElseThrow().state()).isEqualTo(RunState.CANCELLED);
        assertThat(queue.claim("a", Set.of(), 5, LEASE)).isEmpty();

        String held = queue.submit(run().build());
        queue.claim("a", Set.of(), 1, LEASE);
        RunQueue.CancelOutcome h = queue.cancel(held, "wrong input");
        assertThat(h.cancelledNow()).isFalse();
        assertThat(h.agentId()).isEqualTo("a");
        assertThat(queue.heartbeat("a", LEASE).cancelRequests()).containsEntry(held, "wrong input");
        assertThat(queue.cancel("nope", null).found()).isFalse();
        queue.record(List.of(transition(held, "a", 1, RunState.CANCELLED, null)));
        assertThat(queue.cancel(held, "again").stateBefore()).isEqualTo(RunState.CANCELLED);
    }

    @Test
    void listAndCountByState() {
        for (int i = 0; i < 5; i++) {
            queue.submit(run().build());
        }
        queue.claim("a", Set.of(), 2, LEASE);
        assertThat(queue.counts()).containsEntry(RunState.QUEUED, 3L).containsEntry(RunState.CLAIMED, 2L);
        assertThat(queue.list(Set.of(RunState.CLAIMED), 10)).hasSize(2);
        assertThat(queue.list(Set.of(), 4)).hasSize(4);
        assertThat(queue.heartbeat("a", LEASE).queued()).isEqualTo(3);
    }

    @Test
    void concurrentClaimersNeverGetTheSameRun() throws Exception {
        int runs = 400;
        List<RunRequest> batch = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            batch.add(run().build());
        }
        queue.submitAll(batch);
        int claimers = 4;
        List<RunQueue> handles = new ArrayList<>();
        for (int i = 0; i < claimers; i++) {
            handles.add(reopen());
        }
        Map<String, String> owner = new ConcurrentHashMap<>();
        Set<String> duplicates = Collections.synchronizedSet(new HashSet<>());
        ExecutorService pool = Executors.newFixedThreadPool(claimers);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < claimers; i++) {
                RunQueue q = handles.get(i);
                String agent = "agent-" + i;
                fs.add(pool.submit(() -> {
                    go.await();
                    for (int round = 0; round < 1000 && owner.size() < runs; round++) {
                        for (RunQueue.Claim c : q.claim(agent, Set.of(), 7, LEASE)) {
                            if (owner.putIfAbsent(c.run().id(), agent) != null) {
                                duplicates.add(c.run().id());
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
            handles.forEach(RunQueue::close);
        }
        assertThat(duplicates).isEmpty();
        assertThat(owner).hasSize(runs);
        assertThat(queue.counts()).containsOnly(Map.entry(RunState.CLAIMED, (long) runs));
    }

    static RunQueue.Transition transition(String id, String agent, int claims, RunState state, String unit) {
        return new RunQueue.Transition(id, agent, claims, state, Instant.now(), state.name().toLowerCase(), unit, null);
    }

    static List<String> ids(List<RunQueue.Claim> claims) {
        return claims.stream().map(c -> c.run().id()).toList();
    }

}
