"""Per-tensor facts of each recipe as the library that defines it initializes a small model, for
tests/recipes.rs. Run it through scripts/recipes_fixture.sh, which installs the libraries.

Each case names its reference, the parameters the Rust recipe is called with, and, for every
tensor the recipe decides, under its Hugging Face / candle-transformers name: shape (PyTorch's
(out, in) order), mean, std, min, max, all-zero, all-one and zero rows. Written to
tests/data/recipes.json with the libraries' versions. Some cases record more: the data-dependent
LoRA inits their matrices (`exact`) and, for the randomized one, figures over many seeds
(`runs`); Flax's orthogonal initializers how far each tensor is from orthogonal
(`gram_max_error`) and, for delta_orthogonal, which kernel taps are nonzero (`nonzero_taps`).
torchtitan 0.2.2 is built in a child process (`--torchtitan-0.2 DEPTH_INIT OUT`, see
torchtitan_0_2).

Usage: python scripts/recipes_fixture.py
"""

import json
import os
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hf_fixture import facts  # noqa: E402  (the same facts as tests/data/hf_families.json)

OUT = os.path.join(HERE, "..", "tests", "data", "recipes.json")
# torchtitan 0.2.2 (the last release with ModelArgs.depth_init), installed apart from the
# venv's 0.3 by scripts/recipes_fixture.sh.
TORCHTITAN_0_2 = os.environ.get(
    "TORCHTITAN_0_2",
    os.path.join(HERE, "..", "target", "recipes-venv", "torchtitan-0.2.2"),
)

# The small Llama-shaped model every decoder case uses.
DIM, HIDDEN, LAYERS, HEADS, VOCAB = 64, 128, 2, 4, 128


def hf_llama_name(block, part):
    return f"model.layers.{block}.{part}.weight"


# A Llama block's seven matrices under their Hugging Face names, in the order llama_names takes
# a reference's names for them: q, k, v, o, then the FFN's w1 (gate), w2 (down), w3 (up).
HF_LLAMA_MATRICES = (
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.down_proj",
    "mlp.up_proj",
)


# torchtitan's and OLMo-core's FFN matrices, w1 (gate), w2 (down), w3 (up).
FFN = ["feed_forward.w1", "feed_forward.w2", "feed_forward.w3"]


def llama_names(embedding, head, blocks, matrices):
    """A reference Llama's tensor names -> Hugging Face's: its `embedding` and `head` weights,
    and in each block `{blocks}.{b}` its seven `matrices` (as HF_LLAMA_MATRICES orders them)."""
    names = {embedding: "model.embed_tokens.weight", head: "lm_head.weight"}
    for block in range(LAYERS):
        for theirs, ours in zip(matrices, HF_LLAMA_MATRICES, strict=True):
            names[f"{blocks}.{block}.{theirs}.weight"] = hf_llama_name(block, ours)
    return names


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
    names = llama_names(
        "tok_embeddings.weight",
        "lm_head.weight",
        "layers",
        ["attention.qkv_linear.w" + x for x in "qkv"] + ["attention.wo"] + FFN,
    )
    return tensors(model, names)


