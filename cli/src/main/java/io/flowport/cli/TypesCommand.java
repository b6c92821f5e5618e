package io.flowport.cli;

import io.flowport.core.Serialization;
import io.flowport.core.internal.FlowLocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code flowport types}: what this installation can run, with its plugins and {@code --classpath}. */
@Command(name = "types", mixinStandardHelpOptions = true,
        description = "List the environment and storage types and the flows on the class path, with the plugins.")
final class TypesCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-cp", "--classpath"}, split = "${sys:path.separator}",
            splitSynopsisLabel = "${sys:path.separator}",
            paramLabel = "PATH", description = "More jars or class directories to look in.")
    List<Path> classpath = new ArrayList<>();

    /** The variables the plugin directory is read from; the process's own, replaced in tests. */
    Map<String, String> environment = System.getenv();

    @Override
    public void run() {
        for (Path p : classpath) {
            if (!Files.exists(p)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--classpath: no such file or "
                        + "directory: " + p);
            }
        }
        var out = spec.commandLine().getOut();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (Plugins plugins = Plugins.open(environment, classpath)) {
            thread.setContextClassLoader(plugins.loader());
            out.println("environments: " + String.join(", ", Serialization.environmentTypes()));
            out.println("storages:     " + String.join(", ", Serialization.storageTypes()));
            out.println("flows:        " + String.join(", ", FlowLocator.available(plugins.loader())));
            out.println("plugins:      " + plugins.jars().size() + " jars from " + Plugins.where(environment));
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
