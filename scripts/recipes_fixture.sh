#!/usr/bin/env bash
# Regenerates tests/data/recipes.json: installs each recipe's reference library from PyPI into a
# venv of its own (target/recipes-venv, created on first use), checks out gpt-neox (not on PyPI)
# at a pinned commit, then runs
# scripts/recipes_fixture.py, which builds a small model with each library's own init and
# writes the per-tensor facts tests/recipes.rs compares the recipes of init_candle::recipes with.
#
# The versions are the ones the committed fixture was made with. torchtitan, ai2-olmo-core and
# megatron-core are installed without their declared dependencies (olmo-core declares
# torch<2.14, and all three pull training stacks the init code does not import); the imports the
# script needs are installed beside them, under the same torch.
#
# torchtitan 0.2.2 (the last release with Llama 3's depth_init flag) goes into a directory of
# its own, target/recipes-venv/torchtitan-0.2.2, which only the script's child process that
# builds it puts first on sys.path. Its model module imports torchtitan's trainer protocols,
# which import tensorboard (torch.utils.tensorboard's SummaryWriter) and Hugging Face datasets
# (with multiprocess, xxhash and pyarrow, the datasets dependencies the venv lacks); they are
# installed there too, without dependencies. The init code uses none of them.
# Usage: bash scripts/recipes_fixture.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
venv=target/recipes-venv
if ! "$venv/bin/python" -c "import torchtitan, olmo_core, megatron.core, peft, timm, torchvision, flax" 2>/dev/null; then
  python3 -m venv "$venv"
  pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
  constraints=$(mktemp)
  echo "torch==2.15.0" > "$constraints"
  "${pip[@]}" "torch==2.15.0" "transformers==5.25.0" "peft==0.21.2" "mup==1.0.0"
  "${pip[@]}" --no-deps "torchtitan==0.3.0" "ai2-olmo-core==3.0.0" "megatron-core==0.16.1"
  "${pip[@]}" -c "$constraints" "spmd_types==0.2.3" "torchdata==0.11.0" "torch_checkpointing==0.1.1" \
    einops tyro cached-path dataclass-extensions rich importlib_resources bettermap \
    "torchvision==0.29.2" "timm==1.0.31" "jax[cpu]==0.10.2" "flax==0.12.8"
  # cached-path pins an older huggingface-hub than transformers 5 needs.
  "${pip[@]}" -c "$constraints" "huggingface-hub>=2.4,<3"
  rm -f "$constraints"
fi
titan02="$venv/torchtitan-0.2.2"
if ! PYTHONPATH="$titan02" "$venv/bin/python" -c "import torchtitan.models.llama3.model.model
from importlib.metadata import version
assert version('torchtitan') == '0.2.2'" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade --no-deps --target "$titan02" \
    "torchtitan==0.2.2" "tensorboard==2.21.0" "datasets==5.2.0" "multiprocess==0.70.19" \
    "pyarrow==26.0.1" "xxhash==4.1.0"
fi
# gpt-neox is not a PyPI package: its init functions (megatron/model/init_functions.py, which
# imports only torch) are read from a checkout at the commit the fixture was made with.
# GPT_NEOX_REPO may name a local clone or mirror of https://github.com/EleutherAI/gpt-neox.
gpt_neox=target/gpt-neox
gpt_neox_commit=ea7aefd8f8e183256992d9fede4d7c71a46d67a5
if [ ! -d "$gpt_neox/.git" ]; then
  git clone --quiet "${GPT_NEOX_REPO:-https://github.com/EleutherAI/gpt-neox}" "$gpt_neox"
fi
git -C "$gpt_neox" checkout --quiet "$gpt_neox_commit"
TORCHTITAN_0_2="$titan02" GPT_NEOX_SRC="$gpt_neox" GPT_NEOX_COMMIT="$gpt_neox_commit" \
  "$venv/bin/python" scripts/recipes_fixture.py
