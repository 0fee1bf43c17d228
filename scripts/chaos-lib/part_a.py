"""Part A: random DDL with SIGKILLs of the gateway at random points, on one metadata store.

Rounds of 20–60 statements from 1–3 connections; in most rounds the gateway is killed
once a random number of them has been sent, then started again on the same data
directory, metadata and ports (sometimes killed again while it starts). After every
round the store's facts are reconciled with the model (durability of acknowledged
statements, failed statements change nothing, nothing half made); after some restarts
and at the end the full integrity check runs."""

import collections
import os
import re
import time

import psycopg

from ddl import Generator
from integrity import event_checks, gateway_checks, store_checks
from model import facts_from_rows
from procs import Gateway, create_database, drop_database, local_pg
from reconcile import reconcile
from rounds import Round
from store import StoreReader, read_all


class StoreRun:
    def __init__(self, args, rng, backend, workdir):
        self.args, self.rng, self.backend = args, rng, backend
        self.workdir = workdir
        self.db = f"sluice_chaos_{os.getpid()}"
        url = f"postgres://postgres@127.0.0.1:5432/{self.db}" if backend == "postgres" else None
        self.gw = Gateway(args.binary, workdir, url)
        self.reader = StoreReader(backend, url or self.gw.sqlite_path)
        self.gen = Generator(rng, os.path.join(workdir, "files"))
        self.history = []  # (round, result) of every statement, for blame
        self.repeats = {}  # an integrity finding -> [its index in inconsistencies, times seen again]
        self.shapes = {}  # a finding's shape -> [its index in findings, how many more like it]
        self.stats = dict(store=backend, statements=0, succeeded=0, failed_by_class=collections.Counter(),
                          failed_by_sqlstate=collections.Counter(), in_flight_at_kill=0, kills=0,
                          kills_during_start=0, rounds=0, concurrent_rounds=0, synchronized_rounds=0, integrity_checks=0,
                          ambiguous_facts_explained=0, inconsistencies=[], findings=[])

    # -- the run -----------------------------------------------------------------------
    def run(self):
        started = time.monotonic()
        if self.backend == "postgres":
            create_database(local_pg, self.db)
        try:
            self.gw.start()
            facts = self.snapshot_facts()
            self.integrity("after the first start")
            while self.stats["statements"] < self.args.statements:
                if time.monotonic() - started > self.args.max_seconds:
                    self.finding(f"stopped by --max-seconds after {self.stats['statements']} statements")
                    break
                facts = self.one_round(facts)
            self.integrity("at the end")
        finally:
            self.gw.stop()
            if self.backend == "postgres" and not self.args.keep:
                drop_database(local_pg, self.db)
        self.stats["seconds"] = round(time.monotonic() - started, 1)
        self.stats["log"] = self.gw.log_path
        return self.stats

    def one_round(self, facts):
        s = self.stats
        size = min(self.rng.randint(20, 60), self.args.statements - s["statements"])
        workers = 1 if self.rng.random() < 0.4 else self.rng.randint(2, 3)
        kill_after = self.rng.randint(1, size) if self.rng.random() < self.args.kill_rate else None
        sync = workers > 1 and self.rng.random() < 0.6
        rnd = Round(self.gw, self.gen, facts, self.rng, size, workers, kill_after, sync).run()
        self.count(rnd, workers, sync)
        if not self.gw.alive():
            if rnd.killed_at is None:
                self.finding(f"the gateway exited by itself: {self.gw.log_tail(20)}")
            s["kills"] += 1 if rnd.killed_at is not None else 0
            self.restart()
        store_facts = self.snapshot_facts()
        found, explained = reconcile(facts, rnd.results, store_facts)
        s["ambiguous_facts_explained"] += explained
        s["inconsistencies"] += [f"round {s['rounds']}: {f}" for f in found]
        if rnd.killed_at is not None and s["kills"] % self.args.check_every == 0:
            self.integrity(f"after kill {s['kills']}")
        return store_facts

    def count(self, rnd, workers, sync):
        s = self.stats
        s["rounds"] += 1
        s["concurrent_rounds"] += workers > 1
        s["synchronized_rounds"] += sync
        for f in rnd.findings:
            self.finding(f)
        for r in rnd.results:
            self.history.append((s["rounds"], r))
            s["statements"] += 1
            if r.outcome == "ok":
                s["succeeded"] += 1
            elif r.outcome == "fail":
                s["failed_by_class"][r.sqlstate[:2]] += 1
                s["failed_by_sqlstate"][r.sqlstate] += 1
            else:
                s["in_flight_at_kill"] += 1
        if self.args.verbose:
            for r in rnd.results:
                print(f"  [{self.backend}] w{r.worker} {r.outcome:8} {r.sqlstate or '':5} {r.stmt.sql[:110]}")

    def restart(self):
        """Starts the gateway again; sometimes kills it once more while it starts."""
        if self.rng.random() < self.args.kill_during_start_rate:
            self.gw.spawn()
            time.sleep(self.rng.uniform(0.0, 0.4))
            self.gw.kill()
            self.stats["kills"] += 1
            self.stats["kills_during_start"] += 1
        self.gw.start()

    # -- reading and checking ------------------------------------------------------------
    def snapshot_facts(self):
        with self.reader.snapshot() as snap:
            return facts_from_rows(read_all(snap))

    def integrity(self, when):
        self.stats["integrity_checks"] += 1
        with self.reader.snapshot() as snap:
            found = store_checks(snap) + event_checks(read_all(snap))
            try:
                with self.gw.connect() as conn:
                    found += gateway_checks(conn, snap)
            except psycopg.Error as e:
                found.append(f"could not read the gateway's catalog: {e}")
        for f in found:
            self.note(f"integrity check {when}: ", f)
        if self.args.verbose or found:
            print(f"  [{self.backend}] integrity check {when}: {len(found)} inconsistencies")

    def finding(self, text):
        """Records a finding once per shape (object names aside), counting the others."""
        shape = re.sub(r"\b[srpkfct]\d\b", "_", text.split(" -- e.g. ")[0])
        if shape in self.shapes:
            entry = self.shapes[shape]
            entry[1] += 1
            base = self.stats["findings"][entry[0]].split(" [and ")[0]
            self.stats["findings"][entry[0]] = f"{base} [and {entry[1]} more like it]"
            return
        self.shapes[shape] = [len(self.stats["findings"]), 0]
        self.stats["findings"].append(text)

    def note(self, prefix, finding):
        """Records an integrity finding once; one still there at later checks is counted."""
        if finding in self.repeats:
            entry = self.repeats[finding]
            entry[1] += 1
            text = self.stats["inconsistencies"][entry[0]].split(" [still there at ")[0]
            self.stats["inconsistencies"][entry[0]] = f"{text} [still there at {entry[1]} later checks]"
            return
        self.repeats[finding] = [len(self.stats["inconsistencies"]), 0]
        self.stats["inconsistencies"].append(f"{prefix}{finding}{self.blame(finding)}")

    def blame(self, finding, keep=6):
        """The last statements naming the generated objects a finding names."""
        objects = set(re.findall(r"\b[sptkrfc]\d\b", finding))
        if not objects:
            return ""
        hits = [f"round {n} w{r.worker} [{r.outcome}{' ' + r.sqlstate if r.sqlstate else ''}] {r.stmt.sql}"
                for n, r in self.history if objects & set(re.findall(r"\b\w+\b", r.stmt.sql))]
        return "; last statements naming " + ", ".join(sorted(objects)) + ": " + " | ".join(hits[-keep:])
