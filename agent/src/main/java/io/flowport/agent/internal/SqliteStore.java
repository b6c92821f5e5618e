package io.flowport.agent.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.flowport.agent.QueueException;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The embedded store: one SQLite file, shared by the processes of one machine (submitters, agents, the CLI). Write
 * transactions take SQLite's write lock at once ({@code BEGIN IMMEDIATE}), so claims are exclusive across
 * processes; the write-ahead log with {@code synchronous=FULL} makes a commit durable before it returns, also
 * against a power loss, and SQLite's atomic commit means a process killed during a transaction leaves none of it.
 * One connection per process, used by one thread at a time. Not public API.
 */
public final class SqliteStore implements SqlStore {

    /** How long a writer waits for another process's write lock before failing. */
    static final int BUSY_TIMEOUT_MS = 30_000;
    private static final int ATTEMPTS = 5;

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();

    private SqliteStore(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /**
     * Opens (creating if needed) the queue file and brings its schema up to date with Flyway. Blocking.
     *
     * @throws QueueException if the file cannot be opened or migrated
     */
    public static SqliteStore open(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        try {
            Path dir = abs.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
        } catch (IOException e) {
            throw new QueueException("cannot create the directory of queue file " + abs + ": " + e.getMessage(), e);
        }
        SQLiteDataSource ds = new SQLiteDataSource(config());
        ds.setUrl("jdbc:sqlite:" + abs);
        migrate(abs, ds);
        try {
            Connection c = ds.getConnection();
            return new SqliteStore(abs, c);
        } catch (SQLException e) {
            throw new QueueException("cannot open queue file " + abs + ": " + e.getMessage(), e);
        }
    }

    private static SQLiteConfig config() {
        SQLiteConfig cfg = new SQLiteConfig();
        cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
        // FULL: every commit is on disk before it returns (NORMAL could lose the last commits on a power loss)
        cfg.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        cfg.setBusyTimeout(BUSY_TIMEOUT_MS);
        cfg.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        cfg.enforceForeignKeys(true);
        return cfg;
    }

    /** Migrations of one file run one at a time, also across processes that open it together. */
    private static void migrate(Path db, SQLiteDataSource ds) {
        Path lockFile = db.resolveSibling(db.getFileName() + ".migrate.lock");
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            Flyway.configure(SqliteStore.class.getClassLoader())
                    .dataSource(ds)
                    .locations("classpath:io/flowport/agent/db/sqlite")
                    .table("flowport_schema_history")
                    .load()
                    .migrate();
        } catch (IOException e) {
            throw new QueueException("cannot lock " + lockFile + " to migrate the queue's schema: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new QueueException("cannot create or migrate the queue's schema in " + db + ": " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T transaction(Work<T> work) throws SQLException {
        lock.lock();
        try {
            for (int attempt = 1; ; attempt++) {
                connection.setAutoCommit(false); // BEGIN IMMEDIATE (the transaction mode): the write lock now
                try {
                    T result = work.run(connection);
                    connection.commit();
                    return result;
                } catch (SQLException e) {
                    rollbackQuietly();
                    if (attempt >= ATTEMPTS || !busy(e)) {
                        throw e;
                    }
                } catch (RuntimeException | Error e) {
                    rollbackQuietly();
                    throw e;
                } finally {
                    connection.setAutoCommit(true);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private static boolean busy(SQLException e) {
        return e instanceof SQLiteException s && (s.getResultCode() == SQLiteErrorCode.SQLITE_BUSY
                || s.getResultCode() == SQLiteErrorCode.SQLITE_LOCKED);
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // the transaction is gone either way; the caller sees the first error
        }
    }

    @Override
    public <T> T read(Work<T> work) throws SQLException {
        lock.lock();
        try {
            return work.run(connection);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long now(Connection c) {
        return System.currentTimeMillis(); // one machine: one clock
    }

    @Override
    public String labelsWithin(String column) {
        return "NOT EXISTS (SELECT 1 FROM json_each(" + column + ") l WHERE l.value NOT IN "
                + "(SELECT value FROM json_each(?)))";
    }

    @Override
    public void bindLabels(Connection c, PreparedStatement ps, int index, Set<String> labels) throws SQLException {
        ps.setString(index, AgentJson.write(new TreeSet<>(labels)));
    }

    @Override
    public Set<String> readLabels(ResultSet rs, String column) throws SQLException {
        try {
            List<String> l = AgentJson.mapper().readValue(rs.getString(column), new TypeReference<List<String>>() {
            });
            return Collections.unmodifiableSet(new TreeSet<>(l));
        } catch (JsonProcessingException e) {
            throw new SQLException("labels of a run are not a JSON array: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public String skipLocked() {
        return ""; // BEGIN IMMEDIATE already excludes every other writer
    }

    @Override
    public String forUpdate() {
        return "";
    }

    @Override
    public String describe() {
        return "embedded queue " + file;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            throw new QueueException("cannot close queue file " + file + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }
}
