"""What Python tools do against Sluice: psycopg2 and psycopg 3 queries with parameters,
the SQLAlchemy inspector (what Superset calls) on both drivers, and asyncpg with
parameters, prepared statements and its type introspection.

Usage: python python_clients.py HOST PORT USER PASSWORD
Prints one line per check and exits non-zero on the first failure."""

import asyncio
import json
import sys

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
