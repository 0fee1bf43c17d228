"""What Python tools do against Sluice: psycopg2 and psycopg 3 queries with parameters,
the SQLAlchemy inspector (what Superset calls) on both drivers, and asyncpg with
parameters, prepared statements and its type introspection.

Usage: python python_clients.py HOST PORT USER PASSWORD
Prints one line per check and exits non-zero on the first failure."""

import asyncio
import json
import sys
from decimal import Decimal

HOST, PORT, USER, PASSWORD = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
EXPECTED_TABLES = {"roles", "sources", "source_types", "targets", "pipelines", "deployments",
                   "schedules", "runs", "events"}


def ok(what):
    print("ok", what, flush=True)


def check_psycopg2():
    import psycopg2
    conn = psycopg2.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, dbname="sluice")
    cur = conn.cursor()
    cur.execute("SELECT name, superuser FROM sluice.roles WHERE name = %s", (USER,))
    assert cur.fetchall() == [(USER, True)]
    cur.execute("SELECT %s::int * 2", (21,))
    assert cur.fetchone()[0] == 42
    try:
        cur.execute("SELECT * FROM sluice.nope")
        raise AssertionError("expected an error")
    except psycopg2.errors.UndefinedTable:
        conn.rollback()
    conn.close()
    ok("psycopg2")


def check_psycopg3():
    import psycopg
    with psycopg.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, dbname="sluice") as conn:
        row = conn.execute("SELECT name FROM sluice.roles WHERE name = %s", (USER,)).fetchone()
        assert row == (USER,), row
        # server-side binding of typed parameters, binary results
        with conn.cursor(binary=True) as cur:
            cur.execute("SELECT %s::bigint + 1 AS n", (41,))
            assert cur.fetchone()[0] == 42
        # prepared statements after the threshold
        for i in range(10):
            n = conn.execute("SELECT count(*) FROM sluice.roles WHERE name <> %s", (f"x{i}",), prepare=True).fetchone()[0]
            assert n >= 1
    ok("psycopg 3")


def check_sqlalchemy(driver):
    import sqlalchemy as sa
    from urllib.parse import quote
    engine = sa.create_engine(f"{driver}://{USER}:{quote(PASSWORD)}@{HOST}:{PORT}/sluice")
    inspector = sa.inspect(engine)
    schemas = inspector.get_schema_names()
    assert "sluice" in schemas, schemas
    tables = set(inspector.get_table_names("sluice"))
    assert EXPECTED_TABLES <= tables, tables
    columns = [(c["name"], type(c["type"]).__name__, c["nullable"]) for c in inspector.get_columns("roles", schema="sluice")]
    assert columns == [
        ("name", "TEXT", False), ("superuser", "BOOLEAN", False), ("can_login", "BOOLEAN", False),
        ("has_password", "BOOLEAN", False), ("created_at", "TIMESTAMP", False), ("updated_at", "TIMESTAMP", False),
    ], columns
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT name FROM sluice.roles WHERE name = :n"), {"n": USER}).fetchall()
        assert rows == [(USER,)], rows
        # sources are rows, with columns the inspector reports
        conn.execute(sa.text(f"CREATE SOURCE IF NOT EXISTS gen_{driver.split('+')[1]} TYPE datagen WITH (rows_per_second = 1)"))
        sources = sa.table("sources", sa.column("name"), sa.column("type"), schema="sluice")
        found = conn.execute(sa.select(sources.c.name, sources.c.type).where(sources.c.type == "datagen")).fetchall()
        assert (f"gen_{driver.split('+')[1]}", "datagen") in found, found
    source_columns = [c["name"] for c in inspector.get_columns("sources", schema="sluice")]
    assert source_columns == ["name", "type", "options", "status", "owner", "created_at", "updated_at"], source_columns
    # keys, indexes and comments, as Superset's and Alembic's reflection reads them
    pk = inspector.get_pk_constraint("pipeline_versions", schema="sluice")
    assert pk["name"] == "pipeline_versions_pkey" and pk["constrained_columns"] == ["pipeline", "version"], pk
    indexes = inspector.get_indexes("columns", schema="sluice")
    # SQLAlchemy lists the indexes that back no constraint; a primary key's is its own
    assert indexes == [], indexes
    fks = inspector.get_foreign_keys("columns", schema="sluice")
    assert [(f["name"], f["constrained_columns"], f["referred_schema"], f["referred_table"], f["referred_columns"]) for f in fks] == [
        ("columns_source_database_table_name_fkey", ["source", "database", "table_name"], "sluice", "tables",
         ["source", "database", "name"])], fks
    assert inspector.get_table_comment("sources", schema="sluice")["text"].startswith("External systems"), \
        inspector.get_table_comment("sources", schema="sluice")
    comments = {c["name"]: c.get("comment") for c in inspector.get_columns("roles", schema="sluice")}
    assert comments["has_password"] == "Whether a password is set (its SCRAM verifier is never shown)", comments
    table = sa.Table("sources", sa.MetaData(), schema="sluice", autoload_with=engine)
    assert [c.name for c in table.primary_key.columns] == ["name"], table.primary_key
    assert [(c.name, type(c.type).__name__, c.nullable) for c in table.columns][:2] == [("name", "TEXT", False), ("type", "TEXT", False)]
    tables = sa.Table("tables", sa.MetaData(), schema="sluice", autoload_with=engine)
    assert [(fk.parent.name, fk.target_fullname) for fk in tables.foreign_keys] == [("source", "sluice.sources.name")], tables.foreign_keys
    # a numeric(10,2) value: its type's precision and scale, and its digits
    with engine.connect() as conn:
        result = conn.execute(sa.text("SELECT CAST(12.34 AS numeric(10,2)) AS price, CAST(:p AS numeric) AS param"), {"p": "12.34"})
        assert [tuple(r) for r in result] == [(Decimal("12.34"), Decimal("12.34"))]
    engine.dispose()
    ok(f"sqlalchemy inspector ({driver})")


