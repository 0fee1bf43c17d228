"""Random DDL against the model's facts: mostly statements that should succeed, many that
must fail (duplicates, missing objects, dependents), and a few that are always wrong.
Small name pools make statements collide with each other."""

import contextlib
import dataclasses

from model import names

SOURCES = [f"s{i}" for i in range(9)]
TABLES = [f"t{i}" for i in range(3)]
PIPELINES = [f"p{i}" for i in range(10)]
SECRETS = [f"k{i}" for i in range(4)]
ROLES = [f"r{i}" for i in range(5)]
TARGETS = [f"f{i}" for i in range(3)]
SCHEDULES = [f"c{i}" for i in range(4)]
WRITABLE = ("blackhole", "print", "filesystem")
COLS = "(id BIGINT, name STRING)"


@dataclasses.dataclass
class Stmt:
    op: str
    sql: str
    args: dict
    must_fail: bool = False


class Generator:
    def __init__(self, rng, files_dir):
        self.rng = rng
        self.files_dir = files_dir
        self.ops = [(getattr(self, "_" + name), weight) for name, weight in WEIGHTS]
        self.focus = None  # a name every pick from its pool returns (see pairs.py)

    def next(self, facts):
        fns, weights = zip(*self.ops)
        return self.rng.choices(fns, weights)[0](facts)

    # -- helpers ---------------------------------------------------------------------
    @contextlib.contextmanager
    def focused(self, name):
        self.focus = name
        try:
            yield
        finally:
            self.focus = None

    def pick(self, pool, existing, p_existing=0.8):
        if self.focus in pool:
            return self.focus
        if existing and self.rng.random() < p_existing:
            return self.rng.choice(existing)
        return self.rng.choice(pool)

    def sources_of(self, facts, types):
        return [n for n in names(facts, "source") if facts[("source", n)] in types]

    def tables_of(self, facts, types):
        return [(k[1], k[3]) for k in facts if k[0] == "table" and facts.get(("source", k[1])) in types]

    def create_mode(self):
        return self.rng.choices(["plain", "ine", "replace"], [6, 2, 2])[0]

    @staticmethod
    def create_words(kind, mode):
        return {"plain": f"CREATE {kind}", "ine": f"CREATE {kind} IF NOT EXISTS",
                "replace": f"CREATE OR REPLACE {kind}"}[mode]

    def if_exists(self):
        return self.rng.random() < 0.25

    # -- sources and tables ----------------------------------------------------------
    def _create_source(self, facts):
        name = self.pick(SOURCES, [s for s in SOURCES if ("source", s) not in facts], 0.7)
        mode = self.create_mode()
        kind = facts.get(("source", name)) if mode == "replace" else None
        kind = kind or self.rng.choices(["datagen", "blackhole", "print", "filesystem", "postgres"],
                                        [4, 3, 2, 2, 1])[0]
        kind = "postgres" if self.focus in SECRETS and mode != "replace" else kind
        secrets, opts = [], ""
        if kind == "datagen":
            opts = f" WITH (number_of_rows = {self.rng.randint(1, 1000)})"
        elif kind == "filesystem":
            opts = f" WITH (path = '{self.files_dir}/{name}', format = 'csv')"
        elif kind == "postgres":
            secret = self.pick(SECRETS, names(facts, "secret"), 0.85)
            secrets = [secret]
            opts = (" WITH (host = '127.0.0.1', port = 5432, database = 'test', username = 'postgres', "
                    f"password = SECRET {secret})")
        sql = f"{self.create_words('SOURCE', mode)} {name} TYPE {kind}{opts}"
        return Stmt("create_source", sql, dict(name=name, type=kind, secrets=secrets, mode=mode))

    def _drop_source(self, facts):
        name = self.pick(SOURCES, names(facts, "source"))
        cascade = self.rng.random() < 0.5
        ie = self.if_exists()
        sql = f"DROP SOURCE {'IF EXISTS ' if ie else ''}{name}{' CASCADE' if cascade else ''}"
        return Stmt("drop_source", sql, dict(name=name, cascade=cascade))

    def _rename_source(self, facts):
        name = self.pick(SOURCES, names(facts, "source"))
        new = self.rng.choice(SOURCES)
        return Stmt("rename_source", f"ALTER SOURCE {name} RENAME TO {new}", dict(name=name, new=new))

    def _alter_source(self, facts):
        name = self.pick(SOURCES, self.sources_of(facts, ("datagen",)))
        sql = f"ALTER SOURCE {name} SET (number_of_rows = {self.rng.randint(1, 500)})"
        return Stmt("noop", sql, {})

    def _create_table(self, facts):
        source = self.pick(SOURCES, self.sources_of(facts, ("datagen",) + WRITABLE), 0.9)
        name = self.rng.choice(TABLES)
        opts = {"datagen": " WITH (number_of_rows = 50)",
                "filesystem": f" WITH (path = '{name}', format = 'csv')"}.get(facts.get(("source", source)), "")
        replace = self.rng.random() < 0.2
        sql = f"CREATE {'OR REPLACE ' if replace else ''}TABLE {source}.{name} {COLS}{opts}"
        return Stmt("create_table", sql, dict(source=source, name=name))

    def _drop_table(self, facts):
        existing = [(k[1], k[3]) for k in facts if k[0] == "table"]
        source, name = (self.rng.choice(existing) if existing and self.rng.random() < 0.8
                        else (self.rng.choice(SOURCES), self.rng.choice(TABLES)))
        sql = f"DROP TABLE {'IF EXISTS ' if self.if_exists() else ''}{source}.{name}"
        return Stmt("drop_table", sql, dict(source=source, name=name))

    # -- pipelines -------------------------------------------------------------------
    def _create_pipeline(self, facts):
        name = self.pick(PIPELINES, names(facts, "pipeline"), 0.4)
        reads = self.tables_of(facts, ("datagen",)) or [(self.rng.choice(SOURCES), "t0")]
        sinks = self.tables_of(facts, WRITABLE) or [(self.rng.choice(SOURCES), "t1")]
        if self.focus in SOURCES:
            reads = [t for t in reads if t[0] == self.focus] or reads
            sinks = [t for t in sinks if t[0] == self.focus] or sinks
        inserts, used = [], set()
        for _ in range(self.rng.choice([1, 1, 2])):
            (rs, rt), (ws, wt) = self.rng.choice(reads), self.rng.choice(sinks)
            where = f" WHERE id > {self.rng.randint(0, 9)}" if self.rng.random() < 0.3 else ""
            inserts.append(f"INSERT INTO {ws}.{wt} SELECT id, name FROM {rs}.{rt}{where}")
            used |= {rs, ws}
        body = inserts[0] if len(inserts) == 1 else "BEGIN " + "; ".join(inserts) + "; END"
        mode = self.rng.choice(["batch", "batch", "streaming"])
        opts = f"mode = '{mode}'"
        if self.rng.random() < 0.15 or self.focus in TARGETS:
            opts += f", target = '{self.pick(TARGETS, names(facts, 'target'))}'"
        how = self.create_mode()
        sql = f"{self.create_words('PIPELINE', how)} {name} WITH ({opts}) AS {body}"
        return Stmt("create_pipeline", sql, dict(name=name, sources=sorted(used), mode=mode, how=how))

    def _alter_pipeline(self, facts):
        name = self.pick(PIPELINES, names(facts, "pipeline"), 0.9)
        sql = f"ALTER PIPELINE {name} SET (parallelism = {self.rng.randint(1, 8)})"
        return Stmt("alter_pipeline", sql, dict(name=name))

    def _drop_pipeline(self, facts):
        name = self.pick(PIPELINES, names(facts, "pipeline"))
        sql = f"DROP PIPELINE {'IF EXISTS ' if self.if_exists() else ''}{name}"
        return Stmt("drop_pipeline", sql, dict(name=name))

    # -- secrets, targets, schedules -------------------------------------------------
    def _create_secret(self, facts):
        name, mode = self.rng.choice(SECRETS), self.create_mode()
        sql = f"{self.create_words('SECRET', mode)} {name} AS 'v{self.rng.randint(0, 10**6)}'"
        return Stmt("create_secret", sql, dict(name=name, mode=mode))

    def _alter_secret(self, facts):
        name = self.pick(SECRETS, names(facts, "secret"))
        return Stmt("noop", f"ALTER SECRET {name} AS 'w{self.rng.randint(0, 10**6)}'", {})

    def _drop_secret(self, facts):
        name = self.pick(SECRETS, names(facts, "secret"))
        sql = f"DROP SECRET {'IF EXISTS ' if self.if_exists() else ''}{name}"
        return Stmt("drop_secret", sql, dict(name=name))

    def _create_target(self, facts):
        name, mode = self.rng.choice(TARGETS), self.create_mode()
        # nothing listens on port 9 of the loopback: CREATE must not contact it
        sql = f"{self.create_words('TARGET', mode)} {name} TYPE flink WITH (rest_url = 'http://127.0.0.1:9')"
        return Stmt("create_target", sql, dict(name=name, type="flink", mode=mode))

    def _drop_target(self, facts):
        name = self.pick(TARGETS, [t for t in names(facts, "target") if t != "local"])
        sql = f"DROP TARGET {'IF EXISTS ' if self.if_exists() else ''}{name}"
        return Stmt("drop_target", sql, dict(name=name))

    def _create_schedule(self, facts):
        name, mode = self.rng.choice(SCHEDULES), self.create_mode()
        batch = [p for p in names(facts, "pipeline") if facts[("pipeline", p)][2] == "batch"]
        first = self.pick(PIPELINES, batch, 0.85)
        tasks, used = [f"RUN PIPELINE {first}"], [first]
        second = self.pick(PIPELINES, [p for p in batch if p != first], 0.85)
        if second != first and self.rng.random() < 0.5:
            tasks.append(f"RUN PIPELINE {second} AFTER {first}")
            used.append(second)
        # fires on January 1st only: no run during the test
        sql = (f"{self.create_words('SCHEDULE', mode)} {name} CRON '0 0 1 1 *' AS BEGIN "
               + "; ".join(tasks) + "; END")
        return Stmt("create_schedule", sql, dict(name=name, pipelines=used, mode=mode))

    def _drop_schedule(self, facts):
        name = self.pick(SCHEDULES, names(facts, "schedule"))
        sql = f"DROP SCHEDULE {'IF EXISTS ' if self.if_exists() else ''}{name}"
        return Stmt("drop_schedule", sql, dict(name=name))

    # -- roles and privileges --------------------------------------------------------
    def _create_role(self, facts):
        name = self.rng.choice(ROLES)
        login = " LOGIN PASSWORD 'pw'" if self.rng.random() < 0.5 else ""
        return Stmt("create_role", f"CREATE ROLE {name}{login}", dict(name=name))

    def _drop_role(self, facts):
        name = self.pick(ROLES, [r for r in names(facts, "role") if r in ROLES])
        sql = f"DROP ROLE {'IF EXISTS ' if self.if_exists() else ''}{name}"
        return Stmt("drop_role", sql, dict(name=name))

    def _rename_role(self, facts):
        name = self.pick(ROLES, [r for r in names(facts, "role") if r in ROLES])
        new = self.rng.choice(ROLES)
        return Stmt("rename_role", f"ALTER ROLE {name} RENAME TO {new}", dict(name=name, new=new))

    def grant_target(self, facts):
        kinds = [("source", "USAGE", SOURCES), ("source", "SELECT", SOURCES), ("secret", "USAGE", SECRETS),
                 ("target", "USAGE", TARGETS), ("pipeline", "OPERATE", PIPELINES),
                 ("schedule", "OPERATE", SCHEDULES), ("database", "CREATE", ["sluice"])]
        kind, priv, pool = self.rng.choice([k for k in kinds if self.focus in k[2]] or kinds)
        obj = self.pick(pool, names(facts, kind), 0.85)
        public = self.rng.random() < 0.1 and self.focus not in ROLES
        grantee = "public" if public else self.pick(ROLES, names(facts, "role"), 0.85)
        return kind, obj, grantee, priv

    def _grant(self, facts):
        kind, obj, grantee, priv = self.grant_target(facts)
        sql = f"GRANT {priv} ON {kind.upper()} {obj} TO {grantee}"
        return Stmt("grant", sql, dict(kind=kind, obj=obj, grantee=grantee, priv=priv))

    def _revoke(self, facts):
        existing = [k[1:] for k in facts if k[0] == "grant" and k[2] != "local"]
        if existing and self.rng.random() < 0.7:
            kind, obj, grantee, priv = self.rng.choice(sorted(existing))
        else:
            kind, obj, grantee, priv = self.grant_target(facts)
        sql = f"REVOKE {priv} ON {kind.upper()} {obj} FROM {grantee}"
        return Stmt("revoke", sql, dict(kind=kind, obj=obj, grantee=grantee, priv=priv))

    def _grant_role(self, facts):
        roles = [r for r in names(facts, "role") if r in ROLES]
        role, member = self.pick(ROLES, roles), self.pick(ROLES, roles)
        return Stmt("grant_role", f"GRANT {role} TO {member}", dict(role=role, member=member))

    def _revoke_role(self, facts):
        existing = sorted(k[1:] for k in facts if k[0] == "member")
        role, member = (self.rng.choice(existing) if existing and self.rng.random() < 0.8
                        else (self.rng.choice(ROLES), self.rng.choice(ROLES)))
        return Stmt("revoke_role", f"REVOKE {role} FROM {member}", dict(role=role, member=member))

    def _set_owner(self, facts):
        kinds = [("source", SOURCES), ("pipeline", PIPELINES), ("secret", SECRETS),
                 ("target", TARGETS), ("schedule", SCHEDULES)]
        kind, pool = self.rng.choice([k for k in kinds if self.focus in k[1]] or kinds)
        name = self.pick(pool, [n for n in names(facts, kind) if n != "local"])
        to_sluice = self.rng.random() < 0.4 and self.focus not in ROLES
        owner = "sluice" if to_sluice else self.pick(ROLES, names(facts, "role"))
        sql = f"ALTER {kind.upper()} {name} OWNER TO {owner}"
        return Stmt("set_owner", sql, dict(kind=kind, name=name, owner=owner))

    # -- statements that are always wrong ---------------------------------------------
    def _always_wrong(self, facts):
        src = self.rng.choice(SOURCES)
        sql = self.rng.choice([
            f"CREATE SOURCE {src} TYPE nosuchtype",
            f"CREATE SOURCE {src} TYPE datagen WITH (no_such_option = 1)",
            f"CREATE SOURCE {src} TYPE datagen WITH (number_of_rows = 'many')",
            f"CREATE PIPELINE {self.rng.choice(PIPELINES)} AS INSERT INTO nowhere.t0 SELECT 1",
            f"CREATE SCHEDULE {self.rng.choice(SCHEDULES)} CRON 'not a cron' AS BEGIN RUN PIPELINE p0; END",
            f"CREATE SCHEDULE {self.rng.choice(SCHEDULES)} CRON '0 0 1 1 *' AS BEGIN "
            "RUN PIPELINE p0 AFTER p1; RUN PIPELINE p1 AFTER p0; END",
            "CREATE ROLE sluice_chaos", "DROP ROLE sluice",
            f"CREATE TARGET {self.rng.choice(TARGETS)} TYPE flink WITH (rest_url = 7)",
            "DROP TARGET local", f"CREATE TABEL {src}.t0 {COLS}",
        ])
        return Stmt("noop", sql, {}, must_fail=True)


WEIGHTS = [
    ("create_source", 10), ("drop_source", 6), ("rename_source", 2), ("alter_source", 2),
    ("create_table", 10), ("drop_table", 3), ("create_pipeline", 14), ("alter_pipeline", 4),
    ("drop_pipeline", 5), ("create_secret", 4), ("alter_secret", 2), ("drop_secret", 3),
    ("create_target", 3), ("drop_target", 2), ("create_schedule", 4), ("drop_schedule", 3),
    ("create_role", 3), ("drop_role", 3), ("rename_role", 1), ("grant", 6), ("revoke", 4),
    ("grant_role", 2), ("revoke_role", 1), ("set_owner", 3), ("always_wrong", 2),
]
