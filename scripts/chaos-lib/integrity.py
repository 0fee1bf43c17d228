"""The integrity check, against the store itself (SQL, the same text on SQLite and
PostgreSQL) and against what the gateway lists. Each check names what it found; an empty
list means the catalog is whole.

What is asserted is what the store's code promises (catalog/src/store, the migrations):
  * a pipeline has versions 1..version, and its row is its newest version;
  * every reference resolves: tables, columns, secrets, pipelines' sources
    (pipeline_sources), deployments, schedule tasks, syncs, grants (object and grantee),
    owners, memberships, run tasks;
  * no half-made object: a declared table has columns, a pipeline has sources, a schedule
    has tasks whose AFTERs are tasks of the same schedule;
  * one active deployment per pipeline; one master key; a superuser that can log in;
  * the events: replaying create/replace/alter/rename/drop/grant/revoke/owner in id order
    gives exactly the objects, pipeline versions, grants and owners the store holds."""

import json

from events import replay

OBJECT_TABLES = {"source": "sources", "secret": "secrets", "target": "targets",
                 "pipeline": "pipelines", "schedule": "schedules", "sync": "syncs"}
ACTIVE = "('submitting', 'running', 'stopping', 'suspending')"

_grant_missing = " OR ".join(
    f"(g.object_kind = '{k}' AND g.object_name NOT IN (SELECT name FROM {t}))" for k, t in OBJECT_TABLES.items())
_owners = " UNION ALL ".join(
    f"SELECT '{k}', name, owner FROM {t} WHERE owner NOT IN (SELECT name FROM roles)"
    for k, t in OBJECT_TABLES.items())

CHECKS = [
    ("pipeline without versions 1..version",
     "SELECT p.name, p.version, count(v.version), min(v.version), max(v.version) FROM pipelines p "
     "LEFT JOIN pipeline_versions v ON v.pipeline = p.name GROUP BY p.name, p.version "
     "HAVING count(v.version) <> p.version OR min(v.version) <> 1 OR max(v.version) <> p.version"),
    ("pipeline row differs from its newest version",
     "SELECT p.name, p.version FROM pipelines p JOIN pipeline_versions v "
     "ON v.pipeline = p.name AND v.version = p.version WHERE v.body <> p.body OR v.options <> p.options"),
    ("version of a missing pipeline",
     "SELECT pipeline, version FROM pipeline_versions WHERE pipeline NOT IN (SELECT name FROM pipelines)"),
    ("pipeline without sources",
     "SELECT name FROM pipelines WHERE name NOT IN (SELECT pipeline FROM pipeline_sources)"),
    ("pipeline uses a missing source",
     "SELECT pipeline, source FROM pipeline_sources WHERE source NOT IN (SELECT name FROM sources)"),
    ("pipeline_sources row of a missing pipeline",
     "SELECT pipeline, source FROM pipeline_sources WHERE pipeline NOT IN (SELECT name FROM pipelines)"),
    ("table of a missing source",
     "SELECT source, database, name FROM tables WHERE source NOT IN (SELECT name FROM sources)"),
    ("declared table without columns",
     "SELECT t.source, t.database, t.name FROM tables t WHERE t.kind = 'declared' AND NOT EXISTS "
     "(SELECT 1 FROM columns c WHERE c.source = t.source AND c.database = t.database AND c.table_name = t.name)"),
    ("column of a missing table",
     "SELECT c.source, c.database, c.table_name, c.name FROM columns c WHERE NOT EXISTS (SELECT 1 FROM tables t "
     "WHERE c.source = t.source AND c.database = t.database AND c.table_name = t.name)"),
    ("source_secrets row naming a missing source or secret",
     "SELECT source, secret FROM source_secrets WHERE source NOT IN (SELECT name FROM sources) "
     "OR secret NOT IN (SELECT name FROM secrets)"),
    ("deployment of a missing pipeline",
     "SELECT id, pipeline FROM deployments WHERE pipeline NOT IN (SELECT name FROM pipelines)"),
    ("more than one active deployment",
     f"SELECT pipeline, count(*) FROM deployments WHERE state IN {ACTIVE} GROUP BY pipeline HAVING count(*) > 1"),
    ("schedule task of a missing schedule or pipeline",
     "SELECT schedule, pipeline FROM schedule_tasks WHERE schedule NOT IN (SELECT name FROM schedules) "
     "OR pipeline NOT IN (SELECT name FROM pipelines)"),
    ("schedule without tasks",
     "SELECT name FROM schedules WHERE name NOT IN (SELECT schedule FROM schedule_tasks)"),
    ("sync without its pipeline", "SELECT name FROM syncs WHERE name NOT IN (SELECT name FROM pipelines)"),
    ("sync table of a missing sync", "SELECT sync, source_table FROM sync_tables WHERE sync NOT IN (SELECT name FROM syncs)"),
    ("run task of a missing run", "SELECT run, pipeline FROM run_tasks WHERE run NOT IN (SELECT id FROM runs)"),
    ("grant on a missing object",
     "SELECT g.object_kind, g.object_name, g.grantee, g.privilege FROM grants g WHERE " + _grant_missing
     + " OR (g.object_kind = 'database' AND g.object_name <> 'sluice') OR g.object_kind NOT IN "
     "('database', 'source', 'secret', 'target', 'pipeline', 'schedule', 'sync')"),
    ("grant to a missing role",
     "SELECT object_kind, object_name, grantee, privilege FROM grants "
     "WHERE grantee <> 'public' AND grantee NOT IN (SELECT name FROM roles)"),
    ("object owned by a missing role", _owners),
    ("membership of a missing role",
     "SELECT role, member FROM role_members WHERE role NOT IN (SELECT name FROM roles) "
     "OR member NOT IN (SELECT name FROM roles)"),
    ("master key not recorded exactly once", "SELECT count(*) FROM master_key HAVING count(*) <> 1"),
    ("no superuser that can log in",
     "SELECT 1 FROM master_key WHERE NOT EXISTS (SELECT 1 FROM roles WHERE superuser AND can_login "
     "AND password_verifier IS NOT NULL)"),
    ("event without actor, action or object",
     "SELECT id FROM events WHERE at <= 0 OR actor = '' OR action = '' OR object_kind = ''"),
]


