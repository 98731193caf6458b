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

# The tests whose outcome passes through a chaotic trajectory, a long product or
# a training run. (The others check closed forms, shapes and error messages,
# which the default pass covers.)
TRAJECTORY_TESTS=(
    tests/test_rnn.py tests/test_lyapunov.py tests/test_maps.py tests/test_recurrent.py
    tests/test_qr.py tests/test_nonfinite.py tests/test_lightning.py tests/test_remedies.py
    tests/test_data.py tests/test_training.py tests/test_experiments.py tests/test_mocap.py
    tests/test_optuna_postgres.py
    tests/test_solutions_ch04.py tests/test_solutions_ch05.py tests/test_solutions_ch06.py
    tests/test_solutions_ch07.py tests/test_solutions_ch08.py tests/test_edge.py
    tests/test_solutions_ch09.py tests/test_widgets_rnn.py
    tests/test_widgets_lyapunov.py tests/test_widgets_recurrent.py
    tests/test_widgets_remedies.py tests/test_doctests.py tests/test_frame_convention.py
    tests/test_bad_input.py
)

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
present=()
for f in "${TRAJECTORY_TESTS[@]}"; do [ -f "$f" ] && present+=("$f"); done
env "${vars[@]}" $PY -m pytest -q -p no:cacheprovider "${present[@]}"
env "${vars[@]}" $PY -m pytest -q --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
    -p no:cacheprovider book
