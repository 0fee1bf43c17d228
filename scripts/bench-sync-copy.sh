#!/usr/bin/env bash
# Whole-database copy benchmark (not a test): one MariaDB database of 1,000,000 rows in
# 10 tables (id BIGINT PRIMARY KEY, customer VARCHAR(50), amount DECIMAL(12,2),
# created_at DATETIME(6), note TEXT NULL, flag TINYINT(1)) copied into the machine's
# PostgreSQL by the tools a user would pick, in one run, each ROUNDS times:
#
#   sluice   CREATE SYNC DATABASE … WITH (engine = 'local', mode = 'full'), START
#   pgloader Debian's package (installed with apt-get when missing)
#   sling    PyPI's sling-linux-amd64, which carries the binary (installed into .bench-venv)
#   pipe     mariadb --batch --raw --quick | psql \copy, table by table (the data has no
#            tab, newline or backslash in text: the pipe would need escaping for them)
#
# Every copy is verified table by table (row count and an md5 over every value of every
# row, both sides formatted alike). Prints, per tool, the median seconds, rows/s, peak
# RSS and CPU-seconds of the tool's own processes (the servers' are not counted for any)
# and its speed relative to Sluice's (Sluice's seconds over its: below 1 is slower).
#
#   cargo build --release && scripts/bench-sync-copy.sh     (ROUNDS=3, TOOLS="sluice pipe" …)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${SLUICE_BIN:-target/release/sluice}
ROUNDS=${ROUNDS:-3}
TOOLS=${TOOLS:-sluice pgloader sling pipe}
ROWS=1000000
TABLES=10
DB=bench_copy
[ -x "$BIN" ] || { echo "build first: cargo build --release (or set SLUICE_BIN)" >&2; exit 2; }
scripts/services.sh >/dev/null
maria() { mariadb -h 127.0.0.1 -P 3306 -u root "$@"; }
pg() { psql -h 127.0.0.1 -U postgres -d test -XAtq "$@"; }
work=$(mktemp -d)
trap 'kill ${pid:-} 2>/dev/null; rm -rf "$work"' EXIT

# --- the tools -------------------------------------------------------------------------
if [[ " $TOOLS " == *" pgloader "* ]] && ! command -v pgloader >/dev/null; then
  echo "installing pgloader (Debian)"
  apt-get install -y -qq pgloader >/dev/null
fi
if [[ " $TOOLS " == *" sling "* ]] && [ ! -x .bench-venv/bin/sling-bin ]; then
  echo "installing sling (PyPI sling-linux-amd64)"
  python3 -m venv .bench-venv
  .bench-venv/bin/pip install -q sling-linux-amd64
  ln -sf "$(.bench-venv/bin/python -c 'import sling_linux_amd64, os; print(os.path.dirname(sling_linux_amd64.__file__))')/bin/sling-linux-amd64" .bench-venv/bin/sling-bin
fi

# --- the data --------------------------------------------------------------------------
per=$((ROWS / TABLES))
if [ "$(maria -N -e "SELECT COALESCE(SUM(table_rows), 0) >= $ROWS * 0.9 AND COUNT(*) = $TABLES FROM information_schema.tables WHERE table_schema = '$DB'")" != 1 ]; then
  echo "preparing: MariaDB $DB ($TABLES tables of $per rows)"
  maria -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
  for t in $(seq 1 $TABLES); do
    maria "$DB" -e "CREATE TABLE orders_$t (id BIGINT PRIMARY KEY, customer VARCHAR(50), amount DECIMAL(12,2),
        created_at DATETIME(6), note TEXT NULL, flag TINYINT(1));
      INSERT INTO orders_$t SELECT seq, CONCAT('customer ', seq % 9973, ' é'), (seq * 37 % 1000000) / 100 - 5000,
        TIMESTAMP('2026-01-01 00:00:00') + INTERVAL seq * 1234567 MICROSECOND,
        IF(seq % 5 = 0, NULL, CONCAT('note «', seq, '» for table $t')), seq % 2
      FROM seq_1_to_$per"
  done
fi

