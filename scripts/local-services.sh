#!/usr/bin/env bash
# Makes PostgreSQL and Redis available on 127.0.0.1 for mvrefresh's dev mode and tests (and installs the
# PgBouncer, Chromium and chromedriver the tests start themselves):
# installs them from Debian/Ubuntu packages when absent, starts them when stopped, and makes
# sure the "postgres" role can log in over TCP with password "postgres" (what the tests and
# dev mode use; with trust authentication the password is simply ignored).
#
#   scripts/local-services.sh          # idempotent; safe to run before every build
set -euo pipefail

PGHOST=127.0.0.1
PGPORT=${PGPORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    apt_updated=true
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

wait_for() {
  local what=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "local-services: $what did not come up; see its log" >&2
  return 1
}

ensure_postgres() {
  if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "local-services: installing PostgreSQL"
    apt_install postgresql postgresql-client
  fi
  local version
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    echo "local-services: creating PostgreSQL $version cluster"
    as_root pg_createcluster "$version" main
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    echo "local-services: starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  wait_for "PostgreSQL" pg_isready -q -h "$PGHOST" -p "$PGPORT"
  if ! PGPASSWORD=postgres psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
    echo "local-services: setting the postgres role's password for TCP logins"
    as_postgres psql -p "$PGPORT" -qc "ALTER ROLE postgres PASSWORD 'postgres'"
  fi
}

ensure_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "local-services: installing Redis"
    apt_install redis-server redis-tools
  fi
  if ! redis-cli -h "$PGHOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    echo "local-services: starting Redis on $PGHOST:$REDIS_PORT"
    local dir=/var/lib/redis log=/var/log/redis/redis-local.log
    as_root mkdir -p "$dir" "$(dirname "$log")"
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
      --save "" --appendonly no --dir "$dir" --logfile "$log"
  fi
  wait_for "Redis" sh -c "redis-cli -h $PGHOST -p $REDIS_PORT ping | grep -q PONG"
}

# The tests start their own PgBouncer (session mode) in front of PostgreSQL; only the program is needed.
ensure_pgbouncer() {
  if [ ! -x /usr/sbin/pgbouncer ] && ! command -v pgbouncer >/dev/null 2>&1; then
    echo "local-services: installing PgBouncer"
    apt_install pgbouncer
  fi
}

# The console tests drive Debian's headless Chromium through chromedriver.
ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "local-services: installing Chromium and chromedriver"
    apt_install chromium chromium-driver
  fi
}

ensure_postgres
ensure_redis
ensure_pgbouncer
ensure_chromium
# The alert-rule tests need promtool; it comes out of Debian's package, no server is installed.
promtool=$("$(dirname "$0")/promtool.sh")
echo "local-services: PostgreSQL on $PGHOST:$PGPORT and Redis on $PGHOST:$REDIS_PORT are up; promtool at $promtool"
