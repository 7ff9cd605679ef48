//! The families `seed-checkpoint` writes: a config's `model_type` to candle-transformers'
//! config struct and constructor. The initialization itself is init-candle's (the `hf`
//! preset knows each of these families).

use candle_core::DType;
use candle_transformers::models as ct;
use init_candle::build::{ModelBuilder, Opaque, SeedCheckpoint, SeedReport};
use serde_json::{json, Value};

/// The `model_type`s this program writes.
pub const SUPPORTED: &[&str] = &[
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3",
];

/// A family's candle-transformers config, parsed from `config.json`.
pub enum Family {
    Llama(ct::llama::Config),
    Mistral(ct::mistral::Config),
    Qwen2(ct::qwen2::Config),
    Qwen3(ct::qwen3::Config),
    Gemma(ct::gemma::Config),
    Gemma2(ct::gemma2::Config),
    Phi3(ct::phi3::Config),
}

impl Family {
    /// The family of `config`'s `model_type`, its keys read by candle-transformers' config
    /// struct (keys transformers fills in by default, when absent or null, get transformers'
    /// defaults first).
    pub fn from_config(config: &Value) -> Result<Family, String> {
        let model_type = config
            .get("model_type")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!(
                    "no `model_type` string; the supported ones are: {}",
                    SUPPORTED.join(", ")
                )
            })?;
        let mut config = config.clone();
        let rope_theta = config
            .pointer("/rope_parameters/rope_theta")
            .cloned()
            .unwrap_or(json!(10000.0));
        let common = [
            ("rope_theta", rope_theta),
            ("hidden_act", json!("silu")),
            ("rms_norm_eps", json!(1e-6)),
            ("tie_word_embeddings", json!(false)),
            ("attention_bias", json!(false)),
        ];
        let family_defaults: &[(&str, Value)] = match model_type {
            "qwen2" => &[
                ("sliding_window", json!(4096)),
                ("max_window_layers", json!(28)),
                ("use_sliding_window", json!(false)),
            ],
            "qwen3" => &[
                ("head_dim", json!(128)),
                ("max_window_layers", json!(28)),
                ("use_sliding_window", json!(false)),
            ],
            "gemma" => &[
                ("head_dim", json!(256)),
                ("hidden_act", json!("gelu_pytorch_tanh")),
            ],
            "gemma2" => &[
                ("head_dim", json!(256)),
                ("hidden_activation", json!("gelu_pytorch_tanh")),
                ("query_pre_attn_scalar", json!(256)),
            ],
            _ => &[],
        };
        if let Some(object) = config.as_object_mut() {
            for (key, value) in family_defaults.iter().cloned().chain(common) {
                let entry = object.entry(key).or_insert(Value::Null);
                if entry.is_null() {
                    *entry = value;
                }
            }
        }
        let parse =
            |e: serde_json::Error| format!("a `{model_type}` config candle cannot read: {e}");
        Ok(match model_type {
            "llama" => {
                let cfg: ct::llama::LlamaConfig = serde_json::from_value(config).map_err(parse)?;
                Family::Llama(cfg.into_config(false))
            }
            "mistral" => Family::Mistral(serde_json::from_value(config).map_err(parse)?),
            "qwen2" => Family::Qwen2(serde_json::from_value(config).map_err(parse)?),
            "qwen3" => Family::Qwen3(serde_json::from_value(config).map_err(parse)?),
            "gemma" => Family::Gemma(serde_json::from_value(config).map_err(parse)?),
            "gemma2" => Family::Gemma2(serde_json::from_value(config).map_err(parse)?),
            "phi3" => Family::Phi3(serde_json::from_value(config).map_err(parse)?),
            other => {
                return Err(format!(
                    "model_type `{other}` is not one seed-checkpoint writes; the supported ones are: {}",
                    SUPPORTED.join(", ")
                ))
            }
        })
    }

    /// The config's `model_type`.
    pub fn model_type(&self) -> &'static str {
        match self {
            Family::Llama(_) => "llama",
            Family::Mistral(_) => "mistral",
            Family::Qwen2(_) => "qwen2",
            Family::Qwen3(_) => "qwen3",
            Family::Gemma(_) => "gemma",
            Family::Gemma2(_) => "gemma2",
            Family::Phi3(_) => "phi3",
        }
    }

    /// Writes the family's causal-LM model (the one transformers' `AutoModelForCausalLM`
    /// loads).
    pub fn seed(
        &self,
        builder: &ModelBuilder,
        dtype: DType,
        out: &SeedCheckpoint,
    ) -> init_candle::Result<SeedReport> {
        match self {
            Family::Llama(cfg) => builder.seed_checkpoint(dtype, out, |vb| {
                Ok(Opaque(ct::llama::Llama::load(vb, cfg)?))
            }),
            Family::Mistral(cfg) => builder.seed_checkpoint(dtype, out, |vb| {
                Ok(Opaque(ct::mistral::Model::new(cfg, vb)?))
            }),
            Family::Qwen2(cfg) => builder.seed_checkpoint(dtype, out, |vb| {
                Ok(Opaque(ct::qwen2::ModelForCausalLM::new(cfg, vb)?))
            }),
            Family::Qwen3(cfg) => builder.seed_checkpoint(dtype, out, |vb| {
                Ok(Opaque(ct::qwen3::ModelForCausalLM::new(cfg, vb)?))
            }),
            Family::Gemma(cfg) => builder.seed_checkpoint(dtype, out, |vb| {
                Ok(Opaque(ct::gemma::Model::new(false, cfg, vb)?))
            }),
            Family::Gemma2(cfg) => builder.seed_checkpoint(dtype, out, |vb| {
                Ok(Opaque(ct::gemma2::Model::new(false, cfg, vb)?))
            }),
            Family::Phi3(cfg) => {
                builder.seed_checkpoint(dtype, out, |vb| Ok(Opaque(ct::phi3::Model::new(cfg, vb)?)))
            }
        }
    }
}
