#!/usr/bin/env bash
# Prints deploy/nginx/safeguard.conf with its ${SAFEGUARD_*} placeholders filled from the environment (production
# defaults for any not set). Only these names are substituted, so nginx's own $variables stay as they are.
#   deploy/nginx/render.sh > /etc/nginx/conf.d/safeguard.conf
#   SAFEGUARD_HTTPS_LISTEN=127.0.0.1:8443 SAFEGUARD_UPSTREAM_SERVERS='server 127.0.0.1:9001;' deploy/nginx/render.sh
# Needs envsubst (Debian package gettext-base).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v envsubst >/dev/null 2>&1 || { echo "render.sh: envsubst is missing (apt-get install -y gettext-base)" >&2; exit 1; }

export SAFEGUARD_SERVER_NAME="${SAFEGUARD_SERVER_NAME:-safeguard.example.org}"
export SAFEGUARD_HTTP_LISTEN="${SAFEGUARD_HTTP_LISTEN:-80}"
export SAFEGUARD_HTTPS_LISTEN="${SAFEGUARD_HTTPS_LISTEN:-443}"
export SAFEGUARD_HTTPS_REDIRECT="${SAFEGUARD_HTTPS_REDIRECT:-https://\$host}"
export SAFEGUARD_TLS_CERT="${SAFEGUARD_TLS_CERT:-/etc/ssl/safeguard/fullchain.pem}"
export SAFEGUARD_TLS_KEY="${SAFEGUARD_TLS_KEY:-/etc/ssl/safeguard/privkey.pem}"
export SAFEGUARD_UPSTREAM_SERVERS="${SAFEGUARD_UPSTREAM_SERVERS:-server 127.0.0.1:8080 max_fails=1 fail_timeout=5s;}"
export SAFEGUARD_ACCESS_LOG="${SAFEGUARD_ACCESS_LOG:-/var/log/nginx/safeguard.access.log}"
export SAFEGUARD_ERROR_LOG="${SAFEGUARD_ERROR_LOG:-/var/log/nginx/safeguard.error.log}"

envsubst '${SAFEGUARD_SERVER_NAME} ${SAFEGUARD_HTTP_LISTEN} ${SAFEGUARD_HTTPS_LISTEN} ${SAFEGUARD_HTTPS_REDIRECT}
${SAFEGUARD_TLS_CERT} ${SAFEGUARD_TLS_KEY} ${SAFEGUARD_UPSTREAM_SERVERS} ${SAFEGUARD_ACCESS_LOG} ${SAFEGUARD_ERROR_LOG}' \
    < "$here/safeguard.conf"
