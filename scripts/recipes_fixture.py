"""Per-tensor facts of each recipe as the library that defines it initializes a small model, for
tests/recipes.rs. Run it through scripts/recipes_fixture.sh, which installs the libraries.

Each case names its reference, the parameters the Rust recipe is called with, and, for every
tensor the recipe decides, under its Hugging Face / candle-transformers name: shape (PyTorch's
(out, in) order), mean, std, min, max, all-zero, all-one and zero rows. Written to
tests/data/recipes.json with the libraries' versions.

Usage: python scripts/recipes_fixture.py
"""

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hf_fixture import facts  # noqa: E402  (the same facts as tests/data/hf_families.json)

OUT = os.path.join(HERE, "..", "tests", "data", "recipes.json")

# The small Llama-shaped model every decoder case uses.
DIM, HIDDEN, LAYERS, HEADS, VOCAB = 64, 128, 2, 4, 128


def hf_llama_name(block, part):
    return f"model.layers.{block}.{part}.weight"


def torchtitan():
    """torchtitan 0.3's Llama 3 (its per-layer depth-scaled init)."""
    from torchtitan.models.common.rope import ComplexRoPE
    from torchtitan.models.llama3 import (
        _EMBEDDING_INIT,
        _NORM_INIT,
        _build_llama3_layers,
        _output_linear_init,
    )
    from torchtitan.models.llama3.model import Llama3Model
    from torchtitan.models.common import Embedding, Linear, RMSNorm

    config = Llama3Model.Config(
        dim=DIM,
        vocab_size=VOCAB,
        tok_embeddings=Embedding.Config(
            num_embeddings=VOCAB, embedding_dim=DIM, param_init=_EMBEDDING_INIT
        ),
        norm=RMSNorm.Config(normalized_shape=DIM, param_init=_NORM_INIT),
        lm_head=Linear.Config(
            in_features=DIM, out_features=VOCAB, param_init=_output_linear_init(DIM)
        ),
        layers=_build_llama3_layers(
            n_layers=LAYERS,
            dim=DIM,
            n_heads=HEADS,
            hidden_dim=HIDDEN,
            fuse_qkv=False,
            rope=ComplexRoPE.Config(dim=DIM // HEADS, max_seq_len=64, theta=500000),
            attn_backend="flex",
        ),
    )
    model = config.build()
    model.init_weights()
    names = {
        "tok_embeddings.weight": "model.embed_tokens.weight",
        "lm_head.weight": "lm_head.weight",
    }
    parts = {
        "attention.qkv_linear.wq": "self_attn.q_proj",
        "attention.qkv_linear.wk": "self_attn.k_proj",
        "attention.qkv_linear.wv": "self_attn.v_proj",
        "attention.wo": "self_attn.o_proj",
        "feed_forward.w1": "mlp.gate_proj",
        "feed_forward.w2": "mlp.down_proj",
        "feed_forward.w3": "mlp.up_proj",
    }
    for block in range(LAYERS):
        for theirs, ours in parts.items():
            names[f"layers.{block}.{theirs}.weight"] = hf_llama_name(block, ours)
    return tensors(model, names)


def olmo(method):
    """OLMo-core's InitMethod on its Llama-like transformer."""
    from olmo_core.nn.transformer import TransformerConfig
    from olmo_core.nn.transformer.init import InitMethod

    config = TransformerConfig.llama_like(
        d_model=DIM,
        vocab_size=VOCAB,
        n_layers=LAYERS,
        n_heads=HEADS,
        hidden_size_multiple_of=HIDDEN,
        hidden_size_multiplier=HIDDEN / int(8 * DIM / 3),
    )
    config.init_method = InitMethod(method)
    model = config.build(init_device="cpu")
    model.init_weights(max_seq_len=64, device=torch.device("cpu"))
    names = {
        "embeddings.weight": "model.embed_tokens.weight",
        "lm_head.w_out.weight": "lm_head.weight",
    }
    parts = {
        "attention.w_q": "self_attn.q_proj",
        "attention.w_k": "self_attn.k_proj",
        "attention.w_v": "self_attn.v_proj",
        "attention.w_out": "self_attn.o_proj",
        "feed_forward.w1": "mlp.gate_proj",
        "feed_forward.w2": "mlp.down_proj",
        "feed_forward.w3": "mlp.up_proj",
    }
    for block in range(LAYERS):
        for theirs, ours in parts.items():
            names[f"blocks.{block}.{theirs}.weight"] = hf_llama_name(block, ours)
    return tensors(model, names)


def megatron():
    """megatron-core's TransformerConfig init methods, applied as its GPT layer spec applies
    them: linear_qkv, linear_fc1, the embedding and the output layer take init_method (the
    embedding: embedding_init_method), linear_proj and linear_fc2 output_layer_init_method."""
    from megatron.core.transformer.transformer_config import TransformerConfig

    config = TransformerConfig(
        num_layers=LAYERS, hidden_size=DIM, num_attention_heads=HEADS, init_method_std=0.02
    )
    out = {}
    shapes = {
        "self_attn.q_proj": ((DIM, DIM), config.init_method),
        "self_attn.k_proj": ((DIM, DIM), config.init_method),
        "self_attn.v_proj": ((DIM, DIM), config.init_method),
        "self_attn.o_proj": ((DIM, DIM), config.output_layer_init_method),
        "mlp.gate_proj": ((HIDDEN, DIM), config.init_method),
        "mlp.up_proj": ((HIDDEN, DIM), config.init_method),
        "mlp.down_proj": ((DIM, HIDDEN), config.output_layer_init_method),
    }
    for block in range(LAYERS):
        for part, (shape, init) in shapes.items():
            t = torch.empty(shape)
            init(t)
            out[hf_llama_name(block, part)] = facts(t)
    t = torch.empty(VOCAB, DIM)
    config.embedding_init_method(t)
    out["model.embed_tokens.weight"] = facts(t)
    t = torch.empty(VOCAB, DIM)
    config.init_method(t)
    out["lm_head.weight"] = facts(t)
    return out


def gpt2():
    """transformers' GPT-2 (nanoGPT's scheme): its Conv1D weights are (in, out); recorded as
    (out, in), the Linear layout."""
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=VOCAB, n_positions=64, n_embd=DIM, n_layer=LAYERS, n_head=HEADS
    )
    model = GPT2LMHeadModel(config)
    out = {}
    for name, p in model.named_parameters():
        if not name.endswith(".weight") or ".ln_" in name or name.startswith("transformer.ln_f"):
            continue
        t = p.detach()
        if any(k in name for k in ("c_attn", "c_proj", "c_fc")):
            t = t.t()
        out[name] = facts(t)
    return out


