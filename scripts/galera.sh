#!/usr/bin/env bash
# A three-node MariaDB Galera cluster of local `mariadbd` instances, for the "galera" conformance
# backend and tests/topologies/ (issue 14).
#
#   scripts/galera.sh start|stop [--keep-data]|status|kill-node N|start-node N
#
# Node N (1..3) listens on 127.0.0.1:331N (client; root with an empty password over TCP), Galera
# replication on 45N1, IST on 45N2, rsync SST on 45N3 (N=7,8,9: 4571/4572/4573, 4581..., 4591...).
# Every file of node N (data directory, my.cnf, socket, pid, error log) is under
# $MODMIG_GALERA_DIR/nodeN (default /var/tmp/modmig-galera): the system MariaDB on 3306, its
# configuration (/etc/mysql) and its data are never read or touched (every mariadbd here runs with
# --defaults-file=<our my.cnf>). The nodes run as `mysql` because the rsync state transfer needs it.
#
# `start` is idempotent: nodes that answer are left alone. Node 1 bootstraps the cluster with
# --wsrep-new-cluster when no node is up; then the others join; it waits (deadline
# $MODMIG_GALERA_TIMEOUT s, default 120) until wsrep_cluster_size = 3.
# `stop` shuts the three nodes down and removes $MODMIG_GALERA_DIR unless --keep-data is given.
# `start` installs Debian's galera-4 and rsync if they are missing (mariadb-server must be installed).
# `kill-node N` SIGKILLs node N's mariadbd (a crash, for the node-failure test); `start-node N` makes
# it rejoin the running cluster (IST/SST from a live node).
set -euo pipefail

DIR="${MODMIG_GALERA_DIR:-/var/tmp/modmig-galera}"
TIMEOUT="${MODMIG_GALERA_TIMEOUT:-120}"
RUN_AS=mysql
NODES=(1 2 3)
PROVIDER=/usr/lib/galera/libgalera_smm.so

say() { echo "galera.sh: $*"; }
die() { echo "galera.sh: error: $*" >&2; exit 1; }

port() { echo $((3310 + $1)); }
gport() { echo $((4561 + 10 * $1)); }  # 4571, 4581, 4591
node_dir() { echo "$DIR/node$1"; }
cluster_address() { echo "gcomm://127.0.0.1:$(gport 1),127.0.0.1:$(gport 2),127.0.0.1:$(gport 3)"; }

