package io.flowport.env.fargate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.RunnerSettings;
import io.flowport.core.StateType;
import io.flowport.core.spi.Backoff;
import io.flowport.core.spi.Labels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.flowport.env.fargate.LocalAwsServer.Fault;
import static org.assertj.core.api.Assertions.assertThat;

/** What one RunTask carries, and how its failures are retried without ever starting a second task. */
class RunTaskTest extends WithLocalAws {

    private static final Flow COMMAND_FLOW = Flow.command("cmd",
            CommandSpec.of("sh", "-c", "echo hello; exit 0").withEnv("APP_MODE", "from-flow").withEnv("EXTRA", "1"));
    private static final Flow JAVA_FLOW = Flow.builder("java-flow")
            .parameter("day", String.class, "today").parameter("blob", String.class, "").task("one", ctx -> 1).build();


    @BeforeEach
    void start() throws Exception {
        server = new LocalAwsServer(16);
        server.autoRun(Duration.ofMillis(20), Duration.ofMillis(20), Duration.ofMillis(30));
    }


    private FlowRunResult run(FargateTaskEnvironment e, Flow flow, FlowRun run) throws Exception {
        return e.submit(flow, run).get(30, TimeUnit.SECONDS);
    }

    private LocalAwsServer.SimTask onlyTask() {
        assertThat(server.tasks()).hasSize(1);
        return server.tasks().get(0);
    }

    @Test
    void aJavaFlowRunsTheRunnerWithFlowportVariablesAndKeepsUserVariables() throws Exception {
        FargateTaskEnvironment e = env(Fixtures.env(server));
        FlowRun run = FlowRun.builder().parameter("day", "2026-01-01").build();
        FlowRunResult r = run(e, JAVA_FLOW, run);
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        LocalAwsServer.SimTask t = onlyTask();
        assertThat(t.command()).isEqualTo(RunnerSettings.DEFAULT_CONTAINER_COMMAND);
        assertThat(t.environment()).containsEntry("APP_MODE", "test")
                .containsEntry(RunnerSettings.FLOW_RUN_ID, run.id())
                .containsEntry(RunnerSettings.FLOW_LOCATION, "java-flow")
                .containsEntry(RunnerSettings.PARAMETERS, "{\"day\":\"2026-01-01\"}");
        JsonNode envJson = new ObjectMapper().readTree(t.environment().get(RunnerSettings.ENVIRONMENT));
        assertThat(envJson.get("type").asText()).isEqualTo("fargate-task");
        assertThat(t.environment().get(RunnerSettings.ENVIRONMENT)).doesNotContain("test-secret-key");
    }

    @Test
    void theRunnerCommandIsConfigurable() throws Exception {
        FargateTaskEnvironment e = env(Fixtures.env(server).runnerCommand(List.of("/opt/flows/bin/run")));
        run(e, JAVA_FLOW, FlowRun.create());
        assertThat(onlyTask().command()).containsExactly("/opt/flows/bin/run");
    }

    @Test
    void aCommandFlowRunsItsOwnCommandAndItsVariablesWinOverTheUsers() throws Exception {
        FargateTaskEnvironment e = env(Fixtures.env(server));
        FlowRunResult r = run(e, COMMAND_FLOW, FlowRun.create());
        assertThat(r.isSuccess()).isTrue();
        LocalAwsServer.SimTask t = onlyTask();
        assertThat(t.command()).containsExactly("sh", "-c", "echo hello; exit 0");
        assertThat(t.environment()).containsEntry("APP_MODE", "from-flow").containsEntry("EXTRA", "1")
                .containsKey(RunnerSettings.FLOW_RUN_ID);
    }

    @Test
    void tagsStartedByClientTokenAndOverridesAreSent() throws Exception {
        FargateTaskEnvironment e = env(Fixtures.env(server).tag("team", "data").cpuOverride("512")
                .memoryOverride("2048"));
        FlowRun run = FlowRun.create();
        run(e, COMMAND_FLOW, run);
        LocalAwsServer.SimTask t = onlyTask();
        assertThat(t.tags()).containsEntry("team", "data").containsEntry(Labels.MANAGED_BY, "flowport")
                .containsEntry(Labels.FLOW_RUN_ID, run.id()).containsEntry(Labels.FLOW_NAME, "cmd");
        assertThat(t.startedBy()).isEqualTo(run.id()).hasSizeLessThanOrEqualTo(36);
        assertThat(t.clientToken()).isEqualTo(run.id());
        assertThat(t.cpu()).isEqualTo("512");
        assertThat(t.memory()).isEqualTo("2048");
        assertThat(t.launchType()).isEqualTo("FARGATE");
    }

    @Test
    void aCapacityProviderStrategyReplacesTheLaunchType() throws Exception {
        FargateTaskEnvironment e = env(Fixtures.env(server).capacityProviderStrategy(List.of(
                CapacityProviderStrategyItem.of("FARGATE_SPOT", 3), CapacityProviderStrategyItem.of("FARGATE", 1))));
        assertThat(run(e, COMMAND_FLOW, FlowRun.create()).isSuccess()).isTrue();
        assertThat(onlyTask().launchType()).isNull();
    }

