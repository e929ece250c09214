#!/usr/bin/env bash
# Checks deploy/nginx/safeguard.conf in front of a real server: one `safeguard serve --demo` (SQLite, temporary
# directory) and nginx with the repository's config rendered for loopback ports and a self-signed certificate.
# nginx runs with its own prefix, pid and log files: no system nginx configuration is used or changed.
#
#   bash deploy/test-nginx.sh                  # SAFEGUARD_BIN=.build/debug/safeguard to use another build
#
# Needs: nginx, openssl, curl, python3, envsubst (installed with apt-get when missing and run as root).
# Last line: "N passed, N failed"; exit status 1 if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh
trap cleanup EXIT

need nginx nginx
need openssl openssl
need curl curl
need python3 python3
need envsubst gettext-base
need_binary
make_work nginx

PASSED=0
FAILED=0
check() { # check NAME CONDITION-COMMAND...
    local name="$1"; shift
    if "$@"; then PASSED=$((PASSED + 1)); echo "ok   $name"; else FAILED=$((FAILED + 1)); echo "FAIL $name"; fi
}

APP_PORT=$(free_port); HTTP_PORT=$(free_port); HTTPS_PORT=$(free_port)
while [ "$HTTPS_PORT" = "$HTTP_PORT" ] || [ "$HTTPS_PORT" = "$APP_PORT" ]; do HTTPS_PORT=$(free_port); done

log "self-signed certificate"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >"$WORK/openssl.log" 2>&1 || { cat "$WORK/openssl.log" >&2; die "openssl failed"; }
chmod 600 "$WORK/key.pem"

log "app server on 127.0.0.1:$APP_PORT (SQLite, --demo)"
SERVER_ENV="SAFEGUARD_TRUST_FORWARDED_FOR=1 SAFEGUARD_SECURE_COOKIES=1" \
    start_server app "$APP_PORT" "sqlite://$WORK/app/safeguard.sqlite" --demo
APP_PID=$LAST_PID

