package io.flowport.env.dask.spi;

import io.flowport.core.FlowportException;
import io.flowport.core.spi.Names;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The Python scripts shipped in this jar: the client bridge and the process launcher that starts a scheduler or a
 * worker (see {@code flowport_dask_process.py}: HTTPS dashboard from the TLS variables, end on stdin close, maximum
 * lifetime). Platforms run the launcher as a file on this machine ({@link #path}) or as {@code python -c <source>}
 * in a container ({@link #source}).
 */
public final class DaskScripts {

    /** The client bridge. */
    public static final String BRIDGE = "flowport_dask_bridge.py";
    /** The process launcher. */
    public static final String LAUNCHER = "flowport_dask_process.py";
    /** The functions tasks run on the workers (sent to them by the bridge). */
    public static final String TASKS = "flowport_dask_tasks.py";

    private static final java.util.List<String> ALL = java.util.List.of(BRIDGE, LAUNCHER, TASKS);
    private static Path extracted;

    private DaskScripts() {
    }

    /** The script's text. */
    public static String source(String name) {
        return new String(bytes(name), StandardCharsets.UTF_8);
    }

    /**
     * The script as a short program for {@code python -c}: its text compressed and base64-encoded, so that it fits
     * in a container command next to the TLS material (ECS takes at most 8 KiB of overrides per task).
     */
    public static String compactSource(String name) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(out,
                new java.util.zip.Deflater(java.util.zip.Deflater.BEST_COMPRESSION))) {
            z.write(bytes(name));
        } catch (IOException e) {
            throw new FlowportException("could not compress " + name + ": " + e.getMessage(), e);
        }
        return "import base64,zlib;exec(zlib.decompress(base64.b64decode('"
                + java.util.Base64.getEncoder().encodeToString(out.toByteArray()) + "')))";
    }

    /**
     * The script on disk, in a directory shared by all of this jar's scripts (the bridge imports the task module
     * next to it), named by a hash of their content and written once per JVM. Blocking the first time.
     */
    public static Path path(String name) {
        if (!ALL.contains(name)) {
            throw new IllegalArgumentException("no script " + name + "; known: " + ALL);
        }
        return directory().resolve(name);
    }

    private static synchronized Path directory() {
        Path d = extracted;
        if (d == null) {
            d = extract();
            extracted = d;
        }
        return d;
    }

    private static byte[] bytes(String name) {
        try (InputStream in = DaskScripts.class.getResourceAsStream("/io/flowport/env/dask/" + name)) {
            if (in == null) {
                throw new FlowportException("resource " + name + " is missing from flowport-env-dask-cloud");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new FlowportException("could not read " + name + ": " + e.getMessage(), e);
        }
    }

    private static Path extract() {
        java.security.MessageDigest digest = Names.sha256();
        Map<String, byte[]> contents = new java.util.LinkedHashMap<>();
        for (String name : ALL) {
            byte[] b = bytes(name);
            contents.put(name, b);
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            digest.update(b);
        }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "flowport-dask-"
                + java.util.HexFormat.of().formatHex(digest.digest()).substring(0, 16));
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, byte[]> e : contents.entrySet()) {
                Path target = dir.resolve(e.getKey());
                if (!Files.exists(target) || Files.size(target) != e.getValue().length) {
                    Path tmp = Files.createTempFile(dir, e.getKey(), ".tmp");
                    Files.write(tmp, e.getValue());
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new FlowportException("could not copy Flowport's Dask scripts to " + dir + ": " + e.getMessage(), e);
        }
    }
}
