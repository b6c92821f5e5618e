package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventListBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.flowport.core.StateType;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.RunStatus;
import io.flowport.env.kubernetes.testing.FakeKubelet;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Following runs with fabric8's informers: started with the first run followed, one for the Jobs and one for the
 * pods of the namespace however many runs, relisting after {@code 410 Gone} and watching again after a broken
 * watch without losing a change, blocking reads kept off the event path, and stopped with the backend.
 */
class JobInformersTest {

    static final String NS = "watch";
    static final String JOBS = "/apis/batch/v1/namespaces/" + NS + "/jobs";
    static final String PODS = "/api/v1/namespaces/" + NS + "/pods";
    static final String MANAGED = Labels.MANAGED_BY + "=flowport";

    private KubernetesTestServer server;
    private FakeKubelet kubelet;
    private KubernetesJobBackend backend;

    @BeforeEach
    void start() {
        server = KubernetesTestServer.start();
        kubelet = new FakeKubelet(server, NS).start();
        backend = TestBackends.backend(server.client(), NS, KubernetesJobEnvironment.builder()
                .environmentVariables(Map.of()).image("busybox:1.36"));
    }

    @AfterEach
    void stop() {
        backend.close();
        kubelet.close();
        server.close();
    }

    private Launch launch() {
        String run = "run-" + System.nanoTime();
        return backend.launch(backend.prepare(null), new LaunchRequest(run, "watched", List.of("true"), Map.of(),
                Labels.forRun(run, "watched"), run));
    }

    /** Statuses of one run, as its listener gets them. */
    private static final class Seen {
        final List<RunStatus> statuses = new CopyOnWriteArrayList<>();

        boolean finished() {
            return statuses.stream().anyMatch(RunStatus::isFinished);
        }

        RunStatus last() {
            return statuses.get(statuses.size() - 1);
        }
    }

    private Seen follow(Launch launch) {
        Seen seen = new Seen();
        backend.watch(launch, seen.statuses::add);
        await().atMost(10, TimeUnit.SECONDS).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                .until(() -> !seen.statuses.isEmpty());
        return seen;
    }

    private long lists(String path) {
        return server.requests().stream().filter(r -> r.isList(path) && MANAGED.equals(r.labelSelector())).count();
    }

    private long watches(String path) {
        return server.requests().stream()
                .filter(r -> r.path().equals(path) && r.isWatch() && MANAGED.equals(r.labelSelector())).count();
    }

    @Test
    void informersStartWithTheFirstRunFollowedOneForJobsOneForPodsAndStopWithTheBackend() {
        Launch a = launch();
        Launch b = launch();
        Launch c = launch();
        assertThat(backend.informers().informing()).as("started before anything is followed").isFalse();
        assertThat(lists(JOBS) + watches(JOBS) + lists(PODS) + watches(PODS)).isZero();

        Seen seenA = follow(a);
        follow(b);
        follow(c);
        assertThat(seenA.statuses.get(0).phase()).isEqualTo(RunStatus.Phase.PROVISIONING);
        assertThat(backend.informers().informing()).isTrue();
        assertThat(lists(JOBS)).as("Job lists for three runs").isEqualTo(1);
        assertThat(lists(PODS)).as("pod lists for three runs").isEqualTo(1);
        await().atMost(10, TimeUnit.SECONDS).until(() -> watches(JOBS) == 1 && watches(PODS) == 1);

        backend.close();
        assertThat(backend.informers().informing()).as("stopped with the backend").isFalse();
    }

