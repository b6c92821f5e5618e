package io.flowport.env.dask.kubernetes;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the Kubernetes platform saw during one run that the run's result should say: pod problems (image pulls,
 * scheduling, out-of-memory kills, evictions), why the scheduler pod ended if it ended by itself, and the
 * scheduler's log read just before teardown. Thread-safe; fabric8-free, so that the environment can read it.
 */
final class RunReport {

    private final boolean captureSchedulerLog;
    private final Set<String> problems = new LinkedHashSet<>();
    private volatile List<String> schedulerLog = List.of();
    private volatile String schedulerPod;
    private volatile String schedulerEnded;
    private volatile String service;

    RunReport(boolean captureSchedulerLog) {
        this.captureSchedulerLog = captureSchedulerLog;
    }

    /** Whether the scheduler's log is read before teardown ({@code schedulerLogs}). */
    boolean captureSchedulerLog() {
        return captureSchedulerLog;
    }

    /** Records a problem once; returns whether it was new. */
    synchronized boolean problem(String text) {
        return problems.add(text);
    }

    /** The problems seen, in order, each once. */
    synchronized List<String> problems() {
        return new ArrayList<>(problems);
    }

    void schedulerLog(List<String> lines) {
        schedulerLog = List.copyOf(lines);
    }

    List<String> schedulerLog() {
        return schedulerLog;
    }

    void schedulerPod(String name) {
        schedulerPod = name;
    }

    String schedulerPod() {
        return schedulerPod;
    }

    /** The scheduler pod ended by itself (not stopped by Flowport): why. */
    void schedulerEnded(String why) {
        schedulerEnded = why;
    }

    String schedulerEnded() {
        return schedulerEnded;
    }

    void service(String address) {
        service = address;
    }

    /** The scheduler's Service ({@code name.namespace.svc}), once created. */
    String service() {
        return service;
    }
}
