package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventListBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.flowport.core.CancellationToken;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LaunchException;
import io.flowport.core.RunnerSettings;
import io.flowport.core.Serialization;
import io.flowport.core.StateType;
import io.flowport.core.spi.BackendLifecycle;
import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.Names;
import io.flowport.env.kubernetes.testing.FakeKubelet;
import io.flowport.env.kubernetes.testing.KubernetesTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The environment end to end against fabric8's mock API server in CRUD mode: the Job it creates, how each way a
 * Job ends maps to a state, start problems, cancellation, idempotent launch, cleanup by label, logs and errors.
 * {@link FakeKubelet} plays the Job controller and the kubelet.
 */
class KubernetesJobEnvironmentTest {

    static final String NS = "flows";
    static final String IMAGE = "registry.example.com/flows:1.0";
    static final String JOBS = "/apis/batch/v1/namespaces/" + NS + "/jobs";

    private KubernetesTestServer server;
    private KubernetesClient client;
    private FakeKubelet kubelet;

    private final List<KubernetesJobEnvironment> environments = new ArrayList<>();

    @BeforeEach
    void startServer() {
        server = KubernetesTestServer.start();
        client = server.client();
        kubelet = new FakeKubelet(server, NS).start();
    }

    @AfterEach
    void closeEnvironments() {
        environments.forEach(KubernetesJobEnvironment::close);
        kubelet.close();
        server.close();
    }

    private FakeKubelet kubelet() {
        return kubelet;
    }

    private static BackendLifecycle.Settings fast(Duration startTimeout) {
        return BackendLifecycle.Settings.defaults()
                .withStartTimeout(startTimeout)
                .withStopTimeout(Duration.ofSeconds(10))
                .withLaunchRetries(Duration.ofSeconds(10), new Backoff(Duration.ofMillis(10), Duration.ofMillis(100)));
    }

    private KubernetesJobEnvironment.Builder builder() {
        return KubernetesJobEnvironment.builder().environmentVariables(Map.of()).client(client).namespace(NS)
                .image(IMAGE).lifecycleSettings(fast(Duration.ofSeconds(30)));
    }

    private KubernetesJobEnvironment env(KubernetesJobEnvironment.Builder b) {
        KubernetesJobEnvironment env = b.build();
        environments.add(env);
        return env;
    }

    private static Flow javaFlow() {
        return Flow.builder("Nightly ETL").parameter("day", String.class, "today").task("extract", ctx -> 1).build();
    }

    private static Flow commandFlow() {
        return Flow.command("greet", CommandSpec.of("sh", "-c", "echo $GREETING").withEnv("GREETING", "from-flow"));
    }

