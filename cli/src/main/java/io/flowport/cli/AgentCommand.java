package io.flowport.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code flowport agent}: the agent that runs queued flow runs. */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Run queued flow runs.",
        subcommands = {AgentCommand.Start.class})
final class AgentCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (start)");
    }

    /** {@code flowport agent start}: claims runs by labels until it is stopped (SIGTERM, Ctrl-C). */
    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start an agent: it claims runs whose labels are all among its own, deploys them through "
                    + "their environments, follows them and records their states, until it gets SIGTERM or Ctrl-C. "
                    + "Then it stops claiming and leaves runs on remote infrastructure running for the next agent "
                    + "(or, with --drain, waits for them).")
    static final class Start implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--labels", split = ",", paramLabel = "LABEL",
                description = "The agent's labels, comma-separated (a run is claimed when all its labels are here).")
        List<String> labels = new ArrayList<>();

        @Option(names = "--queue", paramLabel = "URL", description = QueueSupport.QUEUE_HELP)
        String queue;

        @Option(names = "--max-concurrent", defaultValue = "100", paramLabel = "N",
                description = "Most runs in flight (default 100); the rest wait in the queue.")
        int maxConcurrent;

        @Option(names = "--env", paramLabel = "FILE",
                description = "Default environment (.json/.yaml) for runs submitted without one; its platform is also "
                        + "cleaned by the TTL controller from the start.")
        Path envFile;

        @Option(names = "--template", paramLabel = "FILE",
                description = "A job spec template: a partial environment document with a 'type', the base under "
                        + "every run of that type (the run's settings win). Repeat for several types.")
        List<Path> templates = new ArrayList<>();

        @Option(names = "--profile", paramLabel = "NAME=FILE",
                description = "A job profile, chosen by runs with metadata.job_profile=NAME: a partial environment "
                        + "document merged over the run's. Repeat for several.")
        Map<String, Path> profiles = new LinkedHashMap<>();

        @Option(names = "--name", paramLabel = "ID",
                description = "The agent's id (default: host, pid and a random suffix). A stable id lets a restarted "
                        + "agent take its runs back at once; never run two agents with one id.")
        String name;

        @Option(names = "--lease", defaultValue = "30s", paramLabel = "DURATION",
                description = "How long a claim holds without a heartbeat before another agent takes over "
                        + "(default 30s; heartbeats every third of it).")
        String lease;

        @Option(names = "--ttl", defaultValue = "1h", paramLabel = "DURATION|off",
                description = "Delete finished infrastructure with Flowport's labels once it finished this long ago "
                        + "(default 1h); 'off' keeps everything.")
        String ttl;

        @Option(names = "--drain", description = "On SIGTERM, wait for the runs in flight instead of leaving them "
                + "running for the next agent.")
        boolean drain;

        @Option(names = "--drain-timeout", defaultValue = "1h", paramLabel = "DURATION",
                description = "Longest wait of --drain (default 1h); after it, runs are left as without --drain.")
        String drainTimeout;

        @Option(names = "--processes", paramLabel = "DIR",
                description = "Where local-process runs keep their state so they outlive the agent "
                        + "(default ~/.flowport/processes).")
        Path processes;

        @Option(names = "--stop-after", paramLabel = "DURATION",
                description = "Stop by itself after this long, as on SIGTERM (for scripts and demos).")
        String stopAfter;

        @Option(names = {"-cp", "--classpath"}, split = ":", paramLabel = "PATH",
                description = "Jars or class directories with flows that run in the agent's process ('local' "
                        + "environments) and extra providers.")
        List<Path> classpath = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            return QueueActions.run(spec.commandLine(), () -> QueueActions.startAgent(this));
        }


    }
}
