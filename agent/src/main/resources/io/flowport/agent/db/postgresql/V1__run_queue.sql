-- The run queue on PostgreSQL. Times are epoch milliseconds (taken from the database's clock, so that agents on
-- machines with skewed clocks agree on leases). Labels are a text array.
CREATE TABLE flowport_run (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    flow_name        TEXT    NOT NULL,
    flow_location    TEXT    NOT NULL,
    storage_json     TEXT,
    command_json     TEXT,
    parameters_json  TEXT    NOT NULL,
    labels           TEXT[]  NOT NULL,
    environment_json TEXT,
    priority         INTEGER NOT NULL DEFAULT 0,
    not_before       BIGINT  NOT NULL,
    timeout_ms       BIGINT,
    submitted_at     BIGINT  NOT NULL,
    state            TEXT    NOT NULL,
    state_message    TEXT,
    updated_at       BIGINT  NOT NULL,
    agent_id         TEXT,
    lease_until      BIGINT,
    claims           INTEGER NOT NULL DEFAULT 0,
    unit_id          TEXT,
    logs_location    TEXT,
    cancel_reason    TEXT,
    launched_at      BIGINT,
    finished_at      BIGINT
);

-- ready runs in claim order (the claim query's ORDER BY), only the queued ones
CREATE INDEX flowport_run_ready ON flowport_run (priority DESC, seq) WHERE state = 'QUEUED';
-- runs held by agents: heartbeats, releases and takeovers of expired leases
CREATE INDEX flowport_run_held ON flowport_run (agent_id)
    WHERE state IN ('CLAIMED', 'LAUNCHED', 'PROVISIONING', 'PENDING', 'RUNNING', 'STOPPING');
CREATE INDEX flowport_run_lease ON flowport_run (lease_until)
    WHERE state IN ('CLAIMED', 'LAUNCHED', 'PROVISIONING', 'PENDING', 'RUNNING', 'STOPPING');
CREATE INDEX flowport_run_state ON flowport_run (state, seq);

CREATE TABLE flowport_run_event (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id   TEXT   NOT NULL REFERENCES flowport_run (id),
    at       BIGINT NOT NULL,
    state    TEXT   NOT NULL,
    message  TEXT,
    agent_id TEXT
);
CREATE INDEX flowport_run_event_run ON flowport_run_event (run_id, seq);

CREATE TABLE flowport_agent (
    id           TEXT   PRIMARY KEY,
    labels       TEXT[] NOT NULL,
    host         TEXT,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    stopped_at   BIGINT
);
