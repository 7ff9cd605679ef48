//! [`FAMILIES`]: one entry per Hugging Face family, each what its transformers
//! `_init_weights` does beyond the common one, written against the paths candle-transformers'
//! model asks for (checked against transformers' own init by `tests/hf_families.rs`).

use init_core::Init;

use super::{Decisions, Family, Keys};
use crate::build::Rule;
use crate::error::Result;

fn normal(std: f64) -> Init {
    Init::Normal { mean: 0.0, std }
}

/// PyTorch's `kaiming_uniform_(a=sqrt(5))` (nn.Linear's and nn.Conv's default), divided by
/// `div`: U(-b, b), b = 1/sqrt(fan_in)/div.
fn torch_default(div: f64) -> impl Fn(&crate::build::TensorInfo<'_>) -> Option<Init> {
    move |t| {
        let bound = 1.0 / (t.fan_in()? as f64).sqrt() / div;
        Some(Init::Uniform {
            low: -bound,
            high: bound,
        })
    }
}

/// The padding row (`pad_token_id`) of each of `paths`, zeroed after its initializer, as
/// transformers' `nn.Embedding(padding_idx=pad_token_id)` init zeroes it.
fn pad_rows(keys: &Keys<'_>, paths: &[&str]) -> Result<Vec<Rule>> {
    Ok(match keys.usize("pad_token_id")? {
        Some(pad) => paths
            .iter()
            .map(|p| Rule::new(*p, Init::Zeros).rows([pad]))
            .collect(),
        None => Vec::new(),
    })
}

/// Llama-style decoders: `model.embed_tokens` has `padding_idx = pad_token_id`.
fn decoder(keys: &Keys<'_>) -> Result<Decisions> {
    Ok(Decisions {
        tensors: Vec::new(),
        rows: pad_rows(keys, &["model.embed_tokens.weight"])?,
        unsupported: Vec::new(),
    })
}

/// Gemma's RMSNorm computes `x * (1 + weight)`: its weight starts at 0.
fn gemma(keys: &Keys<'_>) -> Result<Decisions> {
    Ok(Decisions {
        tensors: vec![Rule::new("*norm.weight", Init::Zeros).rank(1)],
        rows: pad_rows(keys, &["model.embed_tokens.weight"])?,
        unsupported: Vec::new(),
    })
}

fn nothing(_: &Keys<'_>) -> Result<Decisions> {
    Ok(Decisions::default())
}

/// GPT-2's scaled residual projections: `c_proj` N(0, initializer_range / sqrt(2 n_layer)).
fn gpt_bigcode(keys: &Keys<'_>) -> Result<Decisions> {
    let n_layer = keys.need("n_layer")?;
    let std = keys.common_std()? / (2.0 * n_layer as f64).sqrt();
    Ok(Decisions {
        tensors: vec![Rule::new("*.c_proj.weight", normal(std)).rank(2)],
        rows: Vec::new(),
        unsupported: Vec::new(),
    })
}

fn bert(keys: &Keys<'_>) -> Result<Decisions> {
    Ok(Decisions {
        tensors: Vec::new(),
        rows: pad_rows(keys, &["*embeddings.word_embeddings.weight"])?,
        unsupported: Vec::new(),
    })
}

fn distilbert(keys: &Keys<'_>) -> Result<Decisions> {
    if keys.bool_or("sinusoidal_pos_embds", false)? {
        return Err(keys.error(
            "sinusoidal_pos_embds",
            "is true: transformers writes sinusoids into the position embeddings, which no \
             initializer of this crate computes; load them from a checkpoint",
        ));
    }
    bert(keys)
}

/// RoBERTa's position embeddings have `padding_idx` too.
fn xlm_roberta(keys: &Keys<'_>) -> Result<Decisions> {
    Ok(Decisions {
        tensors: Vec::new(),
        rows: pad_rows(
            keys,
            &[
                "*embeddings.word_embeddings.weight",
                "*embeddings.position_embeddings.weight",
            ],
        )?,
        unsupported: Vec::new(),
    })
}