    @Test
    void aTooOldResourceVersionListsAgainAndNeitherAMissedNorALaterChangeIsLost() {
        server.breakWatches(JOBS, MANAGED, 410, Duration.ofMillis(1500), 1);
        Launch missed = launch();
        Launch later = launch();
        Seen seenMissed = follow(missed);
        Seen seenLater = follow(later);
        assertThat(backend.informers().jobListings()).isEqualTo(1);

        // while the first watch says nothing: only a new list can tell
        kubelet.complete(kubelet.job(missed.id()));
        await().atMost(15, TimeUnit.SECONDS).until(seenMissed::finished);
        assertThat(seenMissed.last().state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(backend.informers().jobListings()).as("listed again after 410").isEqualTo(2);
        assertThat(lists(JOBS)).isEqualTo(2);

        await().atMost(10, TimeUnit.SECONDS).until(() -> watches(JOBS) == 2);
        assertThat(seenLater.finished()).isFalse();
        kubelet.fail(kubelet.job(later.id()), "DeadlineExceeded", "Job was active longer than specified deadline");
        await().atMost(10, TimeUnit.SECONDS).until(seenLater::finished);
        assertThat(seenLater.last().state().type()).isEqualTo(StateType.FAILED);
    }

    @Test
    void aWatchTheServerBreaksIsWatchedAgainAndALaterChangeIsSeen() {
        server.breakWatches(JOBS, MANAGED, 500, Duration.ofMillis(1500), 1);
        Launch missed = launch();
        Launch later = launch();
        Seen seenMissed = follow(missed);
        Seen seenLater = follow(later);

        kubelet.complete(kubelet.job(missed.id()));
        await().atMost(15, TimeUnit.SECONDS).until(seenMissed::finished);
        assertThat(seenMissed.last().state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(watches(JOBS)).as("a second watch after the broken one").isEqualTo(2);
        assertThat(backend.informers().jobListings()).as("a watch error needs no new list").isEqualTo(1);

        assertThat(seenLater.finished()).isFalse();
        kubelet.complete(kubelet.job(later.id()));
        await().atMost(10, TimeUnit.SECONDS).until(seenLater::finished);
        assertThat(seenLater.last().state().type()).isEqualTo(StateType.SUCCESS);
    }

    @Test
    void aSlowReadForOneRunDoesNotHoldUpTheEventsOfAnother() {
        Launch stuck = launch();
        Launch quick = launch();
        String stuckPod = kubelet.podOf(kubelet.job(stuck.id()));
        String events = "/api/v1/namespaces/" + NS + "/events?fieldSelector=involvedObject.name%3D" + stuckPod;
        server.mock().expect().get().delay(6, TimeUnit.SECONDS).withPath(events)
                .andReturn(200, new EventListBuilder().addToItems(new EventBuilder().withNewMetadata()
                        .withName(stuckPod + ".1").endMetadata().withType("Warning").withReason("Failed")
                        .withMessage("Failed to pull image: not found").build()).build())
                .always();
        Seen seenStuck = follow(stuck);
        Seen seenQuick = follow(quick);

        kubelet.waiting(stuckPod, "ImagePullBackOff", "Back-off pulling image");
        await().atMost(10, TimeUnit.SECONDS).until(() -> server.requests().stream()
                .anyMatch(r -> r.path().endsWith("/events")));
        // the events of the stuck pod take 6 s to come: the other run's end must not wait for them
        Job quickJob = kubelet.job(quick.id());
        kubelet.complete(quickJob);
        long started = System.nanoTime();
        await().atMost(10, TimeUnit.SECONDS).until(seenQuick::finished);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        assertThat(seenStuck.last().detail()).doesNotContain("event:");

        await().atMost(15, TimeUnit.SECONDS).until(() -> seenStuck.last().detail()
                .contains("(event: Failed to pull image: not found)"));
        assertThat(seenStuck.last().phase()).isEqualTo(RunStatus.Phase.PENDING);
    }

    @Test
    void manyRunsCostOneListAndOneWatchPerResourceAndTwoCallsPerRun() {
        int runs = 50;
        List<Launch> launches = new java.util.ArrayList<>();
        List<Seen> seen = new java.util.ArrayList<>();
        for (int i = 0; i < runs; i++) {
            launches.add(launch());
        }
        for (Launch l : launches) {
            seen.add(follow(l));
        }
        long jobReads = server.requests().stream().filter(r -> r.method().equals("GET")
                && r.path().startsWith(JOBS + "/")).count();
        assertThat(jobReads).as("Jobs read one by one: none, the informer's cache had them all").isZero();
        for (Launch l : launches) {
            Job job = kubelet.job(l.id());
            String pod = kubelet.podOf(job);
            kubelet.running(pod);
            kubelet.exit(pod, 0, null);
            kubelet.complete(job);
        }
        await().atMost(30, TimeUnit.SECONDS).until(() -> seen.stream().allMatch(Seen::finished));
        assertThat(seen).allSatisfy(s -> assertThat(s.last().state().type()).isEqualTo(StateType.SUCCESS));

        assertThat(lists(JOBS)).isEqualTo(1);
        assertThat(lists(PODS)).isEqualTo(1);
        assertThat(watches(JOBS)).isEqualTo(1);
        assertThat(watches(PODS)).isEqualTo(1);
        assertThat(server.count("POST", JOBS)).isEqualTo(runs);
        long finalPodReads = server.requests().stream().filter(r -> r.isList(PODS)
                && r.labelSelector() != null && r.labelSelector().startsWith(Labels.FLOW_RUN_ID)).count();
        assertThat(finalPodReads).as("one read of the pods when each run ends").isEqualTo(runs);
        System.out.printf("following %d runs: %d Job list, %d pod list, %d + %d watches, %d Job reads,"
                        + " %d final pod reads%n", runs, lists(JOBS), lists(PODS), watches(JOBS), watches(PODS),
                jobReads, finalPodReads);
    }

    @Test
    void aJobDeletedBeforeItWasFollowedEndsTheRunAtOnce() {
        Launch gone = launch();
        server.client().batch().v1().jobs().inNamespace(NS).withName(gone.id()).delete();
        await().atMost(10, TimeUnit.SECONDS).until(() -> kubelet.job(gone.id()) == null);
        Seen seen = follow(gone);
        await().atMost(10, TimeUnit.SECONDS).until(seen::finished);
        assertThat(seen.last().state().type()).isEqualTo(StateType.CRASHED);
        assertThat(seen.last().state().message()).contains("was deleted before it finished");
    }
}
