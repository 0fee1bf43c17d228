#!/usr/bin/env bash
# Sources benchmark (not a test), against the machine's MariaDB and PostgreSQL. Every
# figure is Sluice and the thing a user would compare it with, in the same run:
#  1. metadata of a MariaDB database with 1,000 tables: REFRESH (reads the source) vs
#     answers from the catalog's cache;
#  2. query shapes over 1M-row tables of a PostgreSQL and a MariaDB source, through Sluice
#     (pgbench, extended protocol) and straight to the database (pgbench for PostgreSQL,
#     mariadb-slap for MariaDB), 4 clients: the latency ratio Sluice / direct (goal ≤ 1.5);
#  3. PREVIEW INSERT … LIMIT 10 vs the same SELECT straight to PostgreSQL, simple and
#     extended protocol (goal ≤ 2);
#  4. the catalog point query `sluice.sources WHERE name = …` with 10,000 sources vs the
#     same on a PostgreSQL table: the TPS ratio (goal ≥ 0.5).
#
#   cargo build --release && scripts/bench-sources.sh      (ROWS=…, DURATION=… to change;
#                                                            SKIP_SHAPES=1 skips 1 and 2)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-common.sh
scripts/services.sh >/dev/null
ROWS=${ROWS:-1000000}
SOURCES=${SOURCES:-10000}
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
PG="host=127.0.0.1 user=postgres dbname=test"
maria() { mariadb -h127.0.0.1 -uroot "$@"; }

echo "preparing: MariaDB bench_wide (1,000 tables); bench.big ($ROWS rows) and bench.cust in both databases"
maria -e "DROP DATABASE IF EXISTS bench_wide; CREATE DATABASE bench_wide"
for i in $(seq 1 1000); do
  echo "CREATE TABLE bench_wide.t$i (id INT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(10,2), at DATETIME);"
done | maria
psql -qX "$PG" <<SQL
CREATE SCHEMA IF NOT EXISTS bench;
DROP TABLE IF EXISTS bench.big, bench.cust, bench.sources;
CREATE TABLE bench.big AS SELECT g AS id, g % 1000 AS cust, 'name ' || g AS name, ((g % 1000) * 1.5)::numeric(12,2) AS amount
  FROM generate_series(1, $ROWS) g;
ALTER TABLE bench.big ADD PRIMARY KEY (id);
CREATE TABLE bench.cust AS SELECT g AS id, 'customer ' || g AS label FROM generate_series(0, 999) g;
ALTER TABLE bench.cust ADD PRIMARY KEY (id);
CREATE TABLE bench.sources AS SELECT 's_' || g AS name, 'datagen' AS type, 'unknown' AS status FROM generate_series(1, $SOURCES) g;
ALTER TABLE bench.sources ADD PRIMARY KEY (name);
ANALYZE bench.big; ANALYZE bench.cust; ANALYZE bench.sources;
SQL
maria <<SQL
CREATE DATABASE IF NOT EXISTS bench;
USE bench;
DROP TABLE IF EXISTS bench.big, bench.cust;
CREATE TABLE bench.big (id INT PRIMARY KEY, cust INT, name VARCHAR(64), amount DECIMAL(12,2));
INSERT INTO bench.big SELECT seq, seq % 1000, CONCAT('name ', seq), (seq % 1000) * 1.5 FROM seq_1_to_$ROWS;
CREATE TABLE bench.cust (id INT PRIMARY KEY, label VARCHAR(64));
INSERT INTO bench.cust SELECT seq, CONCAT('customer ', seq) FROM seq_0_to_999;
ANALYZE TABLE bench.big, bench.cust;
SQL

start_sluice
psql "$SLUICE" -XAtq <<'SQL'
CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', username = 'root', ssl_mode = 'disabled');
CREATE SOURCE pg TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', ssl_mode = 'disable');
CREATE SOURCE out TYPE print;
CREATE TABLE out.console (id BIGINT, amount DECIMAL(12, 2));
SQL

