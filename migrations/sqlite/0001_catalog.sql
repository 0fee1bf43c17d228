-- Sluice metadata catalog, SQLite dialect. Keep in step with ../postgres/0001_catalog.sql:
-- the same tables, columns and meaning; only types and identity columns differ.
-- Timestamps are microseconds since the Unix epoch (UTC) in both dialects.

CREATE TABLE roles (
    name              TEXT PRIMARY KEY,
    superuser         BOOLEAN NOT NULL DEFAULT FALSE,
    can_login         BOOLEAN NOT NULL DEFAULT FALSE,
    -- SCRAM-SHA-256 verifier in PostgreSQL's format; never a password.
    password_verifier TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE secrets (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,            -- 'text' | 'binary'
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    owner       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE sources (
    name        TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    options     TEXT NOT NULL,            -- JSON object; secrets by name
    status      TEXT NOT NULL DEFAULT 'unknown',
    owner       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE source_secrets (
    source      TEXT NOT NULL REFERENCES sources(name) ON DELETE CASCADE ON UPDATE CASCADE,
    secret      TEXT NOT NULL REFERENCES secrets(name) ON UPDATE CASCADE,
    PRIMARY KEY (source, secret)
);

CREATE TABLE tables (
    source       TEXT NOT NULL REFERENCES sources(name) ON DELETE CASCADE ON UPDATE CASCADE,
    database     TEXT NOT NULL,           -- '' for systems without databases (Kafka)
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,           -- 'introspected' | 'declared'
    definition   TEXT,                    -- JSON: WITH options, watermark, computed columns
    refreshed_at BIGINT NOT NULL,
    PRIMARY KEY (source, database, name)
);

CREATE TABLE columns (
    source       TEXT NOT NULL,
    database     TEXT NOT NULL,
    table_name   TEXT NOT NULL,
    ordinal      BIGINT NOT NULL,
    name         TEXT NOT NULL,
    data_type    TEXT NOT NULL,           -- Sluice (Flink SQL) type
    source_type  TEXT NOT NULL,           -- the source system's own type name
    nullable     BOOLEAN NOT NULL,
    is_key       BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (source, database, table_name, ordinal),
    FOREIGN KEY (source, database, table_name) REFERENCES tables(source, database, name)
        ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE targets (
    name        TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    options     TEXT NOT NULL,
    owner       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE pipelines (
    name        TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    engine      TEXT NOT NULL,
    mode        TEXT NOT NULL,
    target      TEXT,
    options     TEXT NOT NULL,
    body        TEXT NOT NULL,            -- normalized SQL, round-trips through SHOW CREATE
    owner       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE pipeline_versions (
    pipeline    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    options     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (pipeline, version)
);

CREATE TABLE pipeline_sources (
    pipeline    TEXT NOT NULL REFERENCES pipelines(name) ON DELETE CASCADE ON UPDATE CASCADE,
    source      TEXT NOT NULL,
    PRIMARY KEY (pipeline, source)
);

CREATE TABLE deployments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline         TEXT NOT NULL,
    pipeline_version BIGINT NOT NULL,
    target           TEXT NOT NULL,
    engine           TEXT NOT NULL,
    engine_job_id    TEXT,
    state            TEXT NOT NULL,
    since            BIGINT NOT NULL,
    last_error       TEXT,
    savepoint        TEXT,
    rows_in          BIGINT,
    rows_out         BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX deployments_by_pipeline ON deployments (pipeline);

CREATE TABLE syncs (
    name             TEXT PRIMARY KEY,
    source           TEXT NOT NULL,
    source_database  TEXT NOT NULL,
    including        TEXT,
    excluding        TEXT,
    sink             TEXT NOT NULL,
    sink_database    TEXT NOT NULL,
    options          TEXT NOT NULL,
    owner            TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE sync_tables (
    sync          TEXT NOT NULL REFERENCES syncs(name) ON DELETE CASCADE ON UPDATE CASCADE,
    source_table  TEXT NOT NULL,
    sink_table    TEXT NOT NULL,
    columns       TEXT NOT NULL,          -- JSON: [{name, source_type, sink_type}]
    PRIMARY KEY (sync, source_table)
);

CREATE TABLE schedules (
    name          TEXT PRIMARY KEY,
    cron          TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    options       TEXT NOT NULL,
    body          TEXT NOT NULL,          -- the RUN PIPELINE … AFTER … DAG, normalized
    state         TEXT NOT NULL,          -- 'active' | 'paused'
    next_fire_at  BIGINT,
    lease_owner   TEXT,
    lease_until   BIGINT,
    owner         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule      TEXT,
    pipeline      TEXT,
    trigger       TEXT NOT NULL,          -- 'cron' | 'manual' | 'backfill'
    logical_time  BIGINT,
    state         TEXT NOT NULL,
    attempt       BIGINT NOT NULL DEFAULT 1,
    started_at    BIGINT,
    finished_at   BIGINT,
    error         TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX runs_by_schedule ON runs (schedule);
CREATE INDEX runs_by_pipeline ON runs (pipeline);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,           -- e.g. 'create', 'alter', 'drop', 'state'
    object_kind  TEXT NOT NULL,           -- e.g. 'role', 'source', 'pipeline'
    object_name  TEXT NOT NULL,
    detail       TEXT
);