    private static FlowRunResult result(CompletableFuture<FlowRunResult> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    private static Map<String, String> env(Container c) {
        return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, v -> v.getValue() == null ? "" : v.getValue()));
    }


    @Test
    void aJavaFlowRunsTheRunnerEntryPointAndSucceedsWithItsLogs() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.builder().parameter("day", "2026-01-01").build();
        CompletableFuture<FlowRunResult> result = env.submit(javaFlow(), run);

        Job job = kubelet().awaitJob(run.id());
        assertThat(job.getMetadata().getName()).matches("flowport-nightly-etl-[0-9a-f]{10}").hasSizeLessThanOrEqualTo(52);
        assertThat(job.getMetadata().getLabels()).containsAllEntriesOf(Labels.forRun(run.id(), "Nightly ETL"));
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(Labels.forRun(run.id(), "Nightly ETL"));
        assertThat(job.getMetadata().getLabels().get(Labels.FLOW_NAME)).isEqualTo("Nightly-ETL");
        assertThat(job.getMetadata().getAnnotations()).containsEntry(JobTemplate.ANNOTATION_FLOW_RUN_ID, run.id())
                .containsEntry(JobTemplate.ANNOTATION_FLOW_NAME, "Nightly ETL");
        assertThat(job.getSpec().getBackoffLimit()).isZero();
        assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("Never");
        Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo(IMAGE);
        assertThat(c.getCommand()).isEqualTo(RunnerSettings.DEFAULT_CONTAINER_COMMAND);
        assertThat(c.getArgs()).isNullOrEmpty();
        assertThat(env(c)).containsEntry(RunnerSettings.FLOW_RUN_ID, run.id())
                .containsEntry(RunnerSettings.FLOW_LOCATION, "Nightly ETL")
                .containsEntry(RunnerSettings.PARAMETERS, "{\"day\":\"2026-01-01\"}");
        assertThat(env(c).get(RunnerSettings.ENVIRONMENT)).contains("\"type\":\"kubernetes-job\"");

        String pod = kubelet().podOf(job);
        kubelet().log(pod).append("extracting\nflowport.result ok\n");
        kubelet().running(pod);
        kubelet().exit(pod, 0, null);
        kubelet().complete(job);

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.logs().lines()).containsExactly("extracting", "flowport.result ok");
        assertThat(r.logs().location()).contains("pod " + pod).contains("namespace " + NS);
    }

    @Test
    void aCommandFlowRunsItsOwnCommandKeepingTheSpecsVariables() throws Exception {
        KubernetesJobEnvironment env = env(builder().image(null).jobSpec("""
                apiVersion: batch/v1
                kind: Job
                metadata:
                  name: greeter
                  labels:
                    team: data
                spec:
                  backoffLimit: 2
                  template:
                    spec:
                      containers:
                        - name: main
                          image: alpine:3.20
                          command: ["/bin/false"]
                          args: ["ignored"]
                          env:
                            - name: USER_VAR
                              value: kept
                            - name: GREETING
                              value: from-spec
                        - name: sidecar
                          image: envoy:1
                """));
        FlowRun run = FlowRun.create();
        env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());

        assertThat(job.getMetadata().getName()).matches("greeter-[0-9a-f]{10}");
        assertThat(job.getMetadata().getLabels()).containsEntry("team", "data");
        assertThat(job.getSpec().getBackoffLimit()).isEqualTo(2);
        Container main = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(main.getImage()).isEqualTo("alpine:3.20");
        assertThat(main.getCommand()).containsExactly("sh", "-c", "echo $GREETING");
        assertThat(main.getArgs()).isNullOrEmpty();
        assertThat(env(main)).containsEntry("USER_VAR", "kept").containsEntry("GREETING", "from-flow")
                .containsEntry(RunnerSettings.FLOW_RUN_ID, run.id());
        Container sidecar = job.getSpec().getTemplate().getSpec().getContainers().get(1);
        assertThat(sidecar.getCommand()).isNullOrEmpty();
        assertThat(sidecar.getEnv()).isNullOrEmpty();
    }

    @Test
    void settingsAreAppliedToTheSpec() throws Exception {
        KubernetesJobEnvironment env = env(builder().serviceAccount("flow-runner").imagePullSecrets("regcred")
                .request("cpu", "500m").limit("memory", "1Gi").ttlSecondsAfterFinished(3600)
                .jobSpec("""
                        apiVersion: batch/v1
                        kind: Job
                        spec:
                          template:
                            spec:
                              imagePullSecrets: [{name: other}]
                              containers:
                                - name: flow
                                  image: old:1
                                  resources:
                                    requests: {cpu: "2", memory: 256Mi}
                        """));
        FlowRun run = FlowRun.create();
        env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        var pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("flow-runner");
        assertThat(pod.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("other", "regcred");
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(3600);
        Container c = pod.getContainers().get(0);
        assertThat(c.getImage()).isEqualTo(IMAGE);
        assertThat(c.getResources().getRequests()).hasEntrySatisfying("cpu", q -> assertThat(q.toString()).isEqualTo("500m"))
                .hasEntrySatisfying("memory", q -> assertThat(q.toString()).isEqualTo("256Mi"));
        assertThat(c.getResources().getLimits()).hasEntrySatisfying("memory",
                q -> assertThat(q.toString()).isEqualTo("1Gi"));
    }

    @Test
    void aFailedJobFailsWithItsReasonAndTheContainersExitCode() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        String pod = kubelet().podOf(job);
        kubelet().running(pod);
        kubelet().exit(pod, 3, null);
        kubelet().fail(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        FlowRunResult r = result(result);
        assertThat(r.logs().lines()).isEmpty();
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("BackoffLimitExceeded: Job has reached the specified backoff limit")
                .contains("container 'flow' exited with code 3 (Error)");
    }

    @Test
    void theRunnersReportIsReadFromTheTailOfAFailedRunsLog() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        String pod = kubelet().podOf(job);
        kubelet().running(pod);
        StringBuilder log = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            log.append("working ").append(i).append('\n');
        }
        kubelet().log(pod).append(log.toString());
        kubelet().exit(pod, 1, null);
        kubelet().fail(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.logs().tail(2)).containsExactly("working 498", "working 499");
        assertThat(r.logs().lines()).hasSize(500);
    }

    @Test
    void aJobPastItsDeadlineFailsWithTheReason() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        String pod = kubelet().podOf(job);
        kubelet().running(pod);
        kubelet().exit(pod, 137, "Error");
        kubelet().fail(job, "DeadlineExceeded", "Job was active longer than specified deadline");

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("DeadlineExceeded").contains("exited with code 137");
    }

    @Test
    void aContainerThatCannotStartCrashes() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        kubelet().startError(kubelet().podOf(job), "exec: \"sh\": executable file not found in $PATH");
        kubelet().fail(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("could not start: StartError")
                .contains("executable file not found");
    }

    @Test
    void aPodStuckPullingItsImageCrashesAfterTheStartTimeoutWithTheEventAndTheJobIsDeleted() throws Exception {
        KubernetesJobEnvironment env = env(builder().lifecycleSettings(fast(Duration.ofSeconds(2))));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        String pod = kubelet().podOf(job);
        server.mock().expect().get()
                .withPath("/api/v1/namespaces/" + NS + "/events?fieldSelector=involvedObject.name%3D" + pod)
                .andReturn(200, new EventListBuilder()
                        .addToItems(new EventBuilder().withNewMetadata().withName(pod + ".1").endMetadata()
                                .withType("Normal").withReason("Pulling").withMessage("Pulling image").build())
                        .addToItems(new EventBuilder().withNewMetadata().withName(pod + ".2").endMetadata()
                                .withType("Warning").withReason("Failed")
                                .withMessage("Failed to pull image \"" + IMAGE + "\": not found").build())
                        .build())
                .always();
        kubelet().waiting(pod, "ImagePullBackOff", "Back-off pulling image \"" + IMAGE + "\"");

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("did not start within PT2S")
                .contains("ImagePullBackOff: Back-off pulling image")
                .contains("event: Failed to pull image \"" + IMAGE + "\": not found");
        assertThat(kubelet().job(job.getMetadata().getName())).as("the Job is deleted").isNull();
    }

    @Test
    void anUnschedulablePodCrashesAfterTheStartTimeoutWithTheConditionsMessage() throws Exception {
        KubernetesJobEnvironment env = env(builder().lifecycleSettings(fast(Duration.ofSeconds(1))));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        kubelet().unschedulable(kubelet().podOf(job), "0/3 nodes are available: 3 Insufficient cpu.");

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("did not start within PT1S")
                .contains("unschedulable: 0/3 nodes are available: 3 Insufficient cpu.");
        assertThat(kubelet().job(job.getMetadata().getName())).isNull();
    }

    @Test
    void cancellingDeletesTheJobInTheForegroundOnce() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        CancellationToken token = new CancellationToken();
        FlowRun run = FlowRun.builder().cancellation(token).build();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        kubelet().running(kubelet().podOf(job));
        token.cancel("the user asked");

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(r.state().message()).contains("the user asked");
        assertThat(kubelet().job(job.getMetadata().getName())).isNull();
        List<KubernetesTestServer.Request> deletes = requests("DELETE");
        assertThat(deletes).singleElement().satisfies(d -> {
            assertThat(d.path()).isEqualTo(JOBS + "/" + job.getMetadata().getName());
            assertThat(d.body()).contains("\"propagationPolicy\":\"Foreground\"");
        });

        Launch launch = new Launch(job.getMetadata().getName(), run.id(), Map.of(), Instant.now());
        env.backend().stop(launch, "again"); // idempotent: the Job is gone
    }

    @Test
    void aJobDeletedByOthersCrashesTheRun() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        kubelet().running(kubelet().podOf(job));
        client.batch().v1().jobs().inNamespace(NS).withName(job.getMetadata().getName()).delete();

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("Job " + job.getMetadata().getName()
                + " was deleted before it finished");
    }

    private LaunchRequest request(String runId, String flowName) {
        return new LaunchRequest(runId, flowName, List.of("echo", "hi"), Map.of(RunnerSettings.FLOW_RUN_ID, runId),
                Labels.forRun(runId, flowName), runId);
    }

    @Test
    void aRetriedCreateReturnsTheJobOfTheSameRun() {
        KubernetesJobBackend backend = env(builder()).backend();
        LaunchRequest request = request("run-7", "greet");
        Launch first = backend.launch(backend.prepare(commandFlow()), request);
        Launch again = backend.launch(backend.prepare(commandFlow()), request);
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(again.flowRunId()).isEqualTo("run-7");
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).hasSize(1);
    }

    @Test
    void aJobNameTakenByAnotherRunIsRefusedWithTheFix() {
        KubernetesJobBackend backend = env(builder().uniqueJobName(false)).backend();
        Launch first = backend.launch(backend.prepare(commandFlow()), request("run-a", "greet"));
        assertThat(first.id()).isEqualTo("flowport-greet");
        assertThatThrownBy(() -> backend.launch(backend.prepare(commandFlow()), request("run-b", "greet")))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("a Job named 'flowport-greet' already exists in namespace 'flows' for flow"
                        + " run run-a")
                .hasMessageContaining("set uniqueJobName=true");
    }

    @Test
    void longFlowNamesGiveShortValidJobNamesThatDifferPerRun() {
        KubernetesJobBackend backend = env(builder()).backend();
        String flow = "A Very Long Flow Name, With Punctuation & Spaces That Goes On And On";
        Job a = backend.render(request("run-1", flow));
        Job b = backend.render(request("run-2", flow));
        Job a2 = backend.render(request("run-1", flow));
        assertThat(a.getMetadata().getName()).hasSizeLessThanOrEqualTo(52)
                .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").startsWith("flowport-a-very-long-flow-name");
        assertThat(a.getMetadata().getName()).endsWith("-" + Names.sha256Hex("run-1").substring(0, 10));
        assertThat(b.getMetadata().getName()).isNotEqualTo(a.getMetadata().getName());
        assertThat(a2.getMetadata().getName()).isEqualTo(a.getMetadata().getName());
        assertThat(a.getMetadata().getLabels().get(Labels.FLOW_NAME)).hasSizeLessThanOrEqualTo(63);
    }

    @Test
    void finishedJobsAreFoundByLabelAndDeletedAfterTheirTtl() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        KubernetesJobBackend backend = env.backend();
        Launch done = backend.launch(backend.prepare(commandFlow()), request("run-done", "greet"));
        Launch running = backend.launch(backend.prepare(commandFlow()), request("run-running", "greet"));
        Launch otherFlow = backend.launch(backend.prepare(commandFlow()), request("run-other", "other"));
        kubelet().exit(kubelet().podOf(kubelet().job(done.id())), 0, null);
        kubelet().complete(kubelet().job(done.id()));
        kubelet().running(kubelet().podOf(kubelet().job(running.id())));
        kubelet().complete(kubelet().job(otherFlow.id()));
        // a finished Job Flowport did not create
        client.batch().v1().jobs().inNamespace(NS).resource(new JobBuilder().withNewMetadata().withName("not-ours")
                .endMetadata().withNewSpec().withNewTemplate().withNewSpec().addNewContainer().withName("c")
                .withImage("busybox").endContainer().endSpec().endTemplate().endSpec().build()).create();
        kubelet().complete(kubelet().job("not-ours"));

        assertThat(backend.find(Map.of())).extracting(f -> f.launch().id())
                .containsExactlyInAnyOrder(done.id(), running.id(), otherFlow.id());
        assertThat(backend.find(Map.of(Labels.FLOW_NAME, "other"))).extracting(f -> f.launch().id())
                .containsExactly(otherFlow.id());
        assertThat(env.deleteFinishedJobs(Duration.ofHours(1))).as("nothing is an hour old yet").isEmpty();

        Clock later = Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC);
        assertThat(env.deleteFinished(Duration.ofHours(1), later)).extracting(Launch::id)
                .containsExactlyInAnyOrder(done.id(), otherFlow.id());
        assertThat(kubelet().job(done.id())).isNull();
        assertThat(kubelet().job(otherFlow.id())).isNull();
        assertThat(kubelet().job(running.id())).isNotNull();
        assertThat(kubelet().job("not-ours")).isNotNull();
        assertThat(requests("DELETE")).hasSize(2).allSatisfy(d ->
                assertThat(d.body()).contains("\"propagationPolicy\":\"Background\""));
    }

    @Test
    void logsOfARunFollowedElsewhereAreReadFromTheApiWithGetLogAndTheTailWithTailingLines() {
        KubernetesJobBackend backend = env(builder()).backend();
        Launch launch = backend.launch(backend.prepare(commandFlow()), request("run-logs", "greet"));
        String pod = kubelet().podOf(kubelet().job(launch.id()));
        kubelet().running(pod);
        kubelet().log(pod).append("hi\nmiddle\nbye\n");
        kubelet().exit(pod, 0, null);

        var logs = backend.logs(launch);
        assertThat(logs.lines()).containsExactly("hi", "middle", "bye");
        assertThat(logs.location()).isEqualTo("pod " + pod + " (container flow) of Job " + launch.id()
                + " in namespace " + NS);
        assertThat(logs.tail(2)).containsExactly("middle", "bye");
        List<KubernetesTestServer.Request> reads = logRequests(pod);
        assertThat(reads).as("nothing followed: a run this process did not follow").noneMatch(r ->
                "true".equals(r.query().get("follow")));
        assertThat(reads).extracting(r -> r.query().get("tailLines")).containsExactly(null, "2");
    }

    @Test
    void anErrorFromTheLogEndpointIsNotTakenForLogLines() {
        KubernetesJobBackend backend = env(builder()).backend();
        Launch launch = backend.launch(backend.prepare(commandFlow()), request("run-nolog", "greet"));
        String pod = kubelet().podOf(kubelet().job(launch.id()));
        kubelet().exit(pod, 1, null);
        kubelet().log(pod).refuse(400, "BadRequest", "container \"flow\" in pod \"" + pod + "\" is terminated");
        assertThat(backend.logs(launch).lines()).isEmpty();
        assertThat(backend.logs(launch).tail(10)).isEmpty();
        assertThat(logRequests(pod)).isNotEmpty();
    }

    @Test
    void aFollowedLogAnsweredWithAnErrorIsNotTakenForLogLines() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        String pod = kubelet().podOf(job);
        // the API server could not reach the kubelet: a JSON Status instead of a log, which watchLog copies
        kubelet().log(pod).refuse(500, "InternalError",
                "Get \"https://10.1.32.200:10250/containerLogs/flows/" + pod + "/flow?follow=true\": EOF");
        kubelet().running(pod);
        await().atMost(10, TimeUnit.SECONDS).until(() -> logRequests(pod).stream()
                .anyMatch(r -> "true".equals(r.query().get("follow"))));
        kubelet().exit(pod, 0, null);
        kubelet().complete(job);

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(r.logs().lines()).isEmpty();
    }

    @Test
    void aLineWithoutANewlineIsCutAndSaysSo() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        String pod = kubelet().podOf(job);
        kubelet().running(pod);
        await().atMost(10, TimeUnit.SECONDS).until(() -> kubelet().log(pod).followers() == 1);
        kubelet().log(pod).append("first\n").append("x".repeat(PodLogs.MAX_LINE_BYTES + 1000));
        kubelet().exit(pod, 0, null);
        kubelet().complete(job);

        List<String> lines = result(result).logs().lines();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).isEqualTo("first");
        assertThat(lines.get(1)).startsWith("x".repeat(PodLogs.MAX_LINE_BYTES))
                .endsWith(" [line cut at " + PodLogs.MAX_LINE_BYTES + " bytes; 1000 more bytes dropped]")
                .hasSize(PodLogs.MAX_LINE_BYTES + (" [line cut at " + PodLogs.MAX_LINE_BYTES
                        + " bytes; 1000 more bytes dropped]").length());
    }

    @Test
    void aForbiddenCreateFailsTheRunWithTheRbacFix() throws Exception {
        server.mock().expect().post().withPath(JOBS)
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden")
                        .withMessage("jobs.batch is forbidden: User \"dev\" cannot create resource \"jobs\"")
                        .build())
                .always();
        KubernetesJobEnvironment env = env(builder());
        FlowRunResult r = result(env.submit(commandFlow(), FlowRun.create()));
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("is forbidden (HTTP 403: jobs.batch is forbidden")
                .contains("jobs: create, get, list, watch, delete");
    }

    @Test
    void aThrottledCreateIsRetriedWithoutASecondJob() throws Exception {
        server.mock().expect().post().withPath(JOBS)
                .andReturn(429, new StatusBuilder().withCode(429).withMessage("slow down").build())
                .times(2);
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        kubelet().running(kubelet().podOf(job));
        kubelet().complete(job);
        assertThat(result(result).state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(server.count("POST", JOBS)).isEqualTo(3);
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).hasSize(1);
    }

    @Test
    void serializationKeepsTheSettingsAndNothingElse() {
        KubernetesJobEnvironment env = env(builder().serviceAccount("runner").imagePullSecrets("regcred")
                .request("cpu", "250m").ttlSecondsAfterFinished(60).startTimeout(Duration.ofMinutes(3))
                .uniqueJobName(false).labels("k8s").metadata("team", "data")
                .onStart(info -> { }).jobSpec("""
                        apiVersion: batch/v1
                        kind: Job
                        spec:
                          template:
                            spec:
                              containers: [{name: flow}]
                        """));
        String json = Serialization.toJson(env);
        assertThat(json).startsWith("{\"type\":\"kubernetes-job\"").doesNotContain("client")
                .doesNotContain("lifecycle").doesNotContain("onStart");
        KubernetesJobEnvironment back = (KubernetesJobEnvironment) Serialization.environmentFromJson(json);
        assertThat(back.image()).isEqualTo(IMAGE);
        assertThat(back.namespace()).isEqualTo(NS);
        assertThat(back.serviceAccount()).isEqualTo("runner");
        assertThat(back.imagePullSecrets()).containsExactly("regcred");
        assertThat(back.resources().requests()).containsEntry("cpu", "250m");
        assertThat(back.ttlSecondsAfterFinished()).isEqualTo(60);
        assertThat(back.startTimeout()).isEqualTo(Duration.ofMinutes(3));
        assertThat(back.uniqueJobName()).isFalse();
        assertThat(back.jobSpec()).isEqualTo(env.jobSpec());
        assertThat(back.labels()).containsExactly("k8s");
        assertThat(back.metadata()).containsEntry("team", "data");
        assertThat(Serialization.toJson(back)).isEqualTo(json);
    }

    /** The requests the server received with this method, in order. */
    private List<KubernetesTestServer.Request> requests(String method) {
        return server.requests().stream().filter(r -> r.method().equals(method)).toList();
    }

    /** The reads of a pod's log the server received, in order. */
    private List<KubernetesTestServer.Request> logRequests(String pod) {
        String path = "/api/v1/namespaces/" + NS + "/pods/" + pod + "/log";
        return server.requests().stream().filter(r -> r.method().equals("GET") && r.path().equals(path)).toList();
    }

    @Test
    void theLogIsFollowedWhileTheRunGoes() throws Exception {
        KubernetesJobEnvironment env = env(builder());
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = env.submit(commandFlow(), run);
        Job job = kubelet().awaitJob(run.id());
        String pod = kubelet().podOf(job);
        kubelet().running(pod);
        kubelet().log(pod).append("working\n");
        Launch launch = new Launch(job.getMetadata().getName(), run.id(), job.getMetadata().getLabels(),
                Instant.now());
        await().atMost(10, TimeUnit.SECONDS).until(() -> env.backend().logs(launch).lines().contains("working"));
        // written after the stream was opened: only a followed log can have it without another read
        kubelet().log(pod).append("still working\n");
        await().atMost(10, TimeUnit.SECONDS).until(() -> env.backend().logs(launch).lines().contains("still working"));
        assertThat(result).isNotDone();
        assertThat(kubelet().log(pod).followers()).as("one open stream").isEqualTo(1);
        assertThat(logRequests(pod)).as("the log was followed, never read at once")
                .singleElement().satisfies(r -> assertThat(r.query()).containsEntry("follow", "true")
                        .containsEntry("container", "flow"));

        kubelet().log(pod).append("done\n");
        kubelet().exit(pod, 0, null);
        kubelet().complete(job);
        assertThat(result(result).logs().lines()).containsExactly("working", "still working", "done");
        assertThat(logRequests(pod)).hasSize(1);
    }

    @Test
    void onStartThatThrowsCreatesNothingAndOnExitStillRuns() {
        List<String> events = new CopyOnWriteArrayList<>();
        KubernetesJobEnvironment env = env(builder()
                .onStart(info -> {
                    throw new IllegalStateException("no quota today");
                })
                .onExit((info, result) -> events.add("exit:" + result.state().type())));
        FlowRunResult r = env.execute(commandFlow(), FlowRun.create());

        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("onStart callback failed").contains("no quota today");
        assertThat(events).containsExactly("exit:Failed");
        assertThat(server.count("POST", JOBS)).as("Jobs created").isZero();
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).isEmpty();
    }

    @Test
    void callbacksRunAroundExecuteBeforeTheJobExistsAndAfterItEnded() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        KubernetesJobEnvironment env = env(builder()
                .onStart(info -> events.add("start:" + info.flow().name() + ", jobs created: "
                        + server.count("POST", JOBS)))
                .onExit((info, result) -> events.add("exit:" + result.state().type() + ", logs: "
                        + result.logs().lines())));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = CompletableFuture.supplyAsync(() -> env.execute(commandFlow(), run));
        Job job = kubelet().awaitJob(run.id());
        assertThat(events).containsExactly("start:greet, jobs created: 0");
        String pod = kubelet().podOf(job);
        kubelet().running(pod);
        kubelet().log(pod).append("hello\n");
        kubelet().exit(pod, 0, null);
        kubelet().complete(job);

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(events).containsExactly("start:greet, jobs created: 0", "exit:Success, logs: [hello]");
        assertThat(server.count("POST", JOBS)).isEqualTo(1);
    }

    @Test
    void aCrashedRunThroughExecuteRunsOnExitWhoseFailureIsOnlyAWarning() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        KubernetesJobEnvironment env = env(builder()
                .onStart(info -> events.add("start"))
                .onExit((info, result) -> {
                    events.add("exit:" + result.state().type());
                    throw new IllegalStateException("cleanup failed");
                }));
        FlowRun run = FlowRun.create();
        CompletableFuture<FlowRunResult> result = CompletableFuture.supplyAsync(() -> env.execute(commandFlow(), run));
        Job job = kubelet().awaitJob(run.id());
        kubelet().startError(kubelet().podOf(job), "exec: \"sh\": executable file not found in $PATH");
        kubelet().fail(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        FlowRunResult r = result(result);
        assertThat(r.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(r.state().message()).contains("StartError");
        assertThat(events).containsExactly("start", "exit:Crashed");
        assertThat(r.warnings()).singleElement().asString().contains("onExit callback failed")
                .contains("cleanup failed");
    }
}
