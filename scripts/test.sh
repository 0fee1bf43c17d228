#!/usr/bin/env bash
# Sluice's test suite, as CI runs it: services up, client tools installed, then every test
# on both metadata backends (SQLite, and a fresh database per server in the local
# PostgreSQL). Set CI=true to turn "service missing, skipped" into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
scripts/test-deps.sh

echo "== tests, metadata in SQLite"
cargo test --workspace
echo "== integration tests, metadata in PostgreSQL"
SLUICE_TEST_METADATA=postgres cargo test --test it
