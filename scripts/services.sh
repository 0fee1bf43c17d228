#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306) are up,
# starting them when they are down. Exits non-zero if one cannot be reached afterwards.
set -uo pipefail

wait_for() { # name, probe command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then echo "services: $name is up"; return 0; fi
    sleep 0.5
  done
  echo "services: $name is not reachable" >&2
  return 1
}

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
maria_up() { mariadb-admin -h 127.0.0.1 -P 3306 -u root --connect-timeout=2 ping; }

status=0
if ! pg_up; then
  echo "services: starting PostgreSQL"
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
wait_for PostgreSQL pg_up || status=1

if ! maria_up; then
  echo "services: starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
wait_for MariaDB maria_up || status=1
exit $status
