#!/usr/bin/env bash
# The load benchmark: the server's throughput and latency on the case API, measured with wrk in one run against a
# bare Vapor route built with the same settings (safeguard-baseline), on SQLite and, with PG_URL, on PostgreSQL.
#
#   bash bench/load.sh                                   # CASES=100000 DURATION=10 (seconds per measurement)
#   CASES=2000 DURATION=3 bash bench/load.sh             # a short run (CI)
#   PG_URL=$(bash .ci/postgres.sh | tail -n 1) bash bench/load.sh   # also on PostgreSQL (a fresh schema, dropped after)
#
# Environment: SAFEGUARD_BIN (default .build/release/safeguard), SAFEGUARD_BASELINE_BIN (default: safeguard-baseline
# beside it), CASES, DURATION, CONNECTIONS (64), THREADS (2), ID_PAGES (pages of 200 case ids to pick from, 10),
# PG_URL, SETTLE (seconds of quiet between measurements, 3), WARMUP (seconds of reads before the first measurement,
# DURATION), KEEP_TMP=1 (keep the work directory and server logs),
# SCENARIOS (which to measure, default "me read list create facts flood hostile"; e.g. SCENARIOS=read for a quick look).
#
# Per database: a fresh database seeded with `safeguard demo-data --cases $CASES`, one `safeguard serve`, an officer's
# token, case ids from the list API, then with wrk: a signed-in request that reads no case and writes no audit entry
# (GET /api/v1/me: what every signed-in request costs), case read (random ids), case list (perPage=50), case create,
# fact update (at the right version; 409s counted apart), and signed-in reads on 16 connections alone and under an
# anonymous flood of 64 connections on GET /api/v1/nope. The bare route is measured first and again at the end (the
# better is used). Everything listens on 127.0.0.1; wrk shares the machine's cores with the server.
#
# Needs: wrk, curl, python3 (installed with apt-get when missing and run as root); safeguard with `demo-data`, and
# safeguard-baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh
trap cleanup EXIT

CASES="${CASES:-100000}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
# Reads at full load for as long as a measurement, before the first: a 2 s warm-up at 16 connections left the first
# read figure about a quarter below the ones after it with 100,000 cases (its cases' pages not yet read once).
WARMUP="${WARMUP:-$DURATION}"
ID_PAGES="${ID_PAGES:-10}"
PG_URL="${PG_URL:-}"
SCENARIOS="${SCENARIOS:-me read list create facts flood hostile}"
# want SCENARIO: whether this run measures it.
want() { [[ " $SCENARIOS " == *" $1 "* ]]; }

need wrk wrk
need curl curl
need python3 python3
need_binary
BASELINE_BIN="${SAFEGUARD_BASELINE_BIN:-$(dirname "$SAFEGUARD_BIN")/safeguard-baseline}"
[ -x "$BASELINE_BIN" ] || die "no baseline server at $BASELINE_BIN (safeguard-baseline, the bare Vapor route: not delivered yet?); build it with swift build -c release --product safeguard-baseline, or set SAFEGUARD_BASELINE_BIN"
need_subcommand demo-data
if [ -n "$PG_URL" ]; then need psql postgresql-client; fi
make_work bench

export BENCH_DIR="$PWD/bench"
export BENCH_THREADS="$THREADS"
export BENCH_CASE_BODY="$CASE_BODY"
RESULTS="$WORK/results.tsv"   # scenario db rps p50 p99 statuses errors non2xx3xx requests cpu-ticks
# The process whose CPU time run_wrk reads from /proc while it measures (the server or the bare route under load).
CPU_PID=""
: >"$RESULTS"
SERVER_ERRORS="$WORK/server-errors.txt"
: >"$SERVER_ERRORS"

echo "# Safeguard load benchmark"
echo
echo "binary: $SAFEGUARD_BIN; cases seeded: $CASES; ${DURATION}s per measurement; wrk -t$THREADS -c$CONNECTIONS unless noted;"
echo "machine: $(nproc) cores (shared by wrk and the server), $(uname -sr)"
echo

# run_wrk SCENARIO DB SCRIPT URL [wrk options]: one measurement, its WRK_RESULT line appended to $RESULTS.
run_wrk() {
    local scenario="$1" db="$2" script="$3" url="$4"; shift 4
    local out="$WORK/wrk-$scenario-$db.txt"
    log "wrk: $scenario ($db) $*"
    local ticks="-" t0=""
    [ -n "$CPU_PID" ] && t0=$(cpu_ticks "$CPU_PID")
    wrk --latency --timeout 10s -d "${DURATION}s" "$@" -s "bench/$script" "$url" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk failed for $scenario ($db)"; }
    [ -n "$t0" ] && ticks=$(( $(cpu_ticks "$CPU_PID") - t0 ))
    record "$scenario" "$db" "$out" "$ticks"
    # Let the server finish what wrk left queued (requests cut off at the deadline still run), so that the next
    # measurement does not start behind them.
    sleep "${SETTLE:-3}"
}

