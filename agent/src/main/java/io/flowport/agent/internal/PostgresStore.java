package io.flowport.agent.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.flowport.agent.QueueException;
import org.flywaydb.core.Flyway;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The PostgreSQL store: a HikariCP pool, the schema migrated by Flyway (its PostgreSQL support takes an advisory
 * lock, so agents starting together migrate once), claims with {@code SELECT … FOR UPDATE SKIP LOCKED}, and the
 * database's clock for leases. Transactions that lose a deadlock or a serialization conflict are tried again.
 * Not public API.
 */
public final class PostgresStore implements SqlStore {

    private static final Pattern PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");
    private static final int ATTEMPTS = 5;

    private final HikariDataSource pool;
    private final String description;

    private PostgresStore(HikariDataSource pool, String description) {
        this.pool = pool;
        this.description = description;
    }

    /**
     * Connects, and creates or migrates the schema. Blocking.
     *
     * @param jdbcUrl   a {@code jdbc:postgresql://} URL
     * @param user      the user, or {@code null} to take it from the URL
     * @param password  the password, or {@code null}; never logged
     * @param poolSize  the most connections
     * @param timeout   how long to wait for a connection
     * @throws QueueException if the database cannot be reached or migrated
     */
    public static PostgresStore open(String jdbcUrl, String user, String password, int poolSize, Duration timeout) {
        String safe = "PostgreSQL queue " + PASSWORD.matcher(jdbcUrl).replaceAll("$1***");
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(jdbcUrl);
        if (user != null) {
            cfg.setUsername(user);
        }
        if (password != null) {
            cfg.setPassword(password);
        }
        cfg.setMaximumPoolSize(poolSize);
        cfg.setMinimumIdle(1);
        cfg.setConnectionTimeout(timeout.toMillis());
        cfg.setPoolName("flowport-queue");
        cfg.setAutoCommit(true);
        // the pool would otherwise fail at once when the database is not up yet; the migration below reports it
        cfg.setInitializationFailTimeout(-1);
        HikariDataSource ds = new HikariDataSource(cfg);
        try {
            Flyway.configure(PostgresStore.class.getClassLoader())
                    .dataSource(ds)
                    .locations("classpath:io/flowport/agent/db/postgresql")
                    .table("flowport_schema_history")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw new QueueException("cannot create or migrate the queue's schema on " + safe + ": " + e.getMessage(), e);
        }
        return new PostgresStore(ds, safe);
    }

    @Override
    public <T> T transaction(Work<T> work) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    return result;
                } catch (SQLException e) {
                    c.rollback();
                    // 40P01 deadlock, 40001 serialization failure: the other transaction went through; try again
                    if (attempt >= ATTEMPTS || !("40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState()))) {
                        throw e;
                    }
                } catch (RuntimeException | Error e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(true);
                }
            }
        }
    }

    @Override
    public <T> T read(Work<T> work) throws SQLException {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        }
    }

    @Override
    public long now(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public String labelsWithin(String column) {
        return column + " <@ ?";
    }

    @Override
    public void bindLabels(Connection c, PreparedStatement ps, int index, Set<String> labels) throws SQLException {
        Array a = c.createArrayOf("text", new TreeSet<>(labels).toArray());
        ps.setArray(index, a);
    }

    @Override
    public Set<String> readLabels(ResultSet rs, String column) throws SQLException {
        Array a = rs.getArray(column);
        Set<String> out = new TreeSet<>();
        if (a != null) {
            for (Object o : (Object[]) a.getArray()) {
                out.add((String) o);
            }
        }
        return Collections.unmodifiableSet(out);
    }

    @Override
    public String skipLocked() {
        return " FOR UPDATE SKIP LOCKED";
    }

    @Override
    public String forUpdate() {
        return " FOR UPDATE";
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        pool.close();
    }
}
