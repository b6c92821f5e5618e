package io.flowport.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Two listeners called one after the other, each guarded, so that one that throws does not silence the other. */
final class ListenerPair implements FlowRunListener {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerPair.class);

    private final FlowRunListener first;
    private final FlowRunListener second;

    ListenerPair(FlowRunListener first, FlowRunListener second) {
        this.first = first;
        this.second = second;
    }

    private static void guarded(FlowRunListener l, String what, java.util.function.Consumer<FlowRunListener> call) {
        try {
            call.accept(l);
        } catch (RuntimeException e) {
            LOG.warn("listener {} failed on {}: {}", l.getClass().getName(), what, e.toString());
        }
    }

    @Override
    public void runStarted(Flow flow, FlowRun run) {
        guarded(first, "the run's start", l -> l.runStarted(flow, run));
        guarded(second, "the run's start", l -> l.runStarted(flow, run));
    }

    @Override
    public void taskStateChanged(FlowRun run, TaskSpec task, State state) {
        guarded(first, "a task's state", l -> l.taskStateChanged(run, task, state));
        guarded(second, "a task's state", l -> l.taskStateChanged(run, task, state));
    }

    @Override
    public void taskFinished(FlowRun run, TaskSpec task, TaskRun outcome) {
        guarded(first, "a task's end", l -> l.taskFinished(run, task, outcome));
        guarded(second, "a task's end", l -> l.taskFinished(run, task, outcome));
    }

    @Override
    public void runPhaseChanged(FlowRun run, PhaseChange change) {
        guarded(first, "a phase", l -> l.runPhaseChanged(run, change));
        guarded(second, "a phase", l -> l.runPhaseChanged(run, change));
    }

    @Override
    public void runFinished(FlowRunResult result) {
        guarded(first, "the run's end", l -> l.runFinished(result));
        guarded(second, "the run's end", l -> l.runFinished(result));
    }
}
