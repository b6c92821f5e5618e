package io.flowport.env.dask.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.flowport.core.CommandSpec;
import io.flowport.core.ConfigurationException;
import io.flowport.core.Environment;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.Serialization;
import io.flowport.core.StateType;
import io.flowport.core.spi.Labels;
import io.flowport.env.dask.DaskSecurity;
import io.flowport.env.kubernetes.testing.FakeKubelet;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * DaskKubernetesEnvironment against fabric8's mock API server, without Dask: settings and their defaults,
 * serialization, bad input refused before any API call, the pull secret (and the deprecated settings) on the pods,
 * pod failures turned into clear states and messages, fabric8's retries, and the cleaner of a crashed driver's
 * leftovers. The test plays the kubelet; nothing runs the pods.
 */
class DaskKubernetesEnvironmentTest {

    static final String NS = "flows";
    static final Flow FLOW = Flow.command("c", CommandSpec.of("true"));

    private KubernetesTestServer server;
    private KubernetesClient client;
    private FakeKubelet kubelet;

    @BeforeEach
    void start() {
        server = KubernetesTestServer.start();
        client = server.client();
        kubelet = new FakeKubelet(server, NS);
    }

    @AfterEach
    void stop() {
        kubelet.close();
        server.close();
    }

    private DaskKubernetesEnvironment.Builder env() {
        return DaskKubernetesEnvironment.builder().environmentVariables(Map.of())
                .platformProvider(KubernetesDaskPlatform.provider(client)).namespace(NS);
    }

    private List<String> leftovers(String runId) {
        String v = Labels.safeValue(runId);
        List<String> out = new java.util.ArrayList<>();
        client.pods().inNamespace(NS).withLabel(Labels.FLOW_RUN_ID, v).list().getItems()
                .forEach(p -> out.add("pod " + p.getMetadata().getName()));
        client.services().inNamespace(NS).withLabel(Labels.FLOW_RUN_ID, v).list().getItems()
                .forEach(p -> out.add("service " + p.getMetadata().getName()));
        client.secrets().inNamespace(NS).withLabel(Labels.FLOW_RUN_ID, v).list().getItems()
                .forEach(p -> out.add("secret " + p.getMetadata().getName()));
        return out;
    }

    /** Runs the flow in the background; once the scheduler pod exists, {@code kubelet} plays it. */
    private FlowRunResult runWithScheduler(DaskKubernetesEnvironment env, FlowRun run, Consumer<String> play)
            throws Exception {
        CompletableFuture<FlowRunResult> f = CompletableFuture.supplyAsync(() -> env.execute(FLOW, run));
        String pod = await().atMost(20, TimeUnit.SECONDS).until(() -> client.pods().inNamespace(NS)
                .withLabel(KubernetesDaskPlatform.ROLE_LABEL, "scheduler").list().getItems().stream()
                .map(p -> p.getMetadata().getName()).findFirst().orElse(null), n -> n != null);
        play.accept(pod);
        return f.get(60, TimeUnit.SECONDS);
    }

