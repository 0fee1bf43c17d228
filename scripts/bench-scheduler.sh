#!/usr/bin/env bash
# Scheduler benchmark (not a test): one gateway holding SCHEDULES schedules (1,000) and
# one schedule whose DAG has TASKS tasks (10,000: 100 chains of 100, each task also after
# its neighbour's predecessor), with FIRING schedules firing every second. For DURATION
# seconds the DAG's run executes (local pipelines of one row each) while the cron
# schedules fire. Reported from the gateway's own /metrics and its catalog:
#   - scheduler tick (fire what is due + claim runs): goal < 10 ms
#   - one executor pass over the 10,000-task run
#   - fire-time lateness (runs.created_at - runs.logical_time): goal p99 < 1 s
#
#   cargo build --release && scripts/bench-scheduler.sh     (SCHEDULES, TASKS, FIRING, DURATION)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-common.sh
scripts/services.sh >/dev/null
SCHEDULES=${SCHEDULES:-1000}
TASKS=${TASKS:-10000}
FIRING=${FIRING:-10}
DURATION=${DURATION:-60}
local_pg() { psql -h 127.0.0.1 -U postgres -d test -XAtq "$@"; }
local_pg -c "DROP SCHEMA IF EXISTS bench_sched CASCADE" -c "CREATE SCHEMA bench_sched" \
  -c "CREATE TABLE bench_sched.src (id int)" -c "INSERT INTO bench_sched.src VALUES (1)" \
  -c "CREATE TABLE bench_sched.sink (task int, id int)"

start_sluice
q() { PGOPTIONS="-c client_min_messages=warning" psql "$SLUICE" -XAtq -v ON_ERROR_STOP=1 "$@"; }
q -c "CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres', ssl_mode = 'disable')"

pipelines=$((TASKS > SCHEDULES ? TASKS : SCHEDULES))
pipelines=$((pipelines + FIRING))
echo "preparing: $pipelines pipelines, $SCHEDULES schedules, a $TASKS-task DAG"
python3 - "$pipelines" <<'PY' | q >/dev/null
import sys
for i in range(1, int(sys.argv[1]) + 1):
    print(f"CREATE PIPELINE p{i} WITH (mode = 'batch') AS INSERT INTO dw.bench_sched.sink SELECT {i}, id FROM dw.bench_sched.src;")
PY
python3 - "$SCHEDULES" <<'PY' | q >/dev/null
import sys
for i in range(1, int(sys.argv[1]) + 1):
    print(f"CREATE SCHEDULE s{i} CRON '0 0 1 1 *' AS RUN PIPELINE p{i};")
PY
start=$(date +%s%N)
python3 - "$TASKS" <<'PY' | q >/dev/null
import sys
n = int(sys.argv[1]); width = 100
tasks = []
for i in range(1, n + 1):
    after = [i - width] if i > width else []
    if i > width and (i - 1) % width:
        after.append(i - width - 1)
    tasks.append(f"RUN PIPELINE p{i}" + (" AFTER " + ", ".join(f"p{a}" for a in after) if after else ""))
print("CREATE SCHEDULE big CRON '0 0 1 1 *' WITH (max_active_tasks = 16) AS $$ BEGIN " + "; ".join(tasks) + "; END $$;")
PY
echo "CREATE SCHEDULE with $TASKS tasks: $(( ($(date +%s%N) - start) / 1000000 )) ms"
q -c "PAUSE SCHEDULE big" -c "RUN SCHEDULE big" >/dev/null
for i in $(seq 1 "$FIRING"); do
  q -c "CREATE SCHEDULE f$i CRON '* * * * * *' AS RUN PIPELINE p$((pipelines - i + 1))" >/dev/null
done

echo "running for ${DURATION}s"
sleep "$DURATION"
curl -s "http://127.0.0.1:$http_port/metrics" >"$work/metrics"
q -c "PAUSE SCHEDULE big" >/dev/null
for i in $(seq 1 "$FIRING"); do q -c "PAUSE SCHEDULE f$i" >/dev/null; done
done_tasks=$(q -c "SELECT count(*) FROM sluice.run_tasks WHERE state = 'succeeded'")
q -c "SELECT logical_time, created_at FROM sluice.runs WHERE trigger = 'cron'" >"$work/fired"

python3 - "$work/metrics" "$work/fired" "$done_tasks" <<'PY'
import sys, re, datetime
metrics = open(sys.argv[1]).read()
def histogram(name):
    buckets = [(float(le), int(n)) for le, n in re.findall(name + r'_bucket\{le="([^"]+)"\} (\d+)', metrics) if le != "+Inf"]
    total = float(re.search(name + r'_sum ([0-9.e+-]+)', metrics).group(1))
    count = int(re.search(name + r'_count (\d+)', metrics).group(1))
    p99 = next((le for le, n in buckets if count and n >= 0.99 * count), float("inf"))
    return count, (total / count if count else 0), p99
for name, label in [("sluice_scheduler_tick_seconds", "scheduler tick"), ("sluice_run_step_seconds", "executor pass")]:
    count, mean, p99 = histogram(name)
    print(f"{label:16} {count:8d} samples   mean {mean * 1000:8.2f} ms   p99 <= {p99 * 1000:8.2f} ms")
def ts(text):
    text = text.strip()
    text = text + "00" if re.search(r"[+-]\d\d$", text) else text
    return datetime.datetime.fromisoformat(text.replace(" ", "T"))
late = sorted((ts(c) - ts(l)).total_seconds() for l, c in (line.split("|") for line in open(sys.argv[2]) if "|" in line))
if late:
    pick = lambda q: late[min(len(late) - 1, int(q * len(late)))]
    print(f"fire lateness    {len(late):8d} runs      p50 {pick(0.5) * 1000:8.1f} ms   p99 {pick(0.99) * 1000:8.1f} ms   max {late[-1] * 1000:8.1f} ms")
print(f"DAG tasks succeeded in the run: {sys.argv[3]}")
PY
local_pg -c "DROP SCHEMA bench_sched CASCADE"
