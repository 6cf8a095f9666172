#!/usr/bin/env bash
# A local MariaDB for the Drizzle store tests (Debian's mariadb-server, on 127.0.0.1:3306).
#
#   export MYSQL_URL="$(.ci/mariadb.sh start)"   # installs if missing, starts, creates db + user
#   .ci/mariadb.sh url                           # prints the URL again
#   .ci/mariadb.sh stop
#
# Only the URL goes to stdout; progress goes to stderr. Needs root (or sudo) to install and start
# the server. Database, user and password can be changed with MARIADB_TEST_DB / MARIADB_TEST_USER /
# MARIADB_TEST_PASSWORD; the server keeps Debian's defaults (bind 127.0.0.1, port 3306).
set -euo pipefail

DB="${MARIADB_TEST_DB:-stripe_connect_test}"
USER_NAME="${MARIADB_TEST_USER:-stripe_connect}"
PASSWORD="${MARIADB_TEST_PASSWORD:-stripe_connect_test}"
PORT=3306

log() { echo "mariadb.sh: $*" >&2; }
die() { log "$*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else SUDO=(); fi
as_root() {
  if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
    die "need root or sudo to run: $*"
  fi
  "${SUDO[@]}" "$@"
}

url() { echo "mysql://${USER_NAME}:${PASSWORD}@127.0.0.1:${PORT}/${DB}"; }

installed() { command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]; }

running() { as_root mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; }

install() {
  installed && return 0
  log "installing mariadb-server with apt (about a minute)"
  local aptlog
  aptlog="$(mktemp -t mariadb-apt.XXXXXX)"
  if ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server; } >"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2
    die "apt-get install mariadb-server failed (full log: $aptlog)"
  fi
  rm -f "$aptlog"
}

start_server() {
  if running; then log "already running"; return 0; fi
  log "starting the server"
  if command -v service >/dev/null; then
    as_root service mariadb start >&2 || true
  fi
  if ! running; then
    # No init system (some containers): run the daemon directly.
    as_root mkdir -p /run/mysqld
    as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
    as_root sh -c 'nohup mysqld_safe >/dev/null 2>&1 &'
  fi
  for _ in $(seq 1 60); do
    running && return 0
    sleep 1
  done
  die "the server did not answer within 60 s (see /var/log/mysql/ or journalctl)"
}

setup_db() {
  log "creating database ${DB} and user ${USER_NAME}@127.0.0.1"
  as_root mysql --protocol=socket -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`${DB}\`;
CREATE USER IF NOT EXISTS '${USER_NAME}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}';
ALTER USER '${USER_NAME}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}';
GRANT ALL PRIVILEGES ON \`${DB}\`.* TO '${USER_NAME}'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
}

case "${1:-}" in
  start)
    install
    start_server
    setup_db
    url
    ;;
  stop)
    if ! installed; then log "not installed"; exit 0; fi
    if ! running; then log "not running"; exit 0; fi
    log "stopping the server"
    if command -v service >/dev/null && as_root service mariadb stop >&2; then exit 0; fi
    as_root mysqladmin --protocol=socket -uroot shutdown
    ;;
  url)
    url
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
