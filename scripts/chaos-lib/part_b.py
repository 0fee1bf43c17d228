"""Part B: the metadata PostgreSQL (a private instance) restarted under load.

Client threads run DDL (on names of their own, never reused) and catalog reads through
one gateway while the metadata server is restarted: `pg_ctl restart -m fast`, then
`-m immediate`, then stopped for a few seconds and started. Expected: clients get only
08xxx / 57Pxx errors (40001 / 40P01 tolerated), never lose their connection to the
gateway, the gateway keeps running (same pid) and answers DDL again within
RECOVERY_LIMIT seconds of the server being back; the store then passes the integrity
check, and every acknowledged DDL is there."""

import collections
import time

import psycopg

from integrity import event_checks, gateway_checks, store_checks
from load import Loader
from procs import Gateway, PrivatePostgres
from store import StoreReader, read_all

ALLOWED = ("08", "57P", "40001", "40P01")
RECOVERY_LIMIT = 30.0
DOWN = 12.0  # longer than the gateway's pool acquire timeout (10 s): statements must fail


def run_part_b(args, rng, workdir):
    started = time.monotonic()
    out = dict(statements=0, succeeded=0, errors_by_sqlstate={}, restarts=[], recovery_seconds=[],
               gateway_pid_unchanged=None, durable_checked=0, inconsistencies=[], findings=[])
    pg = PrivatePostgres(workdir, "metadata-pg")
    pg.init()
    pg.start()
    with pg.connect() as c:
        c.execute("CREATE DATABASE sluice_meta")
    gw = Gateway(args.binary, workdir, pg.url("sluice_meta"))
    try:
        gw.start()
        with gw.connect() as c:
            c.execute("CREATE SOURCE gen TYPE datagen WITH (number_of_rows = 100)")
            c.execute("CREATE TABLE gen.t0 (id BIGINT, name STRING)")
        pid = gw.proc.pid
        loader = Loader(gw, rng, workers=4)
        loader.start()
        _cycles(args, pg, gw, loader, out)
        loader.stop()
        out["gateway_pid_unchanged"] = gw.alive() and gw.proc.pid == pid
        if not out["gateway_pid_unchanged"]:
            out["findings"].append(f"the gateway exited during part B: {gw.log_tail(30)}")
        _judge_errors(loader, out)
        _after_checks(gw, pg, loader, out)
    finally:
        gw.stop()
        out["gateway_log"] = gw.log_path
        out["postgres_log"] = pg.root + ".postgres.log"
        if not args.keep:
            pg.destroy()
    out["seconds"] = round(time.monotonic() - started, 1)
    return out


def _cycles(args, pg, gw, loader, out):
    """Three disturbances spread over the load's length, each followed by a recovery probe."""
    pause = max(3.0, args.b_seconds / 4)
    plans = [("restart -m fast", lambda: pg.restart("fast")),
             ("restart -m immediate", lambda: pg.restart("immediate")),
             (f"stop -m fast, {DOWN:.0f} s down, start", lambda: (pg.stop("fast"), time.sleep(DOWN), pg.start()))]
    for name, action in plans:
        time.sleep(pause)
        t0 = time.monotonic()
        loader.mark(f"{name}: begins")
        action()
        back = time.monotonic()
        loader.mark(f"{name}: server back after {back - t0:.1f}s")
        recovered = _probe(gw, back)
        out["restarts"].append(name)
        out["recovery_seconds"].append(None if recovered is None else round(recovered, 2))
        if recovered is None:
            out["findings"].append(f"after '{name}' the gateway did not run DDL again within "
                                   f"{RECOVERY_LIMIT}s; log: {gw.log_tail(25)}")
    time.sleep(pause)


def _probe(gw, back):
    """Seconds from the server being back until a DDL succeeds on a fresh connection."""
    n = 0
    while time.monotonic() - back < RECOVERY_LIMIT:
        n += 1
        try:
            with gw.connect(timeout=5) as c:
                c.execute(f"CREATE SECRET probe_{int(back)}_{n} AS 'x'")
                c.execute(f"DROP SECRET probe_{int(back)}_{n}")
            return time.monotonic() - back
        except psycopg.Error:
            time.sleep(0.2)
    return None


def _unlabelled(r):
    """A failure libpq reports without a SQLSTATE: a refused login carries none, but the
    gateway refuses one while its store is down with 57P03, as PostgreSQL refuses logins
    while it starts (libpq shows only the message)."""
    if r["kind"] == "connect" and "the metadata store is unavailable" in r["message"]:
        return "57P03"
    return "login refused" if r["kind"] == "connect" else "connection lost"


def _judge_errors(loader, out):
    states = collections.Counter()
    odd = collections.Counter()
    for r in loader.results:
        out["statements"] += 1
        if r["outcome"] == "ok":
            out["succeeded"] += 1
            continue
        state = r["sqlstate"] or _unlabelled(r)
        states[state] += 1
        if not state.startswith(ALLOWED):
            odd[(state, r["kind"], r["message"].splitlines()[0][:160])] += 1
    out["errors_by_sqlstate"] = dict(sorted(states.items()))
    for (state, kind, message), n in odd.most_common(12):
        out["findings"].append(f"{n} x SQLSTATE {state} on {kind} (allowed: 08xxx, 57Pxx, 40001, 40P01): {message}")
    out["findings"] += loader.findings
    out["timeline"] = loader.timeline_summary()


def _after_checks(gw, pg, loader, out):
    reader = StoreReader("postgres", pg.url("sluice_meta"))
    with reader.snapshot() as snap:
        found = store_checks(snap) + event_checks(read_all(snap))
        try:
            with gw.connect() as conn:
                found += gateway_checks(conn, snap)
        except psycopg.Error as e:
            found.append(f"could not read the gateway's catalog: {e}")
        present = {name for (name,) in snap.query("SELECT name FROM sources")}
        present |= {name for (name,) in snap.query("SELECT name FROM pipelines")}
    for name, expected in loader.expected.items():
        out["durable_checked"] += expected != "unknown"
        if expected == "present" and name not in present:
            found.append(f"acknowledged CREATE of {name} is not in the store")
        if expected == "absent" and name in present:
            found.append(f"acknowledged DROP of {name} is undone in the store")
    out["inconsistencies"] += found

