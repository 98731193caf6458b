#!/usr/bin/env bash
# Run the trajectory and training tests and every notebook under one other
# floating-point configuration (called by scripts/test_all.sh, once per
# configuration):
#
#   bash scripts/fp_matrix.sh vectorised-off   torch's ATen kernels without SIMD
#       (ATEN_CPU_CAPABILITY=default) and numpy's universal functions (tanh,
#       exp, log, ...) without their AVX2/AVX-512 versions (NPY_DISABLE_CPU_FEATURES)
#   bash scripts/fp_matrix.sh mkl-compatible   MKL's conditional-numerical-
#       reproducibility path (MKL_CBWR=COMPATIBLE): other matrix-product kernels
#       and summation orders in torch
#
# Seeding makes a run repeatable on one machine, not across machines: another
# CPU, BLAS or kernel path changes the last digits, and chaotic trajectories and
# training runs amplify them until one run's outcome is chance. Every claim in
# the notebooks, and every test that trains or follows a long trajectory, must
# hold under each configuration. The run starts with one line from
# scripts/fp_fingerprint.py showing how the arithmetic changed (printed, not
# asserted).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

# The tests run here are those marked `fp_sensitive`: their outcome passes through a chaotic
# trajectory, a long product or a training run. (The `fp_insensitive` ones check closed forms,
# shapes and error messages, which the default pass covers.) Every test carries one of the two
# markers, usually once per file (`pytestmark = pytest.mark.fp_sensitive` at its top):
# tests/conftest.py stops the run if one carries neither, and --strict-markers (pyproject.toml)
# if a marker is misspelt, so no test can drop out of this matrix in silence.

case "${1:-}" in
    vectorised-off)
        # numpy names its dispatch targets per release; use the names this numpy knows
        npy_off="X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
        if ! NPY_DISABLE_CPU_FEATURES="$npy_off" $PY -W error -c "import numpy" 2>/dev/null; then
            npy_off="AVX2 FMA3 F16C AVX512F AVX512_SKX"
            NPY_DISABLE_CPU_FEATURES="$npy_off" $PY -W error -c "import numpy" 2>/dev/null \
                || npy_off=""
        fi
        vars=(ATEN_CPU_CAPABILITY=default "NPY_DISABLE_CPU_FEATURES=$npy_off") ;;
    mkl-compatible)
        vars=(MKL_CBWR=COMPATIBLE) ;;
    *)
        echo "usage: $0 vectorised-off|mkl-compatible" >&2; exit 2 ;;
esac

echo "== floating-point configuration $1: ${vars[*]}"
env "${vars[@]}" $PY scripts/fp_fingerprint.py
env "${vars[@]}" $PY -m pytest -q -p no:cacheprovider -m fp_sensitive tests --ignore=tests/site
env "${vars[@]}" $PY -m pytest -q --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
    -p no:cacheprovider book