    @Test
    void aLostAnswerAfterTheTaskStartedIsRetriedByTheSdkWithoutASecondTask() throws Exception {
        server.inject("RunTask", Fault.loseAnswer());
        FargateTaskEnvironment e = env(Fixtures.env(server));
        assertThat(run(e, COMMAND_FLOW, FlowRun.create()).isSuccess()).isTrue();
        assertThat(server.calls("RunTask")).isEqualTo(2);
        onlyTask();
    }

    @Test
    void aLostAnswerIsRetriedByTheLifecycleWithTheSameTokenWhenSdkRetriesAreOff() throws Exception {
        server.inject("RunTask", Fault.loseAnswer(), Fault.loseAnswer());
        FargateTaskEnvironment e = env(Fixtures.env(server).sdkMaxAttempts(1));
        assertThat(run(e, COMMAND_FLOW, FlowRun.create()).isSuccess()).isTrue();
        assertThat(server.calls("RunTask")).isEqualTo(3);
        onlyTask();
    }

    @Test
    void aSlowAnswerPastTheRequestTimeoutDoesNotStartASecondTask() throws Exception {
        server.inject("RunTask", Fault.slowAnswer(Duration.ofMillis(1500)));
        FargateTaskEnvironment e = env(Fixtures.env(server).requestTimeout(Duration.ofMillis(500)));
        assertThat(run(e, COMMAND_FLOW, FlowRun.create()).isSuccess()).isTrue();
        assertThat(server.calls("RunTask")).isGreaterThanOrEqualTo(2);
        onlyTask();
    }

    @Test
    void throttlingAnd5xxNeverReachTheUser() throws Exception {
        server.inject("RunTask", Fault.throttle(), Fault.error(500, "ServerException", "Service unavailable"),
                Fault.error(503, "ServiceUnavailableException", "try later"), Fault.throttle());
        server.inject("DescribeTasks", Fault.throttle(), Fault.error(503, "ServiceUnavailableException", "x"));
        FargateTaskEnvironment e = env(Fixtures.env(server).sdkMaxAttempts(1));
        FlowRunResult r = run(e, COMMAND_FLOW, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(server.calls("RunTask")).isEqualTo(5);
        onlyTask();
    }

    @Test
    void runTaskFailuresAreRetriedUntilATaskIsPlaced() throws Exception {
        server.inject("RunTask", Fault.runTaskFailure("RESOURCE:MEMORY"), Fault.runTaskFailure("AGENT"));
        FargateTaskEnvironment e = env(Fixtures.env(server));
        assertThat(run(e, COMMAND_FLOW, FlowRun.create()).isSuccess()).isTrue();
        assertThat(server.calls("RunTask")).isEqualTo(3);
        onlyTask();
    }

    @Test
    void runTaskFailuresPastTheDeadlineFailTheRunWithTheAwsReason() throws Exception {
        for (int i = 0; i < 100; i++) {
            server.inject("RunTask", Fault.runTaskFailure("RESOURCE:MEMORY"));
        }
        FargateTaskEnvironment e = env(Fixtures.env(server).lifecycleSettings(Fixtures.fastLifecycle()
                .withLaunchRetries(Duration.ofMillis(300), new Backoff(Duration.ofMillis(20), Duration.ofMillis(50)))));
        FlowRunResult r = run(e, COMMAND_FLOW, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("could not launch on ecs within PT0.3S")
                .contains("placed no task: RESOURCE:MEMORY");
        assertThat(server.tasks()).isEmpty();
    }

    @Test
    void aRefusedRunTaskFailsAtOnce() throws Exception {
        server.inject("RunTask", Fault.error(400, "InvalidParameterException",
                "No Fargate configuration exists for given values."));
        FargateTaskEnvironment e = env(Fixtures.env(server));
        FlowRunResult r = run(e, COMMAND_FLOW, FlowRun.create());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("InvalidParameterException: No Fargate configuration exists");
        assertThat(server.calls("RunTask")).isEqualTo(1);
    }

    @Test
    void overridesLargerThanEcsAcceptsFailWithAClearMessage() throws Exception {
        FargateTaskEnvironment e = env(Fixtures.env(server));
        FlowRunResult r = run(e, JAVA_FLOW, FlowRun.builder().parameter("blob", "x".repeat(9000)).build());
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("ECS accepts 8192").contains(RunnerSettings.PARAMETERS);
        assertThat(server.calls("RunTask")).isZero();
    }

    @Test
    void startedByAndClientTokenStayWithinEcsLimits() {
        assertThat(EcsBackend.startedBy("a.b c/" + "x".repeat(50))).hasSize(36).matches("[A-Za-z0-9_/-]+");
        String longToken = "t".repeat(100);
        assertThat(EcsBackend.clientToken(longToken)).hasSize(64).isEqualTo(EcsBackend.clientToken(longToken));
        assertThat(EcsBackend.clientToken("run-1")).isEqualTo("run-1");
    }
}