per_call() { # dsn statement -> milliseconds per call over one connection (pgbench, 5 s)
  echo "$2" > "$work/one.sql"
  pgbench "$1" -n -f "$work/one.sql" -c 1 -T 5 2>/dev/null | awk '/^tps = / { printf "%.2f", 1000 / $3 }'
}
# pgbench TPS of a script file: dsn, file, protocol
tps() {
  local out
  out=$(pgbench "$1" -n -M "$3" -f "$2" -c 4 -j 2 -T "$DURATION" 2>&1) \
    || { echo "pgbench failed: $(grep -m1 -i error <<<"$out")" >&2; echo 0; return; }
  awk '/^tps = / {print int($3)}' <<<"$out"
}
# mariadb-slap queries per second of a query with :id: 400 variants, 4 clients
slap_qps() {
  local n=$(( DURATION * 200 ))
  for _ in $(seq 1 400); do
    local id=$(( RANDOM * 30 % (ROWS - 20) + 1 ))
    printf '%s;\n' "${1//:id/$id}"
  done > "$work/slap.sql"
  local seconds
  seconds=$(mariadb-slap -h127.0.0.1 -uroot --create-schema=bench --concurrency=4 --iterations=1 \
    --number-of-queries="$n" --delimiter=';' --query="$work/slap.sql" 2>/dev/null \
    | awk '/Average number of seconds to run all queries/ {print $(NF-1)}')
  awk -v n="$n" -v s="$seconds" 'BEGIN { if (s > 0) print int(n / s); else print 0 }'
}
ratio() { awk -v d="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", d / s; else print "n/a" }'; }

if [ -z "${SKIP_SHAPES:-}" ]; then
echo
echo "== metadata of 1,000 MariaDB tables"
t=$(date +%s%N); psql "$SLUICE" -XAtqc "REFRESH SOURCE maria DATABASE bench_wide" >/dev/null; refresh=$(ms "$t")
echo "REFRESH SOURCE (reads all 1,000 tables):  ${refresh} ms"
echo "SHOW TABLES from the cache:               $(per_call "$SLUICE" "SHOW TABLES FROM maria.bench_wide") ms per call"
echo "DESCRIBE from the cache:                  $(per_call "$SLUICE" "DESCRIBE maria.bench_wide.t500") ms per call"


shape() { # label, query with {t} for the table prefix and :id for a random id
  local label=$1 query=$2
  printf '\\set id random(1, %d)\n%s;\n' $((ROWS - 20)) "${query//\{t\}/pg.bench.}" > "$work/pg-sluice.sql"
  printf '\\set id random(1, %d)\n%s;\n' $((ROWS - 20)) "${query//\{t\}/bench.}" > "$work/pg-direct.sql"
  printf '\\set id random(1, %d)\n%s;\n' $((ROWS - 20)) "${query//\{t\}/maria.bench.}" > "$work/maria-sluice.sql"
  local pg_s pg_d m_s m_d
  pg_s=$(tps "$SLUICE" "$work/pg-sluice.sql" extended)
  pg_d=$(PGPASSWORD= tps "$PG" "$work/pg-direct.sql" extended)
  m_s=$(tps "$SLUICE" "$work/maria-sluice.sql" extended)
  m_d=$(slap_qps "${query//\{t\}/bench.}")
  printf '| %s | %s / %s | %s | %s / %s | %s |\n' "$label" "$pg_s" "$pg_d" "$(ratio "$pg_d" "$pg_s")" \
    "$m_s" "$m_d" "$(ratio "$m_d" "$m_s")"
}

