package io.flowport.env.dask.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.util.List;
import java.util.Set;

/**
 * Reads what a Dask pod's status says: ready (its container runs and it has an IP), ended (and why: exit code,
 * {@code OOMKilled}, eviction, deadline), or stuck (unschedulable, image pull back-off …). Only the first container
 * (the Dask process) counts.
 */
final class PodStates {

    /** Waiting reasons that cannot end by waiting: the pod will never run as it is. */
    static final Set<String> HOPELESS = Set.of("InvalidImageName", "ErrImageNeverPull");

    private PodStates() {
    }

    /**
     * One reading.
     *
     * @param ready   the Dask process runs and the pod has an IP
     * @param podIp   the pod's IP, or null
     * @param ended   why the pod ended, or null while it lives
     * @param problem what keeps a live pod from running (reason: message), or null
     * @param hopeless the problem cannot go away by waiting
     * @param failed  it ended by a failure (a non-zero exit code, {@code OOMKilled}, an eviction …), not by a
     *                clean exit
     */
    record Reading(boolean ready, String podIp, String ended, String problem, boolean hopeless, boolean failed) {
    }

    static Reading read(Pod pod, String container) {
        PodStatus status = pod.getStatus();
        if (status == null) {
            return new Reading(false, null, null, null, false, false);
        }
        String ip = status.getPodIP() == null || status.getPodIP().isBlank() ? null : status.getPodIP();
        ContainerStatus cs = containerStatus(status.getContainerStatuses(), container);
        String phase = status.getPhase();
        ContainerStateTerminated terminated = cs == null || cs.getState() == null ? null
                : cs.getState().getTerminated();
        if ("Failed".equals(phase) || "Succeeded".equals(phase) || terminated != null) {
            boolean failed = status.getReason() != null || "Failed".equals(phase)
                    || (terminated != null && terminated.getExitCode() != null && terminated.getExitCode() != 0);
            return new Reading(false, ip, ended(status, terminated, phase), null, false, failed);
        }
        ContainerStateWaiting waiting = cs == null || cs.getState() == null ? null : cs.getState().getWaiting();
        if (waiting != null && waiting.getReason() != null && !"ContainerCreating".equals(waiting.getReason())
                && !"PodInitializing".equals(waiting.getReason())) {
            String problem = waiting.getReason() + message(waiting.getMessage());
            if ("CrashLoopBackOff".equals(waiting.getReason()) && cs.getLastState() != null
                    && cs.getLastState().getTerminated() != null) {
                problem += " (last exit code " + cs.getLastState().getTerminated().getExitCode() + ")";
            }
            return new Reading(false, ip, null, problem, HOPELESS.contains(waiting.getReason()), false);
        }
        if (status.getConditions() != null) {
            for (PodCondition c : status.getConditions()) {
                if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())) {
                    return new Reading(false, ip, null, (c.getReason() == null ? "Unschedulable" : c.getReason())
                            + message(c.getMessage()), false, false);
                }
            }
        }
        boolean running = cs != null && cs.getState() != null && cs.getState().getRunning() != null;
        return new Reading("Running".equals(phase) && running && ip != null, ip, null, null, false, false);
    }

    private static String ended(PodStatus status, ContainerStateTerminated terminated, String phase) {
        if (status.getReason() != null) {
            // Evicted, DeadlineExceeded, NodeLost, Shutdown …: the pod's own reason says more than the container's
            return status.getReason() + message(status.getMessage());
        }
        if (terminated != null) {
            String reason = terminated.getReason() == null ? "" : terminated.getReason() + " ";
            return reason + "(exit code " + terminated.getExitCode() + ")" + message(terminated.getMessage());
        }
        return "pod " + phase;
    }

    private static ContainerStatus containerStatus(List<ContainerStatus> all, String container) {
        if (all == null || all.isEmpty()) {
            return null;
        }
        return all.stream().filter(c -> container.equals(c.getName())).findFirst().orElse(all.get(0));
    }

    private static String message(String m) {
        return m == null || m.isBlank() ? "" : ": " + m.strip();
    }
}
