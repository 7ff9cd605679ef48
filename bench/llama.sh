#!/usr/bin/env bash
# Construct and initialize a LLaMA-shaped model (hidden 2048, 16 layers, 953M parameters) on the
# CPU, side by side in one run: transformers' LlamaForCausalLM(config) (2 threads), candle's
# VarMap, init-candle's ModelBuilder with the llama family's preset (HfConfig), and the floor (the model's bytes as
# fresh memory, written once on both cores); f32 and bf16. Each measurement runs in its own
# process, so the peak RSS it prints is its own. Then, from a checkpoint of that model (saved
# under target/llama-checkpoint): transformers' from_pretrained (LlamaForCausalLM, and
# LlamaForSequenceClassification with a new `score` head) against the copy floor (each tensor's
# bytes copied into fresh memory on both cores), candle's own loader, and ModelBuilder loading the
# same file (with and without the new head), each with its first forward step.
# Usage: bash bench/llama.sh [dtypes...]   (default: f32 bf16)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
venv=target/bench-venv
if ! "$venv/bin/python" -c "import torch, transformers" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check torch transformers
fi
cargo build --release --quiet --example llama_init
exe=target/release/examples/llama_init
dtypes=("$@")
if [ ${#dtypes[@]} -eq 0 ]; then dtypes=(f32 bf16); fi
for dtype in "${dtypes[@]}"; do
  echo "=== $dtype"
  "$venv/bin/python" bench/llama_transformers.py "$dtype"
  for what in floor varmap builder; do
    "$exe" --dtype "$dtype" --only "$what" | grep -v "^  "
  done
  "$exe" --dtype "$dtype" --only builder --save target/llama-checkpoint > /dev/null
  sync  # the checkpoint on disk, not being written back during the loads
  for head in nohead head; do
    "$venv/bin/python" bench/llama_transformers.py "$dtype" target/llama-checkpoint "$head"
  done
  # Three rounds, interleaved: the loads share the page cache, so each measurement sees every
  # other's effect on it in turn.
  for round in 1 2 3; do
    for what in copy-floor candle-load checkpoint checkpoint-head; do
      "$exe" --dtype "$dtype" --only "$what" --checkpoint target/llama-checkpoint | grep -v "^  \|^Llama"
    done
  done
done
rm -rf target/llama-checkpoint
