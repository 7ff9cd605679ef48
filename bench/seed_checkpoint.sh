#!/usr/bin/env bash
# Seed checkpoints of a LLaMA-shaped model in bf16, side by side, each in its own process with
# its peak RSS (/usr/bin/time -v) and wall time:
#   1. `candle-init seed-checkpoint` (release build; streams chunks of 16 MiB to disk and fsyncs
#      each file before it returns);
#   2. the disk's write floor: the same number of bytes written by
#      `dd if=/dev/zero bs=64M conv=fdatasync`;
#   3. transformers: LlamaForCausalLM(config) in bf16 + save_pretrained + os.sync()
#      (bench/seed_checkpoint_transformers.py, in target/hf-venv from scripts/hf_fixture.sh),
#      unless SKIP_TRANSFORMERS=1. It holds the whole model, plus a shard's bytes while it
#      serializes (7.3 GB peak for the 3b shape): on a 24 GiB machine the 7b shape would not
#      fit, so it is skipped for 7b unless TRANSFORMERS_7B=1.
# Shapes: 7b (hidden 4096, intermediate 11008, 32 layers, 32 heads, vocab 32000, untied:
# 6.74B parameters, 13.5 GB in bf16), 3b (open_llama_3b's: hidden 3200, intermediate 8640,
# 26 layers, 3.43B, 6.9 GB), tiny (a CI-sized check of the pipeline, seconds).
# Outputs go under target/seed-bench and are deleted after each measurement.
# Usage: bash bench/seed_checkpoint.sh [7b|3b|tiny]...   (default: 7b 3b)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p candle-init-cli
exe=target/release/candle-init
venv=target/hf-venv
root=target/seed-bench
shard=5GB
shapes=("$@")
if [ ${#shapes[@]} -eq 0 ]; then shapes=(7b 3b); fi

# "elapsed s, peak RSS MB" of a /usr/bin/time -v log.
measured() {
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
              /Maximum resident set size/ { rss = $2 / 1024 }
              END { printf "%.1f s, peak RSS %.0f MB", s, rss }' "$1"
}

for shape in "${shapes[@]}"; do
  case $shape in
    7b) dims='"hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32' ;;
    3b) dims='"hidden_size": 3200, "intermediate_size": 8640, "num_hidden_layers": 26, "num_attention_heads": 32, "num_key_value_heads": 32' ;;
    tiny) dims='"hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4' ;;
    *) echo "unknown shape $shape (7b, 3b, tiny)" >&2; exit 1 ;;
  esac
  dir=$root/$shape
  rm -rf "$dir"; mkdir -p "$dir/config"
  echo "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], $dims, \"vocab_size\": 32000,
    \"max_position_embeddings\": 4096, \"rms_norm_eps\": 1e-5, \"tie_word_embeddings\": false,
    \"initializer_range\": 0.02, \"bos_token_id\": 1, \"eos_token_id\": 2}" >"$dir/config/config.json"
  echo "=== $shape (bf16, shards of $shard)"

  sync
  /usr/bin/time -v -o "$dir/ours.time" "$exe" seed-checkpoint --config "$dir/config/config.json" \
    --dtype bf16 --shard-size "$shard" --quiet --out "$dir/ours" 2>"$dir/ours.log"
  bytes=$(python3 -c "import json; print(json.load(open('$dir/ours/model.safetensors.index.json'))['metadata']['total_size'])" 2>/dev/null \
    || stat -c %s "$dir/ours/model.safetensors")
  echo "candle-init seed-checkpoint: $(measured "$dir/ours.time"); $(tail -1 "$dir/ours.log" | sed 's/.* in \([0-9.]* s (.*GB\/s)\).*/\1/')"
  rm -rf "$dir/ours"

  sync
  count=$(( (bytes + (64 << 20) - 1) / (64 << 20) ))
  /usr/bin/time -v -o "$dir/dd.time" dd if=/dev/zero of="$dir/dd.bin" bs=64M count=$count conv=fdatasync 2>"$dir/dd.log"
  echo "dd write floor ($count x 64 MiB, fdatasync): $(measured "$dir/dd.time"); $(tail -1 "$dir/dd.log")"
  rm -f "$dir/dd.bin"

  if [ "${SKIP_TRANSFORMERS:-0}" != 1 ] && { [ "$shape" != 7b ] || [ "${TRANSFORMERS_7B:-0}" = 1 ]; } && "$venv/bin/python" -c "import transformers" 2>/dev/null; then
    sync
    /usr/bin/time -v -o "$dir/hf.time" "$venv/bin/python" bench/seed_checkpoint_transformers.py \
      "$dir/config" "$dir/hf" "$shard" 2>"$dir/hf.log" | tail -1
    echo "transformers build + save_pretrained: $(measured "$dir/hf.time")"
    rm -rf "$dir/hf"
  fi
  echo "tensor data: $bytes bytes"
done
rm -rf "$root"
