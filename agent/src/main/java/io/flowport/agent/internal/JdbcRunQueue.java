package io.flowport.agent.internal;

import io.flowport.agent.QueueException;
import io.flowport.agent.QueuedRun;
import io.flowport.agent.RunQueue;
import io.flowport.agent.RunRequest;
import io.flowport.agent.RunState;
import io.flowport.agent.StateChange;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The run queue in SQL, the same for SQLite and PostgreSQL; what differs is in the {@link SqlStore}. Every
 * operation is one transaction. Times are epoch milliseconds from the store's clock, except the times of state
 * transitions, which come from the agent that saw them. Not public API: open queues through
 * {@link io.flowport.agent.RunQueues}.
 */
public final class JdbcRunQueue implements RunQueue {

    private static final String COLUMNS = "seq, id, flow_name, flow_location, storage_json, command_json, "
            + "parameters_json, labels, environment_json, priority, not_before, timeout_ms, submitted_at, state, "
            + "state_message, updated_at, agent_id, lease_until, claims, unit_id, logs_location, cancel_reason, "
            + "launched_at, finished_at";
    private static final String HELD = RunState.HELD.stream().map(s -> "'" + s.name() + "'")
            .collect(Collectors.joining(", ", "(", ")"));
    private static final String FINAL = RunState.FINAL.stream().map(s -> "'" + s.name() + "'")
            .collect(Collectors.joining(", ", "(", ")"));

    private final SqlStore store;
    private final String claimTakeovers;
    private final String claimQueued;

    /** A queue on {@code store} (whose schema is migrated already). */
    public JdbcRunQueue(SqlStore store) {
        this.store = Objects.requireNonNull(store, "store");
        this.claimTakeovers = "SELECT seq, agent_id FROM flowport_run WHERE state IN " + HELD
                + " AND lease_until < ? AND " + store.labelsWithin("labels")
                + " ORDER BY priority DESC, seq LIMIT ?" + store.skipLocked();
        this.claimQueued = "SELECT seq FROM flowport_run WHERE state = 'QUEUED' AND not_before <= ? AND "
                + store.labelsWithin("labels") + " ORDER BY priority DESC, seq LIMIT ?" + store.skipLocked();
    }

