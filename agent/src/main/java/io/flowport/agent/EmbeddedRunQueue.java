package io.flowport.agent;

import io.flowport.agent.internal.JdbcRunQueue;
import io.flowport.agent.internal.SqliteStore;

import java.nio.file.Path;

/**
 * The embedded run queue: one SQLite file on this machine, no server — the default. Submitters, agents and the
 * {@code flowport} command of one machine share it (SQLite locks the file between processes). A commit is on disk
 * before {@link RunQueue#submit} returns (write-ahead log, {@code synchronous=FULL}), and a process killed in the
 * middle of a write leaves none of it. The schema is created and migrated by Flyway on first open.
 *
 * <p>For agents on several machines use {@link PostgresRunQueue}: a SQLite file on a network file system is not
 * safe.
 */
public final class EmbeddedRunQueue {

    private EmbeddedRunQueue() {
    }

    /**
     * Opens the queue in {@code file}, creating the file and its directory if needed. Blocking.
     *
     * @throws QueueException if the file cannot be opened or its schema migrated
     */
    public static RunQueue open(Path file) {
        return new JdbcRunQueue(SqliteStore.open(file));
    }
}
