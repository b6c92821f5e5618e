package io.flowport.cli;

import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Runs the queue commands ({@code submit}, {@code agent}, {@code runs}) where the agent's classes are. The CLI jar
 * stays small: the agent module and its JDBC drivers ({@code flowport-agent}, SQLite, PostgreSQL, Flyway) are
 * plugins like the cloud providers. When the CLI's own class loader cannot see them, the command runs again in a
 * class loader over the CLI jar and the plugin jars together, so that the commands link against the agent as they
 * were compiled. From a development class path (tests, an IDE) the agent is there already and nothing changes.
 */
final class QueueCommandLoader {

    static final Set<String> COMMANDS = Set.of("submit", "agent", "runs");
    private static final String PROBE = "io.flowport.agent.RunQueue";

    private QueueCommandLoader() {
    }

    /** The exit code of the command run in the agent's class loader, or empty when it runs here. */
    static OptionalInt runWhereTheAgentIs(String[] args) {
        if (args.length == 0 || !COMMANDS.contains(args[0]) || visible(QueueCommandLoader.class.getClassLoader())) {
            return OptionalInt.empty();
        }
        List<URL> urls = new ArrayList<>();
        try {
            urls.add(QueueCommandLoader.class.getProtectionDomain().getCodeSource().getLocation());
            for (Path jar : Plugins.pluginJars(System.getenv())) {
                urls.add(jar.toAbsolutePath().toUri().toURL());
            }
        } catch (MalformedURLException | SecurityException | NullPointerException e) {
            return OptionalInt.empty();
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader("flowport-queue-commands", urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            if (!visible(loader)) {
                System.err.println("flowport: '" + args[0] + "' needs io.flowport:flowport-agent; providers are read "
                        + "from " + Plugins.where(System.getenv()));
                return OptionalInt.of(2);
            }
            thread.setContextClassLoader(loader);
            Object code = Class.forName(Main.class.getName(), true, loader).getMethod("execute", String[].class)
                    .invoke(null, (Object) args);
            return OptionalInt.of((Integer) code);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (ReflectiveOperationException | java.io.IOException e) {
            throw new IllegalStateException("cannot run '" + args[0] + "' with the agent's classes: " + e, e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static boolean visible(ClassLoader loader) {
        try {
            Class.forName(PROBE, false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
