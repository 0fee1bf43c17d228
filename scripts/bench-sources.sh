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

BIN=${SLUICE_BIN:-target/release/sluice}
DURATION=${DURATION:-10}
[ -x "$BIN" ] || { echo "build first: cargo build --release (or set SLUICE_BIN)" >&2; exit 2; }
scripts/services.sh >/dev/null

work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); http_port=$(free_port)
export PGPASSWORD=bench-password
SLUICE="host=127.0.0.1 port=$port user=sluice dbname=sluice"
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

SLUICE_PASSWORD=$PGPASSWORD SLUICE_LOG=warn "$BIN" serve --data-dir "$work/data" \
  --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$http_port" 2>"$work/sluice.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
until psql "$SLUICE" -XAtqc 'SELECT 1' >/dev/null 2>&1; do sleep 0.05; done
psql "$SLUICE" -XAtq <<'SQL'
CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', username = 'root', ssl_mode = 'disabled');
CREATE SOURCE pg TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', ssl_mode = 'disable');
SQL

echo
echo "== metadata of 1,000 MariaDB tables"
t=$(date +%s%N); psql "$SLUICE" -XAtqc "REFRESH SOURCE maria DATABASE bench_wide" >/dev/null; refresh=$(ms "$t")
t=$(date +%s%N); for _ in $(seq 1 20); do psql "$SLUICE" -XAtqc "SHOW TABLES FROM maria.bench_wide" >/dev/null; done; show=$(( $(ms "$t") / 20 ))
t=$(date +%s%N); for _ in $(seq 1 20); do psql "$SLUICE" -XAtqc "DESCRIBE maria.bench_wide.t500" >/dev/null; done; describe=$(( $(ms "$t") / 20 ))
t=$(date +%s%N); for _ in $(seq 1 20); do mariadb -h127.0.0.1 -uroot -e "SHOW TABLES FROM bench_wide" >/dev/null; done; direct=$(( $(ms "$t") / 20 ))
echo "REFRESH SOURCE (reads all 1,000 tables):  ${refresh} ms"
echo "SHOW TABLES from the cache:               ${show} ms per call (psql start-up included)"
echo "DESCRIBE from the cache:                  ${describe} ms per call (psql start-up included)"
echo "SHOW TABLES straight to MariaDB:          ${direct} ms per call (mariadb client start-up included)"

echo
echo "== live SELECT … LIMIT 10 on 1,000,000 PostgreSQL rows (pgbench, extended protocol, 4 clients, ${DURATION} s)"
printf '\\set id random(1, 999990)\nSELECT id, name, amount FROM pg.bench.big WHERE id > :id ORDER BY id LIMIT 10;\n' > "$work/sluice.sql"
printf '\\set id random(1, 999990)\nSELECT id, name, amount FROM bench.big WHERE id > :id ORDER BY id LIMIT 10;\n' > "$work/direct.sql"
tps() { pgbench "$1" -n -M extended -f "$2" -c 4 -j 2 -T "$DURATION" 2>/dev/null | awk '/^tps = / {print int($3)}'; }
through=$(tps "$SLUICE" "$work/sluice.sql")
straight=$(PGPASSWORD= tps "host=127.0.0.1 user=postgres dbname=test" "$work/direct.sql")
echo "through Sluice: $through TPS; straight to PostgreSQL: $straight TPS"
awk -v s="$through" -v p="$straight" 'BEGIN { if (s > 0) printf "latency ratio (Sluice / PostgreSQL): %.2f\n", p / s }'
