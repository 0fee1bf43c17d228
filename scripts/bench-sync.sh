#!/usr/bin/env bash
# Whole-database sync planning benchmark (not a test), against the machine's MariaDB:
# CREATE SYNC DATABASE over generated databases of 100, 1,000 and 10,000 tables
# (4 columns each, a primary key) — introspect + map + bind + compile + persist, one
# statement — timed by psql, next to `mariadb` reading the same metadata alone, with the
# gateway's memory. Goal (issue 21): 1,000 tables under 0.5 s, 10,000 under 5 s.
#
#   cargo build --release && scripts/bench-sync.sh    (SIZES="100 1000", ROUNDS=3, STORE=postgres)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-common.sh
scripts/services.sh >/dev/null
SIZES=${SIZES:-100 1000 10000}
ROUNDS=${ROUNDS:-2}  # each size planned this many times (the later ones replace the sync)
maria() { mariadb -h 127.0.0.1 -P 3306 -u root "$@"; }

for n in $SIZES; do
  db="bench_sync_$n"
  if [ "$(maria -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$db'")" != "$n" ]; then
    echo "preparing: MariaDB $db ($n tables)"
    maria -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
    for i in $(seq 1 "$n"); do
      echo "CREATE TABLE t$i (id INT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(12,2), at DATETIME(3));"
    done | maria "$db"
  fi
done

# STORE=postgres keeps the gateway's catalog in the machine's PostgreSQL (a database made
# for the run) rather than in SQLite under its data directory.
if [ "${STORE:-sqlite}" = postgres ]; then
  psql -h 127.0.0.1 -U postgres -d test -XAtq -c "DROP DATABASE IF EXISTS sluice_bench_sync" \
    -c "CREATE DATABASE sluice_bench_sync"
  export SLUICE_METADATA_URL=postgres://postgres@127.0.0.1:5432/sluice_bench_sync
fi
start_sluice
psql "$SLUICE" -XAtq >/dev/null <<'SQL'
CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', port = 3306, username = 'root');
CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', ssl_mode = 'disable');
SQL

# Milliseconds of `mariadb` reading the metadata a sync plans from, as Sluice's
# introspection asks for it (its tables, then their columns; CHECK constraints only of
# tables with a LONGTEXT column, which these have none of): the floor no planner goes below.
metadata_ms() {
  local start end
  start=$(date +%s%N)
  maria -N -e "SELECT table_name, table_type, table_comment FROM information_schema.tables WHERE table_schema = '$1' ORDER BY table_name;
    SELECT table_name, column_name, data_type, column_type, is_nullable, column_key, character_maximum_length,
      numeric_precision, numeric_scale, datetime_precision, column_comment
    FROM information_schema.columns WHERE table_schema = '$1' ORDER BY table_name, ordinal_position" >/dev/null
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
# kB of the gateway's memory: now, and at its peak so far.
memory_kb() { awk '/^VmRSS/ { rss = $2 } /^VmHWM/ { peak = $2 } END { print rss, peak }' "/proc/$pid/status"; }

echo
echo "== CREATE SYNC DATABASE (introspect + map + bind + compile + persist), mode full"
echo "   metadata_ms: mariadb reading the same metadata alone (the floor); ratio = total / metadata"
echo "   rss/peak: the gateway's resident memory after the statement, and its peak so far"
printf '%-8s %10s %12s %12s %7s %9s %9s\n' tables total_ms us_per_table metadata_ms ratio rss_MB peak_MB
for n in $SIZES; do for round in $(seq 1 "$ROUNDS"); do
  ms=$(psql "$SLUICE" -XAq 2>/dev/null <<SQL | awk '/^Time:/ { print $2 }' | tail -1
\timing on
CREATE OR REPLACE SYNC DATABASE s$n FROM maria DATABASE bench_sync_$n TO dw DATABASE bench_sync WITH (mode = 'full');
SQL
  )
  read -r rss peak <<<"$(memory_kb)"
  meta=$(metadata_ms "bench_sync_$n") # after Sluice's read, so that it warms nothing for it
  printf '%-8s %10s %12s %12s %7s %9s %9s\n' "$n" "$ms" \
    "$(awk -v ms="$ms" -v n="$n" 'BEGIN { printf "%.0f", ms * 1000 / n }')" "$meta" \
    "$(awk -v ms="$ms" -v m="$meta" 'BEGIN { printf "%.1f", ms / (m > 0 ? m : 1) }')" \
    "$((rss / 1024))" "$((peak / 1024))"
done; done
