package io.flowport.env.cloudrun;

import com.google.cloud.run.v2.Condition;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.Task;
import com.google.cloud.run.v2.TaskAttemptResult;
import com.google.protobuf.Timestamp;
import io.flowport.core.StateType;
import io.flowport.core.spi.RunStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Task counts and conditions of an execution mapped to a phase or a final state with the reason. */
class ExecutionStatesTest {

    private static final String NAME = "projects/p/locations/r/jobs/j/executions/j-abcde";

    private static Execution.Builder execution(int tasks) {
        return Execution.newBuilder().setName(NAME).setTaskCount(tasks);
    }

    private static Condition condition(String type, Condition.State state) {
        return Condition.newBuilder().setType(type).setState(state).build();
    }

    private static Execution.Builder finished(Execution.Builder b) {
        return b.setCompletionTime(Timestamp.newBuilder().setSeconds(1));
    }

    @Test
    void beforeResourcesAreFoundItIsProvisioningThenPending() {
        assertThat(ExecutionStates.statusOf(execution(1).build(), List.of()).phase())
                .isEqualTo(RunStatus.Phase.PROVISIONING);
        assertThat(ExecutionStates.statusOf(execution(1)
                .addConditions(condition("ResourcesAvailable", Condition.State.CONDITION_SUCCEEDED)).build(), List.of())
                .phase()).isEqualTo(RunStatus.Phase.PENDING);
    }

    @Test
    void runningTasksOrAStartedConditionMeanRunning() {
        assertThat(ExecutionStates.statusOf(execution(2).setRunningCount(1).build(), List.of()).phase())
                .isEqualTo(RunStatus.Phase.RUNNING);
        assertThat(ExecutionStates.statusOf(execution(2)
                .addConditions(condition("Started", Condition.State.CONDITION_SUCCEEDED)).build(), List.of()).phase())
                .isEqualTo(RunStatus.Phase.RUNNING);
    }

    @Test
    void cancellingIsStopping() {
        Execution e = execution(1).setRunningCount(1).addConditions(Condition.newBuilder().setType("Completed")
                .setState(Condition.State.CONDITION_RECONCILING)
                .setExecutionReason(Condition.ExecutionReason.CANCELLING)).build();
        assertThat(ExecutionStates.statusOf(e, List.of()).phase()).isEqualTo(RunStatus.Phase.STOPPING);
    }

    @Test
    void allTasksSucceededIsSuccess() {
        RunStatus s = ExecutionStates.statusOf(finished(execution(3).setSucceededCount(3)
                .addConditions(condition("Completed", Condition.State.CONDITION_SUCCEEDED))).build(), List.of());
        assertThat(s.isFinished()).isTrue();
        assertThat(s.state().type()).isEqualTo(StateType.SUCCESS);
        assertThat(s.state().message()).contains("3 of 3 tasks succeeded");
    }

    @Test
    void failedTasksAreFailedWithTheReasonAndExitCodes() {
        Execution e = finished(execution(2).setSucceededCount(1).setFailedCount(1).setRetriedCount(2)
                .addConditions(Condition.newBuilder().setType("Completed").setState(Condition.State.CONDITION_FAILED)
                        .setExecutionReason(Condition.ExecutionReason.NON_ZERO_EXIT_CODE)
                        .setMessage("Task j-abcde-task1 failed"))).build();
        Task t = Task.newBuilder().setIndex(1).setLastAttemptResult(TaskAttemptResult.newBuilder().setExitCode(137)
                .setStatus(com.google.rpc.Status.newBuilder().setMessage("Container killed (OOM)"))).build();
        RunStatus s = ExecutionStates.statusOf(e, List.of(t));
        assertThat(s.state().type()).isEqualTo(StateType.FAILED);
        assertThat(s.state().message()).contains("1 of 2 tasks succeeded, 1 failed").contains("2 retries")
                .contains("NON_ZERO_EXIT_CODE: Task j-abcde-task1 failed")
                .contains("task 1 exited with code 137 (Container killed (OOM))");
    }

    @Test
    void cancelledTasksAreCancelled() {
        Execution e = finished(execution(4).setSucceededCount(1).setCancelledCount(3)
                .addConditions(Condition.newBuilder().setType("Completed").setState(Condition.State.CONDITION_FAILED)
                        .setExecutionReason(Condition.ExecutionReason.CANCELLED))).build();
        RunStatus s = ExecutionStates.statusOf(e, List.of());
        assertThat(s.state().type()).isEqualTo(StateType.CANCELLED);
        assertThat(s.state().message()).contains("was cancelled").contains("3 cancelled").contains("CANCELLED");
    }

    @Test
    void anExecutionThatCouldNotStartCrashedWithTheConditionsReason() {
        Execution e = finished(execution(1).setFailedCount(1)
                .addConditions(Condition.newBuilder().setType("ResourcesAvailable")
                        .setState(Condition.State.CONDITION_FAILED).setReason(Condition.CommonReason.CONTAINER_MISSING)
                        .setMessage("Image 'x' not found"))
                .addConditions(condition("Completed", Condition.State.CONDITION_FAILED))).build();
        RunStatus s = ExecutionStates.statusOf(e, List.of());
        assertThat(s.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(s.state().message()).contains("did not start").contains("CONTAINER_MISSING")
                .contains("Image 'x' not found");
    }

    @Test
    void anExecutionThatEndedWithoutRunningAnyTaskCrashed() {
        Execution e = finished(execution(1).addConditions(Condition.newBuilder().setType("Completed")
                .setState(Condition.State.CONDITION_FAILED)
                .setExecutionReason(Condition.ExecutionReason.JOB_STATUS_SERVICE_POLLING_ERROR))).build();
        RunStatus s = ExecutionStates.statusOf(e, List.of());
        assertThat(s.state().type()).isEqualTo(StateType.CRASHED);
        assertThat(s.state().message()).contains("JOB_STATUS_SERVICE_POLLING_ERROR");
    }

    @Test
    void aFinalCompletedConditionWithoutCompletionTimeIsFinished() {
        Execution e = execution(1).setSucceededCount(1)
                .addConditions(condition("Completed", Condition.State.CONDITION_SUCCEEDED)).build();
        assertThat(ExecutionStates.isFinished(e)).isTrue();
        assertThat(ExecutionStates.statusOf(e, List.of()).state().isSuccess()).isTrue();
    }
}
