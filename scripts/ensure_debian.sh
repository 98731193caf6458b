#!/usr/bin/env bash
# Install the Debian packages named as arguments that are missing, with one apt-get update
# (never a downloaded build). Known names and what needs them:
#   chromium     the browser tests of the built site (tests/site/)
#   bubblewrap   sandboxed marking of submissions (lyaplearn.sandbox, `make grade`)
#   postgresql   the distributed-search test, which starts its own server in a temporary
#                folder (tests/test_optuna_postgres.py; it skips, saying why, without one)
# e.g. `bash scripts/ensure_debian.sh chromium bubblewrap postgresql` (make test).
set -euo pipefail
present() {
    case "$1" in
        chromium) [ -x /usr/bin/chromium ] ;;
        bubblewrap) command -v bwrap >/dev/null ;;
        postgresql) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null ;;
        *) echo "ensure_debian: unknown package $1 (known: chromium bubblewrap postgresql)" >&2
           exit 2 ;;
    esac
}
need=()
for pkg in "$@"; do present "$pkg" || need+=("$pkg"); done
[ ${#need[@]} -eq 0 ] && exit 0
echo "setup: installing Debian's ${need[*]} for the tests"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to apt-get install ${need[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
case " ${need[*]} " in     # the test starts its own server; the packaged cluster is not needed
    *" postgresql "*) $SUDO service postgresql stop >/dev/null 2>&1 || true ;;
esac
for pkg in "${need[@]}"; do present "$pkg" || { echo "ensure_debian: $pkg did not install" >&2; exit 1; }; done
