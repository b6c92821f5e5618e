package io.flowport.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The class loader of a command: the CLI's own classes (core, the local environments, the command line), then
 * the provider plugins, then the user's {@code --classpath}. The CLI jar bundles no cloud provider: their jars
 * (and their SDKs) are read from the plugin directory only when a command needs them, so that {@code flowport
 * demo} starts from one small jar.
 *
 * <p>The plugin directory is {@code $FLOWPORT_PLUGINS} (directories of jars, or jars, separated by the platform's
 * path separator), or else the {@code plugins} directory next to the CLI's jar (the build fills
 * {@code cli/target/plugins} with every provider module and its dependencies).
 */
final class Plugins implements AutoCloseable {

    /** The environment variable that names the plugin directories or jars. */
    static final String VARIABLE = "FLOWPORT_PLUGINS";

    private final ClassLoader loader;
    private final URLClassLoader opened;
    private final List<Path> jars;

    private Plugins(ClassLoader loader, URLClassLoader opened, List<Path> jars) {
        this.loader = loader;
        this.opened = opened;
        this.jars = jars;
    }

    /**
     * Opens the class loader over the plugin jars and {@code classpath}. Close it when the command is done, which
     * closes the jar files it opened.
     */
    static Plugins open(Map<String, String> env, List<Path> classpath) {
        List<Path> jars = pluginJars(env);
        List<Path> all = new ArrayList<>(jars);
        all.addAll(classpath);
        ClassLoader own = Plugins.class.getClassLoader();
        if (all.isEmpty()) {
            return new Plugins(own, null, jars);
        }
        URL[] urls = new URL[all.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = all.get(i).toAbsolutePath().toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("bad class path entry " + all.get(i), e);
            }
        }
        URLClassLoader opened = new URLClassLoader("flowport-plugins", urls, own);
        return new Plugins(opened, opened, jars);
    }

    /** The class loader to find types and flows through. */
    ClassLoader loader() {
        return loader;
    }

    /** Where provider jars are read from, for messages. */
    static String where(Map<String, String> env) {
        String configured = env.get(VARIABLE);
        if (configured != null && !configured.isBlank()) {
            return "$" + VARIABLE + " (" + configured + ")";
        }
        Path dir = defaultDirectory();
        return dir == null ? "$" + VARIABLE : dir.toString();
    }

    /** The plugin jars found, in a stable order. */
    List<Path> jars() {
        return jars;
    }

    static List<Path> pluginJars(Map<String, String> env) {
        List<Path> entries = new ArrayList<>();
        String configured = env.get(VARIABLE);
        if (configured != null && !configured.isBlank()) {
            for (String part : configured.split(java.util.regex.Pattern.quote(java.io.File.pathSeparator))) {
                if (!part.isBlank()) {
                    entries.add(Paths.get(part));
                }
            }
        } else {
            Path dir = defaultDirectory();
            if (dir != null) {
                entries.add(dir);
            }
        }
        List<Path> jars = new ArrayList<>();
        for (Path entry : entries) {
            if (Files.isDirectory(entry)) {
                try (Stream<Path> s = Files.list(entry)) {
                    s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().forEach(jars::add);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list plugin directory " + entry, e);
                }
            } else if (Files.isRegularFile(entry)) {
                jars.add(entry);
            }
        }
        return jars;
    }

    /** {@code plugins} next to the jar the CLI runs from, if it runs from a jar and that directory exists. */
    private static Path defaultDirectory() {
        try {
            var source = Plugins.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return null;
            }
            Path location = Paths.get(source.getLocation().toURI());
            if (!Files.isRegularFile(location)) {
                return null;
            }
            Path dir = location.resolveSibling("plugins");
            return Files.isDirectory(dir) ? dir : null;
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public void close() {
        if (opened != null) {
            try {
                opened.close();
            } catch (IOException e) {
                System.err.println("flowport: could not close the plugin class loader: " + e.getMessage());
            }
        }
    }
}
