package io.flowport.cli;

import io.flowport.core.Serialization;
import io.flowport.core.internal.FlowLocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code flowport types}: what this installation can run. */
@Command(name = "types", mixinStandardHelpOptions = true,
        description = "List the environment and storage types and the flows on the class path.")
final class TypesCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        var out = spec.commandLine().getOut();
        out.println("environments: " + String.join(", ", Serialization.environmentTypes()));
        out.println("storages:     " + String.join(", ", Serialization.storageTypes()));
        out.println("flows:        " + String.join(", ", FlowLocator.available(Main.class.getClassLoader())));
    }
}