    @Test
    void theDefaultsAreTheReferencesSignatureAndEverySettingIsSerializedButCallbacks() {
        DaskKubernetesEnvironment defaults = DaskKubernetesEnvironment.builder().environmentVariables(Map.of())
                .build();
        assertThat(defaults.minWorkers()).isEqualTo(1);
        assertThat(defaults.maxWorkers()).isEqualTo(2);
        assertThat(defaults.workStealing()).isTrue();
        assertThat(defaults.schedulerLogs()).isFalse();
        assertThat(defaults.logK8sErrors()).isFalse();
        assertThat(defaults.security()).isEqualTo(DaskSecurity.DEFAULT);
        assertThat(DaskKubernetesEnvironment.builder().environmentVariables(Map.of()).minWorkers(5).build()
                .maxWorkers()).as("maxWorkers follows a larger minWorkers").isEqualTo(5);

        DaskKubernetesEnvironment env = env().minWorkers(2).maxWorkers(6).workStealing(false).schedulerLogs(true)
                .imagePullSecret("regcred,mirror").logK8sErrors(true).image("registry.example.com/dask:1")
                .schedulerSpec("kind: Pod\nspec:\n  containers: [{name: s}]\n").labels("k8s")
                .metadata("team", "data").executorKwargs(Map.of("concurrency", 8))
                .onStart(info -> { }).build();
        String json = Serialization.toJson(env);
        assertThat(json).startsWith("{\"type\":\"dask-kubernetes\"")
                .contains("\"minWorkers\":2", "\"maxWorkers\":6", "\"workStealing\":false", "\"schedulerLogs\":true",
                        "\"imagePullSecret\":\"regcred,mirror\"", "\"logK8sErrors\":true", "\"namespace\":\"flows\"",
                        "\"schedulerSpec\":\"kind: Pod", "\"labels\":[\"k8s\"]", "\"concurrency\":8")
                .doesNotContain("onStart", "platformProvider", "privateRegistry", "dockerSecret");
        Environment back = Serialization.environmentFromJson(json);
        assertThat(Serialization.toJson(back)).isEqualTo(json);

        Environment yaml = Serialization.environmentFromYaml("""
                type: dask-kubernetes
                minWorkers: 1
                maxWorkers: 4
                workerSpecFile: /nonexistent/worker.yaml
                security: {tls: true}
                """);
        assertThat(((DaskKubernetesEnvironment) yaml).maxWorkers()).isEqualTo(4);
        assertThatThrownBy(() -> yaml.setup(FLOW)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("workerSpecFile /nonexistent/worker.yaml does not exist");
    }

    @Test
    void settingsDefaultFromFlowportDaskKubernetesVariablesAndMalformedOnesAreNamed() {
        DaskKubernetesEnvironment env = DaskKubernetesEnvironment.builder().environmentVariables(Map.of(
                "FLOWPORT_DASK_KUBERNETES_MAX_WORKERS", "7", "FLOWPORT_DASK_KUBERNETES_NAMESPACE", "dask",
                "FLOWPORT_DASK_KUBERNETES_IMAGE_PULL_SECRET", "regcred", "FLOWPORT_DASK_KUBERNETES_LOG_K8S_ERRORS",
                "true", "FLOWPORT_DASK_KUBERNETES_WORK_STEALING", "maybe", "FLOWPORT_DASK_KUBERNETES_MIN_WORKERS",
                "two")).platformProvider(KubernetesDaskPlatform.provider(client)).build();
        assertThat(env.maxWorkers()).isEqualTo(7);
        assertThat(env.namespace()).isEqualTo("dask");
        assertThat(env.imagePullSecret()).isEqualTo("regcred");
        assertThat(env.logK8sErrors()).isTrue();
        assertThatThrownBy(() -> env.setup(FLOW)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("FLOWPORT_DASK_KUBERNETES_MIN_WORKERS must be a whole number, was 'two'")
                .hasMessageContaining("FLOWPORT_DASK_KUBERNETES_WORK_STEALING must be true or false, was 'maybe'");
        assertThat(DaskKubernetesEnvironment.builder().environmentVariables(Map.of(
                "FLOWPORT_DASK_KUBERNETES_MAX_WORKERS", "7")).maxWorkers(3).build().maxWorkers())
                .as("a value set on the builder wins").isEqualTo(3);
    }

    @Test
    void badInputIsRefusedAllAtOnceBeforeAnyCallToTheCluster(@TempDir Path dir) throws Exception {
        Path unreadable = Files.createDirectory(dir.resolve("scheduler.yaml")); // a directory: even root cannot read it
        Path noContainers = dir.resolve("worker.yaml");
        Files.writeString(noContainers, """
                apiVersion: v1
                kind: Pod
                metadata:
                  labels: {flowport.io/flow-run-id: mine}
                spec:
                  restartPolicy: Always
                  containers: []
                """);
        DaskKubernetesEnvironment env = env().minWorkers(4).maxWorkers(2).schedulerSpecFile(unreadable)
                .workerSpecFile(noContainers).imagePullSecret("Reg_Cred").executorKwargs(Map.of("concurency", 2))
                .build();

        assertThatThrownBy(() -> env.execute(FLOW, FlowRun.create())).isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).containsExactlyInAnyOrder(
                        "minWorkers (4) must be <= maxWorkers (2)",
                        "schedulerSpecFile " + unreadable + " cannot be read: java.io.IOException: Is a directory",
                        "workerSpecFile " + noContainers + ": metadata.labels: label 'flowport.io/flow-run-id' is set"
                                + " by Flowport for each cluster; remove it",
                        "workerSpecFile " + noContainers + ": spec.containers is empty; add at least one container"
                                + " (the first one runs the Dask worker)",
                        "imagePullSecret 'Reg_Cred' is not a valid secret name: at most 253 lower-case letters,"
                                + " digits, '-' and '.', starting and ending with a letter or digit",
                        "executorKwargs.concurency is not a setting of the Dask executor (did you mean 'concurrency'?);"
                                + " known: [concurrency, connectTimeout, priority, pythonExecutable, resources]"));
        assertThatThrownBy(() -> env().workerSpecFile(dir.resolve("nope.yaml")).build().setup(FLOW))
                .hasMessageContaining("workerSpecFile " + dir.resolve("nope.yaml") + " does not exist; give the path"
                        + " of a YAML file with a Pod");
        assertThatThrownBy(() -> env().schedulerSpec("kind: Deployment\nspec: {}\n").maxWorkers(0).build()
                .setup(FLOW))
                .hasMessageContaining("maxWorkers must be >= 1, was 0")
                .hasMessageContaining("schedulerSpec: kind must be 'Pod', was 'Deployment' (give the pod template of a"
                        + " Deployment as a Pod: its metadata and spec)");
        assertThat(server.requests()).as("calls to the API server").isEmpty();
    }