# Row count and md5 of every value, both sides formatted alike, per table.
source_sums() {
  for t in $(seq 1 $TABLES); do
    maria -N "$DB" -e "SET SESSION group_concat_max_len = 1 << 30;
      SELECT 'orders_$t', COUNT(*), MD5(GROUP_CONCAT(CONCAT_WS('|', id, customer, amount,
        DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f'), COALESCE(note, '<null>'), flag) ORDER BY id SEPARATOR '\n'))
      FROM orders_$t"
  done
}
sink_sums() {
  for t in $(seq 1 $TABLES); do
    pg -F $'\t' -c "SELECT 'orders_$t', COUNT(*), md5(string_agg(concat_ws('|', id, customer, round(amount::numeric, 2)::text,
        to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US'), COALESCE(note, '<null>'), (flag::text IN ('true', '1'))::int),
        E'\n' ORDER BY id)) FROM \"$1\".orders_$t"
  done
}
echo "checksumming the source"
source_sums >"$work/source.sums"

# --- one copy per tool, into its own schema ----------------------------------------------
sluice_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
http_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PGPASSWORD=bench-password
SLUICE="host=127.0.0.1 port=$sluice_port user=sluice dbname=sluice"

# cpu_of PID: user+system seconds of the process so far
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

run_sluice() {  # a fresh gateway per round: its VmHWM is the copy's peak
  rm -rf "$work/data"
  SLUICE_PASSWORD=$PGPASSWORD SLUICE_LOG=warn "$BIN" serve --data-dir "$work/data" \
    --listen "127.0.0.1:$sluice_port" --http-listen "127.0.0.1:$http_port" 2>"$work/sluice.log" &
  pid=$!
  until psql "$SLUICE" -XAtqc 'SELECT 1' >/dev/null 2>&1; do sleep 0.05; done
  psql "$SLUICE" -XAtq >/dev/null <<SQL
CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', port = 3306, username = 'root');
CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', ssl_mode = 'disable');
CREATE SYNC DATABASE copy FROM maria DATABASE $DB TO dw DATABASE $1 WITH (engine = 'local', mode = 'full');
SQL
  local cpu0 start end
  cpu0=$(cpu_of $pid)
  start=$(date +%s.%N)
  psql "$SLUICE" -XAtqc "START PIPELINE copy" >/dev/null
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $(awk '/VmHWM/ { print $2 }' /proc/$pid/status) $(echo "$(cpu_of $pid) - $cpu0" | bc)"
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

# timed COMMAND…: "seconds peak_kb cpu_seconds" of a command and its children
timed() {
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >"$work/tool.log" 2>&1 || {
    echo "failed: $*" >&2; tail -20 "$work/tool.log" >&2; exit 1; }
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$work/time"
}

run_pgloader() {
  timed pgloader --quiet --with "workers = 4" --with "concurrency = 1" \
    "mysql://root@127.0.0.1:3306/$DB" "postgresql://postgres@127.0.0.1:5432/test"
}

run_sling() {
  local streams
  streams=$(for t in $(seq 1 $TABLES); do printf '  %s.orders_%s: {object: %s.orders_%s}\n' "$DB" "$t" "$1" "$t"; done)
  cat >"$work/sling.yaml" <<YAML
source: MARIA
target: PG
defaults:
  mode: full-refresh
streams:
$streams
YAML
  MARIA="mysql://root@127.0.0.1:3306/$DB" PG="postgresql://postgres@127.0.0.1:5432/test?sslmode=disable" \
    SLING_THREADS=4 timed .bench-venv/bin/sling-bin run -r "$work/sling.yaml"
}

run_pipe() {
  for t in $(seq 1 $TABLES); do
    pg -c "CREATE TABLE \"$1\".orders_$t (id bigint PRIMARY KEY, customer varchar(50), amount numeric(12,2),
      created_at timestamp(6), note text, flag smallint)"
  done
  cat >"$work/pipe.sh" <<'SH'
set -eo pipefail
for t in $(seq 1 "$TABLES"); do
  mariadb -h 127.0.0.1 -P 3306 -u root --batch --raw --quick --skip-column-names "$DB" \
    -e "SELECT id, customer, amount, created_at, COALESCE(note, '\\\\N'), flag FROM orders_$t" \
  | psql -h 127.0.0.1 -U postgres -d test -Xq -c "\\copy \"$SCHEMA\".orders_$t FROM STDIN"
done
SH
  timed env TABLES=$TABLES DB=$DB SCHEMA="$1" bash "$work/pipe.sh"
}

declare -A result
for tool in $TOOLS; do
  : >"$work/$tool.runs"
  for round in $(seq 1 "$ROUNDS"); do
    schema="bench_copy_$tool"
    pg -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" 2>/dev/null
    if [ "$tool" = pgloader ]; then
      # pgloader creates the schema named after the MySQL database, then it is renamed
      pg -c "DROP SCHEMA IF EXISTS $DB CASCADE; DROP SCHEMA $schema" 2>/dev/null
      line=$(run_pgloader "$schema")
      pg -c "ALTER SCHEMA $DB RENAME TO $schema"
    else
      line=$("run_$tool" "$schema")
    fi
    sink_sums "$schema" >"$work/sink.sums"
    if ! diff -q "$work/source.sums" "$work/sink.sums" >/dev/null; then
      echo "$tool: the copy differs from the source:" >&2
      diff "$work/source.sums" "$work/sink.sums" | head -5 >&2
      exit 1
    fi
    echo "$line" >>"$work/$tool.runs"
    echo "  $tool round $round: $line (seconds peak_kB cpu_s), verified"
  done
  result[$tool]=$(sort -n "$work/$tool.runs" | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2)')
done

echo
echo "== $ROWS rows in $TABLES tables, MariaDB -> PostgreSQL, median of $ROUNDS rounds, every copy verified"
sluice_s=$(echo "${result[sluice]:-0}" | cut -d' ' -f1)
printf '%-10s %8s %10s %10s %7s %9s\n' tool seconds rows/s peak_MB cpu_s speed_vs_sluice
for tool in $TOOLS; do
  read -r s kb cpu <<<"${result[$tool]}"
  awk -v t="$tool" -v s="$s" -v kb="$kb" -v cpu="$cpu" -v rows="$ROWS" -v base="$sluice_s" \
    'BEGIN { printf "%-10s %8.2f %10.0f %10.0f %7.2f %8.2fx\n", t, s, rows / s, kb / 1024, cpu, (s > 0 ? base / s : 0) }'
done
echo "goal: Sluice at least as fast as the pipe (the pipe's speed_vs_sluice at most 1.00), Sluice's peak RSS under 300 MB"