echo
echo "== query shapes over $ROWS rows, 4 clients, ${DURATION} s each: TPS through Sluice / direct, latency ratio"
echo "| shape | PostgreSQL source: Sluice / direct TPS | ratio | MariaDB source: Sluice / direct TPS | ratio |"
echo "|---|---|---|---|---|"
shape 'WHERE id > $1 LIMIT 10' "SELECT id, name, amount FROM {t}big WHERE id > :id LIMIT 10"
shape 'WHERE id > $1 ORDER BY id DESC LIMIT 10' "SELECT id, name, amount FROM {t}big WHERE id > :id ORDER BY id DESC LIMIT 10"
shape 'count(*) WHERE id > 900000' "SELECT count(*) FROM {t}big WHERE id > $((ROWS * 9 / 10))"
shape 'GROUP BY cust % 10' "SELECT cust % 10 AS k, count(*), sum(amount) FROM {t}big GROUP BY cust % 10"
shape 'join of two tables, 20-row range' \
  "SELECT b.id, c.label FROM {t}big b JOIN {t}cust c ON c.id = b.cust WHERE b.id BETWEEN :id AND :id + 19"
fi

echo
echo "== PREVIEW INSERT … LIMIT 10 vs the SELECT straight to PostgreSQL (4 clients)"
printf '\\set id random(1, %d)\nPREVIEW INSERT INTO out.console SELECT id, amount FROM pg.bench.big WHERE id > :id LIMIT 10;\n' \
  $((ROWS - 20)) > "$work/preview.sql"
printf '\\set id random(1, %d)\nSELECT id, amount FROM bench.big WHERE id > :id LIMIT 10;\n' $((ROWS - 20)) > "$work/select.sql"
# simple protocol: a new text each time, bound each time; extended: `$1`, bound once per
# connection and kept (the same text), the value bound into the kept plan
for protocol in simple extended; do
  preview=$(tps "$SLUICE" "$work/preview.sql" "$protocol")
  select=$(PGPASSWORD= tps "$PG" "$work/select.sql" "$protocol")
  echo "PREVIEW ($protocol protocol): $preview TPS; SELECT at PostgreSQL: $select TPS; latency ratio $(ratio "$select" "$preview") (goal ≤ 2)"
done

echo
echo "== catalog point query with $SOURCES sources (extended protocol, 4 clients)"
t=$(date +%s%N)
for i in $(seq 1 "$SOURCES"); do echo "CREATE SOURCE s_$i TYPE datagen;"; done | psql "$SLUICE" -XAtq >/dev/null
echo "CREATE SOURCE × $SOURCES: $(ms "$t") ms"
printf '\\set n random(1, %d)\nSELECT name, type, status FROM sluice.sources WHERE name = '"'"'s_'"'"' || :n;\n' "$SOURCES" > "$work/point-sluice.sql"
printf '\\set n random(1, %d)\nSELECT name, type, status FROM bench.sources WHERE name = '"'"'s_'"'"' || :n;\n' "$SOURCES" > "$work/point-pg.sql"
catalog=$(tps "$SLUICE" "$work/point-sluice.sql" extended)
table=$(PGPASSWORD= tps "$PG" "$work/point-pg.sql" extended)
echo "sluice.sources: $catalog TPS; PostgreSQL table: $table TPS; TPS ratio $(ratio "$catalog" "$table") (goal ≥ 0.5)"

echo
echo "== sluice.events with 1,000,000 more events (written straight into the SQLite store)"
sqlite3 "$work/data/sluice.db" >/dev/null <<'SQL'
PRAGMA busy_timeout = 10000;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000000)
INSERT INTO events (at, actor, action, object_kind, object_name, detail)
  SELECT 1700000000000000 + n, 'bench', 'state', 'deployment', 'd_' || (n % 1000), NULL FROM g;
SQL
echo "newest 10 (ORDER BY id DESC LIMIT 10):       $(per_call "$SLUICE" "SELECT id, action, object_name FROM sluice.events ORDER BY id DESC LIMIT 10") ms per call"
echo "one object's newest 10 (WHERE … ORDER BY …): $(per_call "$SLUICE" "SELECT id, action FROM sluice.events WHERE object_name = 'd_7' ORDER BY id DESC LIMIT 10") ms per call"
echo "count(*) of all events (reads them all):     $(per_call "$SLUICE" "SELECT count(*) FROM sluice.events") ms per call"
