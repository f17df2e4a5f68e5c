#!/usr/bin/env bash
# A PgBouncer in *transaction* pooling mode on 127.0.0.1:6432 in front of the local PostgreSQL
# (127.0.0.1:5432), for the "pgbouncer" conformance backend and tests/topologies/ (issue 14).
#
#   scripts/pgbouncer.sh start|stop|status
#
# Idempotent: `start` installs Debian's `pgbouncer` package if it is missing and does nothing if our
# PgBouncer already answers; `stop` does nothing if it is not running. Everything (config, auth file,
# log, pid, unix socket) lives in a private directory, $MODMIG_PGBOUNCER_DIR or
# /var/tmp/modmig-pgbouncer: the Debian default config and service are never used or touched.
# PgBouncer refuses to run as root, so it runs as the `postgres` user.
#
# Any database name is forwarded (`* = host=127.0.0.1 port=5432`); authentication is `trust` for the
# users in the auth file (postgres) and, through auth_query as postgres, for any other role, so
# throwaway roles made by the tests can log in too (their password is not checked: test-only setup).
set -euo pipefail

DIR="${MODMIG_PGBOUNCER_DIR:-/var/tmp/modmig-pgbouncer}"
PORT="${MODMIG_PGBOUNCER_PORT:-6432}"
PG_HOST=127.0.0.1
PG_PORT="${MODMIG_PGBOUNCER_PG_PORT:-5432}"
RUN_AS=postgres
CONF="$DIR/pgbouncer.ini"
PIDFILE="$DIR/pgbouncer.pid"
LOG="$DIR/pgbouncer.log"

say() { echo "pgbouncer.sh: $*"; }
die() { echo "pgbouncer.sh: error: $*" >&2; exit 1; }

as_user() {
    if [ "$(id -un)" = "$RUN_AS" ]; then "$@"; else runuser -u "$RUN_AS" -- "$@"; fi
}

answers() {
    # Our PgBouncer answers on its admin console (SHOW VERSION is a PgBouncer-only command).
    PGCONNECT_TIMEOUT=3 psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d pgbouncer -tAc "SHOW VERSION" >/dev/null 2>&1
}

running_pid() {
    [ -f "$PIDFILE" ] || return 1
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_if_missing() {
    if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; then return 0; fi
    command -v apt-get >/dev/null 2>&1 || die "pgbouncer is missing and this is not a Debian-like system: install PgBouncer >= 1.18"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    say "installing Debian's pgbouncer package (apt-get)"
    $sudo apt-get update -qq
    # policy-rc.d may refuse to start the Debian service; we never use it anyway.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null \
        || die "apt-get install pgbouncer failed"
}

write_config() {
    mkdir -p "$DIR"
    cat >"$CONF" <<EOF
; Written by scripts/pgbouncer.sh (modmig tests); not the Debian default config.
[databases]
* = host=$PG_HOST port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir = $DIR
pidfile = $PIDFILE
logfile = $LOG
pool_mode = transaction
auth_type = trust
auth_file = $DIR/userlist.txt
auth_user = postgres
admin_users = postgres
stats_users = postgres
; 8 racing modmig processes (each may hold a lock connection and a work connection) plus the tests.
max_client_conn = 400
default_pool_size = 40
max_db_connections = 0
reserve_pool_size = 10
server_reset_query =
ignore_startup_parameters = extra_float_digits,options,application_name
server_login_retry = 1
log_connections = 0
log_disconnections = 0
EOF
    echo '"postgres" ""' >"$DIR/userlist.txt"
    chown -R "$RUN_AS:" "$DIR"
    chmod 700 "$DIR"
}

start() {
    if answers; then say "already running on 127.0.0.1:$PORT (config $CONF)"; return 0; fi
    install_if_missing
    PGCONNECT_TIMEOUT=3 pg_isready -h "$PG_HOST" -p "$PG_PORT" -q \
        || die "PostgreSQL does not answer on $PG_HOST:$PG_PORT: start it first"
    if pid="$(running_pid)"; then
        say "a stale PgBouncer (pid $pid) does not answer: stopping it"
        stop
    fi
    write_config
    : >"$LOG"; chown "$RUN_AS:" "$LOG"
    say "starting PgBouncer $(/usr/sbin/pgbouncer --version | head -1 | awk '{print $2}') as $RUN_AS on 127.0.0.1:$PORT (transaction pooling) -> $PG_HOST:$PG_PORT; files in $DIR"
    as_user /usr/sbin/pgbouncer -d "$CONF" || { tail -20 "$LOG" >&2; die "pgbouncer did not start (log above, $LOG)"; }
    for _ in $(seq 1 50); do
        if answers; then say "running (pid $(cat "$PIDFILE"))"; return 0; fi
        sleep 0.2
    done
    tail -20 "$LOG" >&2
    die "pgbouncer started but does not answer on 127.0.0.1:$PORT within 10 s (log above, $LOG)"
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then say "not running"; rm -f "$PIDFILE"; return 0; fi
    say "stopping PgBouncer (pid $pid)"
    kill -INT "$pid" 2>/dev/null || true  # SIGINT: immediate shutdown (SIGTERM waits for clients)
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; say "stopped"; return 0; }
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    say "stopped (SIGKILL after 10 s)"
}

status() {
    if answers; then
        say "running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'), config $CONF, log $LOG)"
        psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d pgbouncer -tAF" = " -c "SHOW CONFIG" 2>/dev/null | cut -d" " -f1-3 \
            | grep -E '^(pool_mode|listen_port|default_pool_size|max_client_conn) ' || true
        return 0
    fi
    say "not running (no answer on 127.0.0.1:$PORT); start it with: scripts/pgbouncer.sh start"
    return 3
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    restart) stop; start ;;
    *) echo "usage: $0 start|stop|status|restart" >&2; exit 2 ;;
esac
