package io.flowport.agent;

import io.flowport.agent.internal.JdbcRunQueue;
import io.flowport.agent.internal.PostgresStore;
import io.flowport.core.ConfigurationException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The run queue on PostgreSQL, for agents on several machines: runs are claimed with
 * {@code SELECT … FOR UPDATE SKIP LOCKED} (concurrent agents skip each other's rows, and a row another agent changed
 * meanwhile is checked again, so no run is claimed twice), leases use the database's clock, connections are pooled
 * (HikariCP), and the schema ({@code flowport_run}, {@code flowport_run_event}, {@code flowport_agent}, Flyway's
 * {@code flowport_schema_history}) is created and migrated by Flyway in the connection's current schema.
 *
 * <pre>{@code
 * RunQueue queue = PostgresRunQueue.builder()
 *         .url("jdbc:postgresql://db.internal:5432/flows").user("flowport").password(secret).build();
 * }</pre>
 */
public final class PostgresRunQueue {

    private PostgresRunQueue() {
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a PostgreSQL queue. The password is never logged nor shown by {@link RunQueue#describe()}. */
    public static final class Builder {
        private String url;
        private String user;
        private String password;
        private int poolSize = 4;
        private Duration connectionTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /** A {@code jdbc:postgresql://host:port/database} URL. Required. */
        public Builder url(String value) {
            this.url = Objects.requireNonNull(value, "url");
            return this;
        }

        /** The user (default: from the URL, else the driver's default). */
        public Builder user(String value) {
            this.user = value;
            return this;
        }

        /** The password (default: from the URL, else none). */
        public Builder password(String value) {
            this.password = value;
            return this;
        }

        /** The most connections (default 4: the claim loop, the recorder, heartbeats, and one spare). */
        public Builder poolSize(int value) {
            this.poolSize = value;
            return this;
        }

        /** How long to wait for a connection (default 30 s). */
        public Builder connectionTimeout(Duration value) {
            this.connectionTimeout = Objects.requireNonNull(value, "connectionTimeout");
            return this;
        }

        /**
         * Connects and migrates the schema. Blocking.
         *
         * @throws ConfigurationException listing every invalid setting
         * @throws QueueException         if the database cannot be reached or migrated
         */
        public RunQueue build() {
            List<String> problems = new ArrayList<>();
            if (url == null || !url.startsWith("jdbc:postgresql:")) {
                problems.add("url must be a jdbc:postgresql://host:port/database URL, was " + (url == null ? "unset"
                        : "'" + url.replaceAll("(?i)password=[^&;]*", "password=***") + "'"));
            }
            if (poolSize < 1) {
                problems.add("poolSize must be >= 1, was " + poolSize);
            }
            if (connectionTimeout.isNegative() || connectionTimeout.toMillis() < 250) {
                problems.add("connectionTimeout must be at least 250 ms, was " + connectionTimeout);
            }
            if (!problems.isEmpty()) {
                throw new ConfigurationException("PostgresRunQueue", problems);
            }
            return new JdbcRunQueue(PostgresStore.open(url, user, password, poolSize, connectionTimeout));
        }

        @Override
        public String toString() {
            return "PostgresRunQueue.Builder[url=" + (url == null ? null
                    : url.replaceAll("(?i)password=[^&;]*", "password=***")) + ", user=" + user + ", password="
                    + (password == null ? null : "***") + ", poolSize=" + poolSize + "]";
        }
    }
}
