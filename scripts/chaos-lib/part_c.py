"""Part C: a source database stopped during a local run.

A private PostgreSQL holds `big` (--c-rows rows). One batch pipeline on the local target
copies it, read once, into two overwrite sinks: a csv directory (filesystem source) and a
table in the machine's PostgreSQL (database test). A first START runs to completion (the
sinks' old data); rows are then added at the source, a second START is begun and the
source server is stopped (-m immediate) mid-run. Expected: START fails with an 08xxx
error naming the source, the deployment ends `failed` with a last_error naming it, and
both sinks hold exactly their old data. Then the source comes back and a third START
succeeds with the new rows (the sinks are not left unusable)."""

import hashlib
import os
import shutil
import threading
import time

import psycopg

from procs import Gateway, PrivatePostgres, local_pg

SRC = "chaos_src"


def run_part_c(args, rng, workdir):
    started = time.monotonic()
    out = dict(rows=args.c_rows, findings=[])
    sink_table = f"chaos_sink_{os.getpid()}"
    pg = PrivatePostgres(workdir, "source-pg")
    gw = Gateway(args.binary, workdir)
    try:
        _make_source(pg, args.c_rows)
        gw.start()
        with gw.connect() as c:
            _define(c, pg, workdir, sink_table)
            _scenario(c, gw, pg, workdir, sink_table, args, rng, out)
    finally:
        gw.stop()
        out["gateway_log"] = gw.log_path
        if not args.keep:
            pg.destroy()
            _drop_sink(sink_table)
            shutil.rmtree(os.path.join(workdir, "files"), ignore_errors=True)
    out["seconds"] = round(time.monotonic() - started, 1)
    return out


def _make_source(pg, rows):
    pg.init()
    pg.start()
    with pg.connect() as c:
        c.execute("CREATE DATABASE srcdb")
    with pg.connect("srcdb") as c:
        c.execute("CREATE TABLE big (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")
        c.execute(f"INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, {rows}) g")
        c.execute("ANALYZE big")


def _define(c, pg, workdir, sink_table):
    c.execute(f"CREATE SOURCE {SRC} TYPE postgres WITH (host = '127.0.0.1', port = {pg.port}, "
              "database = 'srcdb', username = 'postgres')")
    c.execute(f"CREATE SOURCE files TYPE filesystem WITH (path = '{workdir}/files', format = 'csv')")
    c.execute("CREATE TABLE files.out (id BIGINT, name STRING) WITH (path = 'out', format = 'csv')")
    c.execute("CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', port = 5432, "
              "database = 'test', username = 'postgres')")
    c.execute(f"CREATE PIPELINE copy_big WITH (mode = 'batch', write_mode = 'overwrite') AS BEGIN "
              f"INSERT INTO files.out SELECT id, name FROM {SRC}.public.big; "
              f"INSERT INTO dw.public.{sink_table} SELECT id, name FROM {SRC}.public.big; END")


def _scenario(c, gw, pg, workdir, sink_table, args, rng, out):
    scans = _source_scans(pg)
    t = time.monotonic()
    c.execute("START PIPELINE copy_big")
    first = time.monotonic() - t
    out["first_run"] = f"{first:.1f}s, {_deployment(c)}"
    time.sleep(1.5)  # statistics reach pg_stat_user_tables within a second
    out["source_scans_first_run"] = _source_scans(pg) - scans
    old = _sinks(workdir, sink_table)
    out["old_sinks"] = old
    if old["files"][0] != args.c_rows or old["table"][0] != args.c_rows:
        out["findings"].append(f"the first run did not copy {args.c_rows} rows into both sinks: {old}")
    with pg.connect("srcdb") as s:
        s.execute(f"INSERT INTO big SELECT g, 'new ' || g FROM generate_series({args.c_rows + 1}, {args.c_rows + 1000}) g")
    _interrupted_run(c, gw, pg, first, rng, out)
    new = _sinks(workdir, sink_table)
    out["sinks_unchanged"] = new == old
    if new != old:
        out["findings"].append(f"the failed run changed the overwrite sinks: before {old}, after {new}")
    pg.start()
    _final_run(c, workdir, sink_table, args, out)