def store_checks(snap):
    found = []
    for name, sql in CHECKS:
        for row in snap.query(sql):
            found.append(f"{name}: {row}")
    for schedule, pipeline, upstream in snap.query("SELECT schedule, pipeline, upstream FROM schedule_tasks"):
        tasks = {p for (p,) in snap.query(f"SELECT pipeline FROM schedule_tasks WHERE schedule = '{schedule}'")}
        try:
            after = json.loads(upstream)
        except ValueError:
            found.append(f"schedule task with unreadable upstream: {schedule}.{pipeline}: {upstream!r}")
            continue
        for up in after:
            if up not in tasks:
                found.append(f"schedule task runs after a task its schedule lacks: {schedule}.{pipeline} after {up}")
    return found


def event_checks(rows):
    """The objects the events say exist, against the objects the store holds. Events that
    name an object or role missing at their point of the log are reported themselves;
    facts the store checks report as dangling are not reported twice."""
    expected, dangling = replay(rows)
    found, skip = [], set()
    for e, why in dangling:
        found.append(f"event {e['id']} '{e['action']} {e['detail']}' on {e['object_kind']} {e['object_name']} "
                     f"was recorded while {why}")
        skip |= {k for k in actual_objects(rows) if k[0] == "grant" and k[1:3] == (e["object_kind"], e["object_name"])}
        skip.add((e["object_kind"], e["object_name"]))
    actual = actual_objects(rows)
    skip |= _dangling_in_store(rows, actual)
    for key in sorted(set(expected) | set(actual), key=repr):
        if key in skip:
            continue
        if expected.get(key) != actual.get(key):
            found.append(f"events disagree with the store on {key}: events say {expected.get(key)!r}, "
                         f"store has {actual.get(key)!r}")
    return found


def _dangling_in_store(rows, actual):
    """Grants and ownerships naming a missing object or role (the store checks report them)."""
    roles = {r["name"] for r in rows["roles"]} | {"public"}
    out = {k for k in actual if k[0] == "grant" and (k[3] not in roles or
           (k[1] != "database" and (k[1], k[2]) not in actual))}
    out |= {k for k, v in actual.items() if isinstance(v, tuple) and v[1] not in roles}
    return out


def actual_objects(rows):
    out = {}
    for kind, table in OBJECT_TABLES.items():
        for r in rows[table]:
            out[(kind, r["name"])] = ("owner", r["owner"])
    for r in rows["pipelines"]:
        out[("pipeline", r["name"])] = ("owner", r["owner"], "version", int(r["version"]))
    for r in rows["roles"]:
        out[("role", r["name"])] = "exists"
    for r in rows["tables"]:
        if r["kind"] == "declared":
            out[("table", r["source"], r["database"], r["name"])] = "exists"
    for r in rows["grants"]:
        out[("grant", r["object_kind"], r["object_name"], r["grantee"], r["privilege"])] = "exists"
    return out


def gateway_checks(conn, snap):
    """What the gateway lists (its catalog tables and SHOW) against the store."""
    found = []
    pairs = [
        ("sluice.sources", "SELECT name, type FROM sluice.sources", "SELECT name, type FROM sources"),
        ("sluice.pipelines", "SELECT name, version FROM sluice.pipelines", "SELECT name, version FROM pipelines"),
        ("sluice.secrets", "SELECT name FROM sluice.secrets", "SELECT name FROM secrets"),
        ("sluice.targets", "SELECT name, type FROM sluice.targets", "SELECT name, type FROM targets"),
        ("sluice.schedules", "SELECT name FROM sluice.schedules", "SELECT name FROM schedules"),
        ("sluice.roles", "SELECT name FROM sluice.roles", "SELECT name FROM roles"),
        ("sluice.tables", "SELECT source, name FROM sluice.tables WHERE kind = 'declared'",
         "SELECT source, name FROM tables WHERE kind = 'declared'"),
        ("sluice.grants", "SELECT object_kind, object_name, grantee, privilege FROM sluice.grants",
         "SELECT object_kind, object_name, grantee, privilege FROM grants"),
        ("sluice.pipeline_versions", "SELECT pipeline, version FROM sluice.pipeline_versions",
         "SELECT pipeline, version FROM pipeline_versions"),
        ("SHOW SOURCES", "SHOW SOURCES", "SELECT name FROM sources"),
        ("SHOW PIPELINES", "SHOW PIPELINES", "SELECT name FROM pipelines"),
    ]
    for what, gw_sql, store_sql in pairs:
        gw = {_norm(r) for r in conn.execute(gw_sql).fetchall()}
        st = {_norm(r) for r in snap.query(store_sql)}
        if what.startswith("SHOW"):
            gw = {(r[0],) for r in gw}
        if gw != st:
            found.append(f"gateway's {what} differs from the store: only in gateway {sorted(gw - st)[:5]}, "
                         f"only in store {sorted(st - gw)[:5]}")
    return found


def _norm(row):
    return tuple(None if v is None else str(v) for v in row)
