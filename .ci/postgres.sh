#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages (if missing), starts it on 127.0.0.1:5432, makes a role and a
# database for the tests, and prints the URL to use as SAFEGUARD_TEST_DATABASE_URL on its last line.
#   URL=$(bash .ci/postgres.sh | tail -n 1)      # set up and start
#   bash .ci/postgres.sh stop                    # stop it again
# Everything but the URL goes to standard error.
set -euo pipefail

VERSION="${PG_VERSION:-15}"
CLUSTER="main"
ROLE="safeguard"
PASSWORD="${SAFEGUARD_PG_PASSWORD:-safeguard-test-only}"
DATABASE="safeguard_test"
PORT=5432
MAX_CONNECTIONS=1000

log() { echo "postgres.sh: $*" >&2; }

as_postgres() {
    if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

if [ "${1:-}" = "stop" ]; then
    pg_ctlcluster "$VERSION" "$CLUSTER" stop >&2 || true
    log "stopped"
    exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -x "/usr/lib/postgresql/$VERSION/bin/postgres" ]; then
    log "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y postgresql >&2
fi

if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$VERSION $CLUSTER"; then
    log "creating cluster $VERSION/$CLUSTER"
    pg_createcluster "$VERSION" "$CLUSTER" >&2
fi

# Listen on loopback only.
CONF="/etc/postgresql/$VERSION/$CLUSTER/postgresql.conf"
if [ -f "$CONF" ]; then
    sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$CONF"
    sed -i "s/^#\?port = .*/port = $PORT/" "$CONF"
    # The test suite runs many tests at once (Swift Testing sets no limit), each with its own small pool and schema:
    # 400 ran out with 431 tests on a slow day (SQLSTATE 53300, 17 tests at one moment).
    sed -i "s/^#\?max_connections = .*/max_connections = $MAX_CONNECTIONS/" "$CONF"
fi

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
    log "starting cluster $VERSION/$CLUSTER"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

for _ in $(seq 1 50); do
    if as_postgres psql -p "$PORT" -qtAc "SELECT 1" >/dev/null 2>&1; then break; fi
    sleep 0.2
done

# A cluster started earlier with fewer connections is restarted to take the setting.
if [ "$(as_postgres psql -p "$PORT" -qtAc "SHOW max_connections")" -lt "$MAX_CONNECTIONS" ]; then
    log "restarting cluster $VERSION/$CLUSTER for max_connections = $MAX_CONNECTIONS"
    pg_ctlcluster "$VERSION" "$CLUSTER" restart >&2
    for _ in $(seq 1 50); do
        if as_postgres psql -p "$PORT" -qtAc "SELECT 1" >/dev/null 2>&1; then break; fi
        sleep 0.2
    done
fi

as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -qtA >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
  ELSE
    ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
  END IF;
END \$\$;
SQL
if ! as_postgres psql -p "$PORT" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
    as_postgres createdb -p "$PORT" -O "$ROLE" "$DATABASE" >&2
fi

log "ready"
echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
