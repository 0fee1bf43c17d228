#!/usr/bin/env bash
# Wire benchmark (not a test): pgbench `SELECT 1` against Sluice and against the local
# PostgreSQL in the same run, simple and extended protocol, 1/8/64 clients, with the
# ratio; plus Sluice's time from start to first answered query, idle RSS, and RSS with
# 500 idle connections.
#
#   cargo build --release && scripts/bench-wire.sh
#
# Environment: SLUICE_BIN (default target/release/sluice), DURATION seconds per run
# (default 10), CLIENTS (default "1 8 64"), PG_DSN for the PostgreSQL side.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-"1 8 64"}
PG_DSN=${PG_DSN:-"host=127.0.0.1 port=5432 user=postgres dbname=test"}
. scripts/bench-common.sh
SLUICE_DSN=$SLUICE
echo "SELECT 1;" > "$work/select1.sql"
printf '\\sleep 20 s\n' > "$work/idle.sql"

start_ns=$(date +%s%N)
start_sluice
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
idle_rss=$(rss_kb)

tps() { # dsn mode clients
  pgbench "$1" -n -f "$work/select1.sql" -M "$2" -c "$3" -j "$(( $3 < 2 ? 1 : 2 ))" -T "$DURATION" 2>/dev/null \
    | awk '/^tps = / {print int($3)}'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -sr)"
echo "start to first answered query: ${ready_ms} ms; idle RSS: $(( idle_rss / 1024 )) MiB"
printf '%-9s %7s %12s %12s %7s\n' protocol clients sluice_tps postgres_tps ratio
for mode in simple extended; do
  for c in $CLIENTS; do
    s=$(tps "$SLUICE_DSN" "$mode" "$c")
    p=$(tps "$PG_DSN" "$mode" "$c")
    printf '%-9s %7s %12s %12s %7s\n' "$mode" "$c" "$s" "$p" "$(awk -v s="$s" -v p="$p" 'BEGIN { if (p > 0) printf "%.2f", s / p; else print "n/a" }')"
  done
done

pgbench "$SLUICE_DSN" -n -f "$work/idle.sql" -c 500 -j 2 -T 15 >/dev/null 2>&1 &
holder=$!
sleep 8
echo "RSS with 500 idle connections: $(( $(rss_kb) / 1024 )) MiB"
wait $holder 2>/dev/null || true
