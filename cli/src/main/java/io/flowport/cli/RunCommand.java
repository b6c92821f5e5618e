package io.flowport.cli;

import io.flowport.core.ClasspathStorage;
import io.flowport.core.Environment;
import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.Serialization;
import io.flowport.env.local.LocalEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code flowport run}: runs any flow on the class path with any environment described in a file. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a flow with an environment read from a JSON or YAML file.")
final class RunCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--flow", required = true, paramLabel = "LOCATION",
            description = "The flow: its name (offered by a FlowProvider on the class path) or a class name.")
    String flow;

    @Option(names = "--env", paramLabel = "FILE",
            description = "Environment file (.json, .yaml or .yml) with a 'type', e.g. {\"type\":\"local\"}. "
                    + "Default: a local environment with a parallel executor.")
    Path envFile;

    @Option(names = {"-p", "--param"}, paramLabel = "NAME=VALUE",
            description = "A flow parameter; repeat for several. Values are converted to the parameter's type.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Longest time the run may take, e.g. PT10M or 90s.")
    String timeout;

    @Option(names = "--run-id", description = "The flow run's id (default: a random UUID).")
    String runId;

    // the platform's separator (':' on Unix, ';' on Windows), read when the command line is built
    @Option(names = {"-cp", "--classpath"}, split = "${sys:path.separator}",
            splitSynopsisLabel = "${sys:path.separator}",
            paramLabel = "PATH",
            description = "Jars or class directories that hold the flow, or more providers (separated by "
                    + "'${sys:path.separator}'). For a local-process environment, also list them in its "
                    + "'classpath' setting.")
    List<Path> classpath = new ArrayList<>();

    @Option(names = "--no-progress", description = "Do not show the progress bar.")
    boolean noProgress;

    /** The variables the plugin directory is read from; the process's own, replaced in tests. */
    Map<String, String> environment = System.getenv();

    @Override
    public Integer call() {
        if (envFile != null && !Files.isRegularFile(envFile)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--env: no such file: " + envFile);
        }
        for (Path p : classpath) {
            if (!Files.exists(p)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--classpath: no such file or "
                        + "directory: " + p);
            }
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // closes the jars of the plugins and of --classpath once the run is over
        try (Plugins plugins = Plugins.open(environment, classpath)) {
            // environment types and flows are looked up through it
            thread.setContextClassLoader(plugins.loader());
            Environment env = envFile == null
                    ? LocalEnvironment.builder().executor(Executor.parallel()).build()
                    : Serialization.readEnvironment(envFile);
            try {
                return run(env, plugins.loader());
            } finally {
                close(env);
            }
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private int run(Environment env, ClassLoader loader) {
        ClasspathStorage storage = new ClasspathStorage();
        Flow f = storage.load(flow);
        storage.addFlow(f, flow);
        FlowRun.Builder run = FlowRun.builder().parameters(params).storage(storage, flow);
        if (timeout != null) {
            run.timeout(parseDuration(timeout));
        }
        if (runId != null) {
            run.id(runId);
        }
        if (!noProgress) {
            run.listener(new Progress(System.err));
        }
        FlowRunResult result = env.execute(f, run.build());
        Report.print(result, spec.commandLine().getOut());
        return result.isSuccess() ? 0 : 1;
    }

    /** Environments that hold clients, pools or watches release them here; a failure to do so is reported. */
    private void close(Environment env) {
        if (env instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                spec.commandLine().getErr().println("flowport: closing the environment failed: " + e);
            }
        }
    }

    private Duration parseDuration(String s) {
        try {
            if (s.matches("\\d+(ms|s|m|h)")) {
                long n = Long.parseLong(s.replaceAll("\\D", ""));
                return switch (s.replaceAll("\\d", "")) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            }
            return Duration.parse(s);
        } catch (RuntimeException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout: cannot read '" + s
                    + "' as a duration; use e.g. 90s, 10m, 2h or PT10M");
        }
    }
}
