package io.flowport.env.fargate;

import io.flowport.core.StateType;
import io.flowport.core.spi.RunStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ecs.model.Container;
import software.amazon.awssdk.services.ecs.model.Task;

import static org.assertj.core.api.Assertions.assertThat;

/** ECS lastStatus, stopCode and exit code to Flowport phases and states. */
class TaskStatusMappingTest {

    private static EcsBackend backend;

    @BeforeAll
    static void create() {
        backend = EcsBackend.create(Fixtures.base().awsAccessKeyId("A").awsSecretAccessKey("S").build());
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static Task task(String lastStatus, String stopCode, String reason, Integer exitCode, String containerReason) {
        return Task.builder().taskArn("arn:aws:ecs:us-east-1:123456789012:task/flows/abc").lastStatus(lastStatus)
                .stopCode(stopCode).stoppedReason(reason)
                .containers(Container.builder().name("sidecar").exitCode(0).build(),
                        Container.builder().name("flow").exitCode(exitCode).reason(containerReason).build())
                .build();
    }

    @ParameterizedTest
    @CsvSource({"PROVISIONING,PROVISIONING", "PENDING,PENDING", "ACTIVATING,PENDING", "RUNNING,RUNNING",
            "DEACTIVATING,STOPPING", "STOPPING,STOPPING", "DEPROVISIONING,STOPPING"})
    void lastStatusMapsToAPhase(String lastStatus, RunStatus.Phase phase) {
        RunStatus s = backend.statusOf(task(lastStatus, null, null, null, null));
        assertThat(s.phase()).isEqualTo(phase);
        assertThat(s.detail()).startsWith(lastStatus);
    }

    @Test
    void exitCodeZeroOfTheFlowContainerIsSuccess() {
        RunStatus s = backend.statusOf(task("STOPPED", "EssentialContainerExited", "Essential container in task exited",
                0, null));
        assertThat(s.isFinished()).isTrue();
        assertThat(s.state().type()).isEqualTo(StateType.SUCCESS);
    }

    @Test
    void aNonZeroExitCodeIsFailedWithTheCodeAndTheReason() {
        RunStatus s = backend.statusOf(task("STOPPED", "EssentialContainerExited", "Essential container in task exited",
                2, null));
        assertThat(s.state().type()).isEqualTo(StateType.FAILED);
        assertThat(s.state().message()).contains("container flow exited with code 2")
                .contains("Essential container in task exited");
    }

    @Test
    void taskFailedToStartIsCrashedWithTheReason() {
        RunStatus s = backend.statusOf(task("STOPPED", "TaskFailedToStart",
                "CannotPullContainerError: pull image manifest has been retried 5 time(s)", null,
                "CannotPullContainerError: not found"));
        assertThat(s.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(s.state().message()).contains("failed to start").contains("pull image manifest")
                .contains("container flow: CannotPullContainerError: not found");
    }

    @Test
    void noExitCodeIsCrashed() {
        RunStatus s = backend.statusOf(task("STOPPED", "SpotInterruption", "Your Spot Task was interrupted.", null,
                null));
        assertThat(s.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(s.state().message()).contains("without an exit code").contains("SpotInterruption")
                .contains("Spot Task was interrupted");
    }

    @Test
    void aTaskStoppedWithoutStopCodeOrExitCodeSaysWhatIsKnownNeverNull() {
        RunStatus s = backend.statusOf(task("STOPPED", null, null, null, null));
        assertThat(s.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(s.state().message()).contains("without an exit code of container flow")
                .contains("ECS gave no stop code and no reason").doesNotContain("null").doesNotContain("()");

        RunStatus withReason = backend.statusOf(Task.builder().taskArn("arn:aws:ecs:us-east-1:123456789012:task/flows/a")
                .lastStatus("STOPPED").stoppedReason("Host EC2 (instance i-0abc) terminated.")
                .containers(Container.builder().name("flow").lastStatus("STOPPED").build()).build());
        assertThat(withReason.state().message()).contains("reason: Host EC2 (instance i-0abc) terminated.")
                .contains("container flow was STOPPED").doesNotContain("null").doesNotContain("stop code");

        RunStatus failedToStart = backend.statusOf(task("STOPPED", "TaskFailedToStart", null, null, null));
        assertThat(failedToStart.state().message()).isEqualTo("ECS task failed to start: ECS gave no reason");
        RunStatus cancelled = backend.statusOf(task("STOPPED", "UserInitiated", null, 137, null));
        assertThat(cancelled.state().message()).isEqualTo("ECS task was stopped");
    }

    @Test
    void userInitiatedIsCancelled() {
        RunStatus s = backend.statusOf(task("STOPPED", "UserInitiated", "stopped from the console", 137, null));
        assertThat(s.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(s.state().message()).contains("stopped from the console");
    }

    @Test
    void theClusterIsReadFromTheTaskArn() {
        assertThat(backend.clusterOf("arn:aws:ecs:us-east-1:123456789012:task/blue/abc")).isEqualTo("blue");
        assertThat(backend.clusterOf("arn:aws:ecs:us-east-1:123456789012:task/abc")).isEqualTo("flows");
    }
}
