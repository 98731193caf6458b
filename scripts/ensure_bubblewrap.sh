#!/usr/bin/env bash
# `make grade` runs every submission inside Debian's bubblewrap sandbox (lyaplearn.sandbox):
# install it if missing, as scripts/ensure_chromium.sh does for the browser tests.
set -euo pipefail
if command -v bwrap >/dev/null; then exit 0; fi
echo "setup: installing Debian's bubblewrap (the sandbox that marking runs submissions in)"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to apt-get install bubblewrap" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq bubblewrap >/dev/null
bwrap --version
