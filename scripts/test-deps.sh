#!/usr/bin/env bash
# Installs what the client tests drive: a Python venv (.venv) with psycopg2, psycopg 3,
# SQLAlchemy, asyncpg, pgcli and pypaimon (which makes the tests' Paimon warehouses) from
# PyPI, Debian's pgjdbc (/usr/share/java/postgresql.jar) and node-postgres from npm
# (tests/clients/node).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/pgcli ] || ! .venv/bin/python -c 'import psycopg2, psycopg, sqlalchemy, asyncpg, pypaimon' 2>/dev/null; then
  echo "test-deps: installing the Python clients into .venv"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
fi

if [ ! -f /usr/share/java/postgresql.jar ]; then
  echo "test-deps: installing libpostgresql-jdbc-java"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y -q libpostgresql-jdbc-java >/dev/null \
    || { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd apt-get install -y -q libpostgresql-jdbc-java >/dev/null; }
fi

if [ ! -d tests/clients/node/node_modules/pg ]; then
  echo "test-deps: installing node-postgres (npm pg)"
  (cd tests/clients/node && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
