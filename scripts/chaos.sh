#!/usr/bin/env bash
# Fault injection against a built gateway (issue 20, item 11): random DDL with SIGKILLs on
# SQLite and PostgreSQL metadata, the metadata PostgreSQL restarted under load, a source
# stopped during a local run. Bounded in count and time, loopback only; see
# scripts/chaos.py --help. Needs target/debug/sluice (or --binary), the machine's
# PostgreSQL on 127.0.0.1:5432 (database test) and the .venv of scripts/test-deps.sh.
# Exit status 1 when an inconsistency or another finding was seen.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/python -c 'import psycopg' 2>/dev/null; then
  echo "chaos: .venv has no psycopg; run scripts/test-deps.sh first" >&2
  exit 2
fi
exec .venv/bin/python scripts/chaos.py "$@"
