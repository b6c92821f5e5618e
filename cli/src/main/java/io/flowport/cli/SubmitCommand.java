package io.flowport.cli;

import io.flowport.agent.RunQueue;
import io.flowport.agent.RunRequest;
import io.flowport.core.ClasspathStorage;
import io.flowport.core.Flow;
import io.flowport.core.Serialization;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
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
        return QueueSupport.reportingQueueErrors(spec.commandLine(), this::execute);
    }

    private Integer execute() throws Exception {
        CommandLine cl = spec.commandLine();
        if (envFile != null && !Files.isRegularFile(envFile)) {
            throw new CommandLine.ParameterException(cl, "--env: no such file: " + envFile);
        }
        Thread.currentThread().setContextClassLoader(QueueSupport.classLoader(cl, classpath));
        ClasspathStorage storage = new ClasspathStorage();
        Flow f = storage.load(flow);
        storage.addFlow(f, flow);
        RunRequest.Builder b = RunRequest.builder(f).storage(storage, flow).parameters(params).labels(labels)
                .priority(priority);
        if (envFile != null) {
            b.environment(Serialization.readEnvironment(envFile));
        }
        if (notBefore != null) {
            b.notBefore(QueueSupport.instant(cl, "--not-before", notBefore));
        }
        if (timeout != null) {
            b.timeout(QueueSupport.duration(cl, "--timeout", timeout));
        }
        if (id != null) {
            b.id(id);
        }
        RunRequest request = b.build(); // validated before the queue is opened: bad input stores nothing
        try (RunQueue q = QueueSupport.open(queue)) {
            cl.getOut().println(q.submit(request));
        }
        return 0;
    }
}
