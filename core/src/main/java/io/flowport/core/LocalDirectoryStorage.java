package io.flowport.core;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.flowport.core.internal.ClassPaths;
import io.flowport.core.internal.FlowLocator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Flows whose code is kept in a local directory: {@code build()} copies the application's class path into it
 * ({@code lib/} for jars, {@code classes/N/} for class directories, in order, listed in {@code classpath.txt}),
 * so that a runner started with {@link #classpath()} (a child JVM, an unpacked image) finds the flows there.
 * Locations are resolved as in {@link ClasspathStorage}. Serialized as
 * {@code {"type":"local-directory","directory":"...","flows":{...}}}.
 */
public final class LocalDirectoryStorage extends AbstractStorage {

    static final String INDEX = "classpath.txt";

    private final Path directory;
    private URLClassLoader loader;

    /** A storage in {@code directory} (created by {@link #build()} if missing). */
    public LocalDirectoryStorage(Path directory) {
        this(directory, Map.of());
    }

    /** A storage in {@code directory} that already holds these flows (name to location). */
    @JsonCreator
    public LocalDirectoryStorage(@JsonProperty("directory") Path directory,
                                 @JsonProperty("flows") Map<String, String> flows) {
        super(flows);
        if (directory == null) {
            throw new ConfigurationException("local-directory storage: 'directory' is required");
        }
        this.directory = directory.toAbsolutePath().normalize();
    }

    @Override
    public String name() {
        return "local-directory:" + directory;
    }

    /** The directory. */
    @JsonProperty("directory")
    public Path directory() {
        return directory;
    }

    /**
     * The class path entries of the directory, in order: what a runner's {@code -cp} should be.
     * Empty if the directory was never built.
     */
    public List<Path> classpath() {
        Path index = directory.resolve(INDEX);
        List<Path> entries = new ArrayList<>();
        try {
            if (Files.exists(index)) {
                for (String line : Files.readAllLines(index)) {
                    if (!line.isBlank()) {
                        entries.add(directory.resolve(line.trim()));
                    }
                }
                return entries;
            }
            // a directory laid out by hand: classes/ first, then every jar in lib/
            Path classes = directory.resolve("classes");
            if (Files.isDirectory(classes)) {
                entries.add(classes);
            }
            Path lib = directory.resolve("lib");
            if (Files.isDirectory(lib)) {
                try (Stream<Path> jars = Files.list(lib)) {
                    jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(entries::add);
                }
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + directory, e);
        }
    }

    @Override
    public Flow load(String location) {
        return FlowLocator.load(location, loader(), directory.toString());
    }

    /**
     * One class loader over the directory for all loads (each open loader holds its jars open); a build that
     * replaces the directory's contents closes it.
     */
    private synchronized URLClassLoader loader() {
        if (loader != null) {
            return loader;
        }
        List<Path> cp = classpath();
        if (cp.isEmpty()) {
            throw new ConfigurationException(name() + " is empty: call build() first, or put jars in "
                    + directory.resolve("lib") + " and classes in " + directory.resolve("classes"));
        }
        URL[] urls = new URL[cp.size()];
        try {
            for (int i = 0; i < urls.length; i++) {
                urls[i] = cp.get(i).toUri().toURL();
            }
        } catch (MalformedURLException e) {
            throw new ConfigurationException("bad path in " + directory + ": " + e.getMessage());
        }
        // parent-first, so that Flowport's own classes (Flow, TaskSpec ...) are shared with the caller
        loader = new URLClassLoader(urls, LocalDirectoryStorage.class.getClassLoader());
        return loader;
    }

    private synchronized void closeLoader() throws IOException {
        if (loader != null) {
            loader.close();
            loader = null;
        }
    }

    /**
     * Copies this JVM's class path into the directory (replacing what an earlier build put there) and checks
     * that every added flow loads from it. Blocking.
     */
    @Override
    public Storage build() {
        try {
            closeLoader();
            copyClasspath(ClassPaths.current());
        } catch (IOException e) {
            throw new FlowportException("cannot copy the class path into " + directory + ": " + e.getMessage(), e);
        }
        checkFlowsLoad();
        return this;
    }

    private void copyClasspath(List<Path> entries) throws IOException {
        Files.createDirectories(directory);
        deleteTree(directory.resolve("lib"));
        deleteTree(directory.resolve("classes"));
        Path lib = Files.createDirectories(directory.resolve("lib"));
        List<String> index = new ArrayList<>();
        int n = 0;
        for (Path entry : entries) {
            n++;
            if (Files.isDirectory(entry)) {
                Path target = directory.resolve("classes").resolve(Integer.toString(n));
                copyTree(entry, target);
                index.add(directory.relativize(target).toString());
            } else {
                // the number keeps the class path order and avoids clashes between jars of the same name
                Path target = lib.resolve(String.format("%04d-%s", n, entry.getFileName()));
                Files.copy(entry, target, StandardCopyOption.REPLACE_EXISTING);
                index.add(directory.relativize(target).toString());
            }
        }
        Files.write(directory.resolve(INDEX), index);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Collections.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Override
    public String toString() {
        return "LocalDirectoryStorage[" + directory + ", " + flows() + "]";
    }
}
