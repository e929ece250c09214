#!/usr/bin/env bash
# Where the server's CPU goes under one scenario: a `perf` profile of the release server while wrk drives it, read
# into the shares a planner can act on (the HTTP framework, the audit entry, the body, the database, ...).
#
#   bash bench/profile.sh                         # SCENARIO=read, CASES=20000, DURATION=8 (seconds profiled)
#   SCENARIO=list bash bench/profile.sh           # any of me read list create facts
#   KEEP_TMP=1 bash bench/profile.sh              # keep perf.data and the full report in the work directory
#   PG_URL=postgres://… bash bench/profile.sh     # on PostgreSQL (a schema of its own, dropped after): the server
#                                                 # profiled, PostgreSQL's own CPU a request printed beside it
#
# It also prints requests/s, p99 and the server's CPU per request (from /proc) over the profiled seconds. A profile
# at 999 Hz costs a few per cent of throughput; compare its figures with each other, not with bench/load.sh's.
# Needs: wrk, curl, python3, perf (linux-perf; installed with apt-get when missing and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh
trap cleanup EXIT

SCENARIO="${SCENARIO:-read}"
CASES="${CASES:-20000}"
DURATION="${DURATION:-8}"
CONNECTIONS="${CONNECTIONS:-64}"
case "$SCENARIO" in me|read|list|create|facts) ;; *) die "unknown SCENARIO '$SCENARIO': use one of me read list create facts" ;; esac

need wrk wrk
need curl curl
need python3 python3
need perf linux-perf
need_binary
need_subcommand demo-data
make_work profile
export BENCH_DIR="$PWD/bench" BENCH_THREADS=2 BENCH_CASE_BODY="$CASE_BODY"

PG_URL="${PG_URL:-}"
if [ -n "$PG_URL" ]; then
    need psql postgresql-client
    fresh_pg_schema "$PG_URL" "safeguard_profile"
    url="$PG_URL"
    schema_env="SAFEGUARD_POSTGRES_SCHEMA=$PG_SCHEMA"
    database=PostgreSQL
else
    url="sqlite://$WORK/profile.sqlite"
    schema_env=""
    database=SQLite
fi
log "seeding $CASES cases"
(cd "$WORK" && env DATABASE_URL="$url" $schema_env "$SAFEGUARD_BIN" demo-data --cases "$CASES") >"$WORK/demo-data.log" 2>&1 \
    || { tail -n 20 "$WORK/demo-data.log" >&2; die "demo-data failed"; }
port=$(free_port)
SERVER_ENV="$schema_env" start_server server "$port" "$url"
pid=$LAST_PID
BENCH_TOKEN=$(token "http://127.0.0.1:$port") || die "no token for $OFFICER_EMAIL"
export BENCH_TOKEN BENCH_IDS="$WORK/ids.txt"
log "$(pick_ids "http://127.0.0.1:$port" "$BENCH_TOKEN" "$BENCH_IDS")"

log "warming up"
wrk -t2 -c"$CONNECTIONS" -d5s -s "bench/$SCENARIO.lua" "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
sleep 2

wrk -t2 -c"$CONNECTIONS" -d"$((DURATION + 2))s" --latency --timeout 10s -s "bench/$SCENARIO.lua" "http://127.0.0.1:$port/" \
    >"$WORK/wrk.txt" 2>&1 &
wrk_pid=$!
sleep 1
before=$(cpu_ticks "$pid")
db_before=$(postgres_cpu_ticks)
perf record -F 999 -g -p "$pid" -o "$WORK/perf.data" -- sleep "$DURATION" >"$WORK/perf-record.log" 2>&1 \
    || { cat "$WORK/perf-record.log" >&2; die "perf record failed (as root? kernel.perf_event_paranoid?)"; }
after=$(cpu_ticks "$pid")
db_after=$(postgres_cpu_ticks)
wait "$wrk_pid" || true
line=$(grep '^WRK_RESULT ' "$WORK/wrk.txt" | tail -n 1) || { cat "$WORK/wrk.txt" >&2; die "no result from wrk"; }

perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio -g none --percent-limit 0.3 2>/dev/null \
    | grep -v '^#' | grep -v '^$' >"$WORK/self.txt" || true
perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g none --percent-limit 1 2>/dev/null \
    | grep -v '^#' | grep -v '^$' >"$WORK/children.txt" || true

echo "# Where the server's CPU goes: $SCENARIO, $database, $CASES cases, wrk -t2 -c$CONNECTIONS, ${DURATION}s profiled"
echo
python3 - "$line" "$before" "$after" "$(getconf CLK_TCK)" "$DURATION" "$db_before" "$db_after" <<'EOF'
import sys
line, before, after, hz, duration, db_before, db_after = sys.argv[1:]
f = dict(p.split("=", 1) for p in line.split()[1:])
cpu = (int(after) - int(before)) / int(hz)
rps = float(f["rps"])
print(f"{rps:,.0f} requests/s, p99 {f['p99_ms']} ms; the server used {cpu / float(duration):.2f} cores, "
      f"{cpu * 1e6 / (rps * float(duration)):.0f} µs of CPU a request (statuses {f['statuses']})")
# Empty when PostgreSQL is not in use on this machine.
if db_before and db_after:
    db = (int(db_after) - int(db_before)) / int(hz)
    print(f"PostgreSQL (on this machine) used {db / float(duration):.2f} cores, {db * 1e6 / (rps * float(duration)):.0f} µs of CPU a request")
EOF
echo
echo "## Inclusive (a function and what it calls), 1 % and more"
echo
head -n 60 "$WORK/children.txt"
echo
echo "## Self (the function alone), 0.3 % and more"
echo
head -n 60 "$WORK/self.txt"
