#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one go (issue 10): the engine's CUDA tests, then the
# GPU benchmark. Made for a lent GPU machine whose python3 already has torch with CUDA,
# pytest, numpy, matplotlib and lightning; it installs nothing. About 4-5 minutes on an
# H100-class GPU. Outputs go to $OUT (the device tool's folder) or _build/gpu-check.
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

echo "== tests/test_cuda.py"
timeout 240 "$py" -m pytest -q -p no:cacheprovider tests/test_cuda.py 2>&1 | tee "$out/tests.txt"
tests=${PIPESTATUS[0]}

echo "== python -m lyaplearn.bench --device cuda"
timeout 420 "$py" -m lyaplearn.bench --device cuda 2>&1 | tee "$out/bench.txt"
bench=${PIPESTATUS[0]}

echo "tests exit $tests, bench exit $bench"
[ "$tests" -eq 0 ] && [ "$bench" -eq 0 ]
