#!/usr/bin/env bash
# Sluice's test suite, as CI runs it: services up, client tools installed, then every test
# on both metadata backends (SQLite, and a fresh database per server in the local
# PostgreSQL), with a local Flink cluster. Set CI=true to turn "service missing, skipped" into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
scripts/test-deps.sh
# A real Flink session cluster for the flink target's tests (stopped again on exit).
scripts/flink-local.sh start
trap 'scripts/flink-local.sh stop' EXIT
eval "$(scripts/flink-local.sh env)"
export FLINK_REST_URL SLUICE_RUNNER_JAR

echo "== tests, metadata in SQLite"
cargo test --workspace
echo "== integration tests, metadata in PostgreSQL"
SLUICE_TEST_METADATA=postgres cargo test --test it
