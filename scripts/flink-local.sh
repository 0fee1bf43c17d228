#!/usr/bin/env bash
# A local Apache Flink 2.3 session cluster for trying Sluice and for its Flink tests.
#
#   scripts/flink-local.sh start    assemble Flink from PyPI's wheels (once, cached), build the
#                                   Sluice SQL runner jar, start a JobManager and a TaskManager
#                                   bound to 127.0.0.1, and wait until both slots are free
#   scripts/flink-local.sh stop     stop the JVMs this script started (by PID)
#   scripts/flink-local.sh status   print the cluster overview, or fail when it is down
#   scripts/flink-local.sh env      print FLINK_REST_URL and SLUICE_RUNNER_JAR for `eval`
#
# PyPI's apache-flink-libraries wheel carries Flink's lib/, opt/ and plugins/ but not
# flink-sql-gateway.jar, so Flink's own SqlDriver cannot run here; the jar built from
# runner/ does the same job (see runner/README.md). The facts this relies on come from
# ../shared/reference/flink-local/README.md.
#
# Connectors: Flink's own wheel carries datagen, filesystem, print and blackhole. The JDBC
# connector (core and its PostgreSQL dialect, 4.0.0-2.0), the Kafka connector (4.0.1-2.0)
# with kafka-clients 3.9.1, and the PostgreSQL JDBC driver (42.7.3) come from PyPI's
# shigawire-apache-flink-libraries 2.0.0.post1, a redistribution of Apache's jars: the
# wheel is pinned by its SHA-256 and each jar checked by its manifest's title and version
# before it is put in lib/. There is no MySQL dialect (flink-connector-jdbc-mysql) to be
# had here.
#
# Settings (environment): SLUICE_FLINK_CACHE (default ~/.cache/sluice/flink),
# FLINK_REST_PORT (default 8081).
set -euo pipefail

V=2.3.0
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SLUICE_FLINK_CACHE:-$HOME/.cache/sluice/flink}
FLINK_HOME=$CACHE/flink-$V
WORK=$CACHE/run
PORT=${FLINK_REST_PORT:-8081}
REST=http://127.0.0.1:$PORT
RUNNER_JAR=$CACHE/sluice-sql-runner.jar
export USER=${USER:-$(id -un)}   # flink-daemon.sh names its pid and log files after $USER
export FLINK_CONF_DIR=$FLINK_HOME/conf

log() { echo "flink-local: $*" >&2; }
die() { log "$*"; exit 1; }

assemble() {
  [ -f "$FLINK_HOME/lib/flink-dist-$V.jar" ] && return 0
  local wheels=$CACHE/wheels unpack
  mkdir -p "$wheels"
  if ! ls "$wheels"/apache_flink_libraries-$V-*.whl "$wheels"/apache_flink-$V-*.whl >/dev/null 2>&1; then
    log "downloading apache-flink $V and apache-flink-libraries $V from PyPI"
    python3 -m pip download --no-deps -q -d "$wheels" "apache-flink==$V" "apache-flink-libraries==$V"
  fi
  unpack=$(mktemp -d "$CACHE/unpack.XXXXXX")
  unzip -q "$wheels"/apache_flink_libraries-$V-*.whl 'pyflink/*' -d "$unpack"
  unzip -q -o "$wheels"/apache_flink-$V-*.whl 'pyflink/bin/*' 'pyflink/conf/*' -d "$unpack"
  rm -rf "$FLINK_HOME.partial" && mkdir -p "$FLINK_HOME.partial/log"
  for d in bin conf lib opt plugins; do mv "$unpack/pyflink/$d" "$FLINK_HOME.partial/"; done
  cp "$FLINK_HOME.partial/conf/config.yaml" "$FLINK_HOME.partial/conf/config.yaml.orig"
  rm -rf "$unpack" && mv "$FLINK_HOME.partial" "$FLINK_HOME"
  log "assembled $FLINK_HOME"
}

