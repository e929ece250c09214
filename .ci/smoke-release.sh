#!/usr/bin/env bash
# Smoke test of the release binary, as a force would run it: serve (embedded SQLite, demo accounts), take a token,
# open and read a case, stop, check the audit chain, back the database up, check the restored copy too, check that
# case text is encrypted and rotate its keys, and seal the trail with an audit key.
# Usage: .ci/smoke-release.sh [path/to/safeguard]   (default .build/release/safeguard)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/safeguard}")
[ -x "$BIN" ] || { echo "smoke: no binary at $BIN; run swift build -c release first" >&2; exit 1; }
WORK=$(mktemp -d)
PORT=${SMOKE_PORT:-18480}
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
export DATABASE_URL="sqlite://$WORK/safeguard.sqlite"
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok: $1"; else failed=$((failed+1)); echo "FAILED: $1"; fi; }

"$BIN" serve --demo --hostname 127.0.0.1 --port "$PORT" > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/api/v1/openapi.json" -o /dev/null && break
  sleep 0.2
done
check "the release server answers" "curl -fs http://127.0.0.1:$PORT/api/v1/openapi.json -o /dev/null"
TOKEN=$(curl -s -X POST "http://127.0.0.1:$PORT/api/v1/tokens" -H 'Content-Type: application/json' \
  -d '{"email":"officer@england-police.demo.safeguard.invalid","password":"safeguard-demo-2026"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
check "a demo officer gets a token" "[ -n '$TOKEN' ]"
curl -s -o "$WORK/case.json" -X POST "http://127.0.0.1:$PORT/api/v1/cases" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"summary":"Image shared between two pupils","facts":{"people":[{"ref":"A","age":15,"roles":["depicted","sender"]},{"ref":"B","age":15,"roles":["recipient"]}],"circumstances":{"willing":true,"ageAppropriate":true}}}'
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/case.json" || true)
check "a case is opened with its assessment" "python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c[\"assessment\"] and c[\"actions\"]' '$WORK/case.json'"
check "the case reads back" "curl -fs http://127.0.0.1:$PORT/api/v1/cases/$ID -H 'Authorization: Bearer $TOKEN' | grep -q '\"reference\"'"
check "an anonymous request is refused" "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/api/v1/cases)\" = 401 ]"
kill -TERM "$SERVER"; status=0; wait "$SERVER" || status=$?; SERVER=""
check "the server stops cleanly on SIGTERM (exit $status)" "[ $status = 0 ]"
check "no case text in the server log" "! grep -q 'between two pupils' '$WORK/serve.log'"
check "audit verify passes" "'$BIN' audit verify"
check "a backup is taken" "'$BIN' backup --to '$WORK/backup.sqlite'"
check "a backup never overwrites a file" "! '$BIN' backup --to '$WORK/backup.sqlite' 2>/dev/null"
check "the restored copy verifies" "DATABASE_URL='sqlite://$WORK/backup.sqlite' '$BIN' audit verify"
# Encryption at rest: the first start made a data key beside the database; the file holds no case text.
check "the first start made a data key readable by its owner only" "[ \"\$(stat -c %a '$WORK/safeguard-data.key')\" = 600 ]"
check "the database file holds no case text" "! grep -q 'between two pupils' '$WORK/safeguard.sqlite' '$WORK/backup.sqlite'"
check "keys rotate seals everything under a new data key" "'$BIN' keys rotate --settle-seconds 0 | grep -q 'is the only one'"
check "keys new writes a master key" "'$BIN' keys new '$WORK/new.key' >/dev/null"
check "keys rotate moves to the new master key" "'$BIN' keys rotate --settle-seconds 0 --new-key-file '$WORK/new.key' >/dev/null"
check "the old key no longer opens the database" "! '$BIN' keys status >/dev/null 2>&1"
check "the new key does" "SAFEGUARD_DATA_KEY_FILE='$WORK/new.key' '$BIN' keys status | grep -q '(active): seals'"
check "the trail, with the rotations in it, verifies" "SAFEGUARD_DATA_KEY_FILE='$WORK/new.key' '$BIN' audit verify >/dev/null"
mv "$WORK/new.key" "$WORK/safeguard-data.key"
check "a missing key file stops the start with what to do" "mv '$WORK/safeguard-data.key' '$WORK/kept.key' && ! '$BIN' keys status 2>'$WORK/err.txt'; grep -q 'missing' '$WORK/err.txt'; mv '$WORK/kept.key' '$WORK/safeguard-data.key'"
# The audit key: a trail written without one is sealed on purpose, then verifies with that key and not another.
KEY=$(head -c 32 /dev/urandom | base64)
OTHER=$(head -c 32 /dev/urandom | base64)
check "a trail written before a key is sealed with it" "SAFEGUARD_AUDIT_KEY='$KEY' '$BIN' audit seal"
check "the sealed trail verifies with its key" "SAFEGUARD_AUDIT_KEY='$KEY' '$BIN' audit verify | grep -q 'sealed with the audit key'"
check "another key does not verify it" "! SAFEGUARD_AUDIT_KEY='$OTHER' '$BIN' audit verify >/dev/null 2>&1"
echo "release smoke test: $passed passed, $failed failed"
[ "$failed" = 0 ]