# record SCENARIO DB WRK-OUTPUT [CPU-TICKS]: parses the WRK_RESULT line into $RESULTS, with the server's CPU time over
# the measurement in clock ticks ("-" when not measured: two loads at once cannot be told apart).
record() {
    local line
    line=$(grep '^WRK_RESULT ' "$3" | tail -n 1) || { cat "$3" >&2; die "no result from wrk for $1 ($2)"; }
    python3 - "$1" "$2" "$line" "${4:--}" >>"$RESULTS" <<'EOF'
import sys
scenario, db, line, ticks = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
f = dict(p.split("=", 1) for p in line.split()[1:])
print("\t".join([scenario, db, f["rps"], f["p50_ms"], f["p99_ms"], f["statuses"], f["errors"], f["non2xx3xx"], f["requests"], ticks]))
EOF
}

measure_baseline() {
    local label="$1" port
    port=$(free_port)
    start_bg "baseline-$label" "$BASELINE_BIN" --hostname 127.0.0.1 --port "$port"
    local pid=$LAST_PID
    CPU_PID=$pid
    wait_http "http://127.0.0.1:$port/" "$pid" "$WORK/baseline-$label.log" 60
    wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1 || true   # warm-up
    run_wrk "bare-$label" "-" bare.lua "http://127.0.0.1:$port/" -t"$THREADS" -c"$CONNECTIONS"
    # Last, once a case read's size is known: the bare route answering as many bytes as a case read.
    if [ "$label" = last ] && [ -s "$WORK/read-bytes" ]; then
        run_wrk sized "-" bare.lua "http://127.0.0.1:$port/bytes/$(cat "$WORK/read-bytes")" -t"$THREADS" -c"$CONNECTIONS"
    fi
    CPU_PID=""
    stop_pid "$pid"
    # Last, for information: "ok" from SwiftNIO's HTTP/1.1 pipeline alone (`safeguard-baseline --plain-nio`), how much
    # of the bare route is Vapor's own: what a request path outside Vapor for the hottest routes could start from.
    if [ "$label" = last ]; then
        port=$(free_port)
        start_bg "baseline-plain-nio" "$BASELINE_BIN" --plain-nio --hostname 127.0.0.1 --port "$port"
        pid=$LAST_PID
        CPU_PID=$pid
        wait_http "http://127.0.0.1:$port/" "$pid" "$WORK/baseline-plain-nio.log" 60
        wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1 || true   # warm-up
        run_wrk plain-nio "-" bare.lua "http://127.0.0.1:$port/" -t"$THREADS" -c"$CONNECTIONS"
        CPU_PID=""
        stop_pid "$pid"
    fi
}

# reads_beside NAME SCRIPT CONNECTIONS DB BASE: signed-in reads on 16 connections while SCRIPT runs on CONNECTIONS
# others; records "read16-NAME" (the reads) and "NAME" (the other traffic).
reads_beside() {
    local name="$1" script="$2" connections="$3" db="$4" base="$5" other
    log "wrk: read16 beside $name ($db)"
    wrk --latency --timeout 10s -d "${DURATION}s" -t1 -c"$connections" -s "bench/$script" "$base/" >"$WORK/wrk-$name-$db.txt" 2>&1 &
    other=$!
    STARTED_PIDS+=("$other")
    wrk --latency --timeout 10s -d "${DURATION}s" -t1 -c16 -s bench/read.lua "$base/" >"$WORK/wrk-read16$name-$db.txt" 2>&1 \
        || { cat "$WORK/wrk-read16$name-$db.txt" >&2; die "wrk failed (reads beside $name, $db)"; }
    wait "$other" || { cat "$WORK/wrk-$name-$db.txt" >&2; die "wrk failed ($name, $db)"; }
    record "read16-$name" "$db" "$WORK/wrk-read16$name-$db.txt" -
    record "$name" "$db" "$WORK/wrk-$name-$db.txt" -
}

