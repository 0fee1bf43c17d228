"""Part B's load: client threads through one gateway, each creating and dropping objects of
its own (names never reused) and reading the catalog, recording every answer."""

import threading
import time

import psycopg

READS = [
    "SHOW PIPELINES", "SHOW SOURCES", "SELECT count(*) FROM sluice.events",
    "SELECT name, version FROM sluice.pipelines", "SELECT name, type FROM sluice.sources",
    "SELECT * FROM sluice.deployments", "SELECT count(*) FROM sluice.grants",
]
HUNG_AFTER = 40.0


class Loader:
    def __init__(self, gw, rng, workers):
        self.gw, self.rng, self.workers = gw, rng, workers
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.results, self.findings, self.marks = [], [], []
        self.expected = {}  # object name -> 'present' | 'absent' | 'unknown'
        self.running = {}  # worker -> (sql, started, connection)
        self.reported = set()
        self.t0 = time.monotonic()
        self.threads = []

    def start(self):
        self.threads = [threading.Thread(target=self.worker, args=(i,), daemon=True) for i in range(self.workers)]
        self.threads.append(threading.Thread(target=self.watchdog, daemon=True))
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(HUNG_AFTER + 10)

    def mark(self, what):
        with self.lock:
            self.marks.append((round(time.monotonic() - self.t0, 2), what))

    # -- one client ----------------------------------------------------------------------
    def worker(self, w):
        conn, n = None, 0
        while not self.stopping.is_set():
            if conn is None:
                conn = self.connect(w)
                if conn is None:
                    time.sleep(0.3)
                    continue
            n += 1
            ok = self.step(conn, w, n)
            if ok is None:  # the connection is gone
                conn = None
            time.sleep(self.rng.uniform(0, 0.02))
        if conn is not None:
            conn.close()

    def connect(self, w):
        try:
            return self.gw.connect(timeout=30)
        except psycopg.Error as e:
            self.record("connect", f"connect (worker {w})", e)
            return None

    def step(self, conn, w, n):
        if self.rng.random() < 0.03:  # a new session now and then: authentication reads the store
            conn.close()
            return None
        if self.rng.random() < 0.5:
            return self.run(conn, w, "read", self.rng.choice(READS))
        with self.lock:
            mine = [k for k, v in self.expected.items() if v == "present" and k.startswith(f"b{w}_")]
        if mine and self.rng.random() < 0.35:
            name = self.rng.choice(mine)
            return self.ddl(conn, w, f"DROP SOURCE {name} CASCADE", [(name, "absent"), ("p" + name, "absent")])
        name = f"b{w}_{n}"
        ok = self.ddl(conn, w, f"CREATE SOURCE {name} TYPE blackhole", [(name, "present")])
        if ok:
            ok = self.ddl(conn, w, f"CREATE TABLE {name}.t (id BIGINT, name STRING)", [])
        if ok:
            sql = f"CREATE PIPELINE p{name} WITH (mode = 'batch') AS INSERT INTO {name}.t SELECT id, name FROM gen.t0"
            ok = self.ddl(conn, w, sql, [("p" + name, "present")])
        return ok

    def ddl(self, conn, w, sql, effects):
        ok = self.run(conn, w, "ddl", sql)
        with self.lock:
            for name, state in effects:
                self.expected[name] = state if ok else "unknown"
        return ok

    def run(self, conn, w, kind, sql):
        """True on success, False on an error, None when the connection is gone."""
        with self.lock:
            self.running[w] = (sql, time.monotonic(), conn)
        try:
            conn.execute(sql).fetchall() if kind == "read" else conn.execute(sql)
            self.record(kind, sql, None)
            return True
        except psycopg.Error as e:
            self.record(kind, sql, e)
            if e.sqlstate is None:
                self.findings.append(f"the gateway dropped a client connection (at {self.now()}s, "
                                     f"gateway {'alive' if self.gw.alive() else 'gone'}) during {sql!r}: "
                                     f"{str(e).strip()[:200]}")
                return None
            return False
        finally:
            with self.lock:
                self.running.pop(w, None)

    def record(self, kind, sql, error):
        r = dict(t=self.now(), kind=kind, sql=sql, outcome="ok" if error is None else "error",
                 sqlstate=getattr(error, "sqlstate", None), message=str(error or "").strip())
        with self.lock:
            self.results.append(r)

    def now(self):
        return round(time.monotonic() - self.t0, 2)

    def watchdog(self):
        while not self.stopping.wait(1.0):
            with self.lock:
                stuck = [(w, s, t, c) for w, (s, t, c) in self.running.items()
                         if time.monotonic() - t > HUNG_AFTER and (w, t) not in self.reported]
                self.reported |= {(w, t) for w, _, t, _ in stuck}
            for w, sql, _, conn in stuck:
                self.findings.append(f"worker {w}: no answer after {HUNG_AFTER:.0f}s to {sql!r}; cancelled")
                try:
                    conn.cancel()
                except psycopg.Error:
                    pass

    # -- reporting -----------------------------------------------------------------------
    def timeline_summary(self):
        """Each disturbance with the errors between it and the next one."""
        bounds = [m[0] for m in self.marks] + [float("inf")]
        out = []
        for i, (t, what) in enumerate(self.marks):
            errors = [r for r in self.results if t <= r["t"] < bounds[i + 1] and r["outcome"] == "error"]
            states = sorted({r["sqlstate"] or "lost" for r in errors})
            out.append(f"{t}s {what}: {len(errors)} errors until the next mark {states}")
        return out
