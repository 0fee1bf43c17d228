#!/usr/bin/env bash
# Pipelines benchmark (not a test), against the machine's PostgreSQL:
#  1. compile time: CREATE OR REPLACE PIPELINE (bind + check + store) and EXPLAIN …
#     FORMAT flink_sql / seatunnel (bind + DAG + compile) for pipelines with 1, 10 and 100
#     sinks fed by one source table, milliseconds per call over one connection (pgbench);
#  2. PREVIEW of a filtered LIMIT 10 over a 1M-row PostgreSQL table, against the same
#     query sent straight to PostgreSQL, as a latency ratio (goal ≤ 1.5).
#
#   cargo build --release && scripts/bench-pipelines.sh
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-common.sh
scripts/services.sh >/dev/null
DIRECT="host=127.0.0.1 user=postgres dbname=test"

echo "preparing: PostgreSQL bench.big (1,000,000 rows)"
PGPASSWORD= psql -qX "$DIRECT" <<'SQL'
CREATE SCHEMA IF NOT EXISTS bench;
DROP TABLE IF EXISTS bench.big;
CREATE TABLE bench.big AS SELECT g AS id, 'name ' || g AS name, (g % 1000) * 1.5 AS amount FROM generate_series(1, 1000000) g;
ALTER TABLE bench.big ADD PRIMARY KEY (id);
ANALYZE bench.big;
SQL

start_sluice
{
  echo "CREATE SOURCE pg TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', ssl_mode = 'disable');"
  echo "CREATE SOURCE out TYPE print;"
  for i in $(seq 1 100); do echo "CREATE TABLE out.s$i (id INT, name STRING, amount DECIMAL(12, 1));"; done
} | psql "$SLUICE" -XAtq >/dev/null

per_call() { # dsn file -> milliseconds per call over one connection (pgbench, simple protocol)
  pgbench "$1" -n -f "$2" -c 1 -T 5 2>/dev/null | awk '/^tps = / { printf "%.2f", 1000 / $3 }'
}

echo
echo "== compile: one source, N sinks (ms per call)"
printf '%-6s %12s %16s %16s\n' sinks create explain_flink explain_seatunnel
for n in 1 10 100; do
  {
    printf 'CREATE OR REPLACE PIPELINE p%s AS $$ BEGIN\n' "$n"
    for i in $(seq 1 "$n"); do
      printf '  INSERT INTO out.s%s SELECT id, UPPER(name), amount * %s FROM pg.bench.big WHERE id %% %s = 0;\n' "$i" "$i" "$i"
    done
    printf 'END $$;\n'
  } > "$work/create$n.sql"
  psql "$SLUICE" -XAtqf "$work/create$n.sql" >/dev/null
  echo "EXPLAIN PIPELINE p$n FORMAT flink_sql;" > "$work/flink$n.sql"
  echo "EXPLAIN PIPELINE p$n FORMAT seatunnel;" > "$work/seatunnel$n.sql"
  printf '%-6s %12s %16s %16s\n' "$n" "$(per_call "$SLUICE" "$work/create$n.sql")" \
    "$(per_call "$SLUICE" "$work/flink$n.sql")" "$(per_call "$SLUICE" "$work/seatunnel$n.sql")"
done

echo
echo "== PREVIEW vs the same query straight to PostgreSQL (pgbench, simple protocol, 4 clients, ${DURATION} s)"
printf '\\set id random(1, 999990)\nPREVIEW INSERT INTO out.s1 SELECT id, name, amount FROM pg.bench.big WHERE id > :id LIMIT 10;\n' > "$work/preview.sql"
printf '\\set id random(1, 999990)\nSELECT id, name, amount FROM bench.big WHERE id > :id LIMIT 10;\n' > "$work/direct.sql"
# simple protocol: PREVIEW is a gateway statement, which takes no bind parameters
tps() { pgbench "$1" -n -M simple -f "$2" -c 4 -j 2 -T "$DURATION" 2>/dev/null | awk '/^tps = / {print int($3)}'; }
through=$(tps "$SLUICE" "$work/preview.sql")
straight=$(PGPASSWORD= tps "$DIRECT" "$work/direct.sql")
echo "PREVIEW through Sluice: $through TPS; SELECT straight to PostgreSQL: $straight TPS"
awk -v s="$through" -v p="$straight" 'BEGIN { if (s > 0) printf "PREVIEW latency ratio (Sluice / PostgreSQL): %.2f (goal <= 1.5)\n", p / s }'
