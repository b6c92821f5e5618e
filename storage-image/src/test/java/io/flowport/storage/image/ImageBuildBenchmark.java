package io.flowport.storage.image;

import io.flowport.storage.image.testing.LocalRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Measures build + push of an application's image to a local registry (Debian's docker-registry on 127.0.0.1):
 * cold (empty Jib caches, empty registry), warm (nothing changed), and warm after a one-class code change.
 * Not a test: run it by hand (see the module README for the command).
 *
 * <p>Arguments: the application's classes directory, and a file with its dependency class path (as written by
 * {@code dependency:build-classpath}). The classes directory is copied, so that the change does not touch it.
 */
public final class ImageBuildBenchmark {

    private ImageBuildBenchmark() {
    }

    /** Runs the benchmark and prints one line per build and a summary. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ImageBuildBenchmark <classes dir> <classpath file>");
            System.exit(2);
        }
        String reason = LocalRegistry.unavailableReason();
        if (reason != null) {
            System.err.println(reason);
            System.exit(2);
        }
        Path work = Files.createTempDirectory("flowport-image-benchmark");
        Path classes = work.resolve("classes");
        copyTree(Paths.get(args[0]), classes);
        List<Path> classpath = new ArrayList<>();
        classpath.add(classes);
        for (String entry : Files.readString(Paths.get(args[1])).trim().split(java.io.File.pathSeparator)) {
            if (!entry.isBlank()) {
                classpath.add(Paths.get(entry));
            }
        }
        Path changed;
        try (Stream<Path> s = Files.walk(classes)) {
            changed = s.filter(p -> p.toString().endsWith(".class")).sorted().findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no class file in " + args[0]));
        }
        try (LocalRegistry registry = LocalRegistry.start(work)) {
            ImageStorage storage = ImageStorage.builder().fromEnvironment(Map.of())
                    .registry(registry.address()).repository("benchmark/app").baseImage(ImageStorage.SCRATCH)
                    .classpath(classpath).cacheDirectory(work.resolve("cache"))
                    .dockerConfig(work.resolve("none.json")).build();
            System.out.printf("class path: %d entries; registry %s%n", classpath.size(), registry.address());
            ImageBuildReport cold = run("cold", storage);
            cold.layers().forEach(l -> System.out.printf("  layer %-22s %5d files %,12d bytes%n", l.name(), l.files(),
                    l.bytes()));
            List<ImageBuildReport> warm = new ArrayList<>();
            List<ImageBuildReport> change = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                warm.add(run("warm, unchanged #" + i, storage));
            }
            for (int i = 1; i <= 3; i++) {
                // a one-line code change: the class file's bytes change, nothing else
                Files.write(changed, new byte[] {(byte) i}, StandardOpenOption.APPEND);
                change.add(run("warm, one class changed #" + i, storage));
            }
            System.out.printf("%nsummary: cold %d ms (%,d bytes); warm unchanged median %d ms (%,d bytes);"
                            + " warm after a one-class change median %d ms (%,d bytes, %d blobs)%n",
                    cold.duration().toMillis(), cold.bytesUploaded(), median(warm), warm.get(1).bytesUploaded(),
                    median(change), change.get(1).bytesUploaded(), change.get(1).blobsUploaded());
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static ImageBuildReport run(String label, ImageStorage storage) {
        ImageBuildReport r = storage.build().buildReport().orElseThrow();
        System.out.printf("%-26s %6d ms  uploaded %2d blobs %,12d bytes  skipped %2d  %s%n", label,
                r.duration().toMillis(), r.blobsUploaded(), r.bytesUploaded(), r.blobsSkipped(), r.image());
        return r;
    }

    private static long median(List<ImageBuildReport> reports) {
        return reports.stream().mapToLong(r -> r.duration().toMillis()).sorted().skip(reports.size() / 2)
                .findFirst().orElse(0);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
