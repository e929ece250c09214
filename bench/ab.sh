#!/usr/bin/env bash
# Two builds of the server (or one build in two environments) measured in interleaved rounds on one database: whether
# a change is faster, and by how much, on a machine whose speed moves from moment to moment.
#
# `bench/load.sh` measures one build against a bare Vapor route; a share of the bare route is only comparable within
# one run, and one run proves little (see the README's load benchmark). To judge a change, run the build before it (A)
# and the build with it (B) side by side: each serves on its own port, both on the same database seeded once with
# `demo-data`; every round measures each scenario on A and on B back to back, the order alternating from round to
# round (whichever runs second in a round was usually behind), and reads each server's CPU time from /proc, which is
# steadier than requests a second. At the end, for each scenario: B against A in each round, the median, in how many
# rounds B was ahead, and the median CPU per request of each (with PG_URL on this machine, PostgreSQL's too).
#
#   cp .build/release/safeguard /tmp/safeguard-before      # before the change, then build again with it
#   SAFEGUARD_BIN_A=/tmp/safeguard-before SAFEGUARD_BIN=.build/release/safeguard bash bench/ab.sh
#   ENV_B="SOME_SWITCH=1" bash bench/ab.sh                  # one binary, B with a temporary switch set
#
# Settings: SAFEGUARD_BIN_A (default: the same binary as B), SAFEGUARD_BIN (B; .build/release/safeguard), ENV_A and
# ENV_B (extra environment, "A=1 B=2"), ROUNDS (6), DURATION (6 s a figure), SCENARIOS ("me read"; any of
# me read list create facts), CASES (20000), CONNECTIONS (64), PG_URL (PostgreSQL instead of a SQLite file).
# Needs: wrk, curl, python3 (installed with apt-get when missing and run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh
trap cleanup EXIT

SAFEGUARD_BIN="${SAFEGUARD_BIN:-.build/release/safeguard}"
need_binary
BIN_B="$SAFEGUARD_BIN"
BIN_A="${SAFEGUARD_BIN_A:-$BIN_B}"
[ -x "$BIN_A" ] || die "no server binary at $BIN_A (SAFEGUARD_BIN_A)"
BIN_A="$(cd "$(dirname "$BIN_A")" && pwd)/$(basename "$BIN_A")"
ROUNDS="${ROUNDS:-6}"
DURATION="${DURATION:-6}"
SCENARIOS="${SCENARIOS:-me read}"
CASES="${CASES:-20000}"
CONNECTIONS="${CONNECTIONS:-64}"
PG_URL="${PG_URL:-}"
for scenario in $SCENARIOS; do
    case "$scenario" in me|read|list|create|facts) ;; *) die "unknown scenario '$scenario': use any of me read list create facts" ;; esac
done
[ "$BIN_A" != "$BIN_B" ] || [ "${ENV_A:-}" != "${ENV_B:-}" ] \
    || log "A and B are the same binary in the same environment: expect no difference but the machine's noise"

need wrk wrk
need curl curl
need python3 python3
SAFEGUARD_BIN="$BIN_A" need_subcommand demo-data
make_work ab
export BENCH_DIR="$PWD/bench" BENCH_THREADS=2 BENCH_CASE_BODY="$CASE_BODY"

if [ -n "$PG_URL" ]; then
    need psql postgresql-client
    fresh_pg_schema "$PG_URL" "safeguard_ab"
    url="$PG_URL"
    schema_env="SAFEGUARD_POSTGRES_SCHEMA=$PG_SCHEMA"
else
    url="sqlite://$WORK/ab.sqlite"
    schema_env=""
fi

log "seeding $CASES cases with build A"
(cd "$WORK" && env DATABASE_URL="$url" $schema_env "$BIN_A" demo-data --cases "$CASES") >"$WORK/demo-data.log" 2>&1 \
    || { tail -n 20 "$WORK/demo-data.log" >&2; die "demo-data failed"; }

port_a=$(free_port)
SAFEGUARD_BIN="$BIN_A" SERVER_ENV="$schema_env ${ENV_A:-}" start_server a "$port_a" "$url"
pid_a=$LAST_PID
port_b=$(free_port)
SAFEGUARD_BIN="$BIN_B" SERVER_ENV="$schema_env ${ENV_B:-}" start_server b "$port_b" "$url"
pid_b=$LAST_PID

BENCH_TOKEN=$(token "http://127.0.0.1:$port_a") || die "no token for $OFFICER_EMAIL"
export BENCH_TOKEN
export BENCH_IDS="$WORK/ids.txt"
log "$(pick_ids "http://127.0.0.1:$port_a" "$BENCH_TOKEN" "$BENCH_IDS")"

RESULTS="$WORK/results.tsv"   # round scenario build rps p99 cpu_us db_cpu_us (-1: not measured)
: >"$RESULTS"
clock_ticks=$(getconf CLK_TCK)

