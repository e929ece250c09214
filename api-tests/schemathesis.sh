#!/usr/bin/env bash
# API conformance: schemathesis (from PyPI) against the served OpenAPI document, as a demo officer, bounded in
# examples and time. Token revocation (DELETE /api/v1/tokens/…) and signing out everywhere are left out: they would
# revoke the token the run uses.
# Every default check runs but one: positive_data_acceptance expects every schema-valid body to succeed, and
# Safeguard's rules depend on the case (a ref must name a person in it, a record's required fields follow its kind
# and the guidance, and the text guard refuses encoded data a schema cannot describe). Those answers are 422 with
# the field named, which the other checks hold to the documented statuses and error schema.
# The run fails if the server stops answering (a crash), and prints the server's log when it does.
# Usage: api-tests/schemathesis.sh [path/to/safeguard]   (default .build/release/safeguard)
# Environment: EXAMPLES (per operation, default 25), MAX_TIME (seconds for the whole run, default 300), PORT (default:
# a free one, so that two runs, or a run beside anything else on the machine, do not meet).
set -euo pipefail
status=0
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/safeguard}")
[ -x "$BIN" ] || { echo "schemathesis: no binary at $BIN; build it first" >&2; exit 1; }
# schemathesis in its own virtual environment, on Python 3.12 or later where there is one: on 3.11 its test
# engine (Hypothesis) can trip over a CPython bug ("AST constructor recursion depth mismatch") and report it as an
# error of the run.
VENV=.build/schemathesis-venv
if [ ! -x "$VENV/bin/schemathesis" ]; then
  PY=""
  for candidate in python3.13 python3.12 $(ls -d "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -r) python3; do
    if "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then PY=$candidate; break; fi
  done
  [ -n "$PY" ] || { echo "schemathesis: no Python 3.12 or later; using $(python3 --version)" >&2; PY=python3; }
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q 'schemathesis>=4,<5'
fi
WORK=$(mktemp -d)
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')}
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
export DATABASE_URL="sqlite://$WORK/safeguard.sqlite"
# Every route is probed without credentials many times a minute from one address; the server would rightly answer
# 429 after 100 refusals a minute (tested on its own in the suite), which the conformance check reads as ignoring auth.
export SAFEGUARD_ANONYMOUS_REFUSALS_PER_MINUTE=10000000
"$BIN" serve --demo --hostname 127.0.0.1 --port "$PORT" > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$PORT/api/v1/openapi.json" -o /dev/null && break; sleep 0.2; done
TOKEN=$(curl -s -X POST "http://127.0.0.1:$PORT/api/v1/tokens" -H 'Content-Type: application/json' \
  -d '{"email":"officer@england-police.demo.safeguard.invalid","password":"safeguard-demo-2026"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# A case to read and change, so operations on one case reach past 404.
curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/api/v1/cases" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"summary":"Image shared between two pupils","facts":{"people":[{"ref":"A","age":15,"roles":["depicted","sender"]}]}}'
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/v1/openapi.json" --url "http://127.0.0.1:$PORT" \
  -H "Authorization: Bearer $TOKEN" \
  --exclude-operation-id deleteTokensTokenID --exclude-operation-id postMeSign-out-everywhere \
  --max-examples "${EXAMPLES:-25}" --max-time "${MAX_TIME:-300}" --seed 2026 --workers 2 \
  --phases examples,coverage,fuzzing --exclude-checks positive_data_acceptance \
  --suppress-health-check all --no-color --generation-database none || status=$?
if ! kill -0 "$SERVER" 2>/dev/null; then
  echo "schemathesis: the server stopped during the run; its log:" >&2
  tail -50 "$WORK/serve.log" >&2
  exit 1
fi
exit "${status:-0}"
