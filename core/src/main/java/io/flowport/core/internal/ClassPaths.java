package io.flowport.core.internal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** The current JVM's class path, with manifest-only launcher jars (Surefire, IDEs) expanded. */
public final class ClassPaths {

    private ClassPaths() {
    }

    /** The entries of {@code java.class.path} that exist, in order, manifest {@code Class-Path}s expanded. */
    public static List<Path> current() {
        Set<Path> out = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                add(Paths.get(entry).toAbsolutePath().normalize(), out);
            }
        }
        return new ArrayList<>(out);
    }

    private static void add(Path p, Set<Path> out) {
        if (!Files.exists(p) || !out.add(p) || Files.isDirectory(p)) {
            return;
        }
        try (JarFile jar = new JarFile(p.toFile())) {
            Manifest mf = jar.getManifest();
            String cp = mf == null ? null : mf.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (cp == null) {
                return;
            }
            for (String ref : cp.trim().split("\\s+")) {
                if (ref.isEmpty()) {
                    continue;
                }
                Path resolved;
                try {
                    URI uri = p.getParent().toUri().resolve(ref);
                    resolved = Paths.get(uri);
                } catch (IllegalArgumentException e) {
                    resolved = p.getParent().resolve(ref);
                }
                add(resolved.toAbsolutePath().normalize(), out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read class path entry " + p, e);
        }
    }
}