def lora(init):
    """PEFT's LoRA adapters (r 8 on q_proj and v_proj) of a small transformers Llama."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    base = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=VOCAB,
            hidden_size=DIM,
            intermediate_size=HIDDEN,
            num_hidden_layers=LAYERS,
            num_attention_heads=HEADS,
            num_key_value_heads=HEADS,
        )
    )
    model = get_peft_model(
        base, LoraConfig(r=8, target_modules=["q_proj", "v_proj"], init_lora_weights=init)
    )
    return {
        name: facts(p)
        for name, p in model.named_parameters()
        if ".lora_A." in name or ".lora_B." in name
    }


def zero_init_residual():
    """torchvision's resnet50(zero_init_residual=True): each Bottleneck's bn3 weight."""
    import torchvision

    model = torchvision.models.resnet50(zero_init_residual=True)
    return {
        name: facts(p)
        for name, p in model.named_parameters()
        if name.endswith("bn3.weight")
    }


def layer_scale():
    """timm's LayerScale(dim, init_values=1e-5), as its ViT/DINOv2 blocks hold it."""
    from timm.layers import LayerScale

    out = {}
    for block in range(LAYERS):
        for branch in (1, 2):
            out[f"blocks.{block}.ls{branch}.gamma"] = facts(LayerScale(DIM, init_values=1e-5).gamma)
    return out


def tensors(model, names):
    params = dict(model.named_parameters())
    missing = [n for n in names if n not in params]
    if missing:
        raise SystemExit(f"the reference has no {missing}; it has {sorted(params)}")
    return {ours: facts(params[theirs]) for theirs, ours in names.items()}


def version(package):
    from importlib.metadata import version as v

    return v(package)


def main():
    torch.manual_seed(0)
    shape = dict(dim=DIM, hidden=HIDDEN, layers=LAYERS, heads=HEADS, vocab=VOCAB)
    cases = {
        "torchtitan_llama3": dict(
            reference=f"torchtitan {version('torchtitan')}: llama3 Transformer.init_weights",
            tensors=torchtitan(),
        ),
        "megatron": dict(
            reference=f"megatron-core {version('megatron-core')}: TransformerConfig(init_method_std=0.02)",
            tensors=megatron(),
        ),
        "nanogpt": dict(
            reference=f"transformers {version('transformers')}: GPT2LMHeadModel",
            tensors=gpt2(),
        ),
        "lora_default": dict(
            reference=f"peft {version('peft')}: LoraConfig(init_lora_weights=True)",
            tensors=lora(True),
        ),
        "lora_gaussian": dict(
            reference=f"peft {version('peft')}: LoraConfig(init_lora_weights='gaussian')",
            tensors=lora("gaussian"),
        ),
        "zero_init_residual": dict(
            reference=f"torchvision {version('torchvision')}: resnet50(zero_init_residual=True)",
            tensors=zero_init_residual(),
        ),
        "layer_scale": dict(
            reference=f"timm {version('timm')}: LayerScale(init_values=1e-5)",
            tensors=layer_scale(),
        ),
    }
    for method in ("normal", "llama", "llama_depth", "fan_in"):
        cases[f"olmo_{method}"] = dict(
            reference=f"ai2-olmo-core {version('ai2-olmo-core')}: InitMethod.{method}",
            tensors=olmo(method),
        )
    cases.update(mup_cases())
    cases.update(flax_cases())
    cases["lora_orthogonal"] = dict(
        reference=f"peft {version('peft')}: LoraConfig(init_lora_weights='orthogonal')",
        tensors=lora("orthogonal"),
    )
    for init in ("pissa", "olora"):
        cases[f"lora_{init}"] = dict(
            reference=f"peft {version('peft')}: LoraConfig(init_lora_weights='{init}')",
            tensors={},
            exact=lora_from_base(init),
        )
    out = dict(torch=torch.__version__, shape=shape, cases=cases)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases")



