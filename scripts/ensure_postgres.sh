#!/usr/bin/env bash
# The distributed-search test (tests/test_optuna_postgres.py) starts its own PostgreSQL server
# in a temporary folder; this installs Debian's server binaries for it (never a downloaded
# build). The test skips, saying why, where they cannot be installed.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then exit 0; fi
echo "setup: installing Debian's postgresql for the distributed-search test"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to apt-get install postgresql" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq postgresql >/dev/null
# the test starts its own server; the packaged cluster's service is not needed
$SUDO service postgresql stop >/dev/null 2>&1 || true
ls /usr/lib/postgresql/*/bin/initdb