bench_db() {
    local db="$1" url="$2" port base tok started seeded
    log "== $db"
    mkdir -p "$WORK/$db"
    local envs=()
    if [ "$db" = "postgres" ]; then
        fresh_pg_schema "$url" "safeguard_bench"
        envs=(SAFEGUARD_POSTGRES_SCHEMA="$PG_SCHEMA")
        SERVER_ENV="SAFEGUARD_POSTGRES_SCHEMA=$PG_SCHEMA"
    else
        SERVER_ENV=""
    fi

    started=$(date +%s.%N)
    (cd "$WORK/$db" && env DATABASE_URL="$url" "${envs[@]}" "$SAFEGUARD_BIN" demo-data --cases "$CASES") \
        >"$WORK/$db-demo-data.log" 2>&1 || { tail -n 20 "$WORK/$db-demo-data.log" >&2; die "safeguard demo-data failed on $db"; }
    seeded=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
    echo "- $db: \`demo-data --cases $CASES\` took ${seeded}s"

    port=$(free_port)
    start_server "$db-server" "$port" "$url"
    local pid=$LAST_PID
    CPU_PID=$pid
    base="http://127.0.0.1:$port"
    tok=$(token "$base") || die "no token for $OFFICER_EMAIL on $db"
    export BENCH_TOKEN="$tok"
    export BENCH_IDS="$WORK/$db-ids.txt"
    echo "- $db: $(pick_ids "$base" "$tok" "$BENCH_IDS")"
    # The size of a case read's body, for the bare route of the same size (measured with the last bare route).
    if [ ! -s "$WORK/read-bytes" ]; then
        curl -sS --fail --max-time 30 -H "Authorization: Bearer $tok" "$base/api/v1/cases/$(head -n 1 "$BENCH_IDS" | cut -d' ' -f1)" \
            | wc -c | tr -d ' ' >"$WORK/read-bytes" || rm -f "$WORK/read-bytes"
    fi

    if [ "$db" = sqlite ] && want hostile; then
        # The time to refuse one hostile body, beside the bare route receiving the same bytes: first, before
        # anything has made this address one the server throttles.
        local bare_port bare_pid
        bare_port=$(free_port)
        start_bg "baseline-hostile" "$BASELINE_BIN" --hostname 127.0.0.1 --port "$bare_port"
        bare_pid=$LAST_PID
        wait_http "http://127.0.0.1:$bare_port/" "$bare_pid" "$WORK/baseline-hostile.log" 60
        python3 bench/hostile.py "$base" "http://127.0.0.1:$bare_port" "$tok" >"$WORK/hostile-times.txt" 2>&1 \
            || cat "$WORK/hostile-times.txt" >&2
        stop_pid "$bare_pid"
    fi

    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s bench/read.lua "$base/" >/dev/null 2>&1 || true   # warm-up

    if want me; then run_wrk me "$db" me.lua "$base/" -t"$THREADS" -c"$CONNECTIONS"; fi
    if want read; then run_wrk read "$db" read.lua "$base/" -t"$THREADS" -c"$CONNECTIONS"; fi
    if want list; then run_wrk list "$db" list.lua "$base/" -t"$THREADS" -c"$CONNECTIONS"; fi
    if want create; then run_wrk create "$db" create.lua "$base/" -t"$THREADS" -c"$CONNECTIONS"; fi
    if want facts; then run_wrk facts "$db" facts.lua "$base/" -t"$THREADS" -c"$CONNECTIONS"; fi

    # Signed-in reads on 16 connections: alone, then with 64 anonymous connections flooding beside them.
    if want flood || want hostile; then run_wrk read16 "$db" read.lua "$base/" -t1 -c16; fi
    if want flood; then reads_beside flood flood.lua 64 "$db" "$base"; fi
    # Signed-in reads again, beside two connections sending 256 KiB hostile form bodies (issue 10).
    if want hostile; then reads_beside hostile hostile.lua 2 "$db" "$base"; fi
    CPU_PID=""
    stop_pid "$pid"
    echo "- $db: the server stopped (SIGTERM) with exit status $STOP_STATUS$([ "$STOP_STATUS" = 0 ] || echo ' (not a clean stop: see the server log lines below)')"
    # Errors the server logged (counts and the distinct messages, trimmed; the data is synthetic).
    local n
    n=$(grep -Eic '\[ (error|critical) \]|fatal error' "$WORK/$db-server.log" || true)
    echo "$db	$n" >>"$SERVER_ERRORS"
    if [ "$n" -gt 0 ]; then
        grep -Ei '\[ (error|critical) \]|fatal error' "$WORK/$db-server.log" | sed -E 's/[0-9a-fA-F-]{36}/<id>/g' \
            | cut -c1-200 | sort | uniq -c | sort -rn | head -n 5 >"$WORK/$db-server-errors.txt"
    fi
}