CONNECTORS_WHEEL=shigawire-apache-flink-libraries==2.0.0.post1
CONNECTORS_SHA256=aaa65537d3f0c0ff279185d8243024f0efd95788ba044bf249ba0f40b69289cd
# jar in the wheel's pyflink/lib | what its manifest says | the name it gets in lib/
CONNECTORS="flink-connector-jdbc-core.jar|Flink : Connectors : JDBC : Core 4.0.0-2.0|flink-connector-jdbc-core-4.0.0-2.0.jar
flink-connector-jdbc-postgres.jar|Flink : Connectors : JDBC : Postgres 4.0.0-2.0|flink-connector-jdbc-postgres-4.0.0-2.0.jar
flink-connector-kafka.jar|Flink : Connectors : Kafka 4.0.1-2.0|flink-connector-kafka-4.0.1-2.0.jar
kafka-clients.jar|kafka-clients 3.9.1|kafka-clients-3.9.1.jar
postgresql.jar|PostgreSQL JDBC Driver 42.7.3|postgresql-42.7.3.jar"

# What a jar says it is: "<title> <version>" from its manifest (kafka-clients, whose
# manifest is empty, from its version file).
jar_identity() {
  if unzip -l "$1" kafka/kafka-version.properties >/dev/null 2>&1; then
    echo "kafka-clients $(unzip -p "$1" kafka/kafka-version.properties | sed -n 's/^version=//p' | tr -d '\r')"
    return
  fi
  unzip -p "$1" META-INF/MANIFEST.MF | tr -d '\r' | awk -F': ' '
    $1 == "Implementation-Title" || $1 == "Bundle-Name" { if (!t) t = substr($0, length($1) + 3) }
    $1 == "Specification-Version" || $1 == "Bundle-Version" { if (!v) v = substr($0, length($1) + 3) }
    END { print t " " v }'
}

