#!/usr/bin/env bash
# Sources benchmark (not a test), against the machine's MariaDB and PostgreSQL:
#  1. SHOW TABLES / DESCRIBE on a MariaDB database with 1,000 tables: REFRESH (reads
#     the source) vs answers from the catalog's cache;
#  2. a live `SELECT … LIMIT 10` on a 1M-row PostgreSQL table, through Sluice and straight
#     to PostgreSQL, with pgbench (extended protocol), as a ratio (goal ≤ 1.5).
#
#   cargo build --release && scripts/bench-sources.sh
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-common.sh
scripts/services.sh >/dev/null
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

echo "preparing: MariaDB bench_wide (1,000 tables), PostgreSQL bench.big (1,000,000 rows)"
mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS bench_wide; CREATE DATABASE bench_wide"
for i in $(seq 1 1000); do
  echo "CREATE TABLE bench_wide.t$i (id INT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(10,2), at DATETIME);"
done | mariadb -h127.0.0.1 -uroot
psql -qX "host=127.0.0.1 user=postgres dbname=test" <<'SQL'
CREATE SCHEMA IF NOT EXISTS bench;
DROP TABLE IF EXISTS bench.big;
CREATE TABLE bench.big AS SELECT g AS id, 'name ' || g AS name, (g % 1000) * 1.5 AS amount FROM generate_series(1, 1000000) g;
ALTER TABLE bench.big ADD PRIMARY KEY (id);
ANALYZE bench.big;
SQL

start_sluice
psql "$SLUICE" -XAtq <<'SQL'
CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', username = 'root', ssl_mode = 'disabled');
CREATE SOURCE pg TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', ssl_mode = 'disable');
SQL

echo
echo "== metadata of 1,000 MariaDB tables"
t=$(date +%s%N); psql "$SLUICE" -XAtqc "REFRESH SOURCE maria DATABASE bench_wide" >/dev/null; refresh=$(ms "$t")
per_call() { # dsn statement -> milliseconds per call over one connection (pgbench, 5 s)
  echo "$2" > "$work/one.sql"
  pgbench "$1" -n -f "$work/one.sql" -c 1 -T 5 2>/dev/null | awk '/^tps = / { printf "%.2f", 1000 / $3 }'
}
echo "REFRESH SOURCE (reads all 1,000 tables):  ${refresh} ms"
echo "SHOW TABLES from the cache:               $(per_call "$SLUICE" "SHOW TABLES FROM maria.bench_wide") ms per call"
echo "DESCRIBE from the cache:                  $(per_call "$SLUICE" "DESCRIBE maria.bench_wide.t500") ms per call"
echo "information_schema straight to MariaDB:   $(mariadb -h127.0.0.1 -uroot -N -e "SELECT 1" >/dev/null; t=$(date +%s%N); for _ in $(seq 1 20); do mariadb -h127.0.0.1 -uroot -e "SELECT table_name FROM information_schema.tables WHERE table_schema = 'bench_wide'" >/dev/null; done; echo $(( $(ms "$t") / 20 ))) ms per call (client start-up included)"

tps() { pgbench "$1" -n -M extended -f "$2" -c 4 -j 2 -T "$DURATION" 2>/dev/null | awk '/^tps = / {print int($3)}'; }
live() { # label, query tail after FROM <table>
  echo
  echo "== live: SELECT id, name, amount FROM <1M-row table> $2 (pgbench, extended protocol, 4 clients, ${DURATION} s)"
  printf '\\set id random(1, 999990)\nSELECT id, name, amount FROM pg.bench.big %s;\n' "$2" > "$work/sluice.sql"
  printf '\\set id random(1, 999990)\nSELECT id, name, amount FROM bench.big %s;\n' "$2" > "$work/direct.sql"
  through=$(tps "$SLUICE" "$work/sluice.sql")
  straight=$(PGPASSWORD= tps "host=127.0.0.1 user=postgres dbname=test" "$work/direct.sql")
  echo "through Sluice: $through TPS; straight to PostgreSQL: $straight TPS"
  awk -v s="$through" -v p="$straight" -v l="$1" 'BEGIN { if (s > 0) printf "%s latency ratio (Sluice / PostgreSQL): %.2f\n", l, p / s }'
}
live "filter + limit (pushed down)" "WHERE id > :id LIMIT 10"
live "filter + order + limit (order not pushed down)" "WHERE id > :id ORDER BY id LIMIT 10"
