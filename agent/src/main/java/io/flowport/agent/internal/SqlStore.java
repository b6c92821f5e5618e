package io.flowport.agent.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;

/**
 * What differs between the queue's stores: how connections and transactions are had, the clock, how labels are
 * stored and compared, and row locking. Not public API.
 */
public interface SqlStore extends AutoCloseable {

    /** Work inside a connection. */
    @FunctionalInterface
    interface Work<T> {
        /** Does the work. */
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in one write transaction (committed when it returns, rolled back when it throws), retried a
     * few times when the store reports a conflict that another attempt resolves (a deadlock, a busy file).
     */
    <T> T transaction(Work<T> work) throws SQLException;

    /** Runs read-only {@code work}. */
    <T> T read(Work<T> work) throws SQLException;

    /** The store's current time in epoch milliseconds (inside a transaction: one clock for all agents). */
    long now(Connection c) throws SQLException;

    /**
     * A condition that is true when every label of the row's {@code column} is among the labels bound to its
     * one {@code ?}.
     */
    String labelsWithin(String column);

    /** Binds a set of labels (a column value, or the parameter of {@link #labelsWithin}). */
    void bindLabels(Connection c, PreparedStatement ps, int index, Set<String> labels) throws SQLException;

    /** Reads a labels column. */
    Set<String> readLabels(ResultSet rs, String column) throws SQLException;

    /** What to append to a SELECT that picks rows to claim, so that concurrent claimers skip each other's rows. */
    String skipLocked();

    /** What to append to a SELECT of one row about to be changed. */
    String forUpdate();

    /** Where the store is, for people (no credentials). */
    String describe();

    /** Releases connections. */
    @Override
    void close();
}
