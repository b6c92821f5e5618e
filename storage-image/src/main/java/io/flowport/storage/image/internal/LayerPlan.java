package io.flowport.storage.image.internal;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import io.flowport.storage.image.ExtraFile;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How an application's class path becomes image layers, in Jib's layout: jars in {@code /app/libs} (released
 * dependencies, snapshot dependencies and the project's own jars in three layers), non-class files of class
 * path directories in {@code /app/resources}, class files in {@code /app/classes}, extra files where the user
 * put them. Layers are ordered from the least to the most often changed, so that a code change re-uploads
 * only the small top layers.
 *
 * <p>When several class path directories hold the same file, the first one wins, as on a class path; files
 * under {@code META-INF/services/} are merged instead, so that every {@code ServiceLoader} registration
 * survives. Not public API.
 */
public final class LayerPlan {

    /** The image's application root. */
    public static final String APP_ROOT = "/app";
    /** Where jars go. */
    public static final String LIBS = APP_ROOT + "/libs";
    /** Where non-class files of class path directories go. */
    public static final String RESOURCES = APP_ROOT + "/resources";
    /** Where class files go. */
    public static final String CLASSES = APP_ROOT + "/classes";

    private static final String SERVICES = "META-INF/services/";
    private static final Pattern TIMESTAMPED_SNAPSHOT = Pattern.compile(".*-\\d{8}\\.\\d{6}-\\d+(-[^/]*)?\\.jar$");

    /** The layers, bottom to top. Names follow Jib's. */
    public enum Kind {
        /** Released jars from a dependency repository. */
        DEPENDENCIES("dependencies"),
        /** SNAPSHOT jars from a dependency repository. */
        SNAPSHOT_DEPENDENCIES("snapshot dependencies"),
        /** Jars outside any dependency repository: built by the project itself. */
        PROJECT_DEPENDENCIES("project dependencies"),
        /** Non-class files of class path directories. */
        RESOURCES("resources"),
        /** Class files of class path directories. */
        CLASSES("classes"),
        /** Files the user asked for. */
        EXTRA_FILES("extra files");

        private final String layerName;

        Kind(String layerName) {
            this.layerName = layerName;
        }

        /** The layer's name, as Jib reports it. */
        public String layerName() {
            return layerName;
        }
    }

    /**
     * One file of a layer: where it comes from and where it goes.
     *
     * @param source the local file
     * @param target the absolute path in the image
     */
    public record Entry(Path source, String target) {
    }

    /**
     * One planned layer with its entries (sorted by target, so that the plan does not depend on disk order).
     *
     * @param kind    which layer
     * @param entries its files
     * @param bytes   their total size
     */
    public record Layer(Kind kind, List<Entry> entries, long bytes) {
        /** Copies the list. */
        public Layer {
            entries = List.copyOf(entries);
        }
    }

    private final List<Layer> layers;
    private final List<String> warnings;

    private LayerPlan(List<Layer> layers, List<String> warnings) {
        this.layers = List.copyOf(layers);
        this.warnings = List.copyOf(warnings);
    }

    /** The non-empty layers, bottom to top. */
    public List<Layer> layers() {
        return layers;
    }

    /** Things the user may want to know (shadowed files), already phrased for a log line. */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * Plans the layers. Blocking (walks directories, reads {@code META-INF/services} files).
     *
     * @param classpath    the class path entries, in order; missing entries are skipped
     * @param extraFiles   files to add where the user said
     * @param repositories directories that hold downloaded dependencies (Maven's local repository ...)
     * @param staging      a directory for generated files (merged service files)
     */
    public static LayerPlan plan(List<Path> classpath, List<ExtraFile> extraFiles, List<Path> repositories,
                                 Path staging) throws IOException {
        Map<Kind, Map<String, Path>> byKind = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            byKind.put(k, new TreeMap<>());
        }
        List<String> warnings = new ArrayList<>();
        List<Path> jars = new ArrayList<>();
        Map<String, List<Path>> services = new LinkedHashMap<>();
        Set<Path> seen = new LinkedHashSet<>();
        for (Path raw : classpath) {
            Path entry = raw.toAbsolutePath().normalize();
            if (!Files.exists(entry) || !seen.add(entry)) {
                continue;
            }
            if (Files.isDirectory(entry)) {
                addDirectory(entry, byKind, services, warnings);
            } else {
                jars.add(entry);
            }
        }
        addJars(jars, repositories, byKind);
        writeServices(services, staging, byKind.get(Kind.RESOURCES));
        for (ExtraFile extra : extraFiles) {
            addExtra(extra, byKind.get(Kind.EXTRA_FILES));
        }
        List<Layer> layers = new ArrayList<>();
        for (Map.Entry<Kind, Map<String, Path>> e : byKind.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            List<Entry> entries = new ArrayList<>();
            long bytes = 0;
            for (Map.Entry<String, Path> f : e.getValue().entrySet()) {
                entries.add(new Entry(f.getValue(), f.getKey()));
                bytes += Files.size(f.getValue());
            }
            layers.add(new Layer(e.getKey(), entries, bytes));
        }
        return new LayerPlan(layers, warnings);
    }

    private static void addDirectory(Path root, Map<Kind, Map<String, Path>> byKind,
                                     Map<String, List<Path>> services, List<String> warnings) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : files) {
            String rel = unixPath(root.relativize(file));
            if (rel.startsWith(SERVICES) && rel.indexOf('/', SERVICES.length()) < 0) {
                services.computeIfAbsent(rel, k -> new ArrayList<>()).add(file);
                continue;
            }
            boolean isClass = rel.endsWith(".class");
            String target = (isClass ? CLASSES : RESOURCES) + "/" + rel;
            Map<String, Path> layer = byKind.get(isClass ? Kind.CLASSES : Kind.RESOURCES);
            Path previous = layer.putIfAbsent(target, file);
            if (previous != null) {
                warnings.add(rel + " of " + root + " is shadowed by the one in an earlier class path directory ("
                        + previous + ")");
            }
        }
    }

    private static void addJars(List<Path> jars, List<Path> repositories, Map<Kind, Map<String, Path>> byKind)
            throws IOException {
        Map<String, Integer> names = new HashMap<>();
        for (Path jar : jars) {
            names.merge(jar.getFileName().toString(), 1, Integer::sum);
        }
        Set<String> used = new java.util.HashSet<>();
        for (Path jar : jars) {
            String name = jar.getFileName().toString();
            if (names.get(name) > 1) {
                // two jars of the same name (different groups): keep both, as Jib does, told apart by size
                String base = name.endsWith(".jar") ? name.substring(0, name.length() - 4) : name;
                name = base + "-" + Files.size(jar) + ".jar";
                for (int i = 2; used.contains(name); i++) {
                    name = base + "-" + Files.size(jar) + "-" + i + ".jar";
                }
            }
            used.add(name);
            byKind.get(kindOf(jar, repositories)).put(LIBS + "/" + name, jar);
        }
    }

    /** Which dependency layer a jar belongs to. */
    static Kind kindOf(Path jar, List<Path> repositories) {
        boolean inRepository = repositories.stream().anyMatch(jar::startsWith);
        if (!inRepository) {
            return Kind.PROJECT_DEPENDENCIES;
        }
        String name = jar.getFileName().toString();
        if (name.toUpperCase(Locale.ROOT).contains("SNAPSHOT") || TIMESTAMPED_SNAPSHOT.matcher(name).matches()) {
            return Kind.SNAPSHOT_DEPENDENCIES;
        }
        return Kind.DEPENDENCIES;
    }

    private static void writeServices(Map<String, List<Path>> services, Path staging, Map<String, Path> resources)
            throws IOException {
        for (Map.Entry<String, List<Path>> e : services.entrySet()) {
            String target = RESOURCES + "/" + e.getKey();
            if (e.getValue().size() == 1) {
                resources.put(target, e.getValue().get(0));
                continue;
            }
            // every registration counts on a class path: merge, keeping the first occurrence of each line
            Set<String> lines = new LinkedHashSet<>();
            for (Path file : e.getValue()) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    int hash = line.indexOf('#');
                    String provider = (hash >= 0 ? line.substring(0, hash) : line).trim();
                    if (!provider.isEmpty()) {
                        lines.add(provider);
                    }
                }
            }
            Path merged = staging.resolve(e.getKey());
            Files.createDirectories(merged.getParent());
            Files.write(merged, lines, StandardCharsets.UTF_8);
            resources.put(target, merged);
        }
    }

    private static void addExtra(ExtraFile extra, Map<String, Path> layer) throws IOException {
        Path source = extra.source().toAbsolutePath().normalize();
        String target = extra.target().endsWith("/") && extra.target().length() > 1
                ? extra.target().substring(0, extra.target().length() - 1) : extra.target();
        if (Files.isDirectory(source)) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(source)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path f : files) {
                layer.put(target + "/" + unixPath(source.relativize(f)), f);
            }
        } else {
            layer.put(target, source);
        }
    }

    /** The Jib layers of this plan; every file gets Jib's fixed modification time, so digests are stable. */
    public List<FileEntriesLayer> toJibLayers() {
        List<FileEntriesLayer> out = new ArrayList<>();
        for (Layer layer : layers) {
            FileEntriesLayer.Builder b = FileEntriesLayer.builder().setName(layer.kind().layerName());
            for (Entry e : layer.entries()) {
                b.addEntry(e.source(), AbsoluteUnixPath.get(e.target()));
            }
            out.add(b.build());
        }
        return out;
    }

    /**
     * A SHA-256 over every entry's target path and content: equal plans give equal digests, and any change of
     * a file's content or place changes it. Blocking (reads every file).
     */
    public String contentDigest(List<String> settings) {
        MessageDigest md = io.flowport.core.spi.Names.sha256();
        byte[] buffer = new byte[64 * 1024];
        for (String s : settings) {
            md.update(s.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        for (Layer layer : layers) {
            md.update(layer.kind().layerName().getBytes(StandardCharsets.UTF_8));
            for (Entry e : layer.entries()) {
                md.update(e.target().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                try (InputStream in = Files.newInputStream(e.source())) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        md.update(buffer, 0, n);
                    }
                } catch (IOException ex) {
                    throw new UncheckedIOException("cannot read " + e.source(), ex);
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The directories that usually hold downloaded dependencies: Maven's local repository and Gradle's cache. */
    public static List<Path> defaultRepositories(Map<String, String> env) {
        List<Path> out = new ArrayList<>();
        String home = System.getProperty("user.home");
        String mavenRepo = System.getProperty("maven.repo.local");
        if (mavenRepo != null && !mavenRepo.isBlank()) {
            out.add(Paths.get(mavenRepo));
        }
        out.add(Paths.get(home, ".m2", "repository"));
        String gradleHome = env.get("GRADLE_USER_HOME");
        out.add(gradleHome != null && !gradleHome.isBlank()
                ? Paths.get(gradleHome, "caches") : Paths.get(home, ".gradle", "caches"));
        return Collections.unmodifiableList(out.stream().map(p -> p.toAbsolutePath().normalize()).toList());
    }

    private static String unixPath(Path relative) {
        return relative.toString().replace('\\', '/');
    }
}