    @Test
    void thePullSecretAndTheDeprecatedSettingsReachThePodsAndAnImagePullFailureCrashesTheRunWithItsReason()
            throws Exception {
        DaskKubernetesEnvironment.DEPRECATION_WARNED.set(false);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        DaskKubernetesEnvironment env;
        DaskKubernetesEnvironment again;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            env = env().privateRegistry(true).dockerSecret("regcred").logK8sErrors(true)
                    .clusterStartTimeout(Duration.ofSeconds(3)).build();
            again = env().privateRegistry(true).build();
        } finally {
            System.setErr(err);
        }
        String warnings = captured.toString(StandardCharsets.UTF_8);
        assertThat(warnings.split("privateRegistry and dockerSecret are deprecated", -1)).as("warned once").hasSize(2);
        assertThat(env.imagePullSecret()).isEqualTo("regcred");
        assertThat(again.imagePullSecret()).as("the reference's default secret, as a Kubernetes name")
                .isEqualTo("docker-registry-credentials");
        assertThat(Serialization.toJson(env)).contains("\"imagePullSecret\":\"regcred\"")
                .doesNotContain("privateRegistry");

        FlowRun run = FlowRun.create();
        FlowRunResult r = runWithScheduler(env, run, pod -> kubelet.waiting(pod, "ImagePullBackOff",
                "Back-off pulling image \"ghcr.io/dask/dask:2022.12.1\""));

        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("the Dask cluster did not start")
                .contains("ImagePullBackOff: Back-off pulling image \"ghcr.io/dask/dask:2022.12.1\"");
        assertThat(r.warnings()).anySatisfy(w -> assertThat(w).startsWith("Kubernetes: scheduler pod ")
                .endsWith(": ImagePullBackOff: Back-off pulling image \"ghcr.io/dask/dask:2022.12.1\""));
        assertThat(server.requests()).filteredOn(q -> q.method().equals("POST") && q.path().endsWith("/pods"))
                .singleElement().satisfies(q -> assertThat(q.body())
                        .contains("\"imagePullSecrets\":[{\"name\":\"regcred\"}]"));
        assertThat(leftovers(run.id())).isEmpty();
    }

    @Test
    void anUnschedulableSchedulerCrashesTheRunWithTheSchedulersWordsAndWithoutWarningsUnlessAsked() throws Exception {
        FlowRun run = FlowRun.create();
        FlowRunResult r = runWithScheduler(env().clusterStartTimeout(Duration.ofSeconds(3)).build(), run,
                pod -> kubelet.unschedulable(pod, "0/3 nodes are available: 3 Insufficient cpu."));
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("timed out waiting for the scheduler's address")
                .endsWith("; Kubernetes: scheduler pod " + r.details().get("dask.cluster") + "-scheduler:"
                        + " Unschedulable: 0/3 nodes are available: 3 Insufficient cpu.");
        assertThat(r.warnings()).isEmpty();
        assertThat(leftovers(run.id())).isEmpty();
    }

    @Test
    void aSchedulerThatIsOomKilledEvictedOrHasAnInvalidImageCrashesTheRunAtOnce() throws Exception {
        Map<String, Consumer<String>> endings = Map.of(
                "OOMKilled (exit code 137)", pod -> {
                    kubelet.running(pod);
                    kubelet.exit(pod, 137, "OOMKilled");
                },
                "Evicted: The node was low on resource: memory.", pod -> client.pods().inNamespace(NS).withName(pod)
                        .editStatus(p -> {
                            p.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Failed")
                                    .withReason("Evicted").withMessage("The node was low on resource: memory.")
                                    .build());
                            return p;
                        }),
                "cannot start: InvalidImageName: couldn't parse image reference", pod -> kubelet.waiting(pod,
                        "InvalidImageName", "couldn't parse image reference"));
        for (Map.Entry<String, Consumer<String>> e : endings.entrySet()) {
            FlowRun run = FlowRun.create();
            long started = System.nanoTime();
            FlowRunResult r = runWithScheduler(env().clusterStartTimeout(Duration.ofMinutes(2)).build(), run,
                    e.getValue());
            assertThat(r.state().type()).as(e.getKey()).isEqualTo(StateType.CRASHED);
            assertThat(r.state().message()).as(e.getKey()).contains("the Dask scheduler pod ").contains(e.getKey());
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("without waiting for the start timeout")
                    .isLessThan(Duration.ofSeconds(30));
            assertThat(leftovers(run.id())).isEmpty();
        }
    }

    @Test
    void fabric8RetriesThrottledAndFailedCallsOnTheDiscoveredClusterWithoutDuplicatingAPod() throws Exception {
        Map<String, String> properties = Map.of("kubernetes.master", server.url(), "kubernetes.auth.tryKubeConfig",
                "false", "kubernetes.auth.tryServiceAccount", "false");
        properties.forEach(System::setProperty);
        try {
            String pods = "/api/v1/namespaces/" + NS + "/pods";
            server.mock().expect().post().withPath(pods).andReturn(429, new StatusBuilder().withCode(429)
                    .withReason("TooManyRequests").withMessage("slow down").build()).once();
            server.mock().expect().post().withPath(pods).andReturn(500, new StatusBuilder().withCode(500)
                    .withReason("InternalError").withMessage("etcd leader changed").build()).once();
            DaskKubernetesEnvironment env = DaskKubernetesEnvironment.builder().environmentVariables(Map.of())
                    .namespace(NS).clusterStartTimeout(Duration.ofSeconds(2)).build();
            FlowRun run = FlowRun.create();
            FlowRunResult r = env.execute(FLOW, run);
            assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
            assertThat(r.state().message()).contains("timed out waiting for the scheduler's address");
            assertThat(server.count("POST", pods)).as("one throttled, one failed, one created").isEqualTo(3);
            assertThat(server.requests()).filteredOn(q -> q.method().equals("DELETE") && q.path().startsWith(pods))
                    .as("the one pod deleted at teardown").hasSize(1);
            assertThat(leftovers(run.id())).isEmpty();
        } finally {
            properties.keySet().forEach(System::clearProperty);
        }
    }

    @Test
    void theCleanerRemovesClustersLeftByACrashedDriverAndNeverTouchesALiveOne() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        // A: its driver died; the scheduler's idle timeout ended it two hours ago
        scheduler("fpdead", "Succeeded", null, now.minus(Duration.ofHours(2)));
        worker("fpdead", 1);
        client.services().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName("fpdead-scheduler").withLabels(labels("fpdead")).endMetadata()
                .withNewSpec().addNewPort().withPort(8786).endPort().endSpec().build()).create();
        secret("fpdead");
        // B: running, young: a live driver uses it
        scheduler("fplive", "Running", 86_400L, null);
        worker("fplive", 1);
        secret("fplive");
        // C: a driver died while starting its cluster: a Secret and no scheduler
        secret("fporphan");
        // D: running past its own lifetime (activeDeadlineSeconds): nothing can be using it
        scheduler("fpold", "Running", 60L, null);
        // not Dask's: a Flowport Job's pod, and someone else's pod
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("job-pod")
                .addToLabels(Labels.MANAGED_BY, "flowport").endMetadata().withNewSpec().addNewContainer()
                .withName("flow").withImage("x").endContainer().endSpec().build()).create();
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("app").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("x").endContainer().endSpec().build())
                .create();
        DaskKubernetesEnvironment env = env().clusterStartTimeout(Duration.ofMinutes(10)).build();

        assertThat(env.deleteFinished(Duration.ofMinutes(30), Clock.fixed(now, ZoneOffset.UTC)))
                .containsExactly("fpdead");
        assertThat(env.deleteFinished(Duration.ofMinutes(30), Clock.fixed(now.plus(Duration.ofHours(1)),
                ZoneOffset.UTC))).containsExactly("fpold", "fporphan");
        assertThat(client.pods().inNamespace(NS).list().getItems()).extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("fplive-scheduler", "fplive-worker-1", "job-pod", "app");
        assertThat(client.secrets().inNamespace(NS).list().getItems()).extracting(s -> s.getMetadata().getName())
                .containsExactly("fplive-tls");
        assertThat(client.services().inNamespace(NS).list().getItems()).isEmpty();
    }

    private static Map<String, String> labels(String cluster) {
        return Map.of(Labels.MANAGED_BY, "flowport", Labels.FLOW_RUN_ID, "run-" + cluster,
                KubernetesDaskPlatform.CLUSTER_LABEL, cluster);
    }

    private void scheduler(String cluster, String phase, Long deadline, Instant finished) {
        Map<String, String> labels = new java.util.HashMap<>(labels(cluster));
        labels.put(KubernetesDaskPlatform.ROLE_LABEL, "scheduler");
        Pod pod = client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata()
                .withName(cluster + "-scheduler").withLabels(labels).endMetadata().withNewSpec()
                .withActiveDeadlineSeconds(deadline).addNewContainer().withName("dask-scheduler").withImage("x")
                .endContainer().endSpec().build()).create();
        client.pods().inNamespace(NS).withName(pod.getMetadata().getName()).editStatus(p -> {
            var status = new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase(phase);
            if (finished != null) {
                status.addNewContainerStatus().withName("dask-scheduler").withNewState().withNewTerminated()
                        .withExitCode(0).withReason("Completed").withFinishedAt(finished.toString()).endTerminated()
                        .endState().endContainerStatus();
            }
            p.setStatus(status.build());
            return p;
        });
    }

    private void worker(String cluster, int n) {
        Map<String, String> labels = new java.util.HashMap<>(labels(cluster));
        labels.put(KubernetesDaskPlatform.ROLE_LABEL, "worker");
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(cluster + "-worker-" + n)
                .withLabels(labels).endMetadata().withNewSpec().addNewContainer().withName("dask-worker")
                .withImage("x").endContainer().endSpec().build()).create();
    }

    private void secret(String cluster) {
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName(cluster + "-tls")
                .withLabels(labels(cluster)).endMetadata().addToData("ca-file.pem", "eA==").build()).create();
    }
}
