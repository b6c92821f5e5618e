package io.flowport.env.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.flowport.core.State;
import io.flowport.core.spi.RunStatus;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Maps a Job and its pods to a {@link RunStatus}: the Job's {@code Complete} / {@code Failed} conditions decide
 * the end, the newest pod says where a live run is (unschedulable, pulling its image, crash-looping, running)
 * and, for a failed Job, the flow container's exit code or why it never ran.
 */
final class JobStatuses {

    /** Container waiting reasons that mean the container cannot start as things are. */
    static final Set<String> START_PROBLEMS = Set.of("ImagePullBackOff", "ErrImagePull", "InvalidImageName",
            "ErrImageNeverPull", "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError",
            "RunContainerError");
    /** Container terminated reasons that mean the container never ran. */
    private static final Set<String> START_FAILURES = Set.of("StartError", "ContainerCannotRun",
            "CreateContainerError", "CreateContainerConfigError");

    private JobStatuses() {
    }

    /**
     * The status of a run.
     *
     * @param name      the Job's name (for messages)
     * @param job       the Job, or null if it no longer exists
     * @param pods      its pods (any order)
     * @param container the name of the flow's container
     */
    static RunStatus status(String name, Job job, Collection<Pod> pods, String container) {
        if (job == null) {
            return RunStatus.finished(State.crashed("Job " + name + " was deleted before it finished", null),
                    "Job deleted");
        }
        Optional<JobCondition> complete = condition(job, "Complete");
        if (complete.isPresent()) {
            return RunStatus.finished(State.success("Job " + name + " complete"), "Complete");
        }
        Optional<JobCondition> failed = condition(job, "Failed");
        if (failed.isPresent()) {
            return failed(name, failed.get(), newest(pods), container);
        }
        boolean deleting = job.getMetadata() != null && job.getMetadata().getDeletionTimestamp() != null;
        if (deleting) {
            return RunStatus.of(RunStatus.Phase.STOPPING, "Job " + name + " is being deleted");
        }
        Optional<JobCondition> failureTarget = condition(job, "FailureTarget");
        if (failureTarget.isPresent()) {
            return RunStatus.of(RunStatus.Phase.STOPPING, "Job " + name + " is failing ("
                    + reason(failureTarget.get()) + "), its pods are being terminated");
        }
        Pod pod = newest(pods);
        if (pod == null) {
            JobStatus s = job.getStatus();
            if (s != null && s.getReady() != null && s.getReady() > 0) {
                return RunStatus.of(RunStatus.Phase.RUNNING, "Job " + name + " has a ready pod");
            }
            return RunStatus.of(RunStatus.Phase.PROVISIONING, "waiting for the Job controller to create a pod");
        }
        return live(pod, container);
    }

    /** The status of a run from its Job alone (for listing many runs in one call). */
    static RunStatus status(String name, Job job) {
        if (job != null && condition(job, "Complete").isEmpty() && condition(job, "Failed").isEmpty()
                && (job.getMetadata() == null || job.getMetadata().getDeletionTimestamp() == null)) {
            JobStatus s = job.getStatus();
            if (s != null && ((s.getReady() != null && s.getReady() > 0) || (s.getSucceeded() != null
                    && s.getSucceeded() > 0) || (s.getFailed() != null && s.getFailed() > 0))) {
                return RunStatus.of(RunStatus.Phase.RUNNING, "Job " + name + " is running");
            }
            if (s != null && s.getActive() != null && s.getActive() > 0) {
                return RunStatus.of(RunStatus.Phase.PENDING, "Job " + name + " has an active pod");
            }
            return RunStatus.of(RunStatus.Phase.PROVISIONING, "Job " + name + " has no pod yet");
        }
        return status(name, job, List.of(), "");
    }

    /** When the Job finished (completion time, or when its Failed condition became true), or null. */
    static Instant finishedAt(Job job) {
        if (job == null || job.getStatus() == null) {
            return null;
        }
        if (condition(job, "Complete").isPresent() && job.getStatus().getCompletionTime() != null) {
            return instant(job.getStatus().getCompletionTime());
        }
        Optional<JobCondition> end = condition(job, "Complete").or(() -> condition(job, "Failed"));
        return end.map(c -> instant(c.getLastTransitionTime())).orElse(null);
    }

    /** Whether the Job has a final condition. */
    static boolean isFinished(Job job) {
        return job != null && (condition(job, "Complete").isPresent() || condition(job, "Failed").isPresent());
    }

