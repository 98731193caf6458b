#!/usr/bin/env bash
# Run the library tests and every notebook again under other floating-point
# configurations (called by `make test`).
#
# Seeding makes a run repeatable on one machine, not across machines: another
# CPU, BLAS or kernel path changes the last digits, and chaotic trajectories and
# training runs amplify them until one run's outcome is chance. Every claim in
# the tests and the notebooks must hold under each configuration below:
#
#   vectorised kernels off: torch's ATen kernels without SIMD
#       (ATEN_CPU_CAPABILITY=default) and numpy's universal functions (tanh,
#       exp, log, ...) without their AVX2/AVX-512 versions
#       (NPY_DISABLE_CPU_FEATURES);
#   MKL_CBWR=COMPATIBLE: MKL's conditional-numerical-reproducibility path,
#       different matrix-product kernels and summation order in torch.
#
# Each run starts with one line from scripts/fp_fingerprint.py that shows how
# the arithmetic changed (it is printed, not asserted).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
NBVAL=(--nbval-lax --nbval-current-env --nbval-cell-timeout=120 -p no:cacheprovider)

# numpy names its dispatch targets per release; use the names this numpy knows.
npy_off="X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
if ! NPY_DISABLE_CPU_FEATURES="$npy_off" $PY -W error -c "import numpy" 2>/dev/null; then
    npy_off="AVX2 FMA3 F16C AVX512F AVX512_SKX"
    NPY_DISABLE_CPU_FEATURES="$npy_off" $PY -W error -c "import numpy" 2>/dev/null || npy_off=""
fi

configs=(
    "ATEN_CPU_CAPABILITY=default|NPY_DISABLE_CPU_FEATURES=$npy_off"
    "MKL_CBWR=COMPATIBLE"
)
for cfg in "${configs[@]}"; do
    IFS='|' read -r -a vars <<< "$cfg"
    echo "== floating-point configuration: ${vars[*]}"
    env "${vars[@]}" $PY scripts/fp_fingerprint.py
    # files and tools rather than arithmetic (notebook sources, the grading
    # tool's plumbing) are checked once, in the first pass
    env "${vars[@]}" $PY -m pytest tests -q -p no:cacheprovider --ignore=tests/site \
        --ignore=tests/test_notebooks_are_sources.py --ignore=tests/test_coursework.py
    env "${vars[@]}" $PY -m pytest "${NBVAL[@]}" -q book
done
