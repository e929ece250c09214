#!/usr/bin/env bash
# Smoke test of the release binary, as a force would run it: serve (embedded SQLite, demo accounts), take a token,
# open and read a case, stop, check the audit chain, back the database up, check the restored copy too, restore it
# after a crash, check that case text is encrypted and rotate its keys, and seal the trail with an audit key.
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
check "a command pointed at no database refuses, making none" "! DATABASE_URL='sqlite://$WORK/none.sqlite' '$BIN' backup --to '$WORK/b2.sqlite' 2>'$WORK/err.txt' && grep -q 'there is no database at' '$WORK/err.txt' && [ ! -e '$WORK/none.sqlite' ] && [ ! -e '$WORK/b2.sqlite' ]"
# A restore after a crash: the server killed under writes leaves its write-ahead log; the restore must bring back the
# backup exactly, not the log replayed onto it.
cases() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("pragma integrity_check").fetchone()[0], c.execute("select count(*) from cases").fetchone()[0])' "$1"; }
"$BIN" serve --hostname 127.0.0.1 --port "$PORT" > "$WORK/serve2.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/api/v1/openapi.json" -o /dev/null && break; sleep 0.2; done
for _ in 1 2 3; do curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/api/v1/cases" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"summary":"After the backup","facts":{"people":[{"ref":"A","age":15,"roles":["depicted"]}]}}'; done
check "a restore is refused while the server has the database open" "! '$BIN' restore --from '$WORK/backup.sqlite' 2>'$WORK/err.txt' && grep -q 'stop the server' '$WORK/err.txt'"
kill -KILL "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
check "the killed server left its write-ahead log" "[ -s '$WORK/safeguard.sqlite-wal' ]"
check "restore puts the backup back and verifies its trail" "'$BIN' restore --from '$WORK/backup.sqlite' | grep -q 'Its audit trail verifies'"
check "the restored database is whole and exactly the backup" "[ \"\$(cases '$WORK/safeguard.sqlite')\" = \"\$(cases '$WORK/backup.sqlite')\" ] && [ \"\$(cases '$WORK/safeguard.sqlite' | cut -d' ' -f1)\" = ok ]"
check "the database it replaced is kept with its log" "ls '$WORK'/safeguard.sqlite.before-restore-*-wal >/dev/null"
# Encryption at rest: the first start made a data key beside the database; the file holds no case text.
check "the first start made a data key readable by its owner only" "[ \"\$(stat -c %a '$WORK/safeguard-data.key')\" = 600 ]"
check "the database file holds no case text" "! grep -q 'between two pupils' '$WORK/safeguard.sqlite' '$WORK/backup.sqlite'"
check "keys rotate seals everything under a new data key" "'$BIN' keys rotate --settle-seconds 0 --no-servers-running | grep -q 'is the only one'"
check "keys rotate will not wait less than the servers' 5 seconds unless none runs" "! '$BIN' keys rotate --settle-seconds 1 2>'$WORK/err.txt' && grep -q 'no-servers-running' '$WORK/err.txt'"
check "keys rotate --no-servers-running refuses while something has the database open" "python3 -c \"import sqlite3,time; c=sqlite3.connect('$WORK/safeguard.sqlite'); c.execute('select 1').fetchall(); time.sleep(8)\" & sleep 2; ! '$BIN' keys rotate --settle-seconds 0 --no-servers-running 2>'$WORK/err.txt'; r=\$?; wait; [ \$r -eq 0 ] && grep -q 'has .* open' '$WORK/err.txt'"
check "keys new writes a master key" "'$BIN' keys new '$WORK/new.key' >/dev/null"
check "keys rotate moves to the new master key, and says to keep the old file for the backups made before" "'$BIN' keys rotate --settle-seconds 0 --no-servers-running --new-key-file '$WORK/new.key' > '$WORK/rotate.txt' && grep -q 'Keep the old master key file (fingerprint [0-9a-f]*), apart from the backups' '$WORK/rotate.txt'"
check "the old key no longer opens the database" "! '$BIN' keys status >/dev/null 2>&1"
check "the new key does" "SAFEGUARD_DATA_KEY_FILE='$WORK/new.key' '$BIN' keys status | grep -q '(active): seals'"
check "the trail, with the rotations in it, verifies" "SAFEGUARD_DATA_KEY_FILE='$WORK/new.key' '$BIN' audit verify >/dev/null"
mv "$WORK/new.key" "$WORK/safeguard-data.key"
check "a backup made under the old master key is refused before anything is moved" "n=\$(ls '$WORK' | grep -c before-restore); ! '$BIN' restore --from '$WORK/backup.sqlite' 2>'$WORK/err.txt' && grep -q 'does not open with this server' '$WORK/err.txt' && [ \$(ls '$WORK' | grep -c before-restore) -eq \$n ] && '$BIN' keys status >/dev/null"
check "a missing key file stops the start with what to do" "mv '$WORK/safeguard-data.key' '$WORK/kept.key' && ! '$BIN' keys status 2>'$WORK/err.txt'; grep -q 'missing' '$WORK/err.txt'; mv '$WORK/kept.key' '$WORK/safeguard-data.key'"
# The audit key: a trail written without one is sealed on purpose, then verifies with that key and not another.
KEY=$(head -c 32 /dev/urandom | base64)
OTHER=$(head -c 32 /dev/urandom | base64)
check "a trail written before a key is sealed with it" "SAFEGUARD_AUDIT_KEY='$KEY' '$BIN' audit seal"
check "the sealed trail verifies with its key" "SAFEGUARD_AUDIT_KEY='$KEY' '$BIN' audit verify | grep -q 'sealed with the audit key'"
check "another key does not verify it" "! SAFEGUARD_AUDIT_KEY='$OTHER' '$BIN' audit verify >/dev/null 2>&1"
check "a command without the key does not write to the sealed trail" "! '$BIN' users disable officer@england-police.demo.safeguard.invalid 2>'$WORK/err.txt'; grep -q 'no audit key' '$WORK/err.txt'"
check "so the trail stays sealed and the server would start" "SAFEGUARD_AUDIT_KEY='$KEY' '$BIN' audit verify | grep -q 'sealed with the audit key'"
check "without the key, a sealed trail is not reported valid" "! '$BIN' audit verify >'$WORK/out.txt' 2>&1; grep -q 'the seal was not checked' '$WORK/out.txt' && ! '$BIN' audit verify >/dev/null 2>&1"
# Installed as a server runs it (deploy/install.sh), away from the build tree: the binary reads its resource bundle and
# templates from beside itself. The build tree is hidden (a private mount namespace, as root), since a binary on the
# build machine quietly falls back to it; where that cannot be done, the check says it was skipped.
bash deploy/install.sh "$WORK/opt" "$WORK/bin" >/dev/null
check "the install has the binary, its resource bundle, templates and assets" "[ -x '$WORK/opt/safeguard' ] && [ -d '$WORK/opt/Safeguard_SafeguardCore.resources' ] && [ -f '$WORK/opt/Resources/Views/layout.leaf' ] && [ -d '$WORK/opt/Public/assets' ]"
BUILD_DIR=$(dirname "$BIN")
if unshare -m true 2>/dev/null; then
  cat > "$WORK/installed.sh" <<INNER
mount -t tmpfs none "$BUILD_DIR"
cd "$WORK"
"$WORK/bin/safeguard" guidance list > "$WORK/installed-guidance.txt" 2>&1
SAFEGUARD_AUDIT_KEY='$KEY' "$WORK/bin/safeguard" serve --hostname 127.0.0.1 --port $PORT > "$WORK/serve3.log" 2>&1 &
s=\$!
for i in \$(seq 1 100); do curl -fs http://127.0.0.1:$PORT/sign-in -o "$WORK/sign-in.html" && break; sleep 0.2; done
kill \$s; wait \$s
INNER
  unshare -m bash "$WORK/installed.sh" || true
  check "installed, with the build tree hidden, it reads its guidance" "grep -q 'college-of-policing' '$WORK/installed-guidance.txt'"
  check "installed, with the build tree hidden, it serves the pages" "grep -q 'Sign in' '$WORK/sign-in.html'"
else
  echo "skipped: the installed binary away from the build tree (unshare -m needs root here)"
fi
echo "release smoke test: $passed passed, $failed failed"
[ "$failed" = 0 ]
