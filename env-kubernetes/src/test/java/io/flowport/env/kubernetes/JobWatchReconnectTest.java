package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.flowport.core.StateType;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.RunStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Following survives the watch going away. The first Job watch is served by an expectation that answers
 * nothing for a while (so changes made then are missed by it) and then ends; later watches go to the CRUD
 * server. The run's end, written while the first watch was blind, must still reach the listener.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class JobWatchReconnectTest {

    static final String NS = "watch";
    static final String JOB_WATCH = "/apis/batch/v1/namespaces/" + NS
            + "/jobs?allowWatchBookmarks=true&labelSelector=flowport.io%2Fmanaged-by%3Dflowport&watch=true";

    KubernetesMockServer server;
    KubernetesClient client;
    private KubernetesJobBackend backend;
    private final List<RunStatus> statuses = new CopyOnWriteArrayList<>();

    @BeforeEach
    void createBackend() {
        backend = TestBackends.backend(client, NS, KubernetesJobEnvironment.builder()
                .environmentVariables(Map.of()).image("busybox:1.36"));
    }

    @AfterEach
    void closeBackend() {
        backend.close();
    }

    private Launch launch() {
        String run = "run-" + System.nanoTime();
        return backend.launch(backend.prepare(null), new LaunchRequest(run, "watched", List.of("true"), Map.of(),
                Labels.forRun(run, "watched"), run));
    }

    private void completeWhileTheFirstWatchIsBlind(Launch launch) {
        AutoCloseable handle = backend.watch(launch, statuses::add);
        await().atMost(5, TimeUnit.SECONDS).until(() -> !statuses.isEmpty());
        assertThat(statuses.get(0).phase()).isEqualTo(RunStatus.Phase.PROVISIONING);
        Job job = client.batch().v1().jobs().inNamespace(NS).withName(launch.id()).get();
        new FakeKubelet(client, NS, server).complete(job);

        await().atMost(15, TimeUnit.SECONDS).until(() -> statuses.stream().anyMatch(RunStatus::isFinished));
        RunStatus last = statuses.get(statuses.size() - 1);
        assertThat(last.state().type()).isEqualTo(StateType.SUCCESS);
        try {
            handle.close();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aTooOldResourceVersionRestartsTheWatchAndReadsTheRunAgain() {
        server.expect().get().withPath(JOB_WATCH).andUpgradeToWebSocket().open()
                .waitFor(1500).andEmit(new WatchEvent(new StatusBuilder().withCode(410).withReason("Expired")
                        .withMessage("too old resource version: 1 (42)").build(), "ERROR"))
                .done().once();
        Launch launch = launch();
        completeWhileTheFirstWatchIsBlind(launch);
        assertThat(backend.watchStarts()).as("watches started: the first, then after HTTP 410").isEqualTo(2);
    }

    @Test
    void aWatchTheServerEndsIsReconnected() {
        server.expect().get().withPath(JOB_WATCH).andUpgradeToWebSocket().open()
                .waitFor(1500).andEmit(new WatchEvent(new StatusBuilder().withCode(500)
                        .withMessage("etcd leader changed").build(), "ERROR"))
                .done().once();
        Launch launch = launch();
        completeWhileTheFirstWatchIsBlind(launch);
    }
}
