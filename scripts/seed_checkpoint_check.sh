#!/usr/bin/env bash
# Checks that transformers loads what `candle-init seed-checkpoint` writes: for small configs
# of several families (one file and shards, bf16 and f32), runs the CLI, then loads the output
# directory with transformers' `AutoModelForCausalLM.from_pretrained` and checks that nothing
# is missing or unexpected, that every tensor of the loaded model equals the safetensors
# file's bit for bit, and that a forward step gives finite logits.
# Uses the venv of scripts/hf_fixture.sh (target/hf-venv: torch 2.15.0, transformers 5.25.0;
# run that script once to create it).
# Usage: bash scripts/seed_checkpoint_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/hf-venv
if ! "$venv/bin/python" -c "import torch, transformers" 2>/dev/null; then
  echo "no $venv: run 'bash scripts/hf_fixture.sh' first" >&2
  exit 1
fi
cargo build -q -p candle-init-cli
bin=target/debug/candle-init
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

small='"hidden_size": 64, "intermediate_size": 160, "vocab_size": 300, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 64,
  "rms_norm_eps": 1e-6, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2, "initializer_range": 0.02'
cases=(
  "llama LlamaForCausalLM bf16 100KB"
  "llama LlamaForCausalLM f32 -"
  "mistral MistralForCausalLM bf16 -"
  "qwen2 Qwen2ForCausalLM bf16 100KB"
  "qwen3 Qwen3ForCausalLM f32 -"
  "gemma GemmaForCausalLM bf16 -"
  "phi3 Phi3ForCausalLM bf16 -"
)
for case in "${cases[@]}"; do
  read -r family arch dtype shard <<<"$case"
  dir="$work/$family-$dtype-$shard"
  mkdir -p "$dir"
  tie=false
  [ "$family" = gemma ] && tie=true
  echo "{\"model_type\": \"$family\", \"architectures\": [\"$arch\"], \"tie_word_embeddings\": $tie, $small}" >"$dir/config.json"
  args=(seed-checkpoint --config "$dir/config.json" --dtype "$dtype" --seed 3 --quiet --out "$dir/out")
  [ "$shard" != - ] && args+=(--shard-size "$shard")
  "$bin" "${args[@]}"
  "$venv/bin/python" - "$dir/out" "$dtype" <<'EOF'
import json, os, sys
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

out, dtype = sys.argv[1], {"bf16": torch.bfloat16, "f32": torch.float32}[sys.argv[2]]
files = sorted(f for f in os.listdir(out) if f.endswith(".safetensors"))
stored = {}
for f in files:
    stored.update(load_file(os.path.join(out, f)))
model, info = AutoModelForCausalLM.from_pretrained(out, dtype=dtype, output_loading_info=True)
problems = {k: v for k, v in info.items() if v}
assert not problems, f"{out}: {problems}"
state = model.state_dict()
tied = {"lm_head.weight"} if model.config.tie_word_embeddings else set()
assert set(stored) == set(state) - tied, (set(stored) ^ (set(state) - tied))
for name, t in stored.items():
    assert state[name].dtype == t.dtype and torch.equal(state[name], t), name
logits = model(torch.tensor([[1, 7, 42, 299]])).logits
assert torch.isfinite(logits).all()
print(f"ok {model.config.model_type:8} {sys.argv[2]:5} {len(files)} file(s), {len(stored)} tensors equal to transformers' loaded model")
EOF
done