# measure ROUND SCENARIO BUILD PORT PID: one figure, with the server's CPU per request.
measure() {
    local round="$1" scenario="$2" build="$3" port="$4" pid="$5" before after db_before db_after out line ids="$BENCH_IDS"
    if [ "$scenario" = facts ]; then
        # A fact update moves its case's version on: take the cases' versions afresh, before the figure's CPU counts.
        ids="$WORK/ids-facts.txt"
        pick_ids "http://127.0.0.1:$port" "$BENCH_TOKEN" "$ids" >/dev/null
    fi
    before=$(cpu_ticks "$pid")
    db_before=$(postgres_cpu_ticks)
    out=$(BENCH_IDS="$ids" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout 10s -s "bench/$scenario.lua" "http://127.0.0.1:$port/" 2>&1) \
        || { echo "$out" >&2; die "wrk failed for $scenario on $build"; }
    after=$(cpu_ticks "$pid")
    db_after=$(postgres_cpu_ticks)
    line=$(grep '^WRK_RESULT ' <<<"$out" | tail -n 1) || { echo "$out" >&2; die "no result from wrk for $scenario on $build"; }
    python3 - "$round" "$scenario" "$build" "$line" "$before" "$after" "$clock_ticks" "$db_before" "$db_after" >>"$RESULTS" <<'EOF'
import sys
round_, scenario, build, line, before, after, hz, db_before, db_after = sys.argv[1:]
f = dict(p.split("=", 1) for p in line.split()[1:])
requests = int(f["requests"])
unexpected = int(f["non2xx3xx"])
if unexpected:
    sys.exit(f"{scenario} on {build}: {unexpected} answers were not 2xx ({f['statuses']})")
cpu_us = (int(after) - int(before)) / int(hz) * 1e6 / max(requests, 1)
db_us = (int(db_after) - int(db_before)) / int(hz) * 1e6 / max(requests, 1) if db_before and db_after else -1
print("\t".join([round_, scenario, build, f["rps"], f["p99_ms"], f"{cpu_us:.0f}", f"{db_us:.0f}"]))
EOF
    log "round $round: $scenario on $build: $(cut -f4 <"$RESULTS" | tail -n 1) requests/s"
    sleep "${SETTLE:-2}"
}

log "warming both up"
for port in "$port_a" "$port_b"; do
    wrk -t2 -c"$CONNECTIONS" -d3s -s bench/read.lua "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
done
for ((round = 1; round <= ROUNDS; round++)); do
    for scenario in $SCENARIOS; do
        if ((round % 2)); then
            measure "$round" "$scenario" A "$port_a" "$pid_a"; measure "$round" "$scenario" B "$port_b" "$pid_b"
        else
            measure "$round" "$scenario" B "$port_b" "$pid_b"; measure "$round" "$scenario" A "$port_a" "$pid_a"
        fi
    done
done

echo "# A against B, interleaved"
echo
echo "A: $BIN_A ${ENV_A:-}; B: $BIN_B ${ENV_B:-}; $( [ -n "$PG_URL" ] && echo PostgreSQL || echo SQLite ), $CASES cases;"
echo "$ROUNDS rounds of ${DURATION}s a figure, wrk -t2 -c$CONNECTIONS; machine: $(nproc) cores (shared by wrk and the servers)"
echo
python3 - "$RESULTS" <<'EOF'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
scenarios = list(dict.fromkeys(r[1] for r in rows))
db = all(float(r[6]) >= 0 for r in rows)
who = "CPU a request (server + PostgreSQL)" if db else "CPU a request"
print(f"| scenario | B / A each round | median | B ahead | A: median rps, p99, {who} | B: median rps, p99, {who} |")
print("|---|---|---:|---:|---|---|")
for s in scenarios:
    by = {(r[0], r[2]): r for r in rows if r[1] == s}
    rounds = sorted({r[0] for r in rows if r[1] == s}, key=int)
    ratios = [float(by[(n, "B")][3]) / float(by[(n, "A")][3]) for n in rounds]
    def med(build, i): return statistics.median(float(by[(n, build)][i]) for n in rounds)
    def cpu(build): return f"{med(build, 5):.0f} + {med(build, 6):.0f} µs" if db else f"{med(build, 5):.0f} µs"
    print(f"| {s} | {', '.join(f'{x:.2f}' for x in ratios)} | {statistics.median(ratios):.2f} | "
          f"{sum(x > 1 for x in ratios)} of {len(ratios)} | "
          f"{med('A', 3):,.0f}/s, {med('A', 4):.1f} ms, {cpu('A')} | {med('B', 3):,.0f}/s, {med('B', 4):.1f} ms, {cpu('B')} |")
EOF
