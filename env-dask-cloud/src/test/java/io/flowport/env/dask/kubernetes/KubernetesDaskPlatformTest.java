package io.flowport.env.dask.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.flowport.core.LaunchException;
import io.flowport.core.spi.Labels;
import io.flowport.env.dask.DaskTls;
import io.flowport.env.dask.spi.DaskProcess;
import io.flowport.env.dask.spi.ProcessSpec;
import io.flowport.env.kubernetes.testing.FakeKubelet;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The kubernetes Dask platform against fabric8's mock API server (CRUD): what it creates for a scheduler and its
 * workers, how it scales (a worker's pod deleted), what it reads from pod statuses, and that teardown leaves nothing
 * with the cluster's label. Nothing runs the pods: the test plays the kubelet.
 */
class KubernetesDaskPlatformTest {

    static final String NS = "flows";
    static final String CLUSTER = "fpabc123";

    private KubernetesTestServer server;
    private KubernetesClient client;
    private FakeKubelet kubelet;
    private final DaskTls tls = DaskTls.generate(CLUSTER, Duration.ofHours(1));

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

    private KubernetesDaskPlatform platform(RunReport report, Map<String, Object> extra) {
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("namespace", NS));
        settings.putAll(extra);
        return KubernetesDaskPlatform.create(client, settings, report, "etl");
    }

    private ProcessSpec scheduler() {
        Map<String, String> env = new LinkedHashMap<>(tls.variables(DaskTls.Role.SCHEDULER));
        env.put("FLOWPORT_DASK_MAX_LIFETIME", "3600");
        env.put("DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING", "True");
        return new ProcessSpec(CLUSTER, "run-1", ProcessSpec.Role.SCHEDULER, CLUSTER + "-scheduler",
                List.of("--protocol", "tls", "--idle-timeout", "300s"), env, Map.of());
    }

    private ProcessSpec worker(int n) {
        return new ProcessSpec(CLUSTER, "run-1", ProcessSpec.Role.WORKER, CLUSTER + "-worker-" + n,
                List.of("tls://10.0.0.5:8786", "--no-nanny", "--name", CLUSTER + "-worker-" + n),
                tls.variables(DaskTls.Role.WORKER), Map.of());
    }

    /** The kubelet starts the pod's container and gives the pod an IP. */
    private void runningAt(String pod, String ip) {
        kubelet.running(pod);
        client.pods().inNamespace(NS).withName(pod).editStatus(p -> {
            p.getStatus().setPodIP(ip);
            return p;
        });
    }

    private static Map<String, String> env(Container c) {
        Map<String, String> out = new LinkedHashMap<>();
        for (EnvVar v : c.getEnv()) {
            out.put(v.getName(), v.getValue() != null ? v.getValue() : "from " + v.getValueFrom().getFieldRef()
                    .getFieldPath());
        }
        return out;
    }

    @Test
    void schedulerWorkersServiceAndSecretAreCreatedWithLabelsOwnersAndTlsFilesScaledAndDeleted() throws Exception {
        RunReport report = new RunReport(false);
        KubernetesDaskPlatform platform = platform(report, Map.of("imagePullSecrets", List.of("regcred")));
        DaskProcess scheduler = platform.launch(scheduler());

        Pod pod = client.pods().inNamespace(NS).withName(CLUSTER + "-scheduler").get();
        assertThat(pod.getMetadata().getLabels()).containsEntry(Labels.MANAGED_BY, "flowport")
                .containsEntry(Labels.FLOW_RUN_ID, "run-1").containsEntry(Labels.FLOW_NAME, "etl")
                .containsEntry(KubernetesDaskPlatform.CLUSTER_LABEL, CLUSTER)
                .containsEntry(KubernetesDaskPlatform.ROLE_LABEL, "scheduler");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry(Labels.FLOW_RUN_ID, "run-1");
        assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getSpec().getActiveDeadlineSeconds()).isEqualTo(3600L);
        assertThat(pod.getSpec().getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("regcred");
        Container c = pod.getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo(PodTemplates.DEFAULT_IMAGE);
        assertThat(c.getCommand().subList(0, 2)).containsExactly("python", "-c");
        assertThat(c.getCommand().get(2)).startsWith("import base64,zlib;exec(zlib.decompress(");
        assertThat(c.getCommand().subList(3, c.getCommand().size())).containsExactly(CLUSTER,
                "distributed.cli.dask_scheduler", "--protocol", "tls", "--idle-timeout", "300s",
                "--host", "$(FLOWPORT_POD_IP)", "--port", "8786", "--dashboard-address", "$(FLOWPORT_POD_IP):8787");
        assertThat(c.getArgs()).isNullOrEmpty();
        Map<String, String> env = env(c);
        assertThat(env.values()).as("no key or certificate in the pod spec").noneMatch(v -> v.contains("BEGIN"));
        assertThat(env).containsEntry("FLOWPORT_POD_IP", "from status.podIP")
                .containsEntry("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", "/etc/flowport/dask-tls/ca-file.pem")
                .containsEntry("DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__CERT",
                        "/etc/flowport/dask-tls/scheduler-cert.pem")
                .containsEntry("DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY", "/etc/flowport/dask-tls/scheduler-key.pem")
                .containsEntry("DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING", "True");
        assertThat(pod.getSpec().getVolumes()).singleElement().satisfies(v -> {
            assertThat(v.getSecret().getSecretName()).isEqualTo(CLUSTER + "-tls");
            assertThat(v.getSecret().getItems()).extracting(KeyToPath::getKey)
                    .containsExactly("ca-file.pem", "scheduler-cert.pem", "scheduler-key.pem");
        });
        assertThat(c.getVolumeMounts()).singleElement().satisfies(m -> {
            assertThat(m.getMountPath()).isEqualTo("/etc/flowport/dask-tls");
            assertThat(m.getReadOnly()).isTrue();
        });

        String uid = pod.getMetadata().getUid();
        Service service = client.services().inNamespace(NS).withName(CLUSTER + "-scheduler").get();
        assertThat(service.getSpec().getSelector()).containsEntry(KubernetesDaskPlatform.CLUSTER_LABEL, CLUSTER)
                .containsEntry(KubernetesDaskPlatform.ROLE_LABEL, "scheduler");
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort())
                .containsExactly("comm:8786", "dashboard:8787");
        assertThat(service.getMetadata().getOwnerReferences()).extracting(OwnerReference::getUid).containsExactly(uid);
        assertThat(service.getMetadata().getLabels()).containsEntry(Labels.FLOW_RUN_ID, "run-1");
        Secret secret = client.secrets().inNamespace(NS).withName(CLUSTER + "-tls").get();
        assertThat(secret.getMetadata().getOwnerReferences()).extracting(OwnerReference::getUid).containsExactly(uid);
        assertThat(secret.getMetadata().getLabels()).containsEntry(KubernetesDaskPlatform.CLUSTER_LABEL, CLUSTER);
        assertThat(secret.getData()).containsOnlyKeys("ca-file.pem", "scheduler-cert.pem", "scheduler-key.pem");
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("ca-file.pem")), StandardCharsets.US_ASCII))
                .isEqualTo(tls.caPem());

        // the scheduler is ready once its container runs and the pod has an IP
        kubelet.running(CLUSTER + "-scheduler");
        await().during(300, TimeUnit.MILLISECONDS).atMost(2, TimeUnit.SECONDS)
                .until(() -> !scheduler.endpoint().isDone());
        runningAt(CLUSTER + "-scheduler", "10.1.2.3");
        assertThat(scheduler.endpoint().get(10, TimeUnit.SECONDS))
                .isEqualTo(new DaskProcess.Endpoint("10.1.2.3", 8786, 8787));

        DaskProcess w1 = platform.launch(worker(1));
        DaskProcess w2 = platform.launch(worker(2));
        for (String w : List.of(CLUSTER + "-worker-1", CLUSTER + "-worker-2")) {
            Pod p = client.pods().inNamespace(NS).withName(w).get();
            assertThat(p.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
                assertThat(o.getKind()).isEqualTo("Pod");
                assertThat(o.getName()).isEqualTo(CLUSTER + "-scheduler");
                assertThat(o.getUid()).isEqualTo(uid);
            });
            assertThat(p.getMetadata().getLabels()).containsEntry(KubernetesDaskPlatform.ROLE_LABEL, "worker");
            assertThat(p.getSpec().getVolumes().get(0).getSecret().getItems()).extracting(KeyToPath::getKey)
                    .containsExactly("ca-file.pem", "worker-cert.pem", "worker-key.pem");
            assertThat(p.getSpec().getContainers().get(0).getCommand()).containsSequence(
                    "distributed.cli.dask_worker", "tls://10.0.0.5:8786", "--no-nanny").endsWith("--host",
                    "$(FLOWPORT_POD_IP)");
        }
        assertThat(client.secrets().inNamespace(NS).withName(CLUSTER + "-tls").get().getData())
                .containsOnlyKeys("ca-file.pem", "scheduler-cert.pem", "scheduler-key.pem", "worker-cert.pem",
                        "worker-key.pem");

        // scale down: the retired worker's pod is deleted
        w1.stop();
        await().atMost(10, TimeUnit.SECONDS).until(() -> kubelet.pod(CLUSTER + "-worker-1") == null);
        await().atMost(5, TimeUnit.SECONDS).until(() -> w1.ended().isPresent());
        assertThat(w1.ended()).contains("stopped (pod deleted)");
        assertThat(report.problems()).isEmpty();

        // a worker killed for memory is over, and says why
        runningAt(CLUSTER + "-worker-2", "10.1.2.4");
        kubelet.exit(CLUSTER + "-worker-2", 137, "OOMKilled");
        await().atMost(5, TimeUnit.SECONDS).until(() -> w2.ended().isPresent());
        assertThat(w2.ended().orElseThrow()).contains("OOMKilled (exit code 137)");
        assertThat(report.problems()).containsExactly("worker pod " + CLUSTER + "-worker-2: ended: OOMKilled"
                + " (exit code 137)");

        assertThat(platform.stopAll(CLUSTER)).as("pods still running at teardown").isEqualTo(1);
        assertThat(client.pods().inNamespace(NS).withLabel(KubernetesDaskPlatform.CLUSTER_LABEL, CLUSTER).list()
                .getItems()).isEmpty();
        assertThat(client.services().inNamespace(NS).withLabel(KubernetesDaskPlatform.CLUSTER_LABEL, CLUSTER).list()
                .getItems()).isEmpty();
        assertThat(client.secrets().inNamespace(NS).withLabel(KubernetesDaskPlatform.CLUSTER_LABEL, CLUSTER).list()
                .getItems()).isEmpty();
        assertThat(platform.stopAll(CLUSTER)).as("idempotent").isZero();
        platform.close();
    }

    @Test
    void theServiceAddressAndTheSpecsPortsAreUsedWhenAsked() throws Exception {
        String spec = """
                apiVersion: v1
                kind: Pod
                metadata:
                  labels: {team: data}
                spec:
                  containers:
                    - name: sched
                      image: registry.example.com/dask:1
                      ports:
                        - {name: comm, containerPort: 9786}
                        - {name: dashboard, containerPort: 9787}
                      env:
                        - {name: MODE, value: batch}
                """;
        KubernetesDaskPlatform platform = platform(new RunReport(false), Map.of("schedulerSpec", spec,
                "schedulerAddress", "service", "podPython", "python3"));
        DaskProcess scheduler = platform.launch(scheduler());
        Pod pod = client.pods().inNamespace(NS).withName(CLUSTER + "-scheduler").get();
        Container c = pod.getSpec().getContainers().get(0);
        assertThat(pod.getMetadata().getLabels()).containsEntry("team", "data");
        assertThat(c.getImage()).isEqualTo("registry.example.com/dask:1");
        assertThat(c.getCommand().get(0)).isEqualTo("python3");
        assertThat(c.getCommand()).endsWith("--port", "9786", "--dashboard-address", "$(FLOWPORT_POD_IP):9787");
        assertThat(env(c)).containsEntry("MODE", "batch");
        assertThat(client.services().inNamespace(NS).withName(CLUSTER + "-scheduler").get().getSpec().getPorts())
                .extracting(p -> p.getPort() + "->" + p.getTargetPort().getIntVal()).containsExactly("9786->9786",
                        "9787->9787");
        runningAt(CLUSTER + "-scheduler", "10.1.2.3");
        assertThat(scheduler.endpoint().get(10, TimeUnit.SECONDS)).isEqualTo(new DaskProcess.Endpoint(
                CLUSTER + "-scheduler." + NS + ".svc", 9786, 9787));
        platform.stopAll(CLUSTER);
        platform.close();
    }

    @Test
    void withoutTlsThereIsNoSecretAndNoVolume() {
        KubernetesDaskPlatform platform = platform(new RunReport(false), Map.of());
        platform.launch(new ProcessSpec(CLUSTER, "run-1", ProcessSpec.Role.SCHEDULER, CLUSTER + "-scheduler",
                List.of("--protocol", "tcp"), Map.of("FLOWPORT_DASK_MAX_LIFETIME", "60"), Map.of()));
        Pod pod = client.pods().inNamespace(NS).withName(CLUSTER + "-scheduler").get();
        assertThat(pod.getSpec().getVolumes()).isNullOrEmpty();
        assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts()).isNullOrEmpty();
        assertThat(client.secrets().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(client.services().inNamespace(NS).withName(CLUSTER + "-scheduler").get()).isNotNull();
        platform.stopAll(CLUSTER);
        assertThat(client.services().inNamespace(NS).list().getItems()).isEmpty();
        platform.close();
    }

    @Test
    void aCreateWhoseAnswerWasLostFindsThePodOfItsClusterButNeverTakesAStrangersPod() {
        // the first create reached the server, its answer did not: the retried create meets 409 AlreadyExists
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(CLUSTER + "-scheduler")
                .addToLabels(KubernetesDaskPlatform.CLUSTER_LABEL, CLUSTER).endMetadata().withNewSpec()
                .addNewContainer().withName("dask-scheduler").withImage("x").endContainer().endSpec().build()).create();
        KubernetesDaskPlatform platform = platform(new RunReport(false), Map.of());
        platform.launch(scheduler());
        assertThat(server.count("POST", "/api/v1/namespaces/" + NS + "/pods")).isEqualTo(2);
        assertThat(client.pods().inNamespace(NS).list().getItems()).hasSize(1);
        platform.stopAll(CLUSTER);

        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(CLUSTER + "-scheduler")
                .endMetadata().withNewSpec().addNewContainer().withName("app").withImage("x").endContainer()
                .endSpec().build()).create();
        KubernetesDaskPlatform other = platform(new RunReport(false), Map.of());
        assertThatThrownBy(() -> other.launch(scheduler())).isInstanceOf(LaunchException.class)
                .hasMessageContaining("a pod named '" + CLUSTER + "-scheduler' already exists in namespace 'flows'"
                        + " and is not part of Dask cluster " + CLUSTER);
        other.stopAll(CLUSTER);
        assertThat(client.pods().inNamespace(NS).withName(CLUSTER + "-scheduler").get())
                .as("a stranger's pod is not deleted").isNotNull();
        other.close();
        platform.close();
    }

    @Test
    void aForbiddenCreateNamesTheRoleToGrant() {
        server.mock().expect().post().withPath("/api/v1/namespaces/" + NS + "/secrets")
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden")
                        .withMessage("secrets is forbidden: User \"dev\" cannot create resource \"secrets\"").build())
                .once();
        KubernetesDaskPlatform platform = platform(new RunReport(false), Map.of());
        assertThatThrownBy(() -> platform.launch(scheduler())).isInstanceOf(LaunchException.class)
                .hasMessageContaining("is forbidden (HTTP 403: secrets is forbidden")
                .hasMessageContaining("grant the Role of the DaskKubernetesEnvironment section");
        platform.stopAll(CLUSTER);
        platform.close();
    }
}
