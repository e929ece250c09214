# shellcheck shell=bash disable=SC2034
# Shared helpers for deploy/test-*.sh and bench/load.sh. Source it from the repository root:
#   cd "$(dirname "$0")/.." && source deploy/lib.sh
# Everything started through these helpers listens on 127.0.0.1 and is stopped by `cleanup` (by process id).

SAFEGUARD_BIN="${SAFEGUARD_BIN:-.build/release/safeguard}"
DEMO_PASSWORD="safeguard-demo-2026"
OFFICER_EMAIL="officer@england-police.demo.safeguard.invalid"

STARTED_PIDS=()
WORK=""

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

# need COMMAND DEBIAN-PACKAGE: the command, installed with apt-get when missing (as root), or a clear failure.
need() {
    local cmd="$1" pkg="$2"
    command -v "$cmd" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ "${SAFEGUARD_NO_INSTALL:-0}" != "1" ]; then
        log "installing $pkg (for $cmd)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >&2 \
            || { DEBIAN_FRONTEND=noninteractive apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" >&2; } \
            || die "could not install $pkg (needed for $cmd)"
    fi
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is missing: apt-get install -y $pkg"
}

# The server binary, or a clear failure naming how to build it.
need_binary() {
    [ -x "$SAFEGUARD_BIN" ] || die "no server binary at $SAFEGUARD_BIN: build it (swift build -c release --product safeguard) or set SAFEGUARD_BIN"
    SAFEGUARD_BIN="$(cd "$(dirname "$SAFEGUARD_BIN")" && pwd)/$(basename "$SAFEGUARD_BIN")"
}

# need_subcommand NAME...: fails clearly when this build of safeguard lacks a subcommand (e.g. demo-data).
need_subcommand() {
    "$SAFEGUARD_BIN" "$@" --help >/dev/null 2>&1 \
        || die "this safeguard build has no '$*' command (not delivered yet?): $SAFEGUARD_BIN $* --help failed"
}

# A temporary work directory, removed by cleanup (kept with KEEP_TMP=1).
# Unless a data key is given, one is made there for the run: every server and command on one database needs the same.
make_work() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/safeguard-$1.XXXXXX")"
    chmod 755 "$WORK"
    if [ -z "${SAFEGUARD_DATA_KEY:-}" ] && [ -z "${SAFEGUARD_DATA_KEY_FILE:-}" ]; then
        (umask 077; head -c 32 /dev/urandom | base64 > "$WORK/data.key")
        export SAFEGUARD_DATA_KEY_FILE="$WORK/data.key"
    fi
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_bg NAME COMMAND...: runs a command in the background, its output in $WORK/NAME.log; sets LAST_PID.
start_bg() {
    local name="$1"; shift
    "$@" >"$WORK/$name.log" 2>&1 &
    LAST_PID=$!
    STARTED_PIDS+=("$LAST_PID")
}

# start_server NAME PORT DATABASE_URL [serve options...]: a safeguard server in its own directory $WORK/NAME;
# waits until /api/v1/openapi.json answers 200. Sets LAST_PID. Extra environment: SERVER_ENV (e.g. "A=1 B=2").
start_server() {
    local name="$1" port="$2" url="$3"; shift 3
    mkdir -p "$WORK/$name"
    (
        cd "$WORK/$name" || exit 1
        # shellcheck disable=SC2086
        exec env DATABASE_URL="$url" ${SERVER_ENV:-} "$SAFEGUARD_BIN" serve --hostname 127.0.0.1 --port "$port" "$@"
    ) >"$WORK/$name.log" 2>&1 &
    LAST_PID=$!
    STARTED_PIDS+=("$LAST_PID")
    wait_http "http://127.0.0.1:$port/api/v1/openapi.json" "$LAST_PID" "$WORK/$name.log" "${START_TIMEOUT:-120}"
}

# wait_http URL PID LOG SECONDS: polls until 200; fails if the process ends or time runs out. WAIT_CURL_OPTS: extra
# curl options (e.g. --cacert FILE).
wait_http() {
    local url="$1" pid="$2" logfile="$3" seconds="$4" i
    for ((i = 0; i < seconds * 5; i++)); do
        # shellcheck disable=SC2086
        if [ "$(curl -s ${WAIT_CURL_OPTS:-} -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null)" = "200" ]; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "--- last lines of $logfile" >&2; tail -n 20 "$logfile" >&2 || true
            die "process $pid ended before $url answered"
        fi
        sleep 0.2
    done
    echo "--- last lines of $logfile" >&2; tail -n 20 "$logfile" >&2 || true
    die "$url did not answer 200 within ${seconds}s"
}

# stop_pid PID: SIGTERM, then SIGKILL after 10 s. Sets STOP_STATUS to the exit status (0 for a clean stop; 128+N
# for a signal: 132 SIGILL, i.e. a Swift runtime trap; 137 SIGKILL after the 10 s).
stop_pid() {
    local pid="$1" i
    STOP_STATUS=""
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null && STOP_STATUS=0 || STOP_STATUS=$?
}

