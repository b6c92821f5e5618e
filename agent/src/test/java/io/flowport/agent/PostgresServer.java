package io.flowport.agent;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL 15 server for the tests, from Debian's binaries ({@code initdb}, {@code pg_ctl}) in a temporary
 * directory on a free port of 127.0.0.1; one per test JVM, stopped when the JVM exits. {@code initdb} refuses to run
 * as root, so as root everything runs through {@code runuser -u postgres --} on a directory owned by
 * {@code postgres}. Tests call {@link #shared()} first: it aborts them (reported as skipped, with the reason) when
 * the binaries are missing.
 */
final class PostgresServer {

    /** Where Debian puts PostgreSQL 15's programs; {@code FLOWPORT_PG_BIN} overrides. */
    static final Path BIN = Paths.get(System.getenv().getOrDefault("FLOWPORT_PG_BIN", "/usr/lib/postgresql/15/bin"));
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static PostgresServer shared;
    private static String failure;

    private final Path dir;
    private final int port;
    private final boolean asPostgres;

    private PostgresServer(Path dir, int port, boolean asPostgres) {
        this.dir = dir;
        this.port = port;
        this.asPostgres = asPostgres;
    }

    /** The server of this JVM, started on first use; aborts the calling test when it cannot be had. */
    static synchronized PostgresServer shared() {
        String missing = unavailable();
        Assumptions.assumeTrue(missing == null, missing);
        Assumptions.assumeTrue(failure == null, failure);
        if (shared == null) {
            try {
                shared = start();
            } catch (IOException | InterruptedException | RuntimeException e) {
                failure = "PostgreSQL could not be started from " + BIN + ": " + e.getMessage();
                throw new IllegalStateException(failure, e);
            }
            PostgresServer s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "postgres-test-server-stop"));
        }
        return shared;
    }

    /** Why the server cannot be started here, or {@code null} if it can. */
    static String unavailable() {
        if (!Files.isExecutable(BIN.resolve("initdb")) || !Files.isExecutable(BIN.resolve("pg_ctl"))) {
            return "PostgreSQL 15 binaries not found in " + BIN + " (install Debian's 'postgresql' package, as .ci/run"
                    + " does, or set FLOWPORT_PG_BIN)";
        }
        if (isRoot() && !Files.isExecutable(Paths.get("/usr/sbin/runuser")) && !Files.isExecutable(Paths.get("/sbin/runuser"))) {
            return "running as root, and runuser is missing to start PostgreSQL as the postgres user";
        }
        return null;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static PostgresServer start() throws IOException, InterruptedException {
        boolean root = isRoot();
        Path dir = Files.createTempDirectory("flowport-pg");
        if (root) {
            run(List.of("chown", "postgres", dir.toString()), false);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        PostgresServer server = new PostgresServer(dir, port, root);
        server.exec(BIN.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "test",
                "--auth=trust", "-E", "UTF8", "--no-sync");
        server.exec(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-t", "60",
                "-l", dir.resolve("log").toString(), "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1"
                        + " -c max_connections=200", "start");
        return server;
    }

    private void exec(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asPostgres) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(List.of(command));
        run(cmd, true);
    }

    private static void run(List<String> cmd, boolean quiet) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + out);
        }
    }

    /** A new, empty database; its JDBC URL (user {@code test}, no password). */
    String newDatabase() {
        String name = "flowport_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = DriverManager.getConnection(url("postgres"), "test", null);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
        return url(name);
    }

    /** The JDBC URL of a database, with the user. */
    String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=test";
    }

    private void stop() {
        try {
            exec(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "stop");
        } catch (IOException | InterruptedException e) {
            // the JVM is exiting; nothing more to do
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }
}
