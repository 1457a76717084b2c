#!/usr/bin/env bash
# A local PostgreSQL for the test suite (Debian, as root). Idempotent: installs the server if
# missing, starts the cluster, and creates the role `sealdrop` (password `sealdrop`) and the
# database `sealdrop_test` that SEALDROP_TEST_DATABASE_URL points at by default.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then
	echo "postgres.sh: run as root (sudo bash .ci/postgres.sh)" >&2
	exit 1
fi

if ! command -v pg_lsclusters >/dev/null; then
	echo "postgres.sh: installing postgresql"
	apt-get update -qq
	apt-get install -y -qq postgresql >/dev/null
fi

# The package creates a cluster; a minimal image may not have one yet.
if [ -z "$(pg_lsclusters --no-header 2>/dev/null)" ]; then
	version=$(ls /usr/lib/postgresql | sort -V | tail -1)
	pg_createcluster "$version" main
fi

read -r version cluster port status _ < <(pg_lsclusters --no-header | head -1)
if [ "$status" != "online" ]; then
	pg_ctlcluster "$version" "$cluster" start
fi

psql_admin() {
	runuser -u postgres -- psql --no-psqlrc -v ON_ERROR_STOP=1 -p "$port" -qtA "$@"
}

for _ in $(seq 1 30); do
	psql_admin -c 'select 1' >/dev/null 2>&1 && break
	sleep 1
done

if [ "$(psql_admin -c "select 1 from pg_roles where rolname = 'sealdrop'")" != "1" ]; then
	psql_admin -c "create role sealdrop login password 'sealdrop'"
fi
# Test files create a schema each, so the role owns the database.
if [ "$(psql_admin -c "select 1 from pg_database where datname = 'sealdrop_test'")" != "1" ]; then
	psql_admin -c 'create database sealdrop_test owner sealdrop'
fi

echo "postgres.sh: PostgreSQL $version/$cluster on port $port; postgres://sealdrop:sealdrop@127.0.0.1:$port/sealdrop_test"
