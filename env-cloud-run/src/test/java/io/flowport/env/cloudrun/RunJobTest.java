package io.flowport.env.cloudrun;

import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.RunJobRequest;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.RunnerSettings;
import io.flowport.core.StateType;
import io.flowport.core.spi.Labels;
import io.grpc.Status;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** RunJob: the run's overrides, and never a second execution for one flow run, whatever the network does. */
class RunJobTest extends WithLocalCloudRun {

    private static final Flow FLOW = Flow.command("report", CommandSpec.of("sh", "-c", "echo done; exit 0")
            .withEnv("STAGE", "load"));

    @BeforeEach
    void autoRun() {
        server.autoRun(Duration.ofMillis(20), Duration.ofMillis(50));
    }

    private static Map<String, String> env(RunJobRequest r) {
        return r.getOverrides().getContainerOverrides(0).getEnvList().stream()
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    @Test
    void overridesCarryTheRunnersVariablesTheArgumentsTaskCountTimeoutAndTheMarker() {
        FlowRun run = FlowRun.create();
        FlowRunResult r = env(fixture().taskCount(2).taskTimeout(Duration.ofMinutes(45))).execute(FLOW, run);
        assertThat(r.isSuccess()).as(r.state().toString()).isTrue();

        RunJobRequest req = server.runJobRequests().get(0);
        assertThat(req.getName()).isEqualTo("projects/flowport-test/locations/europe-west1/jobs/flowport-report");
        RunJobRequest.Overrides o = req.getOverrides();
        assertThat(o.getTaskCount()).isEqualTo(2);
        assertThat(o.getTimeout().getSeconds()).isEqualTo(45 * 60);
        assertThat(o.getContainerOverrides(0).getName()).isEqualTo("flow");
        assertThat(o.getContainerOverrides(0).getArgsList()).containsExactly("-c", "echo done; exit 0");
        Map<String, String> vars = env(req);
        assertThat(vars).containsEntry(RunnerSettings.FLOW_RUN_ID, run.id())
                .containsEntry(RunnerSettings.FLOW_LOCATION, "report")
                .containsEntry("STAGE", "load")
                .containsKeys(RunnerSettings.STORAGE, RunnerSettings.ENVIRONMENT, RunnerSettings.PARAMETERS,
                        CloudRunBackend.LAUNCH_VARIABLE);
        CloudRunBackend.Marker m = CloudRunBackend.Marker.parse(vars.get(CloudRunBackend.LAUNCH_VARIABLE));
        assertThat(m.token()).isEqualTo(run.id());
        assertThat(m.run()).isEqualTo(run.id());
        assertThat(m.labels()).containsEntry(Labels.FLOW_RUN_ID, Labels.safeValue(run.id()))
                .containsEntry(Labels.MANAGED_BY, "flowport").containsEntry(Labels.FLOW_NAME, "report");

        // Cloud Run merged the overrides into the execution: the job's own variables stay
        Execution e = server.executionsOfRun(run.id()).get(0);
        assertThat(e.getTaskCount()).isEqualTo(2);
        assertThat(e.getTemplate().getContainers(0).getEnvList()).extracting(EnvVar::getName)
                .contains("APP_MODE", RunnerSettings.FLOW_RUN_ID, CloudRunBackend.LAUNCH_VARIABLE);
        assertThat(e.getLabelsMap()).containsEntry("flowport-managed-by", "flowport");
    }

    @Test
    void aCommandFlowsTimeoutShortensTheTaskTimeout() {
        Flow timed = Flow.command("timed", CommandSpec.of("sh", "-c", "exit 0").withTimeout(Duration.ofMinutes(2)));
        env(fixture()).execute(timed, FlowRun.create());
        assertThat(server.runJobRequests().get(0).getOverrides().getTimeout().getSeconds()).isEqualTo(120);
        assertThat(server.job("flowport-timed").getTemplate().getTemplate().getTimeout().getSeconds()).isEqualTo(120);
    }

    @Test
    void aJavaFlowRunsTheRunnerWithTheLocationOfTheFlow() {
        Flow java = Flow.builder("java-flow").task("t", ctx -> 1).build();
        FlowRun run = FlowRun.create();
        env(fixture()).execute(java, run);
        RunJobRequest req = server.runJobRequests().get(0);
        assertThat(req.getOverrides().getContainerOverrides(0).getArgsList()).containsExactly("-cp",
                "/app/resources:/app/classes:/app/libs/*", RunnerSettings.MAIN_CLASS);
        assertThat(server.job("flowport-java-flow").getTemplate().getTemplate().getContainers(0).getCommandList())
                .containsExactly("java");
        assertThat(env(req)).containsEntry(RunnerSettings.FLOW_LOCATION, "java-flow");
    }

    @Test
    void aLostRunJobAnswerDoesNotStartASecondExecution() {
        server.inject("RunJob", LocalCloudRun.Fault.loseAnswer(Status.Code.UNAVAILABLE));
        FlowRun run = FlowRun.create();
        FlowRunResult r = env(fixture()).execute(FLOW, run);

        assertThat(r.isSuccess()).as(r.state().toString()).isTrue();
        assertThat(server.executionsOfRun(run.id())).hasSize(1);
        // the execution was found by its marker: RunJob was not sent again
        assertThat(server.calls("RunJob")).isEqualTo(1);
        assertThat(server.executionCount()).isEqualTo(1);
    }

    @Test
    void aDeadlineExceededRunJobThatWasAppliedIsFoundToo() {
        server.inject("RunJob", LocalCloudRun.Fault.loseAnswer(Status.Code.DEADLINE_EXCEEDED));
        FlowRun run = FlowRun.create();
        assertThat(env(fixture()).execute(FLOW, run).isSuccess()).isTrue();
        assertThat(server.executionsOfRun(run.id())).hasSize(1);
        assertThat(server.calls("RunJob")).isEqualTo(1);
    }

    @Test
    void anUnavailableRunJobThatWasNotAppliedIsSentAgainOnce() {
        server.inject("RunJob", LocalCloudRun.Fault.reject(Status.Code.UNAVAILABLE));
        FlowRun run = FlowRun.create();
        assertThat(env(fixture()).execute(FLOW, run).isSuccess()).isTrue();
        assertThat(server.calls("RunJob")).isEqualTo(2);
        assertThat(server.executionsOfRun(run.id())).hasSize(1);
    }

    @Test
    void throttledRunJobsAreRetriedByTheClientLibraryWithoutDuplicates() {
        server.inject("RunJob", LocalCloudRun.Fault.reject(Status.Code.RESOURCE_EXHAUSTED));
        server.inject("RunJob", LocalCloudRun.Fault.reject(Status.Code.RESOURCE_EXHAUSTED));
        FlowRun run = FlowRun.create();
        assertThat(env(fixture()).execute(FLOW, run).isSuccess()).isTrue();
        assertThat(server.calls("RunJob")).isEqualTo(3);
        assertThat(server.executionsOfRun(run.id())).hasSize(1);
    }

    @Test
    void manyRunsWithLostAnswersGetExactlyOneExecutionEach() throws Exception {
        server.loseRunJobAnswerRate = 0.3;
        CloudRunJobEnvironment e = env(fixture().lifecycleSettings(Fixtures.fastLifecycle().withThreads(8)));
        e.setup(FLOW);
        List<FlowRun> runs = new ArrayList<>();
        List<CompletableFuture<FlowRunResult>> results = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            FlowRun run = FlowRun.create();
            runs.add(run);
            results.add(e.submit(FLOW, run));
        }
        for (CompletableFuture<FlowRunResult> f : results) {
            FlowRunResult r = f.get(60, TimeUnit.SECONDS);
            assertThat(r.isSuccess()).as(r.state().toString()).isTrue();
        }
        assertThat(server.lostRunJobAnswers()).isPositive();
        for (FlowRun run : runs) {
            assertThat(server.executionsOfRun(run.id())).as("executions of run %s", run.id()).hasSize(1);
        }
        assertThat(server.executionCount()).isEqualTo(40);
        assertThat(server.calls("RunJob")).isEqualTo(40); // lost answers were found, not re-sent
    }

    @Test
    void aJobDeletedBehindFlowportsBackIsCreatedAgain() {
        CloudRunJobEnvironment e = env(fixture());
        assertThat(e.execute(FLOW, FlowRun.create()).isSuccess()).isTrue();
        server.deleteJob("flowport-report");
        FlowRunResult r = e.execute(FLOW, FlowRun.create());
        assertThat(r.isSuccess()).as(r.state().toString()).isTrue();
        assertThat(server.calls("CreateJob")).isEqualTo(2);
    }

    @Test
    void aVariableTooLongForCloudRunFailsTheRunBeforeRunJob() {
        Flow big = Flow.command("big", CommandSpec.of("sh", "-c", "exit 0")
                .withEnv("BLOB", "x".repeat(CloudRunValidation.MAX_VARIABLE_CHARS + 1)));
        FlowRunResult r = env(fixture()).execute(big, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("BLOB").contains("32768");
        assertThat(server.calls("RunJob")).isZero();
    }
}
