package io.flowport.cli;

import io.flowport.agent.QueuedRun;
import io.flowport.agent.RunQueue;
import io.flowport.agent.RunState;
import io.flowport.agent.StateChange;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code flowport runs}: look at and cancel queued runs. */
@Command(name = "runs", mixinStandardHelpOptions = true, description = "Look at and cancel runs in the queue.",
        subcommands = {RunsCommand.ListRuns.class, RunsCommand.Show.class, RunsCommand.Cancel.class})
final class RunsCommand implements Runnable {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (list, show, cancel)");
    }

    static String time(Instant t) {
        return t == null ? "-" : TIME.format(t);
    }

    /** {@code flowport runs list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List runs, newest first.")
    static final class ListRuns implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--state", split = ",", paramLabel = "STATE",
                description = "Only runs in these states (QUEUED, CLAIMED, LAUNCHED, PROVISIONING, PENDING, RUNNING, "
                        + "STOPPING, SUCCESS, FAILED, CANCELLED, TIMED_OUT, CRASHED; comma-separated).")
        List<String> states = new ArrayList<>();

        @Option(names = "--limit", defaultValue = "50", description = "At most this many (default 50).")
        int limit;

        @Option(names = "--queue", paramLabel = "URL", description = QueueSupport.QUEUE_HELP)
        String queue;

        @Override
        public Integer call() throws Exception {
            return QueueSupport.reportingQueueErrors(spec.commandLine(), this::execute);
        }

        private Integer execute() {
            Set<RunState> wanted = EnumSet.noneOf(RunState.class);
            for (String s : states) {
                try {
                    wanted.add(RunState.parse(s));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--state: " + e.getMessage());
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            try (RunQueue q = QueueSupport.open(queue)) {
                List<QueuedRun> runs = q.list(wanted, limit);
                out.printf("%-36s  %-20s  %-12s  %4s  %-19s  %-20s  %s%n", "ID", "FLOW", "STATE", "PRIO", "SUBMITTED",
                        "LABELS", "AGENT");
                for (QueuedRun r : runs) {
                    out.printf("%-36s  %-20s  %-12s  %4d  %-19s  %-20s  %s%n", r.id(), cut(r.flowName(), 20), r.state(),
                            r.priority(), time(r.submittedAt()), cut(String.join(",", r.labels()), 20),
                            r.agentId() == null ? "-" : r.agentId());
                }
                out.println(runs.size() + " run(s)" + (runs.size() == limit ? " (more with --limit)" : ""));
            }
            return 0;
        }

        private static String cut(String s, int n) {
            return s.length() <= n ? s : s.substring(0, n - 1) + "…";
        }
    }

    /** {@code flowport runs show <id>}. */
    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show one run: its state history, where it runs, where its logs are.")
    static final class Show implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "ID", description = "The run's id.")
        String id;

        @Option(names = "--queue", paramLabel = "URL", description = QueueSupport.QUEUE_HELP)
        String queue;

        @Override
        public Integer call() throws Exception {
            return QueueSupport.reportingQueueErrors(spec.commandLine(), this::execute);
        }

        private Integer execute() {
            PrintWriter out = spec.commandLine().getOut();
            try (RunQueue q = QueueSupport.open(queue)) {
                Optional<QueuedRun> found = q.get(id);
                if (found.isEmpty()) {
                    spec.commandLine().getErr().println("flowport: no run " + id + " in " + q.describe());
                    return 1;
                }
                QueuedRun r = found.get();
                out.println("run        " + r.id());
                out.println("flow       " + r.flowName() + (r.flowLocation().equals(r.flowName()) ? ""
                        : " (at " + r.flowLocation() + ")"));
                out.println("state      " + r.state() + (r.stateMessage().isEmpty() ? "" : ": " + r.stateMessage()));
                out.println("labels     " + (r.labels().isEmpty() ? "(none)" : String.join(", ", r.labels())));
                out.println("priority   " + r.priority());
                out.println("parameters " + r.parametersJson());
                out.println("submitted  " + time(r.submittedAt()) + (r.notBefore().isAfter(r.submittedAt())
                        ? ", not before " + time(r.notBefore()) : ""));
                if (r.agentId() != null) {
                    out.println("agent      " + r.agentId() + (r.state().isHeld() && r.leaseUntil() != null
                            ? " (lease until " + time(r.leaseUntil()) + ")" : ""));
                }
                out.println("runs as    " + (r.unitId() == null ? "-" : r.unitId()));
                out.println("logs       " + (r.logsLocation() == null ? "-" : r.logsLocation()));
                if (r.cancelReason() != null) {
                    out.println("cancel     requested: " + r.cancelReason());
                }
                out.println();
                out.printf("%-19s  %-12s  %-24s  %s%n", "WHEN", "STATE", "BY", "WHAT");
                for (StateChange h : r.history()) {
                    out.printf("%-19s  %-12s  %-24s  %s%n", time(h.at()), h.state(),
                            h.agentId() == null ? "-" : h.agentId(), h.message());
                }
            }
            return 0;
        }
    }

    /** {@code flowport runs cancel <id>}. */
    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancel a run: a queued one never starts; a running one is stopped by its agent.")
    static final class Cancel implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "ID", description = "The run's id.")
        String id;

        @Option(names = "--reason", defaultValue = "cancelled from the command line",
                description = "Why (recorded in the run's history).")
        String reason;

        @Option(names = "--queue", paramLabel = "URL", description = QueueSupport.QUEUE_HELP)
        String queue;

        @Override
        public Integer call() throws Exception {
            return QueueSupport.reportingQueueErrors(spec.commandLine(), this::execute);
        }

        private Integer execute() {
            PrintWriter out = spec.commandLine().getOut();
            try (RunQueue q = QueueSupport.open(queue)) {
                RunQueue.CancelOutcome o = q.cancel(id, reason);
                if (!o.found()) {
                    spec.commandLine().getErr().println("flowport: no run " + id + " in " + q.describe());
                    return 1;
                }
                if (o.cancelledNow()) {
                    out.println("run " + id + " cancelled (it was queued; nothing was started)");
                } else if (o.stateBefore().isFinal()) {
                    out.println("run " + id + " had already finished: " + o.stateBefore());
                } else {
                    out.println("run " + id + " is " + o.stateBefore() + "; agent " + o.agentId()
                            + " stops its infrastructure at its next heartbeat");
                }
            }
            return 0;
        }
    }
}
