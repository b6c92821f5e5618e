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
import java.util.concurrent.ConcurrentHashMap;

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

    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();

    private DaskScripts() {
    }

    /** The script's text. */
    public static String source(String name) {
        return new String(bytes(name), StandardCharsets.UTF_8);
    }

    /** The script on disk, copied once per JVM to a directory named by its content's hash. Blocking the first time. */
    public static Path path(String name) {
        return EXTRACTED.computeIfAbsent(name, DaskScripts::extract);
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

    private static Path extract(String name) {
        byte[] bytes = bytes(name);
        try {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"),
                    "flowport-dask-" + Names.sha256Hex(bytes).substring(0, 16));
            Files.createDirectories(dir);
            Path target = dir.resolve(name);
            if (!Files.exists(target) || Files.size(target) != bytes.length) {
                Path tmp = Files.createTempFile(dir, name, ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return target;
        } catch (IOException e) {
            throw new FlowportException("could not copy " + name + " to a temporary directory: " + e.getMessage(), e);
        }
    }
}
