"""One round of Part A: 1–3 client connections issue generated DDL until the round's count
is reached, while a killer SIGKILLs the gateway once a random number of statements has
been sent (a few milliseconds later, so that statements are in flight)."""

import dataclasses
import threading
import time

import psycopg

from model import apply
from pairs import partner

# SQLSTATE classes a refused DDL statement may carry; anything else is reported.
EXPECTED_CLASSES = ("42", "2B", "22", "55", "0A", "0L", "3D", "40", "28")


@dataclasses.dataclass
class Result:
    stmt: object
    worker: int
    t_send: float
    t_recv: float = None
    outcome: str = "pending"  # ok | fail | inflight
    sqlstate: str = None
    message: str = None
    foot: set = dataclasses.field(default_factory=set)


class Round:
    def __init__(self, gateway, generator, facts, rng, size, workers, kill_after, sync=False, timeout=120):
        self.gw, self.gen, self.rng = gateway, generator, rng
        # synchronized: the workers send each statement at the same instant, in conflicting pairs
        self.synced = sync and workers > 1
        self.barrier = threading.Barrier(workers)
        self.partners = []
        self.facts = facts  # live: updated as acknowledgements arrive
        self.size, self.workers, self.kill_after, self.timeout = size, workers, kill_after, timeout
        self.lock = threading.Lock()
        self.sent = 0
        self.working = workers  # workers still sending
        self.killed_at = None
        self.results = []
        self.findings = []

    def run(self):
        threads = [threading.Thread(target=self.worker, args=(i,), daemon=True) for i in range(self.workers)]
        if self.kill_after:
            threads.append(threading.Thread(target=self.killer, daemon=True))
        for t in threads:
            t.start()
        deadline = time.monotonic() + self.timeout
        for t in threads:
            t.join(max(0.1, deadline - time.monotonic()))
        if any(t.is_alive() for t in threads):
            hung = [r.stmt.sql for r in self.results if r.outcome == "pending"]
            self.findings.append(f"statements without an answer after {self.timeout}s: {hung[:3]}")
            self.kill_now()
            for t in threads:
                t.join(30)
        return self

    def kill_now(self):
        with self.lock:
            if self.killed_at is None:
                self.killed_at = time.monotonic()
        self.barrier.abort()
        self.gw.kill()

    def killer(self):
        while True:
            with self.lock:
                if self.sent >= self.kill_after or self.sent >= self.size or not self.working:
                    break
            time.sleep(0.001)
        time.sleep(self.rng.uniform(0, 0.03))
        self.kill_now()

    def next_statement(self, worker):
        with self.lock:
            if self.sent >= self.size or self.killed_at is not None:
                return None
            self.sent += 1
            if self.synced and self.partners:
                stmt = self.partners.pop()
            else:
                stmt = self.gen.next(self.facts)
                if self.synced:
                    self.partners.append(partner(self.gen, self.facts, stmt))
            r = Result(stmt, worker, time.monotonic())
            self.results.append(r)
            return r

    def worker(self, i):
        try:
            self.send_all(i)
        finally:
            with self.lock:
                self.working -= 1

    def send_all(self, i):
        try:
            conn = self.gw.connect()
        except psycopg.Error as e:
            if self.killed_at is None:
                self.findings.append(f"worker {i} could not connect to a live gateway: {e}")
            self.barrier.abort()
            return
        with conn:
            while self.wait_turn() and (r := self.next_statement(i)) is not None:
                if not self.execute(conn, r):
                    break
        self.barrier.abort()  # the others no longer wait for this one

    def wait_turn(self):
        """In a synchronized round, waits until every worker is ready to send."""
        if self.synced:
            try:
                self.barrier.wait(timeout=10)
            except threading.BrokenBarrierError:
                self.synced = False
        return True

    def execute(self, conn, r):
        """Runs one statement; False when the connection is gone."""
        try:
            if self.rng.random() < 0.3:
                psycopg.ClientCursor(conn).execute(r.stmt.sql)
            else:
                conn.execute(r.stmt.sql)
            outcome, state, message = "ok", None, None
        except psycopg.Error as e:
            state = e.sqlstate
            outcome, message = ("fail" if state else "inflight"), str(e).strip()
        with self.lock:
            r.t_recv, r.outcome, r.sqlstate, r.message = time.monotonic(), outcome, state, message
            if outcome == "ok":
                self.facts = apply(self.facts, r.stmt)
            killed = self.killed_at is not None
        if outcome == "inflight" and not killed:
            alive = self.gw.alive()
            self.findings.append(f"the gateway ({'alive' if alive else 'exited'}) dropped a client "
                                 f"connection during {r.stmt.sql!r}: {message}")
        self.judge(r)
        return outcome != "inflight"

    def judge(self, r):
        if r.outcome == "ok" and r.stmt.must_fail:
            self.findings.append(f"a statement that must fail succeeded: {r.stmt.sql}")
        if r.outcome == "fail" and not r.sqlstate.startswith(EXPECTED_CLASSES):
            verb = " ".join(w for w in r.stmt.sql.split()[:4] if w.isupper() and w not in ("IF", "NOT", "EXISTS"))
            self.findings.append(f"unexpected SQLSTATE {r.sqlstate} for {verb}: {r.message} -- e.g. {r.stmt.sql}")