install_connectors() {
  local wheels=$CACHE/wheels wheel unpack line jar identity name
  if [ -f "$FLINK_HOME/lib/.connectors" ] && [ "$(cat "$FLINK_HOME/lib/.connectors")" = "$CONNECTORS_SHA256" ]; then
    return 0
  fi
  mkdir -p "$wheels"
  wheel=$(ls "$wheels"/shigawire_apache_flink_libraries-2.0.0.post1-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$wheel" ]; then
    log "downloading $CONNECTORS_WHEEL from PyPI"
    python3 -m pip download --no-deps -q -d "$wheels" "$CONNECTORS_WHEEL"
    wheel=$(ls "$wheels"/shigawire_apache_flink_libraries-2.0.0.post1-*.whl | head -1)
  fi
  echo "$CONNECTORS_SHA256  $wheel" | sha256sum -c --quiet - || die "$wheel is not the pinned wheel"
  unpack=$(mktemp -d "$CACHE/connectors.XXXXXX")
  while IFS='|' read -r jar identity name; do
    unzip -q -o "$wheel" "pyflink/lib/$jar" -d "$unpack"
    if [ "$(jar_identity "$unpack/pyflink/lib/$jar")" != "$identity" ]; then
      die "$jar in the wheel is '$(jar_identity "$unpack/pyflink/lib/$jar")', not '$identity'"
    fi
    cp "$unpack/pyflink/lib/$jar" "$FLINK_HOME/lib/$name"
  done <<< "$CONNECTORS"
  rm -rf "$unpack"
  echo "$CONNECTORS_SHA256" > "$FLINK_HOME/lib/.connectors"
  log "installed the JDBC (PostgreSQL) and Kafka connectors into $FLINK_HOME/lib"
}

build_runner() {
  local sources newest
  sources=$(find "$ROOT/runner/src" -name '*.java')
  newest=$(ls -t $sources | head -1)
  [ -f "$RUNNER_JAR" ] && [ "$RUNNER_JAR" -nt "$newest" ] && return 0
  rm -rf "$CACHE/runner-classes" && mkdir -p "$CACHE/runner-classes"
  # shellcheck disable=SC2086
  javac -nowarn -proc:none --release 17 -cp "$FLINK_HOME/lib/*" -d "$CACHE/runner-classes" $sources
  jar --create --file "$RUNNER_JAR.partial" -C "$CACHE/runner-classes" .
  mv "$RUNNER_JAR.partial" "$RUNNER_JAR"
  log "built $RUNNER_JAR"
}

configure() {
  local java_opts
  mkdir -p "$WORK"/{pids,tmp,upload,savepoints,checkpoints}
  java_opts=$(sed -n 's/^ *all: *//p' "$FLINK_HOME/conf/config.yaml.orig")  # Java 17 --add-opens
  cat > "$FLINK_HOME/conf/config.yaml" <<EOF
env:
  java:
    opts:
      all: $java_opts
  pid:
    dir: $WORK/pids
jobmanager:
  bind-host: 127.0.0.1
  rpc:
    address: 127.0.0.1
    port: 6123
  memory:
    process:
      size: 1g
  execution:
    failover-strategy: region
taskmanager:
  bind-host: 127.0.0.1
  host: 127.0.0.1
  numberOfTaskSlots: 2
  memory:
    process:
      size: 1536m
parallelism:
  default: 1
rest:
  address: 127.0.0.1
  bind-address: 127.0.0.1
  port: $PORT
web:
  upload:
    dir: $WORK/upload
io:
  tmp:
    dirs: $WORK/tmp
execution:
  checkpointing:
    dir: file://$WORK/checkpoints
    savepoint-dir: file://$WORK/savepoints
EOF
}

flink_pids() {
  local p
  for p in $(cat "$WORK"/pids/*.pid 2>/dev/null); do
    tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q 'org\.apache\.flink' && echo "$p"
  done
  return 0
}

free_slots() {
  curl -sf --max-time 2 "$REST/overview" | python3 -c 'import json,sys; print(json.load(sys.stdin)["slots-available"])'
}

start() {
  command -v java >/dev/null || die "java is not installed (Flink needs Java 17)"
  assemble
  install_connectors
  build_runner
  if curl -sf --max-time 2 "$REST/overview" >/dev/null; then
    [ -n "$(flink_pids)" ] || die "something else answers on $REST; set FLINK_REST_PORT"
    # a cluster started before the connectors were installed has not loaded them
    if [ "$WORK/started" -nt "$FLINK_HOME/lib/.connectors" ]; then
      log "already running at $REST"
      return 0
    fi
    log "restarting: the running cluster predates the connectors in lib/"
    stop
  fi
  configure
  rm -f "$WORK"/pids/*.pid
  "$FLINK_HOME/bin/jobmanager.sh" start >/dev/null
  "$FLINK_HOME/bin/taskmanager.sh" start >/dev/null
  local deadline=$((SECONDS + 120))
  until [ "$(free_slots 2>/dev/null || echo 0)" -ge 2 ]; do
    [ $SECONDS -ge $deadline ] && { stop; die "no free slots after 120 s; see $FLINK_HOME/log"; }
    sleep 0.5
  done
  touch "$WORK/started"
  log "running at $REST (logs in $FLINK_HOME/log)"
}

stop() {
  local pids p deadline
  pids=$(flink_pids)
  [ -n "$pids" ] || { log "not running"; return 0; }
  # shellcheck disable=SC2086
  kill $pids 2>/dev/null || true
  for p in $pids; do
    deadline=$((SECONDS + 20))
    while kill -0 "$p" 2>/dev/null; do
      [ $SECONDS -ge $deadline ] && { kill -9 "$p" 2>/dev/null || true; break; }
      sleep 0.2
    done
  done
  rm -f "$WORK"/pids/*.pid
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) curl -sf --max-time 2 "$REST/overview" || die "not running at $REST" ;;
  env) echo "export FLINK_REST_URL=$REST SLUICE_RUNNER_JAR=$RUNNER_JAR" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
