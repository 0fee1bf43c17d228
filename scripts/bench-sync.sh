#!/usr/bin/env bash
# Whole-database sync planning benchmark (not a test), against the machine's MariaDB:
# CREATE SYNC DATABASE over generated databases of 100, 1,000 and 10,000 tables
# (4 columns each, a primary key) — introspect + map + bind + compile + persist, one
# statement — timed by psql. Goal: under 1 s for 1,000 tables, and linear growth.
#
#   cargo build --release && scripts/bench-sync.sh            (SIZES="100 1000" to choose)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-common.sh
scripts/services.sh >/dev/null
SIZES=${SIZES:-100 1000 10000}
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

start_sluice
psql "$SLUICE" -XAtq >/dev/null <<'SQL'
CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', port = 3306, username = 'root');
CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', ssl_mode = 'disable');
SQL

echo
echo "== CREATE SYNC DATABASE (introspect + map + bind + compile + persist), mode full"
printf '%-8s %12s %14s\n' tables total_ms us_per_table
for n in $SIZES; do
  ms=$(psql "$SLUICE" -XAq 2>/dev/null <<SQL | awk '/^Time:/ { print $2 }' | tail -1
\timing on
CREATE SYNC DATABASE s$n FROM maria DATABASE bench_sync_$n TO dw DATABASE bench_sync WITH (mode = 'full');
SQL
  )
  printf '%-8s %12s %14s\n' "$n" "$ms" "$(awk -v ms="$ms" -v n="$n" 'BEGIN { printf "%.0f", ms * 1000 / n }')"
done