    private static RunStatus failed(String name, JobCondition condition, Pod pod, String container) {
        String why = "Job " + name + " failed (" + reason(condition) + ")";
        ContainerStatus cs = pod == null ? null : containerStatus(pod, container);
        ContainerState state = cs == null ? null : cs.getState();
        ContainerStateTerminated terminated = state == null ? null : state.getTerminated();
        if (terminated == null && cs != null && cs.getLastState() != null) {
            terminated = cs.getLastState().getTerminated();
        }
        if (terminated != null && terminated.getReason() != null && START_FAILURES.contains(terminated.getReason())) {
            return RunStatus.finished(State.crashed(why + "; container '" + container + "' of pod "
                    + pod.getMetadata().getName() + " could not start: " + terminated.getReason()
                    + message(terminated.getMessage()), null), terminated.getReason());
        }
        if (terminated != null && terminated.getExitCode() != null) {
            String detail = "container '" + container + "' exited with code " + terminated.getExitCode()
                    + (terminated.getReason() == null ? "" : " (" + terminated.getReason() + ")")
                    + message(terminated.getMessage());
            return RunStatus.finished(State.failed(why + "; " + detail, null), reason(condition) + ", exit code "
                    + terminated.getExitCode());
        }
        ContainerStateWaiting waiting = state == null ? null : state.getWaiting();
        if (waiting != null && waiting.getReason() != null) {
            return RunStatus.finished(State.crashed(why + "; container '" + container + "' of pod "
                    + pod.getMetadata().getName() + " never ran: " + waiting.getReason()
                    + message(waiting.getMessage()), null), waiting.getReason());
        }
        if (pod != null && pod.getStatus() != null && pod.getStatus().getReason() != null) {
            return RunStatus.finished(State.crashed(why + "; pod " + pod.getMetadata().getName() + ": "
                    + pod.getStatus().getReason() + message(pod.getStatus().getMessage()), null),
                    pod.getStatus().getReason());
        }
        Optional<PodCondition> unschedulable = pod == null ? Optional.empty() : unschedulable(pod);
        if (unschedulable.isPresent()) {
            return RunStatus.finished(State.crashed(why + "; pod " + pod.getMetadata().getName()
                    + " was never scheduled" + message(unschedulable.get().getMessage()), null), "Unschedulable");
        }
        return RunStatus.finished(State.failed(why, null), reason(condition));
    }

    private static RunStatus live(Pod pod, String container) {
        String podName = pod.getMetadata().getName();
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        ContainerStatus cs = containerStatus(pod, container);
        ContainerState state = cs == null ? null : cs.getState();
        if (state != null && state.getWaiting() != null && state.getWaiting().getReason() != null) {
            ContainerStateWaiting w = state.getWaiting();
            String detail = "pod " + podName + ": " + w.getReason() + message(w.getMessage());
            if ("CrashLoopBackOff".equals(w.getReason()) && cs.getLastState() != null
                    && cs.getLastState().getTerminated() != null) {
                detail += " (last exit code " + cs.getLastState().getTerminated().getExitCode() + ")";
            }
            return RunStatus.of(RunStatus.Phase.PENDING, detail);
        }
        if (state != null && state.getRunning() != null) {
            return RunStatus.of(RunStatus.Phase.RUNNING, "pod " + podName + " running");
        }
        if (state != null && state.getTerminated() != null) {
            // the Job controller has not reacted yet, or it will start another pod (backoffLimit > 0)
            return RunStatus.of(RunStatus.Phase.RUNNING, "pod " + podName + ": container exited with code "
                    + state.getTerminated().getExitCode());
        }
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            return RunStatus.of(RunStatus.Phase.RUNNING, "pod " + podName + " " + phase);
        }
        Optional<PodCondition> unschedulable = unschedulable(pod);
        if (unschedulable.isPresent()) {
            return RunStatus.of(RunStatus.Phase.PROVISIONING, "pod " + podName + " unschedulable"
                    + message(unschedulable.get().getMessage()));
        }
        if ("Running".equals(phase)) {
            return RunStatus.of(RunStatus.Phase.RUNNING, "pod " + podName + " running");
        }
        boolean scheduled = pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "PodScheduled".equals(c.getType()) && "True".equals(c.getStatus()));
        return RunStatus.of(scheduled ? RunStatus.Phase.PENDING : RunStatus.Phase.PROVISIONING,
                "pod " + podName + " " + (phase == null ? "Pending" : phase));
    }

    /** The pod's condition saying it cannot be scheduled, if any. */
    static Optional<PodCondition> unschedulable(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream()
                .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
                .findFirst();
    }

    /** The status of the named container, or of the first one if no container has that name. */
    static ContainerStatus containerStatus(Pod pod, String container) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
                || pod.getStatus().getContainerStatuses().isEmpty()) {
            return null;
        }
        List<ContainerStatus> all = pod.getStatus().getContainerStatuses();
        return all.stream().filter(c -> container.equals(c.getName())).findFirst().orElse(all.get(0));
    }

    /** Whether the flow container has started (running or terminated), so that it has logs. */
    static boolean hasStarted(Pod pod, String container) {
        ContainerStatus cs = containerStatus(pod, container);
        if (cs == null || cs.getState() == null) {
            return false;
        }
        return cs.getState().getRunning() != null || cs.getState().getTerminated() != null
                || (cs.getLastState() != null && cs.getLastState().getTerminated() != null);
    }

    /** The newest pod (by creation time, then name), or null. */
    static Pod newest(Collection<Pod> pods) {
        return pods.stream().max(Comparator
                .comparing((Pod p) -> Optional.ofNullable(instant(p.getMetadata().getCreationTimestamp()))
                        .orElse(Instant.EPOCH))
                .thenComparing(p -> p.getMetadata().getName())).orElse(null);
    }

    private static Optional<JobCondition> condition(Job job, String type) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return job.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst();
    }

    private static String reason(JobCondition c) {
        String reason = c.getReason() == null ? c.getType() : c.getReason();
        return c.getMessage() == null || c.getMessage().isBlank() ? reason : reason + ": " + c.getMessage();
    }

    private static String message(String m) {
        return m == null || m.isBlank() ? "" : ": " + m.strip();
    }

    static Instant instant(String timestamp) {
        if (timestamp == null || timestamp.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(timestamp).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
