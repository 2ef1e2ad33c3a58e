#!/usr/bin/env bash
# PostgreSQL's server binaries for tests/test_format_sql.py, which starts a server of its own from them
# (initdb + pg_ctl in a temporary folder, on a free loopback port) and stops it at the end. Installs
# Debian's package where initdb is missing; starts nothing. As root the tests run the server as the
# 'postgres' user the package creates.
set -euo pipefail
if command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo ".ci/postgres.sh: PostgreSQL is not installed and cannot be installed here (needs root and apt-get)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { echo ".ci/postgres.sh: initdb missing after install" >&2; exit 1; }
