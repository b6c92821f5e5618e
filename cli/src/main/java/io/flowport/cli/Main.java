package io.flowport.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code flowport} command. */
@Command(name = "flowport", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run flows of tasks on the compute you already have.",
        subcommands = {DemoCommand.class, RunCommand.class, TypesCommand.class, SubmitCommand.class, AgentCommand.class,
                RunsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the command line and exits with its code: 0 success, 1 a run that did not succeed, 2 bad usage. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int execute(String... args) {
        java.util.OptionalInt queueCommand = QueueCommandLoader.runWhereTheAgentIs(args);
        if (queueCommand.isPresent()) {
            return queueCommand.getAsInt();
        }
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof io.flowport.core.ProviderNotFoundException) {
                line.getErr().println("flowport: " + ex.getMessage());
                line.getErr().println("flowport: providers are read from " + Plugins.where(System.getenv())
                        + " and --classpath");
                return CommandLine.ExitCode.USAGE;
            }
            if (ex instanceof io.flowport.core.ConfigurationException) {
                line.getErr().println("flowport: " + ex.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (demo, run, types, submit,"
                + " agent, runs)");
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"flowport " + (v == null ? "(development build)" : v)};
        }
    }
}
