package io.flowport.env.aci;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.LaunchException;
import io.flowport.core.StateType;
import io.flowport.core.TransientException;
import io.flowport.core.spi.Definition;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.LaunchRequest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A create is never duplicated: a retried launch after a lost answer or an ambiguous 5xx reads the group and adopts
 * it, so ACI never sees a second PUT (which it would treat as an update that restarts the containers).
 */
class AciLaunchTest extends WithLocalArm {

    private static final Flow FLOW = Flow.command("idem", io.flowport.core.CommandSpec.of("sh", "-c", "echo ok"));

    private FlowRunResult runWith(LocalArmServer.Fault fault) {
        server.autoRun(Duration.ofMillis(100), Duration.ofMillis(100));
        server.inject("Put", fault);
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        return env.execute(FLOW, FlowRun.create());
    }

    @Test
    void aLostCreateAnswerDoesNotCreateOrRestartAnythingTwice() {
        FlowRunResult r = runWith(LocalArmServer.Fault.loseAnswer());
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(server.lostAnswers()).isEqualTo(1);
        assertThat(server.calls("Put")).as("PUTs sent").isEqualTo(1);
        assertThat(server.restarts()).as("groups restarted by a second PUT").isZero();
        assertThat(server.createdPerName().values()).containsExactly(1);
        // the retry read the group (found it) instead of creating it again
        assertThat(server.callLog()).filteredOn(c -> c.operation().equals("Get") && c.status() == 200).isNotEmpty();
        assertThat(server.groupNames()).isEmpty();
    }

    @Test
    void anAmbiguous5xxAfterTheGroupWasCreatedIsAdoptedToo() {
        FlowRunResult r = runWith(LocalArmServer.Fault.errorAfterApplying(500, "InternalServerError"));
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(server.calls("Put")).as("the SDK does not retry a create on 5xx").isEqualTo(1);
        assertThat(server.restarts()).isZero();
        assertThat(server.createdPerName().values()).containsExactly(1);
    }

    @Test
    void aRefused5xxIsRetriedAndCreatesOneGroup() {
        FlowRunResult r = runWith(LocalArmServer.Fault.error(503, "ServiceUnavailable", -1));
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(server.calls("Put")).isEqualTo(2);
        assertThat(server.restarts()).isZero();
        assertThat(server.createdPerName().values()).containsExactly(1);
    }

    @Test
    void aThrottledCreateIsRetriedAfterRetryAfter() {
        FlowRunResult r = runWith(LocalArmServer.Fault.throttle(1));
        assertThat(r.state().type()).isEqualTo(StateType.SUCCESS);
        List<LocalArmServer.Call> puts = server.callLog().stream().filter(c -> c.operation().equals("Put")).toList();
        assertThat(puts).hasSize(2);
        assertThat(puts.get(0).status()).isEqualTo(429);
        assertThat(Duration.ofNanos(puts.get(1).nanos() - puts.get(0).nanos()))
                .as("wait before the retried create").isGreaterThanOrEqualTo(Duration.ofMillis(950));
        assertThat(server.createdPerName().values()).containsExactly(1);
    }

    @Test
    void aRefusedCreateFailsTheRunWithTheArmCode() {
        FlowRunResult r = runWith(LocalArmServer.Fault.error(400, "InaccessibleImage", -1));
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("InaccessibleImage").contains("HTTP 400");
        assertThat(server.calls("Put")).isEqualTo(1);
    }

    @Test
    void aLaunchRepeatedByHandAdoptsTheFirstGroup() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        ContainerInstanceBackend backend = env.backend();
        Definition d = backend.prepare(FLOW);
        String runId = "run-" + System.nanoTime();
        LaunchRequest request = new LaunchRequest(runId, FLOW.name(), List.of("sh", "-c", "echo ok"), Map.of(),
                Labels.forRun(runId, FLOW.name()), runId);
        Launch first = backend.launch(d, request);
        server.start(first.id());
        Launch second = backend.launch(d, request);
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.launchedAt().getEpochSecond()).isEqualTo(first.launchedAt().getEpochSecond());
        assertThat(server.calls("Put")).isEqualTo(1);
        assertThat(server.restarts()).isZero();
        assertThat(server.state(first.id())).endsWith("/Running");
    }

    @Test
    void aGroupOfTheSameNameThatIsNotTheRunsIsNeverTouched() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server));
        FlowRun run = FlowRun.create();
        server.createForeign(env.groupNameFor(run.id()));
        FlowRunResult r = env.execute(FLOW, run);
        assertThat(r.state().type()).isEqualTo(StateType.FAILED);
        assertThat(r.state().message()).contains("already exists").contains("does not belong to flow run");
        assertThat(server.calls("Put")).isZero();
        assertThat(server.calls("Delete")).as("someone else's group is not deleted").isZero();
        assertThat(server.groupNames()).containsExactly(env.groupNameFor(run.id()));
    }

    @Test
    void launchErrorsAreMappedByStatusAndCode() {
        ContainerInstanceEnvironment env = env(Fixtures.env(server).sdkMaxRetries(0));
        ContainerInstanceBackend backend = env.backend();
        Definition d = backend.prepare(FLOW);
        LaunchRequest request = new LaunchRequest("r1", FLOW.name(), List.of("true"), Map.of(),
                Labels.forRun("r1", FLOW.name()), "r1");
        server.inject("Get", LocalArmServer.Fault.error(403, "AuthorizationFailed", -1));
        assertThatThrownBy(() -> backend.launch(d, request)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("access denied").hasMessageContaining("README");
        server.inject("Get", LocalArmServer.Fault.error(401, "ExpiredAuthenticationToken", -1));
        assertThatThrownBy(() -> backend.launch(d, request)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("rejected the credential");
        server.inject("Put", LocalArmServer.Fault.error(409, "AnotherOperationInProgress", -1));
        assertThatThrownBy(() -> backend.launch(d, request)).isInstanceOf(TransientException.class);
        server.inject("Put", LocalArmServer.Fault.error(409, "MissingSubscriptionRegistration", -1));
        assertThatThrownBy(() -> backend.launch(d, request)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("az provider register");
    }
}