def torchtitan_0_2(depth_init):
    """torchtitan 0.2.2's Llama 3 with ModelArgs.depth_init (0.3 dropped the flag), built in a
    child process whose sys.path puts TORCHTITAN_0_2 first, so that this process keeps 0.3.
    Returns (version, tensors)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "tensors.json")
        subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--torchtitan-0.2", str(depth_init), out],
            check=True,
        )
        with open(out) as f:
            got = json.load(f)
    return got["version"], got["tensors"]


def torchtitan_0_2_child(depth_init, out):
    """The child of torchtitan_0_2: TransformerModelArgs(depth_init=..) on the small shape (its
    FeedForward's hidden size int(2 * 4 dim / 3) = 170, times ffn_dim_multiplier 0.75 and rounded
    up to multiple_of 128, is HIDDEN), Transformer.init_weights, the facts under Hugging Face
    names, written as JSON to `out`."""
    sys.path.insert(0, os.path.realpath(TORCHTITAN_0_2))
    import torchtitan
    from torchtitan.models.llama3.model.args import TransformerModelArgs
    from torchtitan.models.llama3.model.model import Transformer

    where = os.path.realpath(torchtitan.__file__)
    if not where.startswith(os.path.realpath(TORCHTITAN_0_2) + os.sep):
        raise SystemExit(f"imported torchtitan from {where}, not {TORCHTITAN_0_2}")
    torch.manual_seed(0)
    args = TransformerModelArgs(
        dim=DIM,
        n_layers=LAYERS,
        n_heads=HEADS,
        vocab_size=VOCAB,
        multiple_of=HIDDEN,
        ffn_dim_multiplier=0.75,
        max_seq_len=64,
        depth_init=depth_init,
    )
    model = Transformer(args)
    with torch.no_grad():  # as torchtitan's Trainer calls it (train.py)
        model.init_weights()
    hidden = model.layers["0"].feed_forward.w1.weight.shape[0]
    if hidden != HIDDEN:
        raise SystemExit(f"torchtitan 0.2's FeedForward is {hidden} wide, not {HIDDEN}")
    names = llama_names(
        "tok_embeddings.weight",
        "output.weight",
        "layers",
        ["attention.w" + x for x in "qkvo"] + FFN,
    )
    with open(out, "w") as f:
        json.dump(dict(version=version("torchtitan"), tensors=tensors(model, names)), f)


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
    names = llama_names(
        "embeddings.weight",
        "lm_head.w_out.weight",
        "blocks",
        ["attention.w_" + x for x in ("q", "k", "v", "out")] + FFN,
    )
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


def gpt_neox():
    """gpt-neox's small_init (its init_method) and wang_init (its output_layer_init_method),
    from megatron/model/init_functions.py's get_init_methods, applied as its GPT-2 model applies
    them: query_key_value, dense_h_to_4h, the input embedding and the output layer take
    init_method; attention.dense and dense_4h_to_h output_layer_init_method. Recorded under
    transformers' GPTNeoX names."""
    import argparse
    import importlib.util

    path = os.path.join(os.environ["GPT_NEOX_SRC"], "megatron", "model", "init_functions.py")
    spec = importlib.util.spec_from_file_location("gpt_neox_init_functions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = argparse.Namespace(
        init_method="small_init",
        output_layer_init_method="wang_init",
        hidden_size=DIM,
        num_layers=LAYERS,
        init_method_std=0.02,
        use_mup=False,
        mup_init_scale=1.0,
    )
    init, output_init = module.get_init_methods(args)
    parts = {
        "attention.query_key_value": ((3 * DIM, DIM), init),
        "attention.dense": ((DIM, DIM), output_init),
        "mlp.dense_h_to_4h": ((HIDDEN, DIM), init),
        "mlp.dense_4h_to_h": ((DIM, HIDDEN), output_init),
    }
    out = {}
    for block in range(LAYERS):
        for part, (shape, f) in parts.items():
            t = torch.empty(shape)
            f(t)
            out[f"gpt_neox.layers.{block}.{part}.weight"] = facts(t)
    for name in ("gpt_neox.embed_in.weight", "embed_out.weight"):
        t = torch.empty(VOCAB, DIM)
        init(t)
        out[name] = facts(t)
    return out