    @Override
    public List<String> submitAll(List<RunRequest> requests) {
        if (requests.isEmpty()) {
            return List.of();
        }
        try {
            return store.transaction(c -> {
                long now = store.now(c);
                try (PreparedStatement run = c.prepareStatement("INSERT INTO flowport_run (id, flow_name, "
                        + "flow_location, storage_json, command_json, parameters_json, labels, environment_json, "
                        + "priority, not_before, timeout_ms, submitted_at, state, state_message, updated_at, claims) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'QUEUED', ?, ?, 0)");
                     PreparedStatement event = c.prepareStatement("INSERT INTO flowport_run_event (run_id, at, "
                             + "state, message, agent_id) VALUES (?, ?, 'QUEUED', ?, NULL)")) {
                    for (RunRequest r : requests) {
                        long notBefore = r.notBefore() == null ? now : r.notBefore().toEpochMilli();
                        String message = "submitted" + (notBefore > now ? ", not before "
                                + Instant.ofEpochMilli(notBefore) : "");
                        run.setString(1, r.id());
                        run.setString(2, r.flowName());
                        run.setString(3, r.flowLocation());
                        run.setString(4, r.storageJson());
                        run.setString(5, r.commandJson());
                        run.setString(6, r.parametersJson());
                        store.bindLabels(c, run, 7, r.labels());
                        run.setString(8, r.environmentJson());
                        run.setInt(9, r.priority());
                        run.setLong(10, notBefore);
                        if (r.timeout() == null) {
                            run.setNull(11, Types.BIGINT);
                        } else {
                            run.setLong(11, r.timeout().toMillis());
                        }
                        run.setLong(12, now);
                        run.setString(13, message);
                        run.setLong(14, now);
                        run.addBatch();
                        event.setString(1, r.id());
                        event.setLong(2, now);
                        event.setString(3, message);
                        event.addBatch();
                    }
                    run.executeBatch();
                    event.executeBatch();
                }
                return requests.stream().map(RunRequest::id).toList();
            });
        } catch (SQLException e) {
            throw new QueueException("could not submit " + requests.size() + " run(s) to " + store.describe()
                    + (requests.size() == 1 ? " (run " + requests.get(0).id() + ")" : "") + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<QueuedRun> get(String id) {
        try {
            return store.read(c -> {
                QueuedRun run;
                try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM flowport_run WHERE id = ?")) {
                    ps.setString(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            return Optional.empty();
                        }
                        run = row(rs);
                    }
                }
                List<StateChange> history = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT at, state, message, agent_id FROM "
                        + "flowport_run_event WHERE run_id = ? ORDER BY seq")) {
                    ps.setString(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            history.add(new StateChange(Instant.ofEpochMilli(rs.getLong(1)),
                                    RunState.valueOf(rs.getString(2)), rs.getString(3), rs.getString(4)));
                        }
                    }
                }
                return Optional.of(run.withHistory(history));
            });
        } catch (SQLException e) {
            throw failure("read run " + id, e);
        }
    }

    @Override
    public List<QueuedRun> list(Set<RunState> states, int limit) {
        String where = states.isEmpty() ? "" : " WHERE state IN " + states.stream()
                .map(s -> "'" + s.name() + "'").collect(Collectors.joining(", ", "(", ")"));
        try {
            return store.read(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM flowport_run" + where
                        + " ORDER BY seq DESC LIMIT ?")) {
                    ps.setInt(1, Math.max(0, limit));
                    return rows(ps);
                }
            });
        } catch (SQLException e) {
            throw failure("list runs", e);
        }
    }

    @Override
    public Map<RunState, Long> counts() {
        try {
            return store.read(c -> {
                Map<RunState, Long> counts = new EnumMap<>(RunState.class);
                try (PreparedStatement ps = c.prepareStatement("SELECT state, count(*) FROM flowport_run GROUP BY state");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        counts.put(RunState.valueOf(rs.getString(1)), rs.getLong(2));
                    }
                }
                return counts;
            });
        } catch (SQLException e) {
            throw failure("count runs", e);
        }
    }

    @Override
    public CancelOutcome cancel(String id, String reason) {
        String why = reason == null || reason.isBlank() ? "cancelled by a user" : reason;
        try {
            return store.transaction(c -> {
                long now = store.now(c);
                RunState state;
                String agent;
                try (PreparedStatement ps = c.prepareStatement("SELECT state, agent_id FROM flowport_run WHERE id = ?"
                        + store.forUpdate())) {
                    ps.setString(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            return new CancelOutcome(false, null, false, null);
                        }
                        state = RunState.valueOf(rs.getString(1));
                        agent = rs.getString(2);
                    }
                }
                if (state.isFinal()) {
                    return new CancelOutcome(true, state, false, null);
                }
                if (state == RunState.QUEUED) {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE flowport_run SET state = 'CANCELLED', "
                            + "state_message = ?, cancel_reason = ?, finished_at = ?, updated_at = ? WHERE id = ?")) {
                        ps.setString(1, why + " (before it was claimed; nothing was started)");
                        ps.setString(2, why);
                        ps.setLong(3, now);
                        ps.setLong(4, now);
                        ps.setString(5, id);
                        ps.executeUpdate();
                    }
                    event(c, id, now, RunState.CANCELLED, why + " (before it was claimed; nothing was started)", null);
                    return new CancelOutcome(true, state, true, null);
                }
                try (PreparedStatement ps = c.prepareStatement("UPDATE flowport_run SET cancel_reason = ?, "
                        + "updated_at = ? WHERE id = ?")) {
                    ps.setString(1, why);
                    ps.setLong(2, now);
                    ps.setString(3, id);
                    ps.executeUpdate();
                }
                event(c, id, now, state, "cancel requested: " + why, null);
                return new CancelOutcome(true, state, false, agent);
            });
        } catch (SQLException e) {
            throw failure("cancel run " + id, e);
        }
    }

    @Override
    public int registerAgent(String agentId, Set<String> labels, String host) {
        try {
            return store.transaction(c -> {
                long now = store.now(c);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO flowport_agent (id, labels, host, "
                        + "started_at, heartbeat_at, stopped_at) VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (id) DO "
                        + "UPDATE SET labels = excluded.labels, host = excluded.host, started_at = excluded.started_at, "
                        + "heartbeat_at = excluded.heartbeat_at, stopped_at = NULL")) {
                    ps.setString(1, agentId);
                    store.bindLabels(c, ps, 2, labels);
                    ps.setString(3, host);
                    ps.setLong(4, now);
                    ps.setLong(5, now);
                    ps.executeUpdate();
                }
                return release(c, agentId, "agent " + agentId + " restarted; its runs are taken over", now);
            });
        } catch (SQLException e) {
            throw failure("register agent " + agentId, e);
        }
    }

    @Override
    public List<Claim> claim(String agentId, Set<String> labels, int max, Duration lease) {
        if (max <= 0) {
            return List.of();
        }
        try {
            return store.transaction(c -> {
                long now = store.now(c);
                Map<Long, String> picked = new LinkedHashMap<>(); // seq -> previous agent (null: first claim)
                try (PreparedStatement ps = c.prepareStatement(claimTakeovers)) {
                    ps.setLong(1, now);
                    store.bindLabels(c, ps, 2, labels);
                    ps.setInt(3, max);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            String previous = rs.getString(2);
                            picked.put(rs.getLong(1), previous == null ? "(unknown)" : previous);
                        }
                    }
                }
                if (picked.size() < max) {
                    try (PreparedStatement ps = c.prepareStatement(claimQueued)) {
                        ps.setLong(1, now);
                        store.bindLabels(c, ps, 2, labels);
                        ps.setInt(3, max - picked.size());
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                picked.put(rs.getLong(1), null);
                            }
                        }
                    }
                }
                if (picked.isEmpty()) {
                    return List.of();
                }
                long until = now + lease.toMillis();
                try (PreparedStatement ps = c.prepareStatement("UPDATE flowport_run SET agent_id = ?, lease_until = ?, "
                        + "claims = claims + 1, updated_at = ?, state = CASE WHEN state = 'QUEUED' THEN 'CLAIMED' "
                        + "ELSE state END WHERE seq = ?")) {
                    for (Long seq : picked.keySet()) {
                        ps.setString(1, agentId);
                        ps.setLong(2, until);
                        ps.setLong(3, now);
                        ps.setLong(4, seq);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                List<Row> runs = new ArrayList<>(picked.size());
                List<Long> seqs = new ArrayList<>(picked.keySet());
                for (int from = 0; from < seqs.size(); from += 500) {
                    List<Long> chunk = seqs.subList(from, Math.min(seqs.size(), from + 500));
                    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM flowport_run WHERE seq"
                            + " IN " + chunk.stream().map(s -> "?").collect(Collectors.joining(", ", "(", ")")))) {
                        for (int i = 0; i < chunk.size(); i++) {
                            ps.setLong(i + 1, chunk.get(i));
                        }
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                runs.add(new Row(rs.getLong("seq"), row(rs)));
                            }
                        }
                    }
                }
                // the order the claim promised: highest priority, then oldest
                runs.sort(Comparator.comparingInt((Row r) -> -r.run().priority()).thenComparingLong(Row::seq));
                List<Claim> claims = new ArrayList<>(runs.size());
                try (PreparedStatement ev = c.prepareStatement("INSERT INTO flowport_run_event (run_id, at, state, "
                        + "message, agent_id) VALUES (?, ?, ?, ?, ?)")) {
                    for (Row row : runs) {
                        QueuedRun r = row.run();
                        String previous = picked.get(row.seq());
                        claims.add(new Claim(r, previous));
                        ev.setString(1, r.id());
                        ev.setLong(2, now);
                        ev.setString(3, r.state().name());
                        ev.setString(4, previous == null ? "claimed by agent " + agentId
                                : "taken over by agent " + agentId + " from agent " + previous
                                + " (its lease expired or was released)");
                        ev.setString(5, agentId);
                        ev.addBatch();
                    }
                    ev.executeBatch();
                }
                return claims;
            });
        } catch (SQLException e) {
            throw failure("claim runs for agent " + agentId, e);
        }
    }

    @Override
    public Heartbeat heartbeat(String agentId, Duration lease) {
        try {
            return store.transaction(c -> {
                long now = store.now(c);
                try (PreparedStatement ps = c.prepareStatement("UPDATE flowport_run SET lease_until = ? WHERE "
                        + "agent_id = ? AND state IN " + HELD)) {
                    ps.setLong(1, now + lease.toMillis());
                    ps.setString(2, agentId);
                    ps.executeUpdate();
                }
                Map<String, Integer> held = new HashMap<>();
                Map<String, String> cancels = new HashMap<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT id, claims, cancel_reason FROM flowport_run "
                        + "WHERE agent_id = ? AND state IN " + HELD)) {
                    ps.setString(1, agentId);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            held.put(rs.getString(1), rs.getInt(2));
                            String cancel = rs.getString(3);
                            if (cancel != null) {
                                cancels.put(rs.getString(1), cancel);
                            }
                        }
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("UPDATE flowport_agent SET heartbeat_at = ? WHERE id = ?")) {
                    ps.setLong(1, now);
                    ps.setString(2, agentId);
                    ps.executeUpdate();
                }
                long queued;
                try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM flowport_run WHERE state = 'QUEUED'");
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    queued = rs.getLong(1);
                }
                return new Heartbeat(held, cancels, queued);
            });
        } catch (SQLException e) {
            throw failure("renew the leases of agent " + agentId, e);
        }
    }

    @Override
    public Set<String> record(List<Transition> transitions) {
        if (transitions.isEmpty()) {
            return Set.of();
        }
        try {
            return store.transaction(c -> {
                int[] counts;
                try (PreparedStatement ps = c.prepareStatement("UPDATE flowport_run SET state = ?, state_message = ?, "
                        + "updated_at = ?, unit_id = COALESCE(?, unit_id), logs_location = COALESCE(?, logs_location), "
                        + "launched_at = COALESCE(launched_at, ?), finished_at = ?, "
                        + "lease_until = CASE WHEN ? THEN NULL ELSE lease_until END "
                        + "WHERE id = ? AND agent_id = ? AND claims = ? AND state NOT IN " + FINAL)) {
                    for (Transition t : transitions) {
                        long at = t.at().toEpochMilli();
                        boolean last = t.state().isFinal();
                        ps.setString(1, t.state().name());
                        ps.setString(2, t.message());
                        ps.setLong(3, at);
                        ps.setString(4, t.unitId());
                        ps.setString(5, t.logsLocation());
                        if (t.state() == RunState.LAUNCHED) {
                            ps.setLong(6, at);
                        } else {
                            ps.setNull(6, Types.BIGINT);
                        }
                        if (last) {
                            ps.setLong(7, at);
                        } else {
                            ps.setNull(7, Types.BIGINT);
                        }
                        ps.setBoolean(8, last);
                        ps.setString(9, t.runId());
                        ps.setString(10, t.agentId());
                        ps.setInt(11, t.claims());
                        ps.addBatch();
                    }
                    counts = ps.executeBatch();
                }
                Set<String> refused = new HashSet<>();
                try (PreparedStatement ev = c.prepareStatement("INSERT INTO flowport_run_event (run_id, at, state, "
                        + "message, agent_id) VALUES (?, ?, ?, ?, ?)")) {
                    boolean any = false;
                    for (int i = 0; i < transitions.size(); i++) {
                        Transition t = transitions.get(i);
                        if (counts[i] == 0) {
                            refused.add(t.runId());
                            continue;
                        }
                        ev.setString(1, t.runId());
                        ev.setLong(2, t.at().toEpochMilli());
                        ev.setString(3, t.state().name());
                        ev.setString(4, t.message());
                        ev.setString(5, t.agentId());
                        ev.addBatch();
                        any = true;
                    }
                    if (any) {
                        ev.executeBatch();
                    }
                }
                return refused;
            });
        } catch (SQLException e) {
            throw failure("record " + transitions.size() + " state transition(s)", e);
        }
    }

    @Override
    public int release(String agentId, String reason) {
        try {
            return store.transaction(c -> release(c, agentId, reason, store.now(c)));
        } catch (SQLException e) {
            throw failure("release the runs of agent " + agentId, e);
        }
    }

    private int release(Connection c, String agentId, String reason, long now) throws SQLException {
        List<String[]> released = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, state FROM flowport_run WHERE agent_id = ? AND "
                + "state IN " + HELD + store.forUpdate())) {
            ps.setString(1, agentId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    released.add(new String[]{rs.getString(1), rs.getString(2)});
                }
            }
        }
        if (released.isEmpty()) {
            return 0;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE flowport_run SET lease_until = 0, updated_at = ? "
                + "WHERE agent_id = ? AND state IN " + HELD)) {
            ps.setLong(1, now);
            ps.setString(2, agentId);
            ps.executeUpdate();
        }
        try (PreparedStatement ev = c.prepareStatement("INSERT INTO flowport_run_event (run_id, at, state, message, "
                + "agent_id) VALUES (?, ?, ?, ?, ?)")) {
            for (String[] r : released) {
                ev.setString(1, r[0]);
                ev.setLong(2, now);
                ev.setString(3, r[1]);
                ev.setString(4, "released: " + reason);
                ev.setString(5, agentId);
                ev.addBatch();
            }
            ev.executeBatch();
        }
        return released.size();
    }

    @Override
    public void agentStopped(String agentId) {
        try {
            store.transaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("UPDATE flowport_agent SET stopped_at = ? WHERE id = ?")) {
                    ps.setLong(1, store.now(c));
                    ps.setString(2, agentId);
                    return ps.executeUpdate();
                }
            });
        } catch (SQLException e) {
            throw failure("mark agent " + agentId + " stopped", e);
        }
    }

    @Override
    public List<AgentRecord> agents() {
        try {
            return store.read(c -> {
                List<AgentRecord> out = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT id, labels, host, started_at, heartbeat_at, "
                        + "stopped_at FROM flowport_agent ORDER BY heartbeat_at DESC");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new AgentRecord(rs.getString(1), store.readLabels(rs, "labels"), rs.getString(3),
                                instant(rs, "started_at"), instant(rs, "heartbeat_at"), instant(rs, "stopped_at")));
                    }
                }
                return out;
            });
        } catch (SQLException e) {
            throw failure("list agents", e);
        }
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public String toString() {
        return "RunQueue[" + store.describe() + "]";
    }

    private static void event(Connection c, String runId, long at, RunState state, String message, String agent)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO flowport_run_event (run_id, at, state, message, "
                + "agent_id) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, runId);
            ps.setLong(2, at);
            ps.setString(3, state.name());
            ps.setString(4, message);
            ps.setString(5, agent);
            ps.executeUpdate();
        }
    }

    /** A run with its position in the queue. */
    private record Row(long seq, QueuedRun run) {
    }

    private List<QueuedRun> rows(PreparedStatement ps) throws SQLException {
        List<QueuedRun> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(row(rs));
            }
        }
        return out;
    }

    private QueuedRun row(ResultSet rs) throws SQLException {
        long timeout = rs.getLong("timeout_ms");
        Duration t = rs.wasNull() ? null : Duration.ofMillis(timeout);
        return new QueuedRun(rs.getString("id"), rs.getString("flow_name"), rs.getString("flow_location"),
                rs.getString("storage_json"), rs.getString("command_json"), rs.getString("parameters_json"),
                store.readLabels(rs, "labels"), rs.getString("environment_json"), rs.getInt("priority"),
                instant(rs, "not_before"), t, instant(rs, "submitted_at"), RunState.valueOf(rs.getString("state")),
                rs.getString("state_message"), instant(rs, "updated_at"), rs.getString("agent_id"),
                instant(rs, "lease_until"), rs.getInt("claims"), rs.getString("unit_id"),
                rs.getString("logs_location"), rs.getString("cancel_reason"), instant(rs, "launched_at"),
                instant(rs, "finished_at"), List.of());
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long ms = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
    }

    private QueueException failure(String what, SQLException e) {
        return new QueueException("could not " + what + " on " + store.describe() + ": " + e.getMessage(), e);
    }
}
