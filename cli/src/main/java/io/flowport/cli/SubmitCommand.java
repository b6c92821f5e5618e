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

/** {@code flowport submit}: puts a flow run in the queue for an agent to run. */
@Command(name = "submit", mixinStandardHelpOptions = true,
        description = "Put a flow run in the run queue; an agent whose labels include all of the run's runs it. "
                + "Prints the run's id. Bad input (unknown environment type, bad JSON/YAML, a missing or unknown "
                + "parameter) is refused and nothing is stored.")
final class SubmitCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--flow", required = true, paramLabel = "LOCATION",
            description = "The flow: its name (offered by a FlowProvider on the class path) or a class name.")
    String flow;

    @Option(names = "--env", paramLabel = "FILE",
            description = "Environment file (.json, .yaml or .yml) with a 'type'; its labels become the run's. "
                    + "Default: the agent's default environment.")
    Path envFile;

    @Option(names = {"-p", "--param"}, paramLabel = "NAME=VALUE",
            description = "A flow parameter; repeat for several. Checked against the flow's parameters.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = {"-l", "--label"}, paramLabel = "LABEL",
            description = "A label an agent must have to run it (besides the environment's); repeat for several.")
    List<String> labels = new ArrayList<>();

    @Option(names = "--queue", paramLabel = "URL", description = QueueSupport.QUEUE_HELP)
    String queue;

    @Option(names = "--priority", defaultValue = "0", description = "Higher runs first (default 0).")
    int priority;

    @Option(names = "--not-before", paramLabel = "WHEN",
            description = "Not started before: an instant (2026-12-01T08:00:00Z) or a delay from now (10m).")
    String notBefore;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Longest time the run may take, e.g. 30m.")
    String timeout;

    @Option(names = "--id", description = "The run's id (default: a random UUID).")
    String id;

    @Option(names = {"-cp", "--classpath"}, split = ":", paramLabel = "PATH",
            description = "Jars or class directories that hold the flow (separated by ':').")
    List<Path> classpath = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        return QueueActions.run(spec.commandLine(), () -> QueueActions.submit(this));
    }

}
