#!/usr/bin/env bash
# Regenerates tests/data/hf_families.json: installs torch and transformers from PyPI into a venv
# of its own (target/hf-venv, created on first use), then runs scripts/hf_fixture.py, which
# builds each family's small config with transformers' own `_init_weights` and writes the
# per-tensor facts the test tests/hf_families.rs compares candle-transformers' models with.
# Usage: bash scripts/hf_fixture.sh [family...]   (default: every family of the script)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
venv=target/hf-venv
if ! "$venv/bin/python" -c "import torch, transformers; assert transformers.__version__ == \"5.25.0\"" 2>/dev/null; then
  python3 -m venv "$venv"
  # The versions the committed fixture was made with (it records them).
  "$venv/bin/pip" install --quiet --disable-pip-version-check "torch==2.15.0" "transformers==5.25.0"
fi
"$venv/bin/python" scripts/hf_fixture.py "$@"