measure_baseline first
bench_db sqlite "sqlite://$WORK/sqlite/safeguard.sqlite"
if [ -n "$PG_URL" ]; then bench_db postgres "$PG_URL"; fi
measure_baseline last

echo
python3 - "$RESULTS" "$SERVER_ERRORS" "$WORK" "$(getconf CLK_TCK)" "$CONNECTIONS" "$CASES" <<'EOF'
import sys, os
results_path, errors_path, work, hz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
connections, cases = int(sys.argv[5]), int(sys.argv[6])
rows = [l.rstrip("\n").split("\t") for l in open(results_path) if l.strip()]
bare = {r[0]: r for r in rows if r[0].startswith("bare-")}
read_bytes = open(os.path.join(work, "read-bytes")).read().strip() if os.path.exists(os.path.join(work, "read-bytes")) else "?"
best = max(bare.values(), key=lambda r: float(r[2]))
bare_rps = float(best[2])
expected = {"me": {200}, "read": {200}, "read16": {200}, "read16-flood": {200}, "list": {200}, "create": {201},
            "facts": {200, 409}, "flood": {401, 404, 429}, "read16-hostile": {200}, "hostile": {413, 429}}
names = {"me": "signed in, no case, no audit (GET /api/v1/me)", "read": "case read (random id)", "list": "case list (perPage=50)", "create": "case create",
         "facts": "fact update (PUT facts)", "read16": "case read, 16 connections alone",
         "read16-flood": "case read, 16 connections under flood", "flood": "anonymous flood (64 connections)",
         "read16-hostile": "case read, 16 connections beside hostile bodies", "hostile": "256 KiB hostile form bodies (2 connections)",
         "plain-nio": "\"ok\" from SwiftNIO alone, no Vapor (safeguard-baseline --plain-nio)",
         "sized": f"bare route answering {read_bytes} bytes, as much as a case read (GET /bytes/{read_bytes})"}
print(f"bare route (safeguard-baseline GET /): first {float(bare['bare-first'][2]):,.0f} req/s, "
      f"last {float(bare['bare-last'][2]):,.0f} req/s; the better ({bare_rps:,.0f}) is the 100% below.")
print()
def cpu_us(r):
    """The server's CPU time a request over the measurement (µs), from /proc; None when not measured."""
    requests, ticks = r[8], r[9]
    if ticks == "-" or int(requests) == 0: return None
    return int(ticks) / hz / int(requests) * 1e6
print("| scenario | db | requests/s | p50 (ms) | p99 (ms) | share of bare route (%) | server CPU a request (µs) | statuses | unexpected | socket errors |")
print("|---|---|---:|---:|---:|---:|---:|---|---:|---|")
problems = []
by = {}
for r in rows:
    scenario, db, rps, p50, p99, statuses, errors, non = r[:8]
    by[(scenario, db)] = r
    counts = {}
    if statuses != "-":
        for part in statuses.split(","):
            s, n = part.split(":"); counts[int(s)] = int(n)
    if scenario.startswith("bare-"):
        label, unexpected = f"bare route ({scenario[5:]})", int(non)
    else:
        label = names[scenario]
        unexpected = int(non) if statuses == "-" else sum(n for s, n in counts.items() if s not in expected[scenario])
    errs = ",".join(e for e in errors.split(",") if not e.endswith(":0")) or "0"
    if unexpected or errs != "0":
        problems.append(f"{label} ({db}): {unexpected} unexpected responses [{statuses}], socket errors {errs}")
    share = 100 * float(rps) / bare_rps
    cpu = cpu_us(r)
    cpu_text = "-" if cpu is None else f"{cpu:,.0f}"
    print(f"| {label} | {db} | {float(rps):,.0f} | {float(p50):.1f} | {float(p99):.1f} | {share:.2f} | {cpu_text} | {statuses} | {unexpected} | {errs} |")
print()
sized = by.get(("sized", "-"))
if sized:
    print(f"bare route answering a case read's {read_bytes} bytes / answering \"ok\" = {float(sized[2]):,.0f} / {bare_rps:,.0f} = "
          f"{float(sized[2]) / bare_rps:.2f}: what sending that much costs a route that does nothing else")
