#!/usr/bin/env bash
# CUDA checks for skmi, for a machine with an NVIDIA GPU and torch already installed.
# Runs the CUDA-marked tests, the whole suite on device="auto" (so on the GPU), and a
# small fit/predict timing, a subset of benchmarks/speed.py and of benchmarks/together.py
# on the GPU (about 7 min).
# Needs skorch, imbalanced-learn and pandas: if they are missing and wheels lie in .whl/,
# they are installed from there (no network needed).
# Usage: bash scripts/gpu_check.sh  [output folder, default gpu-check-out]
set -u
out=${1:-gpu-check-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
if ! python3 -c "import skorch, imblearn, pandas" 2>/dev/null && [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/skmi-site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/skmi-site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import torch, sklearn, skorch, imblearn; print('torch', torch.__version__, 'cuda', torch.version.cuda, '| sklearn', sklearn.__version__, '| skorch', skorch.__version__, '| imblearn', imblearn.__version__)"
} 2>&1 | tee "$out/environment.txt"
echo "== CUDA tests"
timeout 150 python3 -m pytest -p no:cacheprovider -q -m cuda tests/test_cuda.py 2>&1 | tee "$out/cuda_tests.txt"
echo "== timing"
timeout 90 python3 scripts/gpu_timing.py 2>&1 | tee "$out/timing.txt"
echo "== whole suite with device='auto' on the GPU"
timeout 220 python3 -m pytest -p no:cacheprovider -q --timeout 120 tests 2>&1 | tail -15 | tee "$out/suite.txt"
echo "== speed benchmark subset on the GPU (benchmarks/speed.py)"
timeout 330 python3 benchmarks/speed.py --device cuda --sizes 1e4 1e5 1e6 --dims 200 \
  --classes 10 --epochs 2 --reps 3 --reps-large 1 --timeout 120 --out "$out" 2>&1 \
  | tail -40 | tee "$out/speed_cuda.txt"
echo "== estimate_mi: networks trained together vs one at a time, on the GPU"
timeout 150 python3 benchmarks/together.py --device cuda --sizes 30000 --large-size 0 \
  --tasks noise_features --jobs 1 --out "$out" 2>&1 | grep -v warn | tail -20 \
  | tee "$out/together_cuda.txt"
