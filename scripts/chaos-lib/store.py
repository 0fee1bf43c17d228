"""Reading the metadata store directly — SQLite through sqlite3 on DATA_DIR/sluice.db, or
PostgreSQL through psycopg — in one consistent read transaction."""

import contextlib
import sqlite3

import psycopg


class Snapshot:
    def __init__(self, run):
        self._run = run

    def query(self, sql):
        return [tuple(r) for r in self._run(sql)]

    def dicts(self, table, columns):
        rows = self.query(f"SELECT {', '.join(columns)} FROM {table}")
        return [dict(zip(columns, r)) for r in rows]


class StoreReader:
    """`kind` is 'sqlite' (target: the database file) or 'postgres' (target: a URL)."""

    def __init__(self, kind, target):
        self.kind = kind
        self.target = target

    @contextlib.contextmanager
    def snapshot(self):
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.target, timeout=30, isolation_level=None)
            try:
                conn.execute("BEGIN")
                yield Snapshot(lambda sql: conn.execute(sql).fetchall())
                conn.execute("COMMIT")
            finally:
                conn.close()
        else:
            with psycopg.connect(self.target, connect_timeout=10) as conn:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                yield Snapshot(lambda sql: conn.execute(sql).fetchall())
                conn.rollback()


# What a snapshot reads for the model and the event replay.
TABLES = {
    "sources": ["name", "type", "owner"],
    "source_secrets": ["source", "secret"],
    "secrets": ["name", "owner"],
    "tables": ["source", "database", "name", "kind"],
    "targets": ["name", "type", "owner"],
    "pipelines": ["name", "version", "mode", "owner"],
    "pipeline_sources": ["pipeline", "source"],
    "schedules": ["name", "owner"],
    "schedule_tasks": ["schedule", "pipeline", "upstream"],
    "syncs": ["name", "owner"],
    "roles": ["name"],
    "role_members": ["role", "member"],
    "grants": ["object_kind", "object_name", "grantee", "privilege"],
    "events": ["id", "at", "actor", "action", "object_kind", "object_name", "detail"],
}


def read_all(snap):
    out = {t: snap.dicts(t, cols) for t, cols in TABLES.items()}
    out["events"].sort(key=lambda e: e["id"])
    return out
