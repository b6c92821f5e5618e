package io.flowport.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
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
            return QueueActions.run(spec.commandLine(), () -> QueueActions.list(this));
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
            return QueueActions.run(spec.commandLine(), () -> QueueActions.show(this));
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
            return QueueActions.run(spec.commandLine(), () -> QueueActions.cancel(this));
        }

    }
}