/// T5: every std a multiple of `initializer_factor` (Mesh TensorFlow's init).
fn t5(keys: &Keys<'_>) -> Result<Decisions> {
    let factor = keys.f64_or("initializer_factor", 1.0)?;
    let d_model = keys.need("d_model")? as f64;
    let d_kv = keys.need("d_kv")? as f64;
    let d_ff = keys.need("d_ff")? as f64;
    let n_heads = keys.need("num_heads")? as f64;
    let r = |x: f64| factor * x.powf(-0.5);
    Ok(Decisions {
        tensors: vec![
            // `shared` (candle asks for it as `decoder.embed_tokens` when no checkpoint holds
            // `shared.weight`), and `lm_head` when untied.
            Rule::new("shared.weight", normal(factor)),
            Rule::new("*embed_tokens.weight", normal(factor)),
            Rule::new("lm_head.weight", normal(factor)),
            Rule::new("*.q.weight", normal(r(d_model * d_kv))),
            Rule::new("*.k.weight", normal(r(d_model))),
            Rule::new("*.v.weight", normal(r(d_model))),
            Rule::new("*.o.weight", normal(r(n_heads * d_kv))),
            Rule::new("*.relative_attention_bias.weight", normal(r(d_model))),
            Rule::new("*.wi.weight", normal(r(d_model))),
            Rule::new("*.wi_0.weight", normal(r(d_model))),
            Rule::new("*.wi_1.weight", normal(r(d_model))),
            Rule::new("*.wo.weight", normal(r(d_ff))),
            Rule::new("*layer_norm.weight", Init::Constant { value: factor }).rank(1),
        ],
        rows: Vec::new(),
        unsupported: Vec::new(),
    })
}

fn whisper(keys: &Keys<'_>) -> Result<Decisions> {
    Ok(Decisions {
        tensors: Vec::new(),
        rows: pad_rows(keys, &["model.decoder.embed_tokens.weight"])?,
        unsupported: Vec::new(),
    })
}

/// ViT: class and position tokens truncated normal, the mask token 0.
fn vit(keys: &Keys<'_>) -> Result<Decisions> {
    let std = keys.common_std()?;
    let trunc = Init::TruncNormal {
        mean: 0.0,
        std,
        a: -2.0,
        b: 2.0,
    };
    Ok(Decisions {
        tensors: vec![
            Rule::new("*embeddings.cls_token", trunc.clone()),
            Rule::new("*embeddings.position_embeddings", trunc),
            Rule::new("*embeddings.mask_token", Init::Zeros),
        ],
        rows: Vec::new(),
        unsupported: Vec::new(),
    })
}

/// CLIP: stds from `initializer_factor`, the widths and the depth of each tower.
fn clip(keys: &Keys<'_>) -> Result<Decisions> {
    let factor = keys.f64_or("initializer_factor", 1.0)?;
    let mut tensors = Vec::new();
    for (tower, sub) in [
        ("text_model", keys.sub("text_config")),
        ("vision_model", keys.sub("vision_config")),
    ] {
        let hidden = sub.usize("hidden_size")?.unwrap_or(512) as f64;
        let layers = sub.usize("num_hidden_layers")?.unwrap_or(12) as f64;
        let range = sub.f64_or("initializer_range", 0.02)?;
        let in_std = hidden.powf(-0.5) * (2.0 * layers).powf(-0.5) * factor;
        let out_std = hidden.powf(-0.5) * factor;
        for proj in ["q_proj", "k_proj", "v_proj"] {
            tensors.push(Rule::new(
                format!("{tower}.encoder.layers.*.self_attn.{proj}.weight"),
                normal(in_std),
            ));
        }
        tensors.push(Rule::new(
            format!("{tower}.encoder.layers.*.self_attn.out_proj.weight"),
            normal(out_std),
        ));
        tensors.push(Rule::new(
            format!("{tower}.encoder.layers.*.mlp.fc1.weight"),
            normal((2.0 * hidden).powf(-0.5) * factor),
        ));
        tensors.push(Rule::new(
            format!("{tower}.encoder.layers.*.mlp.fc2.weight"),
            normal(in_std),
        ));
        let projection = if tower == "text_model" {
            "text_projection.weight"
        } else {
            "visual_projection.weight"
        };
        tensors.push(Rule::new(projection, normal(out_std)));
        if tower == "text_model" {
            for emb in ["token_embedding", "position_embedding"] {
                tensors.push(Rule::new(
                    format!("text_model.embeddings.{emb}.weight"),
                    normal(0.02 * factor),
                ));
            }
        } else {
            tensors.push(Rule::new(
                "vision_model.embeddings.class_embedding",
                normal(out_std),
            ));
            for emb in ["patch_embedding", "position_embedding"] {
                tensors.push(Rule::new(
                    format!("vision_model.embeddings.{emb}.weight"),
                    normal(range * factor),
                ));
            }
        }
    }
    let logit_scale = keys.f64_or("logit_scale_init_value", 2.6592)?;
    tensors.push(Rule::new(
        "logit_scale",
        Init::Constant { value: logit_scale },
    ));
    Ok(Decisions {
        tensors,
        rows: Vec::new(),
        unsupported: Vec::new(),
    })
}