async def check_asyncpg():
    import asyncpg
    conn = await asyncpg.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, database="sluice")
    rows = await conn.fetch("SELECT name, superuser FROM sluice.roles WHERE name = $1", USER)
    assert [tuple(r) for r in rows] == [(USER, True)], rows
    assert await conn.fetchval("SELECT $1::bigint + $2::int", 40, 2) == 42
    stmt = await conn.prepare("SELECT count(*) FROM sluice.roles WHERE name <> $1")
    for i in range(10):
        assert await stmt.fetchval(f"x{i}") >= 1
    # numeric parameters and values keep their digits (asyncpg reads numeric in binary)
    assert str(await conn.fetchval("SELECT $1::numeric", Decimal("12.34"))) == "12.34"
    assert str(await conn.fetchval("SELECT CAST(12.3 AS numeric(10,2))")) == "12.30"
    # type introspection: asyncpg looks the type up in pg_type through pg_namespace
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    assert await conn.fetchval("SELECT $1::text", "after introspection") == "after introspection"
    await conn.close()
    ok("asyncpg")


def check_catalog_types():
    """pg_catalog and literals typed as PostgreSQL types them, as psycopg decodes them."""
    import psycopg
    with psycopg.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, dbname="sluice", autocommit=True) as conn:
        cur = conn.cursor()
        # arrays are arrays: oid[] and text[] columns come back as lists (PostgreSQL 15's values)
        cur.execute("SELECT proallargtypes, proargnames, proargmodes FROM pg_catalog.pg_proc WHERE proname = 'aclexplode'")
        assert cur.fetchall() == [([1034, 26, 26, 25, 16], ["acl", "grantor", "grantee", "privilege_type", "is_grantable"],
                                   ["i", "o", "o", "o", "o"])]
        # regproc columns are function oids: typinput of int4[] is array_in
        cur.execute("SELECT t.typinput = 'array_in'::regproc, t.typinput = p.oid FROM pg_catalog.pg_type t "
                    "JOIN pg_catalog.pg_proc p ON p.proname = 'array_in' WHERE t.oid = 1007")
        assert cur.fetchall() == [(True, True)]
        # an integer literal is int4 (oid 23), past int4 an int8 (20); text literals compare with booleans
        cur.execute("SELECT 1 AS one, 3000000000 AS big, 1 + 1 AS two")
        assert [d.type_code for d in cur.description] == [23, 20, 23], cur.description
        assert cur.fetchall() == [(1, 3000000000, 2)]
        cur.execute("SELECT relname FROM pg_catalog.pg_class WHERE relname = 'roles' AND relhasrules = 'f'")
        assert cur.fetchall() == [("roles",)]
        # set-returning functions in a select list, and a scalar function in FROM
        cur.execute("SELECT generate_subscripts(ARRAY['a', 'b', 'c'], 1) AS i, unnest(ARRAY['a', 'b', 'c']) AS v")
        assert cur.fetchall() == [(1, "a"), (2, "b"), (3, "c")]
        cur.execute("SELECT s[2] FROM string_to_array('x,y,z', ',') s")
        assert cur.fetchall() == [("y",)]
        cur.execute("SELECT count(*) FROM sluice.roles")
        assert cur.description[0].name == "count", cur.description
        # numeric keeps its precision, scale and digits, in text and in binary
        cur.execute("SELECT CAST(12.34 AS numeric(10,2)) AS price, %s::numeric AS param", (Decimal("12.34"),))
        assert [(d.name, d.type_code, d.precision, d.scale) for d in cur.description] == [
            ("price", 1700, 10, 2), ("param", 1700, None, None)], cur.description
        assert [tuple(str(v) for v in row) for row in cur.fetchall()] == [("12.34", "12.34")]
        with conn.cursor(binary=True) as binary:
            binary.execute("SELECT CAST(12.34 AS numeric(10,2)), %s::numeric, 5::numeric", (Decimal("12.34"),))
            assert [tuple(str(v) for v in row) for row in binary.fetchall()] == [("12.34", "12.34", "5")]
        # correlated subqueries in a select list are answered, not NULL: a scalar one, and
        # Excel's "is this column in the primary key" EXISTS
        cur.execute("SELECT r.name, (SELECT max(q.name) FROM sluice.roles q WHERE q.name = r.name) AS same FROM sluice.roles r WHERE r.can_login")
        assert cur.fetchall() == [(USER, USER)]
        cur.execute("SELECT a.attname, CASE WHEN EXISTS (SELECT NULL FROM pg_catalog.pg_constraint k WHERE k.conrelid = a.attrelid "
                    "AND k.contype = 'p' AND a.attnum = ANY (k.conkey)) THEN true ELSE false END AS iskey "
                    "FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'sluice.pipeline_versions'::regclass AND a.attnum > 0 "
                    "ORDER BY a.attnum")
        assert cur.fetchall() == [("pipeline", True), ("version", True), ("options", False), ("body", False),
                                  ("created_by", False), ("created_at", False)]
        # two columns may share a name, as in PostgreSQL
        cur.execute("SELECT current_database(), current_database(), 1 AS a, 2 AS a")
        assert [d.name for d in cur.description] == ["current_database", "current_database", "a", "a"], cur.description
        assert cur.fetchall() == [("sluice", "sluice", 1, 2)]
        # pgcli's SET TIME ZONE with a quoted identifier
        cur.execute('SET TIME ZONE "Asia/Shanghai"')
        cur.execute("SHOW TimeZone")
        assert cur.fetchall() == [("Asia/Shanghai",)]
    ok("catalog types")


async def check_asyncpg_wrong_password():
    """A FATAL authentication error closes the connection: asyncpg raises just that."""
    import asyncpg
    try:
        await asyncpg.connect(host=HOST, port=PORT, user=USER, password=PASSWORD + "-wrong", database="sluice")
    except asyncpg.exceptions.InvalidPasswordError as e:
        assert "password authentication failed" in str(e), e
    else:
        raise AssertionError("connected with a wrong password")
    ok("asyncpg wrong password")


check_psycopg2()
check_psycopg3()
check_catalog_types()
check_sqlalchemy("postgresql+psycopg2")
check_sqlalchemy("postgresql+psycopg")
asyncio.run(check_asyncpg())
asyncio.run(check_asyncpg_wrong_password())
print("done")
