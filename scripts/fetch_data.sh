#!/usr/bin/env bash
# Install the two real data sets of chapter 7 into .cache/lyaplearn-data/
# (or $LYAPLEARN_DATA), from Debian packages, without installing R:
#
#   r-cran-janeaustenr  Jane Austen's six novels (public domain), ~3.9 M characters
#   r-cran-modeldata    the `Chicago` data: daily entries at 20 Chicago 'L' stations
#                       and the day's weather, 2001-2016 (5698 days)
#
# The packages are fetched with `apt-get download` and unpacked with `dpkg -x`;
# their R lazy-load databases are converted to plain files (a .txt and a .npz)
# by `python -m lyaplearn.data build`, which reads R's serialisation format with
# the `rdata` package (the `data` extra). Nothing is fetched at run time: the
# library only reads the converted files and checks their SHA-256.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${LYAPLEARN_DATA:-.cache/lyaplearn-data}
PY=${PY:-.venv/bin/python}

if "$PY" -m lyaplearn.data check --quiet --root "$DEST" 2>/dev/null; then
    exit 0
fi
echo "setup: installing chapter 7's data (Debian r-cran-janeaustenr, r-cran-modeldata) into $DEST"
if ! "$PY" -c "import rdata" 2>/dev/null; then
    "$PY" -m pip install --quiet --disable-pip-version-check "rdata>=0.11" 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
fi
command -v apt-get >/dev/null || { echo "fetch_data: needs apt-get (Debian/Ubuntu) to download r-cran-janeaustenr and r-cran-modeldata" >&2; exit 1; }
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
mkdir -p "$DEST/debs" "$DEST/root"
pkgs=(r-cran-janeaustenr r-cran-modeldata)
download() { (cd "$DEST/debs" && apt-get download -qq "${pkgs[@]}" >/dev/null 2>&1); }
if ! download; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    download || { echo "fetch_data: apt-get download ${pkgs[*]} failed" >&2; exit 1; }
fi
for deb in "$DEST"/debs/*.deb; do dpkg -x "$deb" "$DEST/root"; done
"$PY" -m lyaplearn.data build --src "$DEST/root/usr/lib/R/site-library" --root "$DEST"
rm -rf "$DEST/debs" "$DEST/root"
"$PY" -m lyaplearn.data check --root "$DEST"
