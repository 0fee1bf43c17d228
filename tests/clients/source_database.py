"""SQLAlchemy's inspector over a source connected to as a database: prints, as JSON, the
schemas, tables, columns and primary key it sees and rows read through it.

Usage: source_database.py HOST PORT USER PASSWORD DATABASE SCHEMA
"""
import json
import sys
from urllib.parse import quote

import sqlalchemy as sa

HOST, PORT, USER, PASSWORD, DATABASE, SCHEMA = sys.argv[1:7]

engine = sa.create_engine(f"postgresql+psycopg2://{USER}:{quote(PASSWORD)}@{HOST}:{PORT}/{DATABASE}")
inspector = sa.inspect(engine)
pk = inspector.get_pk_constraint("lines", schema=SCHEMA)
lines = sa.Table("lines", sa.MetaData(), schema=SCHEMA, autoload_with=engine)
with engine.connect() as conn:
    rows = conn.execute(sa.select(lines).order_by(lines.c.order_id, lines.c.line)).all()
print(json.dumps({
    "schemas": [s for s in inspector.get_schema_names() if s not in ("information_schema", "pg_catalog")],
    "tables": sorted(inspector.get_table_names(schema=SCHEMA)),
    "columns": [[c["name"], str(c["type"]), c["nullable"]] for c in inspector.get_columns("lines", schema=SCHEMA)],
    "primary_key": {"name": pk["name"], "columns": pk["constrained_columns"]},
    "rows": [list(r) for r in rows],
}))