log "nginx: HTTP 127.0.0.1:$HTTP_PORT, HTTPS 127.0.0.1:$HTTPS_PORT"
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
SAFEGUARD_SERVER_NAME=localhost \
SAFEGUARD_HTTP_LISTEN="127.0.0.1:$HTTP_PORT" \
SAFEGUARD_HTTPS_LISTEN="127.0.0.1:$HTTPS_PORT" \
SAFEGUARD_HTTPS_REDIRECT="https://localhost:$HTTPS_PORT" \
SAFEGUARD_TLS_CERT="$WORK/cert.pem" \
SAFEGUARD_TLS_KEY="$WORK/key.pem" \
SAFEGUARD_UPSTREAM_SERVERS="server 127.0.0.1:$APP_PORT max_fails=1 fail_timeout=5s;" \
SAFEGUARD_ACCESS_LOG="$WORK/nginx/logs/access.log" \
SAFEGUARD_ERROR_LOG="$WORK/nginx/logs/error.log" \
    deploy/nginx/render.sh >"$WORK/nginx/safeguard.conf"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    include $WORK/nginx/safeguard.conf;
}
EOF
NGINX=(nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log")
check "nginx -t accepts the rendered config" "${NGINX[@]}" -t -q
start_bg nginx "${NGINX[@]}" -g "daemon off;"
NGINX_PID=$LAST_PID
for _ in $(seq 1 50); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$HTTP_PORT/" && break
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$WORK/nginx.log" "$WORK/nginx/logs/error.log" >&2 || true; die "nginx did not start"; }
    sleep 0.1
done

BASE="https://localhost:$HTTPS_PORT"
CURL=(curl -sS --max-time 30 --cacert "$WORK/cert.pem" --resolve "localhost:$HTTPS_PORT:127.0.0.1" --resolve "localhost:$HTTP_PORT:127.0.0.1")

# 1. The API through TLS.
code=$("${CURL[@]}" -o "$WORK/openapi.json" -w '%{http_code}' "$BASE/api/v1/openapi.json")
check "HTTPS GET /api/v1/openapi.json through nginx: 200 (got $code)" [ "$code" = "200" ]
check "the OpenAPI document came through whole" python3 -c "import json,sys; d=json.load(open('$WORK/openapi.json')); sys.exit(0 if 'paths' in d else 1)"

# 2. Plain HTTP redirects to HTTPS.
"${CURL[@]}" -o /dev/null -D "$WORK/redirect.headers" "http://localhost:$HTTP_PORT/api/v1/openapi.json?x=1"
rcode=$(head -n 1 "$WORK/redirect.headers" | awk '{print $2}')
location=$(grep -i '^location:' "$WORK/redirect.headers" | tr -d '\r' | awk '{print $2}')
check "plain HTTP answers 301 (got $rcode)" [ "$rcode" = "301" ]
check "… to the same path on HTTPS (got $location)" [ "$location" = "$BASE/api/v1/openapi.json?x=1" ]

# 3. TLS versions: 1.2 and 1.3 accepted, 1.1 refused.
check "TLS 1.2 accepted" "${CURL[@]}" -o /dev/null --tlsv1.2 --tls-max 1.2 "$BASE/api/v1/openapi.json"
check "TLS 1.3 accepted" "${CURL[@]}" -o /dev/null --tlsv1.3 "$BASE/api/v1/openapi.json"
check "TLS 1.1 refused" bash -c "! ${CURL[*]} -o /dev/null --tlsv1.1 --tls-max 1.1 '$BASE/api/v1/openapi.json' 2>/dev/null"

# 4. Sign in and create a case through nginx.
TOKEN=$(token "$BASE" "$OFFICER_EMAIL" --cacert "$WORK/cert.pem" --resolve "localhost:$HTTPS_PORT:127.0.0.1" || true)
check "POST /api/v1/tokens through nginx gives a token" [ -n "$TOKEN" ]
code=$("${CURL[@]}" -o "$WORK/case.json" -D "$WORK/case.headers" -w '%{http_code}' -X POST "$BASE/api/v1/cases" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$CASE_BODY")
check "POST /api/v1/cases through nginx: 201 (got $code)" [ "$code" = "201" ]
CASE_ID=$(json 'j.get("id","")' <"$WORK/case.json" 2>/dev/null || true)
ref=$(json 'j.get("reference","")' <"$WORK/case.json" 2>/dev/null || true)
check "the new case has a reference (got $ref)" [ -n "$ref" ]
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/cases/$CASE_ID")
check "GET the case back through nginx: 200 (got $code)" [ "$code" = "200" ]

# 5. Security headers from the app pass through; nginx adds HSTS (also on errors); no nginx version disclosed.
hdr() { grep -i "^$1:" "$2" | head -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }
for h in Content-Security-Policy X-Frame-Options X-Content-Type-Options Referrer-Policy Cache-Control; do
    v=$(hdr "$h" "$WORK/case.headers")
    check "app header $h passes through (${v:0:40})" [ -n "$v" ]
done
hsts=$(hdr Strict-Transport-Security "$WORK/case.headers")
check "HSTS on a 201 (got '$hsts')" bash -c "[[ '$hsts' == *max-age=* ]]"
"${CURL[@]}" -o /dev/null -D "$WORK/404.headers" "$BASE/api/v1/nope"
check "HSTS on a 404 too" bash -c "grep -qi '^strict-transport-security:' '$WORK/404.headers'"
check "exactly one HSTS header" [ "$(grep -ci '^strict-transport-security:' "$WORK/case.headers")" = "1" ]
server=$(hdr Server "$WORK/case.headers")
check "Server header names no version (got '$server')" bash -c "! [[ '$server' =~ [0-9] ]]"

# 6. Bodies over 256 KiB are refused by nginx (413) before reaching the app.
python3 -c "import json; print(json.dumps({'summary':'x'*300000}))" >"$WORK/big.json"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST "$BASE/api/v1/cases" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @"$WORK/big.json")
check "a 300 KB body is refused: 413 (got $code)" [ "$code" = "413" ]
python3 -c "import json; print(json.dumps({'summary':'x'*200000}))" >"$WORK/mid.json"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST "$BASE/api/v1/cases" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @"$WORK/mid.json")
check "a 200 KB body gets past nginx to the app (app's answer, not 413: got $code)" bash -c "[ '$code' != '413' ] && [ '$code' != '000' ] && [ '$code' -lt 500 ]"

