-- What refers to a pipeline by name is tied to it by a foreign key, checked at COMMIT
-- (a pipeline and what refers to it are written in one transaction, in either order):
-- its deployments go with it, a schedule task or a sync keeps it from being dropped,
-- and a renamed pipeline takes them along. SQLite adds a foreign key by rebuilding the
-- table; deployments of pipelines dropped before this version go with them.
DROP INDEX deployments_by_pipeline;
DROP INDEX deployments_one_active;
DROP INDEX deployments_by_state;
ALTER TABLE deployments RENAME TO deployments_old;
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
    updated_at       BIGINT NOT NULL,
    started_from     TEXT,
    FOREIGN KEY (pipeline) REFERENCES pipelines(name)
        ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO deployments (id, pipeline, pipeline_version, target, engine, engine_job_id, state, since,
                         last_error, savepoint, rows_in, rows_out, created_at, updated_at, started_from)
    SELECT id, pipeline, pipeline_version, target, engine, engine_job_id, state, since,
           last_error, savepoint, rows_in, rows_out, created_at, updated_at, started_from
    FROM deployments_old WHERE pipeline IN (SELECT name FROM pipelines);
-- ids are never reused (a run's tasks name their deployments by id)
DELETE FROM sqlite_sequence WHERE name = 'deployments';
INSERT INTO sqlite_sequence (name, seq) SELECT 'deployments', seq FROM sqlite_sequence WHERE name = 'deployments_old';
DROP TABLE deployments_old;
CREATE INDEX deployments_by_pipeline ON deployments (pipeline);
CREATE UNIQUE INDEX deployments_one_active ON deployments (pipeline)
    WHERE state IN ('submitting', 'running', 'stopping', 'suspending');
CREATE INDEX deployments_by_state ON deployments (state);

DROP INDEX schedule_tasks_by_pipeline;
ALTER TABLE schedule_tasks RENAME TO schedule_tasks_old;
CREATE TABLE schedule_tasks (
    schedule  TEXT NOT NULL REFERENCES schedules(name)
        ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    pipeline  TEXT NOT NULL REFERENCES pipelines(name)
        ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    upstream  TEXT NOT NULL,              -- JSON array of the pipelines it runs after
    ordinal   BIGINT NOT NULL,
    PRIMARY KEY (schedule, pipeline)
);
INSERT INTO schedule_tasks (schedule, pipeline, upstream, ordinal)
    SELECT schedule, pipeline, upstream, ordinal FROM schedule_tasks_old
    WHERE schedule IN (SELECT name FROM schedules) AND pipeline IN (SELECT name FROM pipelines);
DROP TABLE schedule_tasks_old;
CREATE INDEX schedule_tasks_by_pipeline ON schedule_tasks (pipeline);

-- a sync compiles into the pipeline of its name; sync_tables is rebuilt with it (renaming
-- syncs would leave its foreign key naming the old table)
ALTER TABLE syncs RENAME TO syncs_old;
CREATE TABLE syncs (
    name             TEXT PRIMARY KEY REFERENCES pipelines(name)
        ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
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
INSERT INTO syncs (name, source, source_database, including, excluding, sink, sink_database, options,
                   owner, created_at, updated_at)
    SELECT name, source, source_database, including, excluding, sink, sink_database, options,
           owner, created_at, updated_at
    FROM syncs_old WHERE name IN (SELECT name FROM pipelines);
ALTER TABLE sync_tables RENAME TO sync_tables_old;
CREATE TABLE sync_tables (
    sync          TEXT NOT NULL REFERENCES syncs(name) ON DELETE CASCADE ON UPDATE CASCADE,
    source_table  TEXT NOT NULL,
    sink_table    TEXT NOT NULL,
    columns       TEXT NOT NULL,          -- JSON: [{name, source_type, sink_type}]
    ddl           TEXT NOT NULL DEFAULT '',
    ordinal       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (sync, source_table)
);
INSERT INTO sync_tables (sync, source_table, sink_table, columns, ddl, ordinal)
    SELECT sync, source_table, sink_table, columns, ddl, ordinal FROM sync_tables_old
    WHERE sync IN (SELECT name FROM syncs);
DROP TABLE sync_tables_old;
DROP TABLE syncs_old;
