package io.flowport.storage.image.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real container registry for tests: Debian's {@code docker-registry} (the CNCF distribution registry, 2.8)
 * started as a child process on a free 127.0.0.1 port with its storage in a temporary directory, stopped by
 * {@link #close()}. Tests skip themselves with {@link #unavailableReason()} when the binary is missing.
 */
public final class LocalRegistry implements AutoCloseable {

    /** How CI gets the binary. */
    public static final String INSTALL_HINT = "install it with: apt-get install -y docker-registry";

    private final Process process;
    private final int port;
    private final Path storage;
    private final Path log;

    private LocalRegistry(Process process, int port, Path storage, Path log) {
        this.process = process;
        this.port = port;
        this.storage = storage;
        this.log = log;
    }

    /** The {@code docker-registry} binary on {@code PATH}, if installed (PATH only, so that tests can hide it). */
    public static Optional<Path> binary() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            Path candidate = Paths.get(dir, "docker-registry");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Why registry tests cannot run here, or null if they can. For {@code Assumptions.assumeTrue}. */
    public static String unavailableReason() {
        return binary().isPresent() ? null
                : "the docker-registry binary is not on PATH, so no local registry can be started; " + INSTALL_HINT;
    }

    /** Starts a registry without authentication. Blocking until it answers {@code /v2/}. */
    public static LocalRegistry start(Path workDir) throws IOException {
        return start(workDir, null);
    }

    /**
     * Starts a registry; with {@code htpasswd} (lines {@code user:bcrypt-hash}) it asks for basic
     * authentication. Blocking until it answers {@code /v2/} (200, or 401 with authentication).
     */
    public static LocalRegistry start(Path workDir, String htpasswd) throws IOException {
        Path bin = binary().orElseThrow(() -> new IllegalStateException(unavailableReason()));
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            Path storage = Files.createDirectories(workDir.resolve("registry-" + port + "/storage"));
            Path config = workDir.resolve("registry-" + port + "/config.yml");
            StringBuilder yaml = new StringBuilder()
                    .append("version: 0.1\n")
                    .append("log:\n  level: warn\n  accesslog:\n    disabled: true\n")
                    .append("storage:\n  filesystem:\n    rootdirectory: ").append(storage).append('\n')
                    .append("  delete:\n    enabled: true\n")
                    .append("http:\n  addr: 127.0.0.1:").append(port).append('\n');
            if (htpasswd != null) {
                Path file = workDir.resolve("registry-" + port + "/htpasswd");
                Files.writeString(file, htpasswd + "\n");
                yaml.append("auth:\n  htpasswd:\n    realm: flowport-test\n    path: ").append(file).append('\n');
            }
            Files.writeString(config, yaml.toString());
            Path log = workDir.resolve("registry-" + port + "/registry.log");
            Process p = new ProcessBuilder(bin.toString(), "serve", config.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            LocalRegistry r = new LocalRegistry(p, port, storage, log);
            try {
                r.awaitReady(Duration.ofSeconds(20));
                return r;
            } catch (IOException e) {
                r.close();
                last = e;
            }
        }
        throw last;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void awaitReady(Duration timeout) throws IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited with " + process.exitValue() + ": " + log());
            }
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create("http://" + address() + "/v2/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200 || r.statusCode() == 401) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the registry", e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the registry", e);
            }
        }
        throw new IOException("docker-registry did not answer on " + address() + " within " + timeout + ": " + log());
    }

    /** {@code 127.0.0.1:port}: the value for a {@code registry} setting. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    /** The registry's storage directory. */
    public Path storage() {
        return storage;
    }

    /** The number of blobs (layers, configurations, manifests) the registry stores. */
    public int blobCount() throws IOException {
        return blobFiles().size();
    }

    /** The total size of the stored blobs, in bytes. */
    public long blobBytes() throws IOException {
        long total = 0;
        for (Path p : blobFiles()) {
            total += Files.size(p);
        }
        return total;
    }

    private List<Path> blobFiles() throws IOException {
        Path blobs = storage.resolve("docker/registry/v2/blobs");
        if (!Files.exists(blobs)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(blobs)) {
            return walk.filter(p -> p.getFileName().toString().equals("data")).toList();
        }
    }

    /** The registry's own log, for failure messages. */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Stops the registry process. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
