#!/usr/bin/env bash
# Side-by-side CPU benchmark: PyTorch (2 threads) and init-core on the same cases, on this
# machine, in one run; prints init-core's table with PyTorch's figures and the speed-up.
# Usage: bash bench/cpu.sh [repeats] [case-filter]
# Each case is measured in PyTorch and then at once in init-core before the next case starts,
# so that a drift in the machine's speed (shared VMs slow down for minutes at a time) falls on
# both sides of a row rather than on one side of the whole table.
# The PyTorch cases trunc_normal_ (0,1,-2,2) and a=2 b=3 take minutes (PyTorch's exact
# rejection sampler is slow); pass a filter such as "normal_ 8192" to skip them.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
filter=${2:-}
# The peer, PyTorch, in a virtualenv of its own, installed from the package registry.
mkdir -p target
venv=target/bench-venv
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check torch
fi
py=$venv/bin/python
cargo build --release -p init-core --benches --quiet
header=1
while IFS= read -r name; do
  if [[ "$name" != *"$filter"* ]]; then
    continue
  fi
  "$py" bench/torch_cpu_bench.py target/torch-cpu-bench.json "$repeats" "=$name"
  TORCH_BENCH="$PWD/target/torch-cpu-bench.json" BENCH_REPEATS=$repeats BENCH_FILTER="=$name" \
    cargo bench -p init-core --bench throughput --quiet | tail -n +$((header ? 1 : 2))
  header=0
done < <("$py" bench/torch_cpu_bench.py --list)
if [[ -z "$filter" || memset == *"$filter"* ]]; then
  BENCH_REPEATS=$repeats BENCH_FILTER="=memset" cargo bench -p init-core --bench throughput \
    --quiet | tail -n +2
fi
if [[ -z "$filter" || "C3D" == *"$filter"* ]]; then
  # C3D's model.apply(weights_init): PyTorch's script, then the example's own timing line.
  "$py" bench/torch_cpu_bench.py target/torch-cpu-bench.json "$repeats" \
    "=C3D model.apply(weights_init)"
  cargo run --release --quiet --example c3d | grep "model.apply"
fi