sql() {  # sql N "STATEMENT": run on node N over TCP as root; prints tab-separated rows
    mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$(port "$1")" -uroot --connect-timeout=3 -NBe "$2" 2>/dev/null
}
answers() { sql "$1" "SELECT 1" >/dev/null; }
wsrep() { sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" | awk '{print $2}'; }
node_pid() {
    local pidfile
    pidfile="$(node_dir "$1")/mariadbd.pid"
    [ -f "$pidfile" ] || return 1
    local pid
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # A node that crashed leaves its pid file; a long test run (thousands of processes, pid_max
    # 32768) can hand that pid to another process. Only our mariadbd, with this node's config, counts.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--defaults-file=$(node_dir "$1")/my.cnf" || return 1
    echo "$pid"
}

install_if_missing() {  # galera-4 and rsync from Debian's packages; mariadb-server must be there already
    local missing=()
    [ -f "$PROVIDER" ] || missing+=(galera-4)
    command -v rsync >/dev/null 2>&1 || missing+=(rsync)
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "${missing[*]} missing and this is not a Debian-like system: install them"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    say "installing Debian's ${missing[*]} (apt-get)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

check_prerequisites() {
    [ -x /usr/sbin/mariadbd ] || die "/usr/sbin/mariadbd is missing: apt-get install mariadb-server (the system MariaDB the suite also needs)"
    install_if_missing
    [ -f "$PROVIDER" ] || die "$PROVIDER is missing: apt-get install galera-4"
    command -v rsync >/dev/null 2>&1 || die "rsync is missing (needed for the state transfer): apt-get install rsync"
    command -v mariadb-install-db >/dev/null 2>&1 || die "mariadb-install-db is missing: apt-get install mariadb-server"
    id "$RUN_AS" >/dev/null 2>&1 || die "user $RUN_AS does not exist (the mariadb-server package creates it)"
    if [ "$(id -u)" -ne 0 ] && [ "$(id -un)" != "$RUN_AS" ]; then die "run as root or as $RUN_AS"; fi
}

write_config() {
    local n=$1 d
    d="$(node_dir "$n")"
    mkdir -p "$d/data" "$d/tmp"
    cat >"$d/my.cnf" <<EOF
# Written by scripts/galera.sh (modmig tests): node $n of a local three-node Galera cluster.
[mariadbd]
user = $RUN_AS
datadir = $d/data
tmpdir = $d/tmp
socket = $d/mariadbd.sock
pid-file = $d/mariadbd.pid
log-error = $d/error.log
port = $(port "$n")
bind-address = 127.0.0.1
skip-name-resolve
# Small and fast: three nodes share a 2-core test machine; durability comes from the cluster.
innodb_buffer_pool_size = 64M
innodb_log_file_size = 32M
innodb_flush_log_at_trx_commit = 0
performance_schema = OFF
max_connections = 300
# Galera
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
wsrep_on = ON
wsrep_provider = $PROVIDER
wsrep_cluster_name = modmig_test_galera
wsrep_cluster_address = $(cluster_address)
wsrep_node_name = node$n
wsrep_node_address = 127.0.0.1:$(gport "$n")
wsrep_node_incoming_address = 127.0.0.1:$(port "$n")
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$(gport "$n");ist.recv_addr=127.0.0.1:$(( $(gport "$n") + 1 ));gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT6S"
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:$(( $(gport "$n") + 2 ))
wsrep_slave_threads = 2
[client]
socket = $d/mariadbd.sock
EOF
    if [ ! -d "$d/data/mysql" ]; then
        say "node $n: initialising $d/data (mariadb-install-db)"
        chown -R "$RUN_AS:" "$d"
        mariadb-install-db --defaults-file="$d/my.cnf" --user="$RUN_AS" --auth-root-authentication-method=normal \
            --skip-test-db >"$d/install.log" 2>&1 || { tail -20 "$d/install.log" >&2; die "mariadb-install-db failed for node $n"; }
    fi
    chown -R "$RUN_AS:" "$d"
}

launch() {  # launch N [--wsrep-new-cluster]
    local n=$1; shift
    local d
    d="$(node_dir "$n")"
    say "node $n: starting mariadbd on 127.0.0.1:$(port "$n") (galera 127.0.0.1:$(gport "$n")) $*"
    # setsid + nohup: the node outlives this script; output goes to its error log.
    setsid nohup /usr/sbin/mariadbd --defaults-file="$d/my.cnf" "$@" >>"$d/stdout.log" 2>&1 </dev/null &
}

wait_synced() {  # wait_synced N DEADLINE_EPOCH
    local n=$1 deadline=$2
    while [ "$(date +%s)" -lt "$deadline" ]; do
        if answers "$n" && [ "$(wsrep "$n" wsrep_local_state_comment)" = "Synced" ]; then return 0; fi
        if ! pgrep -f -- "--defaults-file=$(node_dir "$n")/my.cnf" >/dev/null; then
            tail -30 "$(node_dir "$n")/error.log" >&2 || true
            die "node $n: mariadbd exited (its error log above: $(node_dir "$n")/error.log)"
        fi
        sleep 0.5
    done
    tail -30 "$(node_dir "$n")/error.log" >&2 || true
    die "node $n is not Synced after ${TIMEOUT}s (its error log above: $(node_dir "$n")/error.log)"
}

wait_size() {  # wait_size N SIZE DEADLINE_EPOCH
    local n=$1 size=$2 deadline=$3
    while [ "$(date +%s)" -lt "$deadline" ]; do
        [ "$(wsrep "$n" wsrep_cluster_size)" = "$size" ] && return 0
        sleep 0.5
    done
    die "wsrep_cluster_size is $(wsrep "$n" wsrep_cluster_size || echo '?'), not $size, after ${TIMEOUT}s"
}

any_up() { local n; for n in "${NODES[@]}"; do if answers "$n"; then echo "$n"; return 0; fi; done; return 1; }

start_node() {  # start_node N: join a running cluster (or bootstrap it if no node is up)
    local n=$1 deadline
    deadline=$(( $(date +%s) + TIMEOUT ))
    if answers "$n"; then say "node $n: already running"; return 0; fi
    check_prerequisites
    if pid="$(node_pid "$n")"; then die "node $n: mariadbd (pid $pid) runs but does not answer on $(port "$n"); stop it first"; fi
    write_config "$n"
    if any_up >/dev/null; then
        launch "$n"
    else
        # A crashed bootstrap node refuses --wsrep-new-cluster unless marked safe: we know it was the last.
        sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$(node_dir "$n")/data/grastate.dat" 2>/dev/null || true
        launch "$n" --wsrep-new-cluster
    fi
    wait_synced "$n" "$deadline"
    say "node $n: synced (cluster size $(wsrep "$n" wsrep_cluster_size))"
}

start() {
    local deadline t0
    t0=$(date +%s)
    deadline=$(( t0 + TIMEOUT ))
    local n
    check_prerequisites
    mkdir -p "$DIR"
    if ! any_up >/dev/null; then
        start_node 1
        # root over TCP from 127.0.0.1 with an empty password (the tests' admin account); replicated.
        sql 1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION" \
            || true
    fi
    for n in "${NODES[@]}"; do
        answers "$n" || { write_config "$n"; launch "$n"; }
    done
    for n in "${NODES[@]}"; do wait_synced "$n" "$deadline"; done
    wait_size 1 3 "$deadline"
    say "cluster up: size 3, nodes on 127.0.0.1:$(port 1),$(port 2),$(port 3) ($(( $(date +%s) - t0 ))s)"
}

stop_node() {  # stop_node N: clean shutdown (SIGTERM), SIGKILL after 60 s
    local n=$1 pid
    if ! pid="$(node_pid "$n")"; then say "node $n: not running"; return 0; fi
    say "node $n: stopping mariadbd (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || { say "node $n: stopped"; return 0; }
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
    say "node $n: killed after 60 s"
}

stop() {
    local keep=${1:-} n f
    # Joiners first, the bootstrap node last, so the last one down is safe to bootstrap again.
    for n in 3 2 1; do stop_node "$n"; done
    # rsync daemons left by an interrupted state transfer
    for n in "${NODES[@]}"; do
        for f in "$(node_dir "$n")"/data/rsync_sst.pid; do
            [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
        done
    done
    if [ "$keep" = "--keep-data" ]; then say "data kept in $DIR"; return 0; fi
    case "$DIR" in /var/tmp/modmig-galera*|/tmp/*) rm -rf "$DIR"; say "removed $DIR" ;;
        *) say "not removing $DIR (not under /var/tmp/modmig-galera or /tmp): remove it yourself" ;; esac
}

kill_node() {
    local n=$1 pid
    pid="$(node_pid "$n")" || die "node $n is not running"
    say "node $n: SIGKILL mariadbd (pid $pid)"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    say "node $n: killed"
}

status() {
    local code=0 n
    for n in "${NODES[@]}"; do
        if answers "$n"; then
            say "node $n: 127.0.0.1:$(port "$n") $(wsrep "$n" wsrep_local_state_comment), cluster size $(wsrep "$n" wsrep_cluster_size), $(wsrep "$n" wsrep_cluster_status)"
        else
            say "node $n: not running (no answer on 127.0.0.1:$(port "$n"))"; code=3
        fi
    done
    [ "$code" -eq 0 ] || say "start the cluster with: scripts/galera.sh start"
    return $code
}

node_arg() { case "${1:-}" in 1|2|3) echo "$1" ;; *) echo "usage: $0 ${2} 1|2|3" >&2; exit 2 ;; esac; }

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    status) status ;;
    kill-node) kill_node "$(node_arg "${2:-}" kill-node)" ;;
    start-node) start_node "$(node_arg "${2:-}" start-node)" ;;
    *) echo "usage: $0 start|stop [--keep-data]|status|kill-node N|start-node N" >&2; exit 2 ;;
esac
