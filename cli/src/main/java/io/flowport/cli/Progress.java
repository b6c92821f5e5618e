package io.flowport.cli;

import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunListener;
import io.flowport.core.FlowRunResult;
import io.flowport.core.State;
import io.flowport.core.TaskSpec;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;

/**
 * Shows progress on standard error while a run goes: a progress bar on a terminal, one line per finished task
 * otherwise (CI logs, pipes).
 */
final class Progress implements FlowRunListener {

    private final PrintStream err;
    private final boolean terminal;
    private final java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
    private volatile int total;
    private volatile ProgressBar bar;

    Progress(PrintStream err) {
        this.err = err;
        this.terminal = System.console() != null;
    }

    @Override
    public void runStarted(Flow flow, FlowRun run) {
        total = flow.size();
        if (!terminal) {
            err.printf("flow run %s of '%s': %d tasks%n", run.id(), flow.name(), total);
            return;
        }
        bar = new ProgressBarBuilder()
                .setTaskName(flow.name())
                .setInitialMax(flow.size())
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(100)
                .setConsumer(new ConsoleProgressBarConsumer(err))
                .continuousUpdate()
                .build();
    }

    @Override
    public void taskStateChanged(FlowRun run, TaskSpec task, State state) {
        ProgressBar b = bar;
        if (b == null) {
            if (state.isTerminal()) {
                synchronized (this) {
                    err.printf("[%d/%d] %-20s %s%n", done.incrementAndGet(), total, task.name(), state);
                }
            }
            return;
        }
        if (state.isTerminal()) {
            b.step();
        }
        b.setExtraMessage(task.name() + " " + state.type().displayName());
    }

    @Override
    public void runFinished(FlowRunResult result) {
        ProgressBar b = bar;
        if (b != null) {
            b.setExtraMessage(result.state().type().displayName());
            b.close();
        }
    }
}
