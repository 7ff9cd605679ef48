"""transformers' way to a seed checkpoint, timed: build LlamaForCausalLM(config) in bf16 (its
`_init_weights`, as `from_config` runs it), then `save_pretrained` with the same shard size as
the CLI, then `os.sync()` (so that the time includes getting the bytes to disk, as the CLI's
fsync does). Peak RSS is read by /usr/bin/time around this process.
Usage: python bench/seed_checkpoint_transformers.py CONFIG_DIR OUT_DIR SHARD_SIZE
"""
import os
import sys
import time

import torch
from transformers import AutoConfig, LlamaForCausalLM

config_dir, out, shard = sys.argv[1], sys.argv[2], sys.argv[3]
torch.set_num_threads(os.cpu_count() or 1)
config = AutoConfig.from_pretrained(config_dir)
t0 = time.perf_counter()
torch.set_default_dtype(torch.bfloat16)
model = LlamaForCausalLM(config)
t1 = time.perf_counter()
model.save_pretrained(out, max_shard_size=shard)
t2 = time.perf_counter()
os.sync()
t3 = time.perf_counter()
n = sum(p.numel() for p in model.parameters())
print(
    f"transformers {n / 1e9:.2f}B params: build {t1 - t0:.1f} s, save_pretrained {t2 - t1:.1f} s, "
    f"sync {t3 - t2:.1f} s, total {t3 - t0:.1f} s"
)