def _interrupted_run(c, gw, pg, first, rng, out):
    result = {}
    thread = threading.Thread(target=_start, args=(gw, result), daemon=True)
    thread.start()
    time.sleep(max(0.5, first * rng.uniform(0.3, 0.5)))
    if not thread.is_alive():
        out["findings"].append(f"the second run ended before the source was stopped ({result}); raise --c-rows")
    pg.stop("immediate")
    thread.join(120)
    out["start_error"] = result.get("error")
    state, last_error = _wait_failed(c)
    out["deployment_state"], out["last_error"] = state, last_error
    error = result.get("error") or {}
    if not str(error.get("sqlstate", "")).startswith("08"):
        out["findings"].append(f"START did not fail with an 08xxx error: {result}")
    elif SRC not in error.get("message", ""):
        out["findings"].append(f"START's 08xxx error does not name the source {SRC}: {error}")
    if state != "failed":
        out["findings"].append(f"the deployment is {state!r}, not 'failed', a minute after the source stopped")
    if SRC not in (last_error or ""):
        out["findings"].append(f"last_error does not name the source {SRC}: {last_error!r}")
    if not gw.alive():
        out["findings"].append("the gateway exited when the source stopped")


def _start(gw, result):
    try:
        with gw.connect() as c:
            c.execute("START PIPELINE copy_big")
        result["ok"] = True
    except psycopg.Error as e:
        result["error"] = {"sqlstate": e.sqlstate, "message": str(e).strip()}


def _final_run(c, workdir, sink_table, args, out):
    try:
        c.execute("START PIPELINE copy_big")
        out["after_recovery"] = _deployment(c)
    except psycopg.Error as e:
        out["after_recovery"] = f"{e.sqlstate}: {e}"
        out["findings"].append(f"START after the source came back failed: {e.sqlstate} {e}")
        return
    final = _sinks(workdir, sink_table)
    out["final_sinks"] = final
    if final["files"][0] != args.c_rows + 1000 or final["table"][0] != args.c_rows + 1000:
        out["findings"].append(f"after the source came back the sinks do not hold the new rows: {final}")


def _source_scans(pg):
    """Sequential scans of `big` so far (how many times a run read the source table)."""
    with pg.connect("srcdb") as s:
        return s.execute("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'big'").fetchone()[0]


def _deployment(c):
    cur = c.execute("SHOW DEPLOYMENTS FOR PIPELINE copy_big")
    rows, cols = cur.fetchall(), [d.name for d in cur.description]
    newest = max(rows, key=lambda r: r[cols.index("id")])
    return {k: newest[cols.index(k)] for k in ("id", "state", "last_error", "rows_in", "rows_out")}


def _wait_failed(c, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        d = _deployment(c)
        if d["state"] not in ("submitting", "running") or time.monotonic() > deadline:
            return d["state"], d["last_error"]
        time.sleep(0.5)


def _sinks(workdir, sink_table):
    """(rows, checksum) of each sink: the csv files a reader sees, and the table."""
    return {"files": _files_digest(os.path.join(workdir, "files", "out")),
            "table": _table_digest(sink_table)}


def _files_digest(path):
    lines = []
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(files):
            if name.startswith(".") or name.endswith(".inprogress"):
                continue
            with open(os.path.join(root, name), "rb") as f:
                body = f.read().splitlines()
            lines += [line for line in body if line and line != b"id,name"]
    lines.sort()
    return len(lines), hashlib.sha256(b"\n".join(lines)).hexdigest()[:16]


def _table_digest(table):
    try:
        with local_pg("test") as c:
            n, digest = c.execute(f"SELECT count(*), md5(coalesce(string_agg(id || ',' || name, E'\\n' "
                                  f"ORDER BY id), '')) FROM public.{table}").fetchone()
            return n, digest[:16]
    except psycopg.Error as e:
        return None, f"unreadable: {str(e).strip()[:100]}"


def _drop_sink(table):
    try:
        with local_pg("test") as c:
            c.execute(f"DROP TABLE IF EXISTS public.{table}")
    except psycopg.Error:
        pass
