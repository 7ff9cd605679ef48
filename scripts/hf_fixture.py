"""Per-tensor facts of transformers' own initialization, for tests/hf_families.rs.

For each family: a small config (hidden 64, 2 layers, vocab 128, pad_token_id set where the
family has one), the transformers model built from it with a fixed torch seed (so its
`_init_weights` runs, as `Model(config)` does), and for every parameter: its shape, mean, std
(population), min, max, whether it is all 0 or all 1, the rows (first-dimension indices) that
are all 0, and the other names of a tied parameter. Written to tests/data/hf_families.json with
the config used and transformers' and torch's versions.

Run it through scripts/hf_fixture.sh, which installs transformers and torch into a venv first.
Usage: python scripts/hf_fixture.py [family...]   (default: all)
"""

import json
import os
import sys

import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data", "hf_families.json")

DECODER = dict(
    vocab_size=128,
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=64,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
    tie_word_embeddings=False,
)


def decoder(**extra):
    cfg = dict(DECODER)
    cfg.update(extra)
    return cfg


# family -> (config class, model class, config kwargs)
FAMILIES = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", decoder()),
    "mistral": ("MistralConfig", "MistralForCausalLM", decoder(sliding_window=32)),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", decoder()),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM", decoder(head_dim=16)),
    "gemma": ("GemmaConfig", "GemmaForCausalLM", decoder(head_dim=16, tie_word_embeddings=True)),
    "gemma2": (
        "Gemma2Config",
        "Gemma2ForCausalLM",
        decoder(head_dim=16, tie_word_embeddings=True, sliding_window=32, query_pre_attn_scalar=16),
    ),
    "phi3": ("Phi3Config", "Phi3ForCausalLM", decoder(pad_token_id=1)),
    "stablelm": ("StableLmConfig", "StableLmForCausalLM", decoder()),
    "starcoder2": (
        "Starcoder2Config",
        "Starcoder2ForCausalLM",
        decoder(tie_word_embeddings=True, sliding_window=32),
    ),
    "olmo2": ("Olmo2Config", "Olmo2ForCausalLM", decoder()),
    "mixtral": (
        "MixtralConfig",
        "MixtralForCausalLM",
        decoder(num_local_experts=4, num_experts_per_tok=2, sliding_window=32),
    ),
    "falcon": (
        "FalconConfig",
        "FalconForCausalLM",
        dict(
            vocab_size=128,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            multi_query=True,
            new_decoder_architecture=False,
            parallel_attn=True,
            bias=False,
            alibi=False,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
        ),
    ),
    "gpt_bigcode": (
        "GPTBigCodeConfig",
        "GPTBigCodeForCausalLM",
        dict(
            vocab_size=128,
            n_embd=64,
            n_layer=2,
            n_head=4,
            n_inner=128,
            n_positions=64,
            multi_query=True,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
        ),
    ),
    "bert": (
        "BertConfig",
        "BertModel",
        dict(
            vocab_size=128,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=64,
            pad_token_id=1,
        ),
    ),
    "distilbert": (
        "DistilBertConfig",
        "DistilBertModel",
        dict(vocab_size=128, dim=64, n_layers=2, n_heads=4, hidden_dim=128, max_position_embeddings=64, pad_token_id=1),
    ),
    "xlm-roberta": (
        "XLMRobertaConfig",
        "XLMRobertaModel",
        dict(
            vocab_size=128,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=66,
            pad_token_id=1,
        ),
    ),
    "t5": (
        "T5Config",
        "T5ForConditionalGeneration",
        dict(
            vocab_size=128,
            d_model=64,
            d_kv=16,
            d_ff=128,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            pad_token_id=0,
            decoder_start_token_id=0,
            tie_word_embeddings=False,
        ),
    ),
    "whisper": (
        "WhisperConfig",
        "WhisperForConditionalGeneration",
        dict(
            vocab_size=128,
            num_mel_bins=16,
            d_model=64,
            encoder_layers=2,
            decoder_layers=2,
            encoder_attention_heads=4,
            decoder_attention_heads=4,
            encoder_ffn_dim=256,
            decoder_ffn_dim=256,
            max_source_positions=32,
            max_target_positions=32,
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
            decoder_start_token_id=0,
        ),
    ),
    "vit": (
        "ViTConfig",
        "ViTModel",
        dict(
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            image_size=32,
            patch_size=8,
            num_channels=3,
        ),
    ),
    "clip": (
        "CLIPConfig",
        "CLIPModel",
        dict(
            text_config=dict(
                vocab_size=128,
                hidden_size=64,
                intermediate_size=128,
                num_hidden_layers=2,
                num_attention_heads=4,
                max_position_embeddings=32,
                projection_dim=32,
                pad_token_id=1,
                bos_token_id=0,
                eos_token_id=2,
            ),
            vision_config=dict(
                hidden_size=64,
                intermediate_size=128,
                num_hidden_layers=2,
                num_attention_heads=4,
                image_size=32,
                patch_size=8,
                projection_dim=32,
            ),
            projection_dim=32,
        ),
    ),
    "mamba": (
        "MambaConfig",
        "MambaForCausalLM",
        dict(vocab_size=128, hidden_size=64, state_size=16, num_hidden_layers=2, expand=2, conv_kernel=4, pad_token_id=1),
    ),
}


def facts(t):
    t = t.detach().to(torch.float64)
    flat = t.reshape(-1)
    n = flat.numel()
    zero_rows = []
    if t.dim() >= 2:
        rows = t.reshape(t.shape[0], -1)
        zero_rows = [int(i) for i in torch.nonzero((rows == 0).all(dim=1)).reshape(-1)]
    return dict(
        shape=list(t.shape),
        n=n,
        mean=float(flat.mean()) if n else 0.0,
        std=float(flat.std(unbiased=False)) if n else 0.0,
        min=float(flat.min()) if n else 0.0,
        max=float(flat.max()) if n else 0.0,
        all_zero=bool((flat == 0).all()),
        all_one=bool((flat == 1).all()),
        zero_rows=zero_rows,
    )


def family(name):
    config_cls, model_cls, kwargs = FAMILIES[name]
    config = getattr(transformers, config_cls)(**kwargs)
    torch.manual_seed(0)
    model = getattr(transformers, model_cls)(config)
    tensors = {}
    first_name = {}
    for pname, p in model.named_parameters(remove_duplicate=False):
        key = p.data_ptr()
        if key in first_name:
            tensors[first_name[key]].setdefault("tied", []).append(pname)
            continue
        first_name[key] = pname
        tensors[pname] = facts(p)
    return dict(
        config_class=config_cls,
        model_class=model_cls,
        config=json.loads(config.to_json_string(use_diff=False)),
        tensors=tensors,
    )


def main():
    names = sys.argv[1:] or list(FAMILIES)
    data = {}
    if os.path.exists(OUT) and sys.argv[1:]:
        with open(OUT) as f:
            data = json.load(f)
    data["transformers"] = transformers.__version__
    data["torch"] = torch.__version__
    data["seed"] = 0
    families = data.setdefault("families", {})
    for name in names:
        families[name] = family(name)
        print(f"{name}: {len(families[name]['tensors'])} tensors", file=sys.stderr)
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
