# Shared by the benchmark scripts (sourced, not run): the release binary, a work
# directory, and a Sluice started on free ports with its own data directory.
#
# After sourcing: BIN, DURATION, work, port, http_port, PGPASSWORD, SLUICE (a libpq DSN);
# start_sluice starts the server (pid in $pid) and waits until it answers.

BIN=${SLUICE_BIN:-target/release/sluice}
DURATION=${DURATION:-10}
[ -x "$BIN" ] || { echo "build first: cargo build --release (or set SLUICE_BIN)" >&2; exit 2; }
command -v pgbench >/dev/null || { echo "pgbench is required" >&2; exit 2; }

work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
http_port=$(free_port)
export PGPASSWORD=bench-password
SLUICE="host=127.0.0.1 port=$port user=sluice dbname=sluice"

start_sluice() {
  SLUICE_PASSWORD=$PGPASSWORD SLUICE_LOG=warn "$BIN" serve --data-dir "$work/data" \
    --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$http_port" 2>"$work/sluice.log" &
  pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
  until psql "$SLUICE" -XAtqc 'SELECT 1' >/dev/null 2>&1; do sleep 0.01; done
}