# Stops every process started here (by id) and removes the work directory. Installed as the EXIT trap.
cleanup() {
    local rc=$? pid
    for pid in "${STARTED_PIDS[@]:-}"; do [ -n "$pid" ] && stop_pid "$pid"; done
    for hook in "${CLEANUP_HOOKS[@]:-}"; do [ -n "$hook" ] && eval "$hook" || true; done
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        if [ "${KEEP_TMP:-0}" = "1" ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    fi
    return $rc
}
CLEANUP_HOOKS=()

# json EXPR: reads JSON on standard input and prints the Python expression EXPR of it (j is the document).
json() { python3 -c "import json,sys; j=json.load(sys.stdin); r=($1); print(r if not isinstance(r,(dict,list)) else json.dumps(r))"; }

# token BASE_URL [EMAIL] [CURL_OPTIONS...]: a bearer token for a demo account.
token() {
    local base="$1" email="${2:-$OFFICER_EMAIL}"; shift 2 || shift $#
    curl -sS --fail-with-body --max-time 30 "$@" -X POST "$base/api/v1/tokens" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"$DEMO_PASSWORD\"}" | json 'j["token"]'
}

# pick_ids BASE TOKEN FILE: "id version" lines from up to ID_PAGES (10) pages of 200 spread over the whole list, for
# bench/read.lua and bench/facts.lua; prints how many it found.
pick_ids() {
    python3 - "$1" "$2" "$3" "${ID_PAGES:-10}" <<'EOF'
import json, sys, urllib.request
base, token, path, pages = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def get(page):
    req = urllib.request.Request(f"{base}/api/v1/cases?perPage=200&page={page}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)
first = get(1)
last_page = max(1, -(-first["total"] // 200))
count = min(pages, last_page)
wanted = sorted({1 + (i * (last_page - 1)) // max(1, count - 1) for i in range(count)})
seen = {}
for page in wanted:
    for c in (first if page == 1 else get(page))["cases"]:
        seen[c["id"].lower()] = c["version"]
with open(path, "w") as f:
    for i, v in seen.items():
        f.write(f"{i} {v}\n")
print(f"{len(seen)} case ids from {len(wanted)} pages of {last_page} (total {first['total']})")
EOF
}

# A small valid case body (no names: references only).
CASE_BODY='{"summary":"Benchmark case: image shared between two pupils","facts":{"people":[{"ref":"A","age":15,"roles":["depicted","sender"]},{"ref":"B","age":15,"roles":["recipient"]}],"circumstances":{"willing":true,"ageAppropriate":true}}}'

# fresh_pg_schema URL PREFIX: sets PG_SCHEMA to a schema name unique to this run (for SAFEGUARD_POSTGRES_SCHEMA,
# created by the server if missing) and drops that schema at cleanup.
fresh_pg_schema() {
    local url="$1" prefix="$2"
    PG_SCHEMA="${prefix}_$(date +%s)_$$_$RANDOM"
    if command -v psql >/dev/null 2>&1; then
        CLEANUP_HOOKS+=("psql '$url' -qc 'DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE' >/dev/null 2>&1")
    else
        log "psql not found (postgresql-client): schema $PG_SCHEMA will be left in the database"
    fi
}

# cpu_limit NAME CORES PID: puts a process (every thread of it) in a CPU cgroup of its own, allowed CORES cores (e.g.
# 0.3), as if it ran on a small machine of its own. This is how two app servers can be set beside one on a machine
# whose few cores nginx, PostgreSQL and wrk share with them: give each server the same small share, and what two
# servers add over one is what the design lets them add, not what the cores have left. cgroup v1 (the cpu
# controller) or v2 (cpu.max); needs root. Returns 1, saying why, when there is no CPU cgroup it can write.
# cpu_unlimit PID puts the process back; the cgroups are removed by cleanup.
cpu_cgroup_root() {
    if [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] && [ -w /sys/fs/cgroup/cpu ]; then echo "v1 /sys/fs/cgroup/cpu"; return 0; fi
    if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers && [ -w /sys/fs/cgroup ]; then
        grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || return 1
        echo "v2 /sys/fs/cgroup"; return 0
    fi
    return 1
}
cpu_limit() {
    local name="$1" cores="$2" pid="$3" kind root dir quota
    read -r kind root < <(cpu_cgroup_root) || { log "no writable CPU cgroup (cgroup v1 cpu or v2 cpu.max, as root)"; return 1; }
    dir="$root/safeguard-$name-$$"
    mkdir -p "$dir" || return 1
    CLEANUP_HOOKS+=("rmdir '$dir' 2>/dev/null")
    # A short period (CPU_PERIOD_US, 5 ms): a process that has used its share waits out the rest of the period,
    # perhaps holding a lock the other server wants; the shorter the period, the shorter that wait.
    local period="${CPU_PERIOD_US:-5000}"
    quota=$(python3 -c "print(max(1000, int(float('$cores') * $period)))")
    if [ "$kind" = v1 ]; then
        echo "$period" >"$dir/cpu.cfs_period_us" && echo "$quota" >"$dir/cpu.cfs_quota_us" || return 1
    else
        echo "$quota $period" >"$dir/cpu.max" || return 1
    fi
    echo "$pid" >"$dir/cgroup.procs" || return 1
}
cpu_unlimit() {
    local kind root
    read -r kind root < <(cpu_cgroup_root) || return 0
    echo "$1" >"$root/cgroup.procs" 2>/dev/null || true
}

# cpu_ticks PID: the CPU time a process has used, user and system, in clock ticks (getconf CLK_TCK a second).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# postgres_cpu_ticks: PostgreSQL's CPU time on this machine, in clock ticks: all its processes, and those that have
# ended (its postmaster's reaped children). Nothing when PG_URL is unset or PostgreSQL runs elsewhere. While only one
# server has load, what it grows by is that server's share of PostgreSQL's work.
postgres_cpu_ticks() {
    [ -n "${PG_URL:-}" ] || return 0
    local postmaster
    postmaster=$(pgrep -o -x postgres 2>/dev/null) || return 0
    { for p in $(pgrep -x postgres); do cpu_ticks "$p" 2>/dev/null; done
      awk '{print $16 + $17}' "/proc/$postmaster/stat" 2>/dev/null; } | awk '{ s += $1 } END { print s }'
}
