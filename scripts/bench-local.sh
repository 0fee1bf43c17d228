#!/usr/bin/env bash
# Local-target throughput benchmark (not a test): 1,000,000 rows MariaDB → PostgreSQL,
# by `START PIPELINE` on the local target, next to a baseline in the same run —
# `mariadb --batch` piped into `psql \copy` — reported as rows/s and as a ratio.
#
#   cargo build --release && scripts/bench-local.sh
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-common.sh
scripts/services.sh >/dev/null
ROWS=${ROWS:-1000000}
DIRECT="host=127.0.0.1 user=postgres dbname=test"

echo "preparing: MariaDB bench.src and PostgreSQL bench.dst ($ROWS rows)"
mariadb -h 127.0.0.1 -u root <<SQL
CREATE DATABASE IF NOT EXISTS bench;
USE bench;
DROP TABLE IF EXISTS bench.src;
CREATE TABLE bench.src (id INT PRIMARY KEY, n BIGINT, amount DECIMAL(12,2), at DATETIME, day DATE, label VARCHAR(64));
INSERT INTO bench.src SELECT seq, seq * 7, seq * 0.25, TIMESTAMP('2026-01-01') + INTERVAL seq SECOND,
  DATE('2026-01-01') + INTERVAL (seq % 365) DAY, IF(seq % 10 = 0, NULL, CONCAT('label ', seq)) FROM seq_1_to_$ROWS;
SQL
reset_dst() {
  PGPASSWORD= psql -qX "$DIRECT" -c "CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.dst;
    CREATE TABLE bench.dst (id int PRIMARY KEY, n bigint, amount numeric(12,2), at timestamp, day date, label text);"
}
now() { date +%s.%N; }
rate() { awk -v n="$ROWS" -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", n / (b - a) }'; }

reset_dst
t0=$(now)
mariadb -h 127.0.0.1 -u root --batch --skip-column-names --raw \
  -e "SELECT id, n, amount, at, day, IFNULL(label, '\\\\N') FROM bench.src" |
  PGPASSWORD= psql -qX "$DIRECT" -c "\\copy bench.dst FROM STDIN"
t1=$(now)
baseline=$(rate "$t0" "$t1")

reset_dst
start_sluice
psql "$SLUICE" -XAtq >/dev/null <<'SQL'
CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', port = 3306, username = 'root');
CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', ssl_mode = 'disable');
CREATE PIPELINE copy_src WITH (mode = 'batch') AS
  INSERT INTO dw.bench.dst SELECT id, n, amount, at, day, label FROM maria.bench.src;
SQL
t2=$(now)
psql "$SLUICE" -XAtq -c "START PIPELINE copy_src" >/dev/null 2>&1
t3=$(now)
sluice=$(rate "$t2" "$t3")
copied=$(PGPASSWORD= psql -XAtq "$DIRECT" -c "SELECT count(*) FROM bench.dst")
[ "$copied" = "$ROWS" ] || { echo "sluice copied $copied rows, expected $ROWS" >&2; exit 1; }

echo
printf '%-36s %12s\n' "MariaDB -> PostgreSQL, $ROWS rows" "rows/s"
printf '%-36s %12s\n' "mariadb --batch | psql \\copy" "$baseline"
printf '%-36s %12s\n' "START PIPELINE (local target)" "$sluice"
awk -v a="$sluice" -v b="$baseline" 'BEGIN { printf "ratio sluice / baseline: %.2f\n", a / b }'
