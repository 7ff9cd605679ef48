"""transformers' side of bench/llama.sh, 2 threads: `DTYPE` constructs LlamaForCausalLM(config)
(its __init__ runs _init_weights on every module); `DTYPE DIR` loads the checkpoint in DIR into
LlamaForCausalLM, `DTYPE DIR head` into LlamaForSequenceClassification (the checkpoint's tensors
loaded, the new `score` head initialized), each followed by a first forward step on 4 tokens.
Prints the seconds and the peak RSS."""
import resource
import sys
import time

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, LlamaForSequenceClassification

torch.set_num_threads(2)
dtype = {"f32": torch.float32, "bf16": torch.bfloat16}[sys.argv[1]]
cfg = LlamaConfig(
    hidden_size=2048,
    intermediate_size=5632,
    vocab_size=32000,
    num_hidden_layers=16,
    num_attention_heads=32,
    num_key_value_heads=32,
    max_position_embeddings=2048,
    rms_norm_eps=1e-5,
    tie_word_embeddings=False,
)
if len(sys.argv) > 2:
    head = len(sys.argv) > 3 and sys.argv[3] == "head"
    start = time.perf_counter()
    if head:
        model = LlamaForSequenceClassification.from_pretrained(sys.argv[2], num_labels=2, dtype=dtype)
        what = "LlamaForSequenceClassification.from_pretrained (checkpoint + a new 2-label head)"
    else:
        model = LlamaForCausalLM.from_pretrained(sys.argv[2], dtype=dtype)
        what = "LlamaForCausalLM.from_pretrained"
    took = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        model(torch.tensor([[1, 450, 4996, 17354]]))
    forward = time.perf_counter() - start
    print(
        f"transformers {transformers.__version__} {what}, {sys.argv[1]}: load {took:.2f} s,"
        f" first forward {forward:.2f} s"
    )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9:.2f} GB")
    sys.exit(0)
start = time.perf_counter()
previous = torch.get_default_dtype()
torch.set_default_dtype(dtype)
model = LlamaForCausalLM(cfg)
torch.set_default_dtype(previous)
took = time.perf_counter() - start
params = sum(p.numel() for p in model.parameters())
assert next(model.parameters()).dtype == dtype
print(
    f"transformers {transformers.__version__} (torch {torch.__version__}) "
    f"LlamaForCausalLM(config): {params / 1e6:.0f}M parameters, {sys.argv[1]}, {took:.2f} s"
)
print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9:.2f} GB")