# 7. The access log holds no query strings; X-Forwarded-For is overwritten, not appended to (config check).
"${CURL[@]}" -o /dev/null "$BASE/api/v1/openapi.json?probe=QUERYSTRINGMARKER"
"${CURL[@]}" -o /dev/null "$BASE/password-reset/sgr_RESETSECRETMARKER"
sleep 0.2
check "access log is written" test -s "$WORK/nginx/logs/access.log"
check "access log holds no query string" bash -c "! grep -q QUERYSTRINGMARKER '$WORK/nginx/logs/access.log'"
check "access log holds no bearer token" bash -c "! grep -qF '$TOKEN' '$WORK/nginx/logs/access.log'"
check "access log holds no password reset secret, only that a reset page was asked for" bash -c "! grep -q RESETSECRETMARKER '$WORK/nginx/logs/access.log' && grep -qF '/password-reset/(secret)' '$WORK/nginx/logs/access.log'"
check "X-Forwarded-For is set to \$remote_addr (overwrite)" grep -q 'proxy_set_header X-Forwarded-For \$remote_addr;' "$WORK/nginx/safeguard.conf"

# 7b. A request is logged by the app under nginx's id for it, never one the client chose: a request the app logs (a
#     refused image) sent with a forged X-Request-Id; nginx's access log ends with the id, the app's line carries it.
"${CURL[@]}" -o /dev/null -X POST "$BASE/api/v1/cases" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -H 'X-Request-Id: FORGED-BY-CLIENT' -d '{"summary":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="}'
sleep 0.3
nginx_id=$(grep '"POST /api/v1/cases ' "$WORK/nginx/logs/access.log" | tail -n 1 | awk '{print $NF}')
check "nginx logs an id for the request (got '$nginx_id')" bash -c "[[ '$nginx_id' =~ ^[0-9a-f]{32}$ ]]"
check "the app logs the refused image under nginx's id" grep -q "request-id=$nginx_id" "$WORK/app.log"
check "the id the client forged is in neither log" bash -c "! grep -q FORGED-BY-CLIENT '$WORK/app.log' '$WORK/nginx/logs/access.log'"

# 8. Nothing went wrong on the app side.
check "no 5xx or error lines in the app log" bash -c "! grep -Eiq '(\\[ ERROR \\]|\\[ CRITICAL \\]|fatal error)' '$WORK/app.log'"
# (the 300 KB body above is logged at error level as "client intended to send too large body": expected)
check "no other errors in nginx's error log" bash -c "! grep -E '\\[(error|crit|alert|emerg)\\]' '$WORK/nginx/logs/error.log' | grep -vq 'client intended to send too large body'"

# 9. X-Forwarded-For is overwritten in practice: anonymous refusals sent with a different forged X-Forwarded-For
#    each time must still be counted against the one real address and throttled (429) after the app's limit (100
#    a minute). Were the header appended to, each would look like a new address and none would be throttled.
#    (Runs last: it leaves 127.0.0.1 throttled for anonymous requests for a minute.)
python3 - "$HTTPS_PORT" "$WORK/cert.pem" >"$WORK/xff.out" <<'PY'
import http.client, ssl, sys, collections
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
seen = collections.Counter()
for i in range(130):
    c.request("GET", "/api/v1/nope", headers={"X-Forwarded-For": f"198.51.100.{i % 250 + 1}"})
    r = c.getresponse(); r.read(); seen[r.status] += 1
c.request("POST", "/api/v1/tokens", body='{"email":"officer@england-police.demo.safeguard.invalid","password":"safeguard-demo-2026"}',
          headers={"Content-Type": "application/json"})
r = c.getresponse(); r.read()
print(" ".join(f"{k}:{v}" for k, v in sorted(seen.items())), r.status)
PY
read -r -a xff <"$WORK/xff.out"
check "forged X-Forwarded-For does not dodge the per-address throttle (statuses ${xff[*]:0:${#xff[@]}-1})" \
    bash -c "[[ '${xff[*]}' == *429:* ]]"
echo "note: a correct sign-in (POST /api/v1/tokens) from that address right after: ${xff[-1]}"

# A clean stop (as systemd does it: SIGTERM) ends with status 0 and nothing lost.
stop_pid "$APP_PID"
check "the app server stops cleanly on SIGTERM (exit status $STOP_STATUS)" [ "$STOP_STATUS" = "0" ]

if [ "$FAILED" -gt 0 ]; then
    echo "--- nginx error log"; tail -n 20 "$WORK/nginx/logs/error.log" || true
    echo "--- app log (last lines)"; tail -n 20 "$WORK/app.log" || true
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