plain = by.get(("plain-nio", "-"))
if plain:
    cpu_text = (f"; server CPU a request {cpu_us(plain):,.0f} against {cpu_us(best):,.0f} µs"
                if cpu_us(plain) and cpu_us(best) else "")
    print(f"\"ok\" from SwiftNIO alone / the bare Vapor route = {float(plain[2]):,.0f} / {bare_rps:,.0f} = "
          f"{float(plain[2]) / bare_rps:.2f}{cpu_text}: what Vapor itself costs a request that does nothing")
# Issue 9's targets against this run, gathered as the figures are printed, so that a run says for itself which it met
# (the README records the latest).
verdicts = []
for db in sorted({r[1] for r in rows if r[1] != "-"}):
    me, read, create = by.get(("me", db)), by.get(("read", db)), by.get(("create", db))
    if read:
        share = 100 * float(read[2]) / bare_rps
        verdict = "met" if share >= 50 else ("not met" if share >= 20 else "not met, and below the 20 % floor")
        ceiling = f"; a signed-in request reading nothing (me) is {100 * float(me[2]) / bare_rps:.1f} %, above which no read can be" if me else ""
        verdicts.append(f"case read ≥ 50 % of the bare route ({db}): {share:.1f}%: {verdict}{ceiling}")
        if db == "sqlite":
            where = "" if (connections, cases) == (64, 100000) else ", but the target is at 64 connections with 100,000 cases, which this run is not"
            verdicts.append(f"case read p99 < 20 ms ({db}, {connections} connections, {cases:,} cases): {float(read[4]):.1f} ms: "
                            + ("met" if float(read[4]) < 20 else "not met") + where)
    if create:
        verdicts.append(f"case create ≥ 1,000/s ({db}): {float(create[2]):,.0f}/s: " + ("met" if float(create[2]) >= 1000 else "not met"))
    if read and cpu_us(read) and cpu_us(best):
        print(f"server CPU a case read / a bare request ({db}) = {cpu_us(read):,.0f} / {cpu_us(best):,.0f} µs = "
              f"{cpu_us(read) / cpu_us(best):.1f} (to reach half the bare route's requests a second on cores it shares with "
              f"wrk, a read would have to cost about twice a bare request)")
    if sized and read:
        print(f"case read / bare route of the same size ({db}) = {float(read[2]):,.0f} / {float(sized[2]):,.0f} = "
              f"{float(read[2]) / float(sized[2]):.2f}")
    if me and read:
        print(f"case read / signed-in request with no case and no audit ({db}) = {float(read[2]):,.0f} / {float(me[2]):,.0f} = "
              f"{float(read[2]) / float(me[2]):.2f}; the signed-in request is {100 * float(me[2]) / bare_rps:.0f} % of the bare route")
    alone, flooded = by.get(("read16", db)), by.get(("read16-flood", db))
    if alone and flooded:
        ratio = float(flooded[2]) / float(alone[2])
        print(f"flood ratio ({db}): signed-in reads under an anonymous flood / alone (16 connections) = "
              f"{float(flooded[2]):,.0f} / {float(alone[2]):,.0f} = {ratio:.2f}")
        verdicts.append(f"signed-in reads under an anonymous flood keep ≥ 80 % ({db}): {ratio:.2f}: " + ("met" if ratio >= 0.8 else "not met"))
    hostile = by.get(("read16-hostile", db))
    if alone and hostile:
        print(f"hostile-body ratio ({db}): signed-in reads beside two clients sending 256 KiB hostile bodies / alone = "
              f"{float(hostile[2]):,.0f} / {float(alone[2]):,.0f} = {float(hostile[2]) / float(alone[2]):.2f} (target ≥ 0.80)")
    facts = by.get(("facts", db))
    if facts:
        n409 = sum(int(p.split(":")[1]) for p in facts[5].split(",") if p.startswith("409:"))
        print(f"fact updates answered 409 ({db}): {n409} (each connection writes only its own cases at the version last returned, so 409s are unexpected)")
if verdicts:
    print()
    print("issue 9's targets in this run (two app servers: deploy/test-two-servers.sh; audit verify: safeguard audit verify):")
    for v in verdicts: print("  - " + v)
print()
for line in open(errors_path):
    db, n = line.split()
    print(f"server log ({db}): {n} error lines")
    p = os.path.join(work, f"{db}-server-errors.txt")
    if os.path.exists(p):
        for l in open(p): print("    " + l.rstrip())
hostile_times = os.path.join(work, "hostile-times.txt")
if os.path.exists(hostile_times):
    print()
    print(open(hostile_times).read().rstrip())
if problems:
    print()
    print("unexpected responses or socket errors:")
    for p in problems: print("  - " + p)
EOF