/// Mamba's mixer: `D` 1, the depthwise conv and `out_proj` PyTorch's default (`out_proj`
/// divided by sqrt(n_layer) with `rescale_prenorm_residual`), `dt_proj.weight`
/// U(+-time_step_rank^-0.5 time_step_scale) (the "random" scheme) or that constant.
fn mamba(keys: &Keys<'_>) -> Result<Decisions> {
    let hidden = keys.need("hidden_size")?;
    let rank = match keys.get("time_step_rank").and_then(|v| v.as_str()) {
        Some("auto") => hidden.div_ceil(16),
        _ => keys.need("time_step_rank")?,
    };
    let dt_std = (rank as f64).powf(-0.5) * keys.f64_or("time_step_scale", 1.0)?;
    let dt = match keys.str("time_step_init_scheme")?.unwrap_or("random") {
        "constant" => Init::Constant { value: dt_std },
        "random" => Init::Uniform {
            low: -dt_std,
            high: dt_std,
        },
        other => {
            return Err(keys.error(
                "time_step_init_scheme",
                &format!("is `{other}`, expected `random` or `constant`"),
            ))
        }
    };
    let out_div = if keys.bool_or("rescale_prenorm_residual", false)? {
        (keys.need("num_hidden_layers")? as f64).sqrt()
    } else {
        1.0
    };
    Ok(Decisions {
        tensors: vec![
            Rule::new("*.mixer.D", Init::Ones).rank(1),
            Rule::with("*.mixer.conv1d.weight", torch_default(1.0)),
            Rule::new("*.mixer.conv1d.bias", Init::Zeros),
            Rule::with("*.mixer.out_proj.weight", torch_default(out_div)),
            Rule::new("*.mixer.dt_proj.weight", dt),
        ],
        rows: Vec::new(),
        // A_log = log(1..=d_state) per row; dt_proj.bias = softplus^-1 of a log-uniform dt.
        unsupported: vec!["*.mixer.A_log", "*.mixer.dt_proj.bias"],
    })
}

