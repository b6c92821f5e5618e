package io.flowport.env.dask.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.flowport.core.CommandResult;
import io.flowport.core.CommandSpec;
import io.flowport.core.CommandTask;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.StateType;
import io.flowport.core.TaskSpec;
import io.flowport.core.spi.Labels;
import io.flowport.env.dask.RequiresDask;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.flowport.env.dask.kubernetes.DaskKubernetesIT.NS;
import static io.flowport.env.dask.kubernetes.DaskKubernetesIT.env;
import static io.flowport.env.dask.kubernetes.DaskKubernetesIT.leftovers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every ending of a run deletes its cluster, verified by listing everything with the run's label and by the
 * processes of the pods: a failed command, cancellation, a run timeout, throwing callbacks, pod failures while
 * the cluster starts or runs, a driver JVM that exits (its shutdown hook) and one killed with SIGKILL (the TTL
 * cleaner, once the scheduler's idle timeout has ended it).
 */
@ExtendWith(RequiresDask.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DaskKubernetesTeardownIT {

    private KubernetesTestServer server;
    private KubernetesClient client;
    private ProcessKubelet kubelet;

    @BeforeEach
    void start() {
        server = KubernetesTestServer.start();
        client = server.client();
        kubelet = (ProcessKubelet) new ProcessKubelet(server, NS).start();
    }

    @AfterEach
    void stop() {
        try {
            await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> {
                assertThat(kubelet.alive()).as("processes of pods").isEmpty();
                assertThat(descendants("flowport")).as("processes left by the test").isEmpty();
            });
        } finally {
            kubelet.close();
            server.close();
        }
    }

    /** Live processes started from this JVM whose command line contains {@code text}. */
    static List<ProcessHandle> descendants(String text) {
        try (Stream<ProcessHandle> s = ProcessHandle.current().descendants()) {
            return s.filter(ProcessHandle::isAlive).filter(h -> h.info().arguments()
                    .map(a -> String.join(" ", Arrays.asList(a)).contains(text)).orElse(false)).toList();
        }
    }

    private List<String> everything() {
        return Stream.of(client.pods().inNamespace(NS).withLabel(Labels.MANAGED_BY, "flowport").list().getItems(),
                        client.services().inNamespace(NS).withLabel(Labels.MANAGED_BY, "flowport").list().getItems(),
                        client.secrets().inNamespace(NS).withLabel(Labels.MANAGED_BY, "flowport").list().getItems())
                .flatMap(List::stream).map(r -> r.getKind() + " " + r.getMetadata().getName()).toList();
    }

    @Test
    void aFailingCommandFailsTheRunAndTheClusterIsDeleted() {
        FlowRun run = FlowRun.create();
        FlowRunResult r = env(server).build().execute(Flow.builder("fails")
                .task("bad", new CommandTask(CommandSpec.of("sh", "-c", "echo broken >&2; exit 7"))).build(), run);
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.task("bad").orElseThrow().state().message()).contains("broken");
        assertThat(leftovers(client, run.id())).isEmpty();
    }

    @Test
    void cancellingTheRunKillsTheCommandAndDeletesTheCluster() throws Exception {
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env(server).build().execute(
                Flow.builder("long").task("sleep", new CommandTask(CommandSpec.of("sleep", "45.67"))).build(), run));
        await().atMost(60, TimeUnit.SECONDS).until(() -> !descendants("45.67").isEmpty());
        run.cancellation().cancel("not needed any more");
        assertThat(f.get(60, TimeUnit.SECONDS).state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(leftovers(client, run.id())).isEmpty();
        await().atMost(15, TimeUnit.SECONDS).until(() -> descendants("45.67").isEmpty());
    }

    @Test
    void aRunThatTimesOutDeletesItsCluster() {
        FlowRun run = FlowRun.builder().timeout(Duration.ofSeconds(8)).build();
        FlowRunResult r = env(server).build().execute(Flow.builder("slow")
                .task("sleep", new CommandTask(CommandSpec.of("sleep", "46.78"))).build(), run);
        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.TIMED_OUT);
        assertThat(leftovers(client, run.id())).isEmpty();
        await().atMost(15, TimeUnit.SECONDS).until(() -> descendants("46.78").isEmpty());
    }

    @Test
    void aThrowingOnStartCreatesNothingAndAThrowingOnExitStillDeletesTheCluster() {
        FlowRunResult noStart = env(server).onStart(info -> {
            throw new IllegalStateException("no budget today");
        }).build().execute(Flow.command("c", CommandSpec.of("true")), FlowRun.create());
        assertThat(noStart.state().type()).isEqualTo(StateType.FAILED);
        assertThat(noStart.state().message()).contains("onStart callback failed").contains("no budget today");
        assertThat(server.requests()).as("nothing was created").noneMatch(q -> q.method().equals("POST"));

        FlowRun run = FlowRun.create();
        FlowRunResult r = env(server).onExit((info, result) -> {
            throw new IllegalStateException("report server down");
        }).build().execute(Flow.command("c", CommandSpec.of("true")), run);
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.warnings()).anySatisfy(w -> assertThat(w).contains("report server down"));
        assertThat(leftovers(client, run.id())).isEmpty();
    }

    @Test
    void unschedulableWorkersCrashTheRunWithKubernetesReason() {
        kubelet.hold(p -> "worker".equals(p.getMetadata().getLabels().get(KubernetesDaskPlatform.ROLE_LABEL)));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env(server)
                .clusterStartTimeout(Duration.ofSeconds(15)).logK8sErrors(true).build()
                .execute(Flow.command("c", CommandSpec.of("true")), run));
        String worker = await().atMost(60, TimeUnit.SECONDS).until(() -> client.pods().inNamespace(NS)
                .withLabel(KubernetesDaskPlatform.ROLE_LABEL, "worker").list().getItems().stream()
                .map(p -> p.getMetadata().getName()).findFirst().orElse(null), n -> n != null);
        kubelet.unschedulable(worker, "0/3 nodes are available: 3 Insufficient memory.");
        FlowRunResult r = f.join();
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("timed out waiting for 1 worker(s) to join (0 joined)")
                .contains("Kubernetes: worker pod " + worker + ": Unschedulable: 0/3 nodes are available: 3"
                        + " Insufficient memory.");
        assertThat(r.warnings()).containsExactly("Kubernetes: worker pod " + worker + ": Unschedulable: 0/3 nodes"
                + " are available: 3 Insufficient memory.");
        assertThat(leftovers(client, run.id())).isEmpty();
    }

    @Test
    void aWorkerKilledForMemoryIsReportedAndReplacedAndItsTaskRetried() throws Exception {
        Path started = Files.createTempFile("dask-k8s-attempts", ".txt");
        FlowRun run = FlowRun.create();
        Flow flow = Flow.builder("oom").task(new TaskSpec("work", List.of(), 1, Duration.ZERO, null,
                new CommandTask(CommandSpec.of("sh", "-c", "echo attempt >> " + started + "; sleep 3; echo done"))))
                .build();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env(server).minWorkers(1)
                .maxWorkers(1).logK8sErrors(true).adaptiveInterval(Duration.ofMillis(500)).build().execute(flow, run));
        await().atMost(60, TimeUnit.SECONDS).until(() -> Files.readAllLines(started).size() == 1);
        Pod worker = client.pods().inNamespace(NS).withLabel(KubernetesDaskPlatform.ROLE_LABEL, "worker").list()
                .getItems().get(0);
        kubelet.oomKill(worker.getMetadata().getName());

        FlowRunResult r = f.get(120, TimeUnit.SECONDS);
        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.SUCCESS);
        assertThat(((CommandResult) r.result("work").orElseThrow()).stdout().trim()).isEqualTo("done");
        assertThat(Files.readAllLines(started)).as("attempts").hasSize(2);
        assertThat(r.warnings()).contains("Kubernetes: worker pod " + worker.getMetadata().getName()
                + ": ended: OOMKilled (exit code 137)");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> events = (List<Map<String, Object>>) r.detail("dask.workers").orElseThrow();
        assertThat(events).anySatisfy(e -> assertThat(e.get("reason").toString()).contains("OOMKilled"));
        assertThat(events).anySatisfy(e -> assertThat(e.get("reason").toString()).contains("replacing lost workers"));
        assertThat(leftovers(client, run.id())).isEmpty();
    }

    @Test
    void aSchedulerKilledForMemoryDuringTheRunCrashesItWithTheReason() throws Exception {
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env(server).build().execute(
                Flow.builder("lost").task("sleep", new CommandTask(CommandSpec.of("sleep", "47.89"))).build(), run));
        await().atMost(60, TimeUnit.SECONDS).until(() -> !descendants("47.89").isEmpty());
        String scheduler = client.pods().inNamespace(NS).withLabel(KubernetesDaskPlatform.ROLE_LABEL, "scheduler")
                .list().getItems().get(0).getMetadata().getName();
        kubelet.oomKill(scheduler);
        FlowRunResult r = f.get(120, TimeUnit.SECONDS);
        assertThat(r.state().type()).as(r.state().toString()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).startsWith("the Dask scheduler pod " + scheduler
                + " ended: OOMKilled (exit code 137); ");
        assertThat(leftovers(client, run.id())).isEmpty();
        await().atMost(15, TimeUnit.SECONDS).until(() -> descendants("47.89").isEmpty());
    }

    @Test
    void aDriverJvmThatExitsDeletesItsClusterInItsShutdownHook() throws Exception {
        Process child = childDriver("exit");
        try {
            awaitRunning(child);
            assertThat(everything()).hasSize(5); // scheduler, 2 workers, Service, Secret
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(everything()).as("left by a driver that exited").isEmpty();
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aDriverKilledWithSigkillLeavesAClusterThatEndsItselfAndTheCleanerRemoves() throws Exception {
        Process child = childDriver("kill");
        try {
            awaitRunning(child);
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.waitFor(30, TimeUnit.SECONDS);
        } finally {
            child.destroyForcibly();
        }
        DaskKubernetesEnvironment env = env(server).build();
        assertThat(env.deleteFinished(Duration.ZERO, Clock.systemUTC())).as("the scheduler still runs").isEmpty();
        // without its driver's heartbeat the scheduler is idle, and its idle timeout (6 s) ends it
        await().atMost(60, TimeUnit.SECONDS).until(() -> client.pods().inNamespace(NS)
                .withLabel(KubernetesDaskPlatform.ROLE_LABEL, "scheduler").list().getItems().stream()
                .allMatch(p -> p.getStatus() != null && "Succeeded".equals(p.getStatus().getPhase())));
        assertThat(env.deleteFinished(Duration.ZERO, Clock.systemUTC())).hasSize(1);
        assertThat(everything()).isEmpty();
    }

    private Process childDriver(String mode) throws Exception {
        Path log = Files.createTempFile("k8s-child-driver", ".log");
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KubernetesChildDriver.class.getName(), server.url(),
                mode).redirectError(log.toFile()).start();
    }

    private void awaitRunning(Process child) throws Exception {
        CompletableFuture<Boolean> running = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.equals("RUNNING")) {
                        return true;
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(running.get(90, TimeUnit.SECONDS)).as("the child driver's cluster ran").isTrue();
    }
}
