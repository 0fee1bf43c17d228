-- Schedules: the tasks of each schedule's DAG, each run's logical interval and lease,
-- and one row per task of a run.
CREATE TABLE schedule_tasks (
    schedule  TEXT NOT NULL,
    pipeline  TEXT NOT NULL,
    upstream  TEXT NOT NULL,              -- JSON array of the pipelines it runs after
    ordinal   BIGINT NOT NULL,
    PRIMARY KEY (schedule, pipeline)
);
CREATE INDEX schedule_tasks_by_pipeline ON schedule_tasks (pipeline);
-- Each scheduler tick looks for active schedules due now.
CREATE INDEX schedules_due ON schedules (state, next_fire_at);

ALTER TABLE runs ADD COLUMN interval_start BIGINT;
ALTER TABLE runs ADD COLUMN interval_end BIGINT;
-- The gateway executing the run, until when; another takes the run over after that.
ALTER TABLE runs ADD COLUMN lease_owner TEXT;
ALTER TABLE runs ADD COLUMN lease_until BIGINT;
-- A cron fire time makes one run, whichever gateway fires it.
CREATE UNIQUE INDEX runs_fired_once ON runs (schedule, logical_time) WHERE trigger = 'cron';
CREATE INDEX runs_by_state ON runs (state);

CREATE TABLE run_tasks (
    run          BIGINT NOT NULL,         -- runs.id
    pipeline     TEXT NOT NULL,
    upstream     TEXT NOT NULL,           -- JSON array, as in schedule_tasks
    ordinal      BIGINT NOT NULL,
    state        TEXT NOT NULL,           -- queued | running | succeeded | failed | upstream_failed | skipped | timed_out | cancelled
    attempt      BIGINT NOT NULL DEFAULT 0,
    not_before   BIGINT,                  -- a retry waits until then
    deployment   BIGINT,                  -- deployments.id of the current attempt
    started_at   BIGINT,
    finished_at  BIGINT,
    error        TEXT,
    PRIMARY KEY (run, pipeline)
);
CREATE INDEX run_tasks_by_pipeline ON run_tasks (pipeline);
