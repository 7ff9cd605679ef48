#!/usr/bin/env bash
# Side-by-side CPU benchmark: PyTorch (2 threads) then init-core on the same cases, on this
# machine, in one run; prints init-core's table with PyTorch's figures and the speed-up.
# Usage: bash bench/cpu.sh [repeats] [case-filter]
# The PyTorch cases trunc_normal_ (0,1,-2,2) and a=2 b=3 take minutes (PyTorch's exact
# rejection sampler is slow); pass a filter such as "normal_ 8192" to skip them.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
filter=${2:-}
python3 -c "import torch" 2>/dev/null || python3 -m pip install --quiet torch
mkdir -p target
python3 bench/torch_cpu_bench.py target/torch-cpu-bench.json "$repeats" "$filter"
cargo build --release -p init-core --benches --quiet
TORCH_BENCH="$PWD/target/torch-cpu-bench.json" BENCH_REPEATS=$repeats BENCH_FILTER=$filter \
  cargo bench -p init-core --bench throughput --quiet