/// The families this crate initializes as transformers does, each verified against
/// transformers' own init by `tests/hf_families.rs` (see the README's table for which tensors
/// match).
pub static FAMILIES: &[Family] = &[
    Family {
        model_type: "llama",
        candle: "llama::Llama",
        transformers: "LlamaForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row 0",
        decide: decoder,
    },
    Family {
        model_type: "mistral",
        candle: "mistral::Model",
        transformers: "MistralForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row 0",
        decide: decoder,
    },
    Family {
        model_type: "qwen2",
        candle: "qwen2::ModelForCausalLM",
        transformers: "Qwen2ForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row 0",
        decide: decoder,
    },
    Family {
        model_type: "qwen3",
        candle: "qwen3::ModelForCausalLM",
        transformers: "Qwen3ForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row 0; q/k norms 1",
        decide: decoder,
    },
    Family {
        model_type: "gemma",
        candle: "gemma::Model",
        transformers: "GemmaForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "RMSNorm weights 0 (the norm computes x (1 + w)); padding row 0",
        decide: gemma,
    },
    Family {
        model_type: "gemma2",
        candle: "gemma2::Model",
        transformers: "Gemma2ForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "RMSNorm weights 0 (x (1 + w)); padding row 0",
        decide: gemma,
    },
    Family {
        model_type: "phi3",
        candle: "phi3::Model",
        transformers: "Phi3ForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row 0; fused qkv_proj and gate_up_proj",
        decide: decoder,
    },
    Family {
        model_type: "stablelm",
        candle: "stable_lm::Model",
        transformers: "StableLmForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row 0; LayerNorm with bias",
        decide: decoder,
    },
    Family {
        model_type: "starcoder2",
        candle: "starcoder2::Model",
        transformers: "Starcoder2ForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "initializer_range 0.018 by default; padding row 0",
        decide: decoder,
    },
    Family {
        model_type: "olmo2",
        candle: "olmo2::Model",
        transformers: "Olmo2ForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row 0; q/k norms 1",
        decide: decoder,
    },
    Family {
        model_type: "mixtral",
        candle: "mixtral::Model",
        transformers: "MixtralForCausalLM",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row 0; experts and router N(0, initializer_range)",
        decide: decoder,
    },
    Family {
        model_type: "falcon",
        candle: "falcon::Falcon",
        transformers: "FalconForCausalLM",
        reads: &["initializer_range"],
        special: "no padding row",
        decide: nothing,
    },
    Family {
        model_type: "gpt_bigcode",
        candle: "bigcode::GPTBigCode",
        transformers: "GPTBigCodeForCausalLM",
        reads: &["initializer_range", "n_layer"],
        special: "`c_proj` N(0, initializer_range / sqrt(2 n_layer))",
        decide: gpt_bigcode,
    },
    Family {
        model_type: "bert",
        candle: "bert::BertModel",
        transformers: "BertModel",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row of the word embeddings 0",
        decide: bert,
    },
    Family {
        model_type: "distilbert",
        candle: "distilbert::DistilBertModel",
        transformers: "DistilBertModel",
        reads: &["initializer_range", "pad_token_id", "sinusoidal_pos_embds"],
        special: "padding row of the word embeddings 0 (`sinusoidal_pos_embds` refused)",
        decide: distilbert,
    },
    Family {
        model_type: "xlm-roberta",
        candle: "xlm_roberta::XLMRobertaModel",
        transformers: "XLMRobertaModel",
        reads: &["initializer_range", "pad_token_id"],
        special: "padding row of the word and the position embeddings 0",
        decide: xlm_roberta,
    },
    Family {
        model_type: "t5",
        candle: "t5::T5ForConditionalGeneration",
        transformers: "T5ForConditionalGeneration",
        reads: &["initializer_factor", "d_model", "d_kv", "d_ff", "num_heads"],
        special: "per-kind stds from `initializer_factor`: embeddings f, q f (d_model d_kv)^-1/2, k/v/wi f d_model^-1/2, o f (heads d_kv)^-1/2, wo f d_ff^-1/2; norms f",
        decide: t5,
    },
    Family {
        model_type: "whisper",
        candle: "whisper::model::Whisper",
        transformers: "WhisperForConditionalGeneration",
        reads: &["init_std", "pad_token_id"],
        special: "std `init_std`; decoder padding row 0; encoder positions sinusoids (candle computes them, not a parameter)",
        decide: whisper,
    },
    Family {
        model_type: "vit",
        candle: "vit::Embeddings + vit::Encoder",
        transformers: "ViTModel",
        reads: &["initializer_range"],
        special: "cls and position tokens truncated normal, mask token 0",
        decide: vit,
    },
    Family {
        model_type: "clip",
        candle: "clip::ClipModel",
        transformers: "CLIPModel",
        reads: &[
            "initializer_factor",
            "logit_scale_init_value",
            "text_config.hidden_size",
            "text_config.num_hidden_layers",
            "vision_config.hidden_size",
            "vision_config.num_hidden_layers",
            "vision_config.initializer_range",
        ],
        special: "per-projection stds from `initializer_factor`, widths and depth; class embedding N(0, d^-1/2)",
        decide: clip,
    },
    Family {
        model_type: "mamba",
        candle: "mamba::Model",
        transformers: "MambaForCausalLM",
        reads: &[
            "initializer_range",
            "hidden_size",
            "num_hidden_layers",
            "time_step_rank",
            "time_step_scale",
            "time_step_init_scheme",
            "rescale_prenorm_residual",
        ],
        special: "`D` 1, conv1d and `out_proj` PyTorch's default, `dt_proj.weight` U(+-rank^-1/2 scale); `A_log` and `dt_proj.bias` not expressible (reported)",
        decide: mamba,
    },
];