def mup_cases():
    """Microsoft's mup: an MLP (16 -> width -> width -> MuReadout 10) at width 256 with base
    shapes from width 64 (set_base_shapes rescales the biases and the readout), its tensors'
    facts, and the learning-rate and weight-decay multipliers MuAdam and MuSGD give each."""
    import mup
    from torch import nn

    def mlp(width, zero):
        return nn.ModuleDict(
            dict(
                input=nn.Linear(16, width),
                hidden=nn.Linear(width, width),
                readout=mup.MuReadout(width, 10, readout_zero_init=zero),
            )
        )

    cases = {}
    for zero in (False, True):
        model = mlp(256, zero)
        mup.set_base_shapes(model, mlp(64, zero))
        tensors = {name: facts(p) for name, p in model.named_parameters()}
        multipliers = {}
        for name, opt in (("adam", mup.MuAdam), ("sgd", mup.MuSGD)):
            groups = opt(model.parameters(), lr=1.0, weight_decay=1.0).param_groups
            by_param = {id(p): (g["lr"], g["weight_decay"]) for g in groups for p in g["params"]}
            multipliers[name] = {
                n: dict(lr=by_param[id(p)][0], weight_decay=by_param[id(p)][1])
                for n, p in model.named_parameters()
            }
        cases[f"mup_readout_zero_{str(zero).lower()}"] = dict(
            reference=f"mup {version('mup')}: set_base_shapes(MLP(256), MLP(64)), MuReadout(readout_zero_init={zero}), MuAdam, MuSGD",
            tensors=tensors,
            multipliers=multipliers,
        )
    return cases



def lora_from_base(init):
    """PEFT's data-dependent LoRA inits on one Linear(24 -> 16), r 4, lora_alpha 8 (scaling
    2): the base weight before, the adapters and the residual base weight after, exactly
    (PiSSA's and OLoRA's factors are unique up to the sign of each rank-one component)."""
    from peft import LoraConfig, get_peft_model
    from torch import nn

    class One(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(24, 16, bias=False)

    model = One()
    base = model.proj.weight.detach().clone()
    peft = get_peft_model(
        model, LoraConfig(r=4, lora_alpha=8, target_modules=["proj"], init_lora_weights=init)
    )
    layer = peft.base_model.model.proj
    rows = lambda t: [[float(x) for x in row] for row in t.detach().to(torch.float64)]
    return dict(
        r=4,
        scaling=float(layer.scaling["default"]),
        base=rows(base),
        lora_A=rows(layer.lora_A["default"].weight),
        lora_B=rows(layer.lora_B["default"].weight),
        residual=rows(layer.base_layer.weight),
    )



def flax_cases():
    """Flax's initializers (jax.nn.initializers, re-exported by flax.linen.initializers) on a
    Dense kernel and a 3x3 conv kernel, in Flax's layout ((in, out), (kh, kw, in, out)) and
    recorded in PyTorch's ((out, in), (out, in, kh, kw)), the layout of a candle tensor."""
    import jax
    import numpy as np
    from flax.linen import initializers as init

    kinds = {
        "lecun_normal": init.lecun_normal(),
        "lecun_uniform": init.lecun_uniform(),
        "he_normal": init.he_normal(),
        "he_uniform": init.he_uniform(),
        "glorot_normal": init.glorot_normal(),
        "glorot_uniform": init.glorot_uniform(),
        "variance_scaling_0.5_fan_out_normal": init.variance_scaling(0.5, "fan_out", "normal"),
    }
    cases = {}
    key = jax.random.PRNGKey(0)
    for name, f in kinds.items():
        key, k1, k2 = jax.random.split(key, 3)
        dense = np.asarray(f(k1, (96, 128), jax.numpy.float32)).T
        conv = np.asarray(f(k2, (3, 3, 16, 32), jax.numpy.float32)).transpose(3, 2, 0, 1)
        cases[f"flax_{name}"] = dict(
            reference=f"flax {version('flax')} / jax {version('jax')}: flax.linen.initializers.{name.split('_0')[0]}",
            tensors={
                "dense.weight": facts(torch.from_numpy(dense.copy())),
                "conv.weight": facts(torch.from_numpy(conv.copy())),
            },
        )
    return cases


if __name__ == "__main__":
    main()
