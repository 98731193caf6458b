#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one go (issue 10): the engine's CUDA tests, then the
# GPU benchmark. Made for a lent GPU machine whose python3 already has torch with CUDA,
# pytest, numpy, matplotlib and lightning; it installs nothing. About 4-5 minutes on an
# H100-class GPU (estimated from the issue's H100 timings; not yet run). Outputs go to $OUT
# (the device tool's folder) or _build/gpu-check.
#
#   bash scripts/gpu_check.sh            # from the repository root
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-_build/gpu-check}"
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
py="${PYTHON:-python3}"

{
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    "$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)
print('device', torch.cuda.get_device_name(0), torch.cuda.get_device_capability(0))"
} 2>&1 | tee "$out/env.txt"

echo "== which primitives of the QR step synchronise with the host (sync debug mode)"
timeout 60 "$py" - <<'PY' 2>&1 | tee "$out/syncs.txt"
import sys, torch
sys.path.insert(0, "tests")
from test_cuda import _syncs          # the tests' own counter (torch's sync debug mode)
print("preferred linalg library:", torch.backends.cuda.preferred_linalg_library())
for dt in (torch.float32, torch.float64):
    V = torch.randn(10, 64, 512, device="cuda", dtype=dt)
    G = V @ V.transpose(1, 2)
    L, info = torch.linalg.cholesky_ex(G)
    ops = {"bmm": lambda: V @ V.transpose(1, 2),
           "cholesky_ex": lambda: torch.linalg.cholesky_ex(G),
           "solve_triangular": lambda: torch.linalg.solve_triangular(L, V, upper=False),
           "geqrf": lambda: torch.geqrf(V.transpose(1, 2)),
           "to(float64)": lambda: V.to(torch.float64),
           "isfinite.all": lambda: torch.isfinite(V).all(-1)}
    for name, fn in ops.items():
        fn()
        print(f"{str(dt):14s} {name:18s} synchronisations: {_syncs(fn)}")
PY

echo "== tests/test_cuda.py"
timeout 240 "$py" -m pytest -q -p no:cacheprovider tests/test_cuda.py 2>&1 | tee "$out/tests.txt"
tests=${PIPESTATUS[0]}

echo "== python -m lyaplearn.maintainer.bench --device cuda"
timeout 420 "$py" -m lyaplearn.maintainer.bench --device cuda 2>&1 | tee "$out/bench.txt"
bench=${PIPESTATUS[0]}

echo "tests exit $tests, bench exit $bench"
[ "$tests" -eq 0 ] && [ "$bench" -eq 0 ]
