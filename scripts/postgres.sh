# Source this file: starts the machine's PostgreSQL 15 cluster if it is not
# running, makes sure the test role exists, and exports
# MINSHENG_TEST_POSTGRES_URL for the end-to-end tests.
pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432; }
if ! pg_ready; then
  echo "starting PostgreSQL 15 (cluster main)"
  pg_ctlcluster --skip-systemctl-redirect 15 main start || true
  for _ in $(seq 1 120); do pg_ready && break; sleep 1; done
fi
pg_ready || { echo "PostgreSQL did not start; see /var/log/postgresql/" >&2; return 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
as_postgres psql -qtA -d postgres -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'minsheng_test') THEN
    CREATE ROLE minsheng_test LOGIN CREATEDB CREATEROLE PASSWORD 'minsheng_test';
  ELSE
    ALTER ROLE minsheng_test CREATEDB CREATEROLE NOSUPERUSER NOBYPASSRLS;
  END IF; END \$\$;" >/dev/null
export MINSHENG_TEST_POSTGRES_URL="postgres://minsheng_test:minsheng_test@127.0.0.1:5432/postgres"
# Each test and benchmark makes a database of its own; drop those that
# earlier runs left (not the ones a running test is connected to).
as_postgres psql -qtA -d postgres -c "SELECT datname FROM pg_database
  WHERE datname LIKE 'minsheng\_test\_%' OR datname LIKE 'minsheng\_bench\_%'" |
  while read -r db; do
    as_postgres psql -qtA -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
  done
