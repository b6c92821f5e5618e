package io.flowport.env.cloudrun;

import com.google.cloud.run.v2.Condition;
import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.Task;
import io.flowport.core.State;
import io.flowport.core.spi.RunStatus;

import java.util.List;

/**
 * Maps a Cloud Run execution (its task counts and conditions) to a Flowport status; the module README has the
 * table. Conditions are read by type, state and reason enum, never by message; messages only go into the text.
 */
final class ExecutionStates {

    static final String COMPLETED = "Completed";
    static final String RESOURCES_AVAILABLE = "ResourcesAvailable";
    static final String STARTED = "Started";

    private ExecutionStates() {
    }

    /** Whether the execution has ended (a completion time, or a final Completed condition). */
    static boolean isFinished(Execution e) {
        Condition done = condition(e, COMPLETED);
        return e.hasCompletionTime() || (done != null && (done.getState() == Condition.State.CONDITION_SUCCEEDED
                || done.getState() == Condition.State.CONDITION_FAILED));
    }

    /** Whether a finished execution failed with tasks that ran (its exit codes are worth reading). */
    static boolean failedAfterRunning(Execution e) {
        return isFinished(e) && e.getFailedCount() > 0 && e.getCancelledCount() == 0 && failedToStart(e) == null
                && condition(e, COMPLETED) != null
                && condition(e, COMPLETED).getState() != Condition.State.CONDITION_SUCCEEDED;
    }

    /** The status of {@code e}; {@code failedTasks} (may be empty) adds exit codes to a failure's message. */
    static RunStatus statusOf(Execution e, List<Task> failedTasks) {
        String detail = detail(e);
        if (isFinished(e)) {
            return RunStatus.finished(finalState(e, failedTasks), detail);
        }
        Condition done = condition(e, COMPLETED);
        if (done != null && done.hasExecutionReason()
                && done.getExecutionReason() == Condition.ExecutionReason.CANCELLING) {
            return RunStatus.of(RunStatus.Phase.STOPPING, detail);
        }
        Condition started = condition(e, STARTED);
        if (e.getRunningCount() > 0 || e.getSucceededCount() + e.getFailedCount() > 0
                || (started != null && started.getState() == Condition.State.CONDITION_SUCCEEDED)) {
            return RunStatus.of(RunStatus.Phase.RUNNING, detail);
        }
        Condition resources = condition(e, RESOURCES_AVAILABLE);
        if (resources != null && resources.getState() == Condition.State.CONDITION_SUCCEEDED) {
            return RunStatus.of(RunStatus.Phase.PENDING, detail);
        }
        return RunStatus.of(RunStatus.Phase.PROVISIONING, detail);
    }

    private static State finalState(Execution e, List<Task> failedTasks) {
        String name = "Cloud Run execution " + shortName(e.getName());
        Condition done = condition(e, COMPLETED);
        String why = done == null ? "" : reason(done);
        if (e.getCancelledCount() > 0 || (done != null && done.hasExecutionReason()
                && done.getExecutionReason() == Condition.ExecutionReason.CANCELLED)) {
            return State.cancelled(name + " was cancelled (" + counts(e) + ")" + why);
        }
        Condition notStarted = failedToStart(e);
        if (notStarted != null) {
            return State.crashed(name + " did not start: " + notStarted.getType() + reason(notStarted), null);
        }
        boolean succeeded = done != null ? done.getState() == Condition.State.CONDITION_SUCCEEDED
                : e.getFailedCount() == 0 && e.getSucceededCount() >= Math.max(1, e.getTaskCount());
        if (succeeded) {
            return State.success(name + " succeeded (" + counts(e) + ")");
        }
        if (e.getFailedCount() == 0 && e.getSucceededCount() == 0) {
            // ended without any task having run or failed: the platform gave up on it (deleted, polling error)
            return State.crashed(name + " ended without running its tasks (" + counts(e) + ")" + why, null);
        }
        StringBuilder exits = new StringBuilder();
        for (Task t : failedTasks) {
            if (t.hasLastAttemptResult()) {
                exits.append("; task ").append(t.getIndex()).append(" exited with code ")
                        .append(t.getLastAttemptResult().getExitCode());
                if (t.getLastAttemptResult().hasStatus() && !t.getLastAttemptResult().getStatus().getMessage().isEmpty()) {
                    exits.append(" (").append(t.getLastAttemptResult().getStatus().getMessage()).append(')');
                }
            }
        }
        return State.failed(name + " failed (" + counts(e) + ")" + why + exits, null);
    }

    /** A condition that kept the execution from starting (image, permissions, VPC), or null. */
    private static Condition failedToStart(Execution e) {
        for (String type : List.of(RESOURCES_AVAILABLE, STARTED)) {
            Condition c = condition(e, type);
            if (c != null && c.getState() == Condition.State.CONDITION_FAILED) {
                return c;
            }
        }
        return null;
    }

    private static String reason(Condition c) {
        StringBuilder sb = new StringBuilder();
        if (c.hasExecutionReason() && c.getExecutionReason() != Condition.ExecutionReason.EXECUTION_REASON_UNDEFINED) {
            sb.append(c.getExecutionReason().name());
        } else if (c.hasReason() && c.getReason() != Condition.CommonReason.COMMON_REASON_UNDEFINED) {
            sb.append(c.getReason().name());
        }
        if (!c.getMessage().isEmpty()) {
            sb.append(sb.length() == 0 ? "" : ": ").append(c.getMessage());
        }
        return sb.length() == 0 ? "" : " - " + sb;
    }

    private static String counts(Execution e) {
        return e.getSucceededCount() + " of " + e.getTaskCount() + " tasks succeeded, " + e.getFailedCount()
                + " failed, " + e.getCancelledCount() + " cancelled"
                + (e.getRetriedCount() > 0 ? ", " + e.getRetriedCount() + " retries" : "");
    }

    private static String detail(Execution e) {
        Condition done = condition(e, COMPLETED);
        return "running " + e.getRunningCount() + ", succeeded " + e.getSucceededCount() + ", failed "
                + e.getFailedCount() + ", cancelled " + e.getCancelledCount() + " of " + e.getTaskCount()
                + (done == null ? "" : "; " + done.getType() + " " + done.getState().name() + reason(done));
    }

    static Condition condition(Execution e, String type) {
        for (Condition c : e.getConditionsList()) {
            if (type.equals(c.getType())) {
                return c;
            }
        }
        return null;
    }

    static String shortName(String name) {
        int i = name.lastIndexOf('/');
        return i < 0 ? name : name.substring(i + 1);
    }
}