def small_init_embeddings():
    """transformers' RWKV (SmallInit(Emb)): its embedding orthogonal with gain
    1e-4 * sqrt(max(vocab, hidden)), values of std 1e-4."""
    from transformers import RwkvConfig, RwkvModel

    config = RwkvConfig(
        vocab_size=VOCAB,
        hidden_size=DIM,
        num_hidden_layers=LAYERS,
        attention_hidden_size=DIM,
        intermediate_size=HIDDEN,
    )
    model = RwkvModel(config)
    return {"embeddings.weight": facts(model.embeddings.weight)}


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
    for niter in (4, 16):
        cases[f"lora_pissa_niter_{niter}"] = dict(
            reference=f"peft {version('peft')}: LoraConfig(init_lora_weights='pissa_niter_{niter}') (torch.svd_lowrank)",
            tensors={},
            **lora_pissa_niter(niter),
        )
    for depth_init in (False, True):
        tt_version, tt_tensors = torchtitan_0_2(depth_init)
        cases[f"torchtitan_0_2_llama3_depth_init_{str(depth_init).lower()}"] = dict(
            reference=f"torchtitan {tt_version}: llama3 TransformerModelArgs(depth_init={depth_init}), Transformer.init_weights",
            tensors=tt_tensors,
        )
    # Drawn last: the cases above take their numbers from torch's global generator first.
    cases["gpt_neox"] = dict(
        reference=f"gpt-neox {os.environ['GPT_NEOX_COMMIT'][:8]}: get_init_methods(init_method=small_init, output_layer_init_method=wang_init)",
        tensors=gpt_neox(),
    )
    cases["small_init_embeddings"] = dict(
        reference=f"transformers {version('transformers')}: RwkvModel (RwkvPreTrainedModel._init_weights, nn.Embedding)",
        tensors=small_init_embeddings(),
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



def one_linear():
    """The model of the data-dependent LoRA cases: one Linear(24 -> 16), no bias, at `proj`."""
    from torch import nn

    class One(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(24, 16, bias=False)

    return One()


def rows(t):
    return [[float(x) for x in row] for row in t.detach().to(torch.float64)]


def lora_from_base(init):
    """PEFT's data-dependent LoRA inits on one Linear(24 -> 16), r 4, lora_alpha 8 (scaling
    2): the base weight before, the adapters and the residual base weight after, exactly
    (PiSSA's and OLoRA's factors are unique up to the sign of each rank-one component)."""
    from peft import LoraConfig, get_peft_model

    model = one_linear()
    base = model.proj.weight.detach().clone()
    peft = get_peft_model(
        model, LoraConfig(r=4, lora_alpha=8, target_modules=["proj"], init_lora_weights=init)
    )
    layer = peft.base_model.model.proj
    return dict(
        r=4,
        scaling=float(layer.scaling["default"]),
        base=rows(base),
        lora_A=rows(layer.lora_A["default"].weight),
        lora_B=rows(layer.lora_B["default"].weight),
        residual=rows(layer.base_layer.weight),
    )



def lora_pissa_niter(niter, seeds=256):
    """PEFT's randomized PiSSA (torch.svd_lowrank: a Gaussian test matrix, `niter` subspace
    iterations, q = r) on lora_from_base's Linear(24 -> 16), r 4, scaling 2. Its adapters
    depend on torch's RNG, so besides one run's values (`exact`, seed 0: the base, A, B, the
    residual, max |residual + scaling B A - base|, the singular values of scaling B A) this
    records, over `seeds` torch seeds on the same base, how far each run lands from the exact
    top-r singular subspaces (`runs`): left_distance = ||P_B - P_U||_F / sqrt(2) (P_B the
    projector on B's columns, P_U on the top-r left singular vectors; sqrt(sum sin^2) of the
    principal angles), right_distance the same for A's rows and the right singular vectors,
    and energy = ||scaling B A||_F^2 / (s_1^2 + .. + s_r^2). The exact SVD (f64) is recorded
    too: its singular values and the top-r vectors."""
    import copy

    from peft import LoraConfig, get_peft_model

    r = 4
    model = one_linear()
    base = model.proj.weight.detach().clone()
    w = base.to(torch.float64)
    u, s, vh = torch.linalg.svd(w, full_matrices=False)
    u_r, v_r = u[:, :r], vh[:r].T

    def projector(x):
        q, _ = torch.linalg.qr(x)
        return q @ q.T

    def distance(x, basis):
        return float(torch.linalg.matrix_norm(projector(x) - projector(basis))) / 2**0.5

    runs = dict(seeds=[], left_distance=[], right_distance=[], energy=[])
    first = None
    # Seeding per run would reset the RNG the cases after this one draw from.
    with torch.random.fork_rng(devices=[]):
        for seed in range(seeds):
            torch.manual_seed(seed)
            peft = get_peft_model(
                copy.deepcopy(model),
                LoraConfig(
                    r=r,
                    lora_alpha=8,
                    target_modules=["proj"],
                    init_lora_weights=f"pissa_niter_{niter}",
                ),
            )
            layer = peft.base_model.model.proj
            scaling = float(layer.scaling["default"])
            a = layer.lora_A["default"].weight.detach()
            b = layer.lora_B["default"].weight.detach()
            residual = layer.base_layer.weight.detach()
            ba = scaling * b.to(torch.float64) @ a.to(torch.float64)
            runs["seeds"].append(seed)
            runs["left_distance"].append(distance(b.to(torch.float64), u_r))
            runs["right_distance"].append(distance(a.T.to(torch.float64), v_r))
            runs["energy"].append(float((ba**2).sum() / (s[:r] ** 2).sum()))
            if first is None:
                first = dict(
                    r=r,
                    niter=niter,
                    seed=seed,
                    scaling=scaling,
                    base=rows(base),
                    lora_A=rows(a),
                    lora_B=rows(b),
                    residual=rows(residual),
                    reconstruction_error=float(
                        (residual.to(torch.float64) + ba - w).abs().max()
                    ),
                    ba_singular_values=[float(x) for x in torch.linalg.svdvals(ba)[:r]],
                    singular_values=[float(x) for x in s],
                    left=rows(u_r.T),
                    right=rows(v_r.T),
                )
    return dict(exact=first, runs=runs)


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

    def torch_layout(x):
        """A Flax kernel (spatial..., in, out) in PyTorch's (out, in, spatial...)."""
        x = np.asarray(x, dtype=np.float64)
        n = x.ndim
        return torch.from_numpy(x.transpose(n - 1, n - 2, *range(n - 2)).copy())

    def gram_max_error(t, scale):
        """max |M M^T - s^2 I| (M the tensor as rows x rest; M^T M when it has more rows than
        columns): 0 for orthonormal rows (columns) scaled by s."""
        m = t.to(torch.float64).reshape(t.shape[0], -1)
        g = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        return float((g - scale**2 * torch.eye(g.shape[0], dtype=torch.float64)).abs().max())

    key, k1, k2, k3 = jax.random.split(key, 4)
    orthogonal = {
        "dense.weight": (init.orthogonal()(k1, (96, 128), jax.numpy.float32), 1.0),
        "conv.weight": (init.orthogonal(column_axis=-1)(k2, (3, 3, 16, 32), jax.numpy.float32), 1.0),
        "dense_scaled.weight": (init.orthogonal(scale=0.5)(k3, (64, 64), jax.numpy.float32), 0.5),
    }
    tensors = {}
    for name, (x, scale) in orthogonal.items():
        t = torch_layout(x)
        tensors[name] = dict(facts(t), gram_max_error=gram_max_error(t, scale))
    cases["flax_orthogonal"] = dict(
        reference=f"flax {version('flax')} / jax {version('jax')}: flax.linen.initializers.orthogonal (dense (96, 128), conv (3, 3, 16, 32) column_axis=-1, dense_scaled (64, 64) scale=0.5; recorded in PyTorch's layout)",
        tensors=tensors,
    )

    key, k1, k2, k3, k4 = jax.random.split(key, 5)
    delta = {
        "conv.weight": (k1, (3, 3, 16, 32)),
        "conv_even.weight": (k2, (4, 4, 16, 16)),
        "conv1d.weight": (k3, (3, 8, 8)),
        "conv3d.weight": (k4, (3, 3, 3, 4, 8)),
    }
    tensors = {}
    for name, (k, shape) in delta.items():
        t = torch_layout(init.delta_orthogonal()(k, shape, jax.numpy.float32))
        taps = torch.nonzero((t != 0).flatten(0, 1).any(dim=0)).tolist()
        errors = []
        for tap in taps:
            c = t[(slice(None), slice(None), *tap)]  # (out, in)
            g = c.T @ c
            errors.append(float((g - torch.eye(g.shape[0], dtype=torch.float64)).abs().max()))
        tensors[name] = dict(facts(t), nonzero_taps=taps, gram_max_error=max(errors))
    cases["flax_delta_orthogonal"] = dict(
        reference=f"flax {version('flax')} / jax {version('jax')}: flax.linen.initializers.delta_orthogonal (conv (3, 3, 16, 32), conv_even (4, 4, 16, 16), conv1d (3, 8, 8), conv3d (3, 3, 3, 4, 8); recorded in PyTorch's layout)",
        tensors=tensors,
    )
    return cases


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--torchtitan-0.2":
        torchtitan_0_2_child(sys.argv[2] == "True", sys.argv[3])
    else:
        main()
