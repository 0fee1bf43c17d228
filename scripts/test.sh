#!/usr/bin/env bash
# Sluice's test suite, as CI runs it: services up, client tools installed, then every test
# on both metadata backends (SQLite, and a fresh database per server in the local
# PostgreSQL), with a local Flink cluster; then the fault script (scripts/chaos.sh) and
# a bounded fuzzing run (scripts/fuzz.sh). Set CI=true to turn "service missing,
# skipped" into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage says when it starts (seconds since this script began), so a slow CI run
# shows where its time went.
stage() { echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }

stage "services"
scripts/services.sh
stage "test dependencies"
scripts/test-deps.sh
# A real Flink session cluster for the flink target's tests (stopped again on exit).
stage "local Flink cluster"
scripts/flink-local.sh start
trap 'scripts/flink-local.sh stop' EXIT
eval "$(scripts/flink-local.sh env)"
export FLINK_REST_URL SLUICE_RUNNER_JAR

stage "build"
cargo test --workspace --no-run
stage "tests, metadata in SQLite"
cargo test --workspace
stage "integration tests, metadata in PostgreSQL"
SLUICE_TEST_METADATA=postgres cargo test --test it
stage "faults: random DDL with SIGKILLs, the metadata store restarted, a source stopped"
scripts/chaos.sh --seed 20261207
stage "fuzzing the dialect and option lists, 60 s each"
scripts/fuzz.sh 60
stage "done"
