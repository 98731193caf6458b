#!/usr/bin/env bash
# Install the Debian packages named as arguments that are missing, with one apt-get update
# (never a downloaded build). Known names and what needs them:
#   chromium     the browser tests of the built site (tests/site/)
#   sandbox      sandboxed marking of submissions (lyaplearn.teacher.sandbox, `make grade`): Debian's
#                bubblewrap, keyutils (a fresh keyring per sandbox) and python3-seccomp (the
#                seccomp filter, compiled by libseccomp); `bubblewrap` is a synonym
#   postgresql   the distributed-search test, which starts its own server in a temporary
#                folder (tests/test_optuna_postgres.py; it skips, saying why, without one)
# e.g. `bash scripts/ensure_debian.sh chromium sandbox postgresql` (make test).
set -euo pipefail
present() {
    case "$1" in
        chromium) [ -x /usr/bin/chromium ] ;;
        sandbox|bubblewrap) command -v bwrap >/dev/null && command -v keyctl >/dev/null \
                && /usr/bin/python3 -c "import seccomp" 2>/dev/null ;;
        postgresql) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null ;;
        *) echo "ensure_debian: unknown package $1 (known: chromium sandbox bubblewrap postgresql)" >&2
           exit 2 ;;
    esac
}
debian() {   # the Debian packages behind a name
    case "$1" in
        sandbox|bubblewrap) echo bubblewrap keyutils python3-seccomp ;;
        *) echo "$1" ;;
    esac
}
need=()
names=()
for pkg in "$@"; do present "$pkg" || { names+=("$pkg"); need+=($(debian "$pkg")); }; done
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
for pkg in "${names[@]}"; do present "$pkg" || { echo "ensure_debian: $pkg did not install" >&2; exit 1; }; done
