-- The run queue on SQLite. Times are epoch milliseconds. Labels are a sorted JSON array of strings.
CREATE TABLE flowport_run (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    flow_name        TEXT    NOT NULL,
    flow_location    TEXT    NOT NULL,
    storage_json     TEXT,
    command_json     TEXT,
    parameters_json  TEXT    NOT NULL,
    labels           TEXT    NOT NULL,
    environment_json TEXT,
    priority         INTEGER NOT NULL DEFAULT 0,
    not_before       INTEGER NOT NULL,
    timeout_ms       INTEGER,
    submitted_at     INTEGER NOT NULL,
    state            TEXT    NOT NULL,
    state_message    TEXT,
    updated_at       INTEGER NOT NULL,
    agent_id         TEXT,
    lease_until      INTEGER,
    claims           INTEGER NOT NULL DEFAULT 0,
    unit_id          TEXT,
    logs_location    TEXT,
    cancel_reason    TEXT,
    launched_at      INTEGER,
    finished_at      INTEGER
);

-- ready runs in claim order
CREATE INDEX flowport_run_ready ON flowport_run (state, priority DESC, seq);
-- runs held by an agent (heartbeats, releases, takeovers)
CREATE INDEX flowport_run_agent ON flowport_run (agent_id, state);
CREATE INDEX flowport_run_lease ON flowport_run (lease_until);

CREATE TABLE flowport_run_event (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id   TEXT    NOT NULL REFERENCES flowport_run (id),
    at       INTEGER NOT NULL,
    state    TEXT    NOT NULL,
    message  TEXT,
    agent_id TEXT
);
CREATE INDEX flowport_run_event_run ON flowport_run_event (run_id, seq);

CREATE TABLE flowport_agent (
    id           TEXT    PRIMARY KEY,
    labels       TEXT    NOT NULL,
    host         TEXT,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    stopped_at   INTEGER
);
