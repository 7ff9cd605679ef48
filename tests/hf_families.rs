//! Each Hugging Face family of `init_candle::build::FAMILIES`, built from candle-transformers
//! through `ModelBuilder::hf_config`, against transformers' own `_init_weights` of the same
//! small config: `tests/data/hf_families.json`, written by `scripts/hf_fixture.py` (run
//! `bash scripts/hf_fixture.sh` to regenerate it).
//!
//! For every tensor transformers has (each name of a tied one), the tensor candle asks for
//! under the mapped name must have its shape and:
//! - where transformers' is all 0 or all 1 (or one constant), exactly that;
//! - else the same zero rows (padding rows), and a distribution whose mean and std agree with
//!   transformers' within what two samples of that size allow: |mean difference| <= 6 s
//!   sqrt(2/n), |std ratio - 1| <= 6/sqrt(n) (the std of a sample std is about s/sqrt(2n),
//!   two of them differ by about s/sqrt(n)); for n >= 1000 also the largest |x| in units of
//!   the std within a factor 1.6 (a normal's 3.5 to 4.5 against a uniform's 1.7).
//!
//! What candle's model lacks or names otherwise, and tensors whose init is known to differ,
//! are listed per family, and each listed difference must still be one (a fix shows up as a
//! failure that asks to update the list).

mod common;

use std::collections::{BTreeMap, HashMap};

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use common::facts::{disagreement, Built};
use common::values;
use init_candle::build::{HfConfig, ModelBuilder, Opaque};
use serde_json::Value;

const SEED: u64 = 0;

fn fixture() -> &'static Value {
    static FIXTURE: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hf_families.json");
        let text = std::fs::read_to_string(path).expect("tests/data/hf_families.json");
        serde_json::from_str(&text).expect("fixture JSON")
    })
}

/// The config transformers built the family from, with the keys candle's config structs
/// read under their transformers 4 names (`rope_theta`, `partial_rotary_factor` moved into
/// `rope_parameters`), and `patch`'s keys (what candle's structs require that transformers 5
/// no longer writes) set.
fn config_with(family: &str, patch: Value) -> Value {
    let mut cfg = fixture()["families"][family]["config"].clone();
    let rope = cfg["rope_parameters"].clone();
    if let Some(obj) = cfg.as_object_mut() {
        obj.entry("rope_theta").or_insert(
            rope.get("rope_theta")
                .cloned()
                .unwrap_or(Value::from(10000.0)),
        );
        if let Some(p) = rope.get("partial_rotary_factor") {
            obj.entry("partial_rotary_factor").or_insert(p.clone());
        }
        for (k, v) in patch.as_object().into_iter().flatten() {
            obj.insert(k.clone(), v.clone());
        }
    }
    cfg
}

fn config(family: &str) -> Value {
    config_with(family, Value::Null)
}

/// candle's config struct of the family, from the fixture's config (and a patch).
macro_rules! parse {
    ($family:expr) => {
        parse!($family, Value::Null)
    };
    ($family:expr, $patch:expr) => {
        serde_json::from_value(config_with($family, $patch))
            .unwrap_or_else(|e| panic!("{} config: {e}", $family))
    };
}

/// One tensor candle built: shape and values.
/// Builds the family's candle model with its `config.json` preset; every tensor by path.
fn build<M: 'static>(
    family: &str,
    constructor: impl FnOnce(VarBuilder<'_>) -> candle_core::Result<M>,
) -> (BTreeMap<String, Built>, init_candle::build::BuildReport) {
    let hf = HfConfig::from_json(&config(family)).expect("HfConfig");
    assert!(hf.is_known(), "{family}");
    let built = ModelBuilder::new(SEED)
        .hf_config(&hf)
        .build(DType::F32, &Device::Cpu, |vb| Ok(Opaque(constructor(vb)?)))
        .unwrap_or_else(|e| panic!("{family}: {e}"));
    let vars = built.varmap.data().lock().expect("varmap");
    let tensors = vars
        .iter()
        .map(|(path, var)| {
            let t = var.as_tensor();
            (
                path.clone(),
                Built {
                    dims: t.dims().to_vec(),
                    values: values(t),
                },
            )
        })
        .collect();
    drop(vars);
    (tensors, built.report)
}

/// What the family's test expects beside full agreement.
#[derive(Default)]
struct Known {
    /// candle path -> transformers name, where they differ (`(from, to)` substring
    /// replacements, applied in order).
    rename: &'static [(&'static str, &'static str)],
    /// transformers tensors candle's model does not ask for, with why.
    candle_lacks: &'static [(&'static str, &'static str)],
    /// candle tensors transformers' model does not have, with why.
    candle_extra: &'static [(&'static str, &'static str)],
    /// transformers tensors whose init candle's build does not reproduce, with why.
    differs: &'static [(&'static str, &'static str)],
}

fn listed(list: &[(&str, &str)], name: &str) -> bool {
    list.iter()
        .any(|(pattern, _)| init_candle::build::Rule::with(*pattern, |_| None).matches(name, &[]))
}

/// Compares the family; returns (matched, transformers' tensor count).
fn check(family: &str, candle: BTreeMap<String, Built>, known: Known) -> (usize, usize) {
    let facts = &fixture()["families"][family]["tensors"];
    let facts = facts.as_object().expect("tensors");
    let mut by_hf: HashMap<String, &Built> = HashMap::new();
    let mut problems = Vec::new();
    for (path, built) in &candle {
        let mut name = path.clone();
        for (from, to) in known.rename {
            name = name.replace(from, to);
        }
        let known_name = facts.contains_key(&name)
            || facts.values().any(|t| {
                t["tied"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|n| n.as_str() == Some(&name)))
            });
        if known_name {
            by_hf.insert(name, built);
        } else if !listed(known.candle_extra, path) {
            problems.push(format!(
                "candle has `{path}` (as `{name}`), transformers does not"
            ));
        }
    }
    let (mut matched, mut total) = (0, 0);
    for (name, hf) in facts {
        // A tied tensor's names: candle may ask for it under one of them only (its model uses
        // that one tensor for every role, as transformers' does).
        let group: Vec<String> = std::iter::once(name.clone())
            .chain(
                hf["tied"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.as_str().map(str::to_owned)),
            )
            .collect();
        let present = group.iter().find_map(|n| by_hf.get(n).copied());
        for name in &group {
            total += 1;
            let lacks = listed(known.candle_lacks, name);
            let differs = listed(known.differs, name);
            let built = by_hf.get(name).copied().or(present);
            match built {
                None if lacks => {}
                None => problems.push(format!("candle lacks `{name}`")),
                Some(_) if lacks => {
                    problems.push(format!("`{name}` is listed as lacking but candle has it"))
                }
                Some(c) => match (disagreement(hf, c), differs) {
                    (None, false) => matched += 1,
                    (Some(why), false) => problems.push(format!("`{name}`: {why}")),
                    (Some(_), true) => {}
                    (None, true) => problems.push(format!(
                        "`{name}` is listed as differing but matches: update the list"
                    )),
                },
            }
        }
    }
    eprintln!("{family}: {matched}/{total} tensors match transformers");
    assert!(
        problems.is_empty(),
        "{family}:\n  {}",
        problems.join("\n  ")
    );
    (matched, total)
}

// ---- the decoders ----

use candle_transformers::models as ct;

#[test]
fn llama() {
    let cfg: ct::llama::LlamaConfig = parse!("llama");
    let cfg = cfg.into_config(false);
    let (t, _) = build("llama", |vb| ct::llama::Llama::load(vb, &cfg));
    check("llama", t, Known::default());
}

#[test]
fn mistral() {
    let cfg: ct::mistral::Config = parse!("mistral");
    let (t, _) = build("mistral", |vb| ct::mistral::Model::new(&cfg, vb));
    check("mistral", t, Known::default());
}

#[test]
fn qwen2() {
    let cfg: ct::qwen2::Config = parse!("qwen2", serde_json::json!({"sliding_window": 64}));
    let (t, _) = build("qwen2", |vb| ct::qwen2::ModelForCausalLM::new(&cfg, vb));
    // candle ties lm_head to the embeddings when `contains_tensor("lm_head.weight")` is
    // false; the config's `tie_word_embeddings: false` makes the builder answer true.
    assert!(t.contains_key("lm_head.weight"));
    check("qwen2", t, Known::default());
}

#[test]
fn qwen3() {
    let cfg: ct::qwen3::Config = parse!("qwen3");
    let (t, _) = build("qwen3", |vb| ct::qwen3::ModelForCausalLM::new(&cfg, vb));
    check("qwen3", t, Known::default());
}

#[test]
fn gemma() {
    let cfg: ct::gemma::Config = parse!("gemma");
    let (t, _) = build("gemma", |vb| ct::gemma::Model::new(false, &cfg, vb));
    check("gemma", t, Known::default());
}

#[test]
fn gemma2() {
    let cfg: ct::gemma2::Config = parse!("gemma2");
    let (t, _) = build("gemma2", |vb| ct::gemma2::Model::new(false, &cfg, vb));
    check("gemma2", t, Known::default());
}

#[test]
fn phi3() {
    let cfg: ct::phi3::Config = parse!("phi3");
    let (t, _) = build("phi3", |vb| ct::phi3::Model::new(&cfg, vb));
    check("phi3", t, Known::default());
}

#[test]
fn stablelm() {
    let cfg: ct::stable_lm::Config = parse!("stablelm");
    let (t, _) = build("stablelm", |vb| ct::stable_lm::Model::new(&cfg, vb));
    check("stablelm", t, Known::default());
}

#[test]
fn starcoder2() {
    let cfg: ct::starcoder2::Config = parse!("starcoder2");
    let (t, _) = build("starcoder2", |vb| ct::starcoder2::Model::new(&cfg, vb));
    check("starcoder2", t, Known::default());
}

#[test]
fn olmo2() {
    let cfg: ct::olmo2::Config = parse!("olmo2");
    let (t, _) = build("olmo2", |vb| ct::olmo2::Model::new(&cfg, vb));
    check("olmo2", t, Known::default());
}

#[test]
fn mixtral() {
    let cfg: ct::mixtral::Config = parse!("mixtral", serde_json::json!({"use_flash_attn": false}));
    let (mut t, _) = build("mixtral", |vb| ct::mixtral::Model::new(&cfg, vb));
    // transformers 5 stores each layer's experts as two 3-D tensors: `gate_up_proj`
    // [experts, 2 intermediate, hidden] (w1 then w3 of each expert) and `down_proj`
    // [experts, hidden, intermediate] (w2); candle asks for each expert's w1, w2, w3.
    let c = config("mixtral");
    let (layers, experts) = (
        c["num_hidden_layers"].as_u64(),
        c["num_local_experts"].as_u64(),
    );
    let (layers, experts) = (
        layers.expect("layers") as usize,
        experts.expect("experts") as usize,
    );
    for layer in 0..layers {
        let prefix = format!("model.layers.{layer}.block_sparse_moe");
        let mut take = |name: String| t.remove(&name).unwrap_or_else(|| panic!("{name}"));
        let (mut gate_up, mut down) = (Vec::new(), Vec::new());
        let (mut gu_dims, mut d_dims) = (Vec::new(), Vec::new());
        for e in 0..experts {
            let [w1, w2, w3] =
                ["w1", "w2", "w3"].map(|w| take(format!("{prefix}.experts.{e}.{w}.weight")));
            gu_dims = vec![experts, w1.dims[0] + w3.dims[0], w1.dims[1]];
            d_dims = [&[experts][..], &w2.dims].concat();
            gate_up.extend(w1.values.into_iter().chain(w3.values));
            down.extend(w2.values);
        }
        let moe = format!("model.layers.{layer}.mlp");
        let gate = take(format!("{prefix}.gate.weight"));
        t.insert(format!("{moe}.gate.weight"), gate);
        t.insert(
            format!("{moe}.experts.gate_up_proj"),
            Built {
                dims: gu_dims,
                values: gate_up,
            },
        );
        t.insert(
            format!("{moe}.experts.down_proj"),
            Built {
                dims: d_dims,
                values: down,
            },
        );
    }
    check("mixtral", t, Known::default());
}

#[test]
fn falcon() {
    let cfg: ct::falcon::Config = parse!("falcon");
    let (t, _) = build("falcon", |vb| ct::falcon::Falcon::load(vb, cfg));
    check("falcon", t, Known::default());
}

#[test]
fn gpt_bigcode() {
    let c = config("gpt_bigcode");
    let n = |k: &str| c[k].as_u64().expect(k) as usize;
    let cfg = ct::bigcode::Config {
        vocab_size: n("vocab_size"),
        max_position_embeddings: n("n_positions"),
        num_hidden_layers: n("n_layer"),
        hidden_size: n("n_embd"),
        layer_norm_epsilon: c["layer_norm_epsilon"].as_f64().expect("eps"),
        n_inner: c["n_inner"].as_u64().map(|x| x as usize),
        num_attention_heads: n("n_head"),
        multi_query: c["multi_query"].as_bool().expect("multi_query"),
        use_cache: false,
    };
    let (t, _) = build("gpt_bigcode", |vb| ct::bigcode::GPTBigCode::load(vb, cfg));
    check("gpt_bigcode", t, Known::default());
}

// ---- encoders ----

#[test]
fn bert() {
    let cfg: ct::bert::Config = parse!("bert");
    let (t, _) = build("bert", |vb| ct::bert::BertModel::load(vb, &cfg));
    let known = Known {
        candle_lacks: &[(
            "pooler.*",
            "candle's model has no pooler (transformers' is N(0, initializer_range), bias 0)",
        )],
        ..Known::default()
    };
    check("bert", t, known);
}

#[test]
fn distilbert() {
    let cfg: ct::distilbert::Config = parse!("distilbert");
    let (t, _) = build("distilbert", |vb| {
        ct::distilbert::DistilBertModel::load(vb, &cfg)
    });
    check("distilbert", t, Known::default());
}

#[test]
fn xlm_roberta() {
    let cfg: ct::xlm_roberta::Config = parse!(
        "xlm-roberta",
        serde_json::json!({"position_embedding_type": "absolute"})
    );
    let (t, _) = build("xlm-roberta", |vb| {
        ct::xlm_roberta::XLMRobertaModel::new(&cfg, vb)
    });
    let known = Known {
        candle_lacks: &[(
            "pooler.*",
            "candle's model has no pooler (transformers' is N(0, initializer_range), bias 0)",
        )],
        ..Known::default()
    };
    check("xlm-roberta", t, known);
}

#[test]
fn t5() {
    let cfg: ct::t5::Config = parse!("t5");
    let (t, _) = build("t5", |vb| {
        ct::t5::T5ForConditionalGeneration::load(vb, &cfg)
    });
    check("t5", t, Known::default());
}

#[test]
fn whisper() {
    let cfg: ct::whisper::Config = parse!("whisper", serde_json::json!({"suppress_tokens": []}));
    let (t, _) = build("whisper", |vb| ct::whisper::model::Whisper::load(&vb, cfg));
    let known = Known {
        candle_lacks: &[(
            "model.encoder.embed_positions.weight",
            "candle computes the encoder's sinusoids itself (transformers copies the same \
             sinusoids into a parameter)",
        )],
        ..Known::default()
    };
    check("whisper", t, known);
}

#[test]
fn vit() {
    let cfg: ct::vit::Config = parse!("vit");
    let (t, _) = build("vit", |vb| {
        Ok((
            ct::vit::Embeddings::new(&cfg, false, vb.pp("embeddings"))?,
            ct::vit::Encoder::new(&cfg, vb.pp("encoder"))?,
            candle_nn::layer_norm(cfg.hidden_size, cfg.layer_norm_eps, vb.pp("layernorm"))?,
        ))
    });
    let known = Known {
        // transformers 5 renamed ViT's layers; candle keeps the checkpoint names.
        rename: &[
            ("encoder.layer.", "layers."),
            ("attention.attention.query", "attention.q_proj"),
            ("attention.attention.key", "attention.k_proj"),
            ("attention.attention.value", "attention.v_proj"),
            ("attention.output.dense", "attention.o_proj"),
            ("intermediate.dense", "mlp.fc1"),
            ("output.dense", "mlp.fc2"),
        ],
        candle_lacks: &[(
            "pooler.*",
            "candle's ViT has no pooler (transformers' is N(0, initializer_range), bias 0)",
        )],
        ..Known::default()
    };
    check("vit", t, known);
}

#[test]
fn clip() {
    use ct::clip::{text_model::ClipTextConfig, vision_model::ClipVisionConfig, ClipConfig};
    let c = config("clip");
    let (tc, vc) = (&c["text_config"], &c["vision_config"]);
    let n = |v: &Value, k: &str| v[k].as_u64().expect(k) as usize;
    let cfg = ClipConfig {
        text_config: ClipTextConfig {
            vocab_size: n(tc, "vocab_size"),
            embed_dim: n(tc, "hidden_size"),
            activation: ct::clip::text_model::Activation::QuickGelu,
            intermediate_size: n(tc, "intermediate_size"),
            max_position_embeddings: n(tc, "max_position_embeddings"),
            pad_with: None,
            num_hidden_layers: n(tc, "num_hidden_layers"),
            num_attention_heads: n(tc, "num_attention_heads"),
            projection_dim: n(&c, "projection_dim"),
        },
        vision_config: ClipVisionConfig {
            embed_dim: n(vc, "hidden_size"),
            activation: ct::clip::text_model::Activation::QuickGelu,
            intermediate_size: n(vc, "intermediate_size"),
            num_hidden_layers: n(vc, "num_hidden_layers"),
            num_attention_heads: n(vc, "num_attention_heads"),
            projection_dim: n(&c, "projection_dim"),
            num_channels: n(vc, "num_channels"),
            image_size: n(vc, "image_size"),
            patch_size: n(vc, "patch_size"),
        },
        logit_scale_init_value: 2.6592,
        image_size: n(vc, "image_size"),
    };
    let (t, _) = build("clip", |vb| ct::clip::ClipModel::new(vb, &cfg));
    let known = Known {
        candle_lacks: &[
            (
                "logit_scale",
                "candle asks for it only when `contains_tensor(\"logit_scale\")`; in a fresh \
                 build it uses logit_scale_init_value as a constant, not a parameter",
            ),
            (
                "vision_model.embeddings.class_embedding",
                "candle asks for it only when the checkpoint has it; in a fresh build it draws \
                 N(0, 1) itself (unseeded, not a parameter; transformers: N(0, d^-1/2))",
            ),
        ],
        ..Known::default()
    };
    check("clip", t, known);
}

#[test]
fn mamba() {
    let c = config("mamba");
    let n = |k: &str| c[k].as_u64().expect(k) as usize;
    let cfg = ct::mamba::Config {
        d_model: n("hidden_size"),
        n_layer: n("num_hidden_layers"),
        vocab_size: n("vocab_size"),
        pad_vocab_size_multiple: 8,
    };
    let (t, report) = build("mamba", |vb| ct::mamba::Model::new(&cfg, vb.pp("backbone")));
    let known = Known {
        rename: &[("backbone.embedding.", "backbone.embeddings.")],
        differs: &[
            (
                "*.mixer.A_log",
                "transformers: log(1..=d_state) in every row, which no initializer expresses; \
                 not recognized (candle's hint-less `vb.get`: 0), reported",
            ),
            (
                "*.mixer.dt_proj.bias",
                "transformers: softplus^-1 of a log-uniform dt in [time_step_min, \
                 time_step_max]; not recognized (candle's hint), reported",
            ),
        ],
        ..Known::default()
    };
    // The two that differ are reported as not recognized, not written silently.
    let unrecognized: Vec<&str> = report
        .tensors
        .iter()
        .filter(|t| t.source == init_candle::ValueSource::CandleHint)
        .map(|t| t.path.as_str())
        .collect();
    assert_eq!(unrecognized.len(), 4, "{unrecognized:?}");
    assert!(unrecognized
        .iter()
        .all(|p| p.ends_with("A_log") || p.ends_with("dt_proj.bias")));
    check("mamba", t, known);
}

// ---- what no family decides ----

/// candle's hint-less `vb.get` (the constant 0) is read by name and shape: a norm's weight is
/// 1, its bias 0, a matrix a weight; anything else is reported (strict: an error), never
/// written as 0 silently.
#[test]
fn hintless_gets_are_recognized_or_reported() {
    use init_candle::build::Preset;
    use init_candle::{Init, ValueSource};
    let model = |vb: VarBuilder<'_>| {
        Ok(Opaque((
            vb.pp("h.0.ln_1").get(8, "weight")?,
            vb.pp("h.0.ln_1").get(8, "bias")?,
            vb.pp("h.0.attn_ln").get(8, "weight")?,
            vb.pp("conv").get((8, 4, 3), "weight")?,
            vb.get((1, 1, 8), "cls_token")?,
        )))
    };
    for preset in [Preset::hf(0.02), Preset::PyTorch] {
        let built = ModelBuilder::new(0)
            .preset(preset.clone())
            .build(DType::F32, &Device::Cpu, model)
            .unwrap();
        let init = |p: &str| built.report.get(p).and_then(|t| t.init.clone());
        assert_eq!(init("h.0.ln_1.weight"), Some(Init::Ones), "{preset}");
        assert_eq!(init("h.0.attn_ln.weight"), Some(Init::Ones), "{preset}");
        assert_eq!(
            init("h.0.ln_1.bias"),
            Some(Init::Constant { value: 0.0 }),
            "{preset}"
        );
        assert!(
            matches!(
                init("conv.weight"),
                Some(Init::Normal { .. } | Init::Uniform { .. })
            ),
            "{preset}"
        );
        let cls = built.report.get("cls_token").expect("cls_token");
        assert_eq!(cls.source, ValueSource::CandleHint, "{preset}");
        let err = ModelBuilder::new(0)
            .preset(preset.clone())
            .strict(true)
            .build(DType::F32, &Device::Cpu, model)
            .err()
            .expect("strict refuses the class token");
        assert!(err.to_string().contains("cls_token"), "{preset}: {err}");
    }
}

#[test]
fn an_unknown_model_type_gets_the_common_rules_and_says_so() {
    let hf = HfConfig::from_json(&serde_json::json!({
        "model_type": "not_a_family", "initializer_range": 0.05, "pad_token_id": 0
    }))
    .unwrap();
    assert!(!hf.is_known());
    assert!(hf.rules().is_empty());
    let problem = hf.hf_preset().strict_problem().expect("unknown");
    assert!(
        problem.contains("not_a_family") && problem.contains("llama"),
        "{problem}"
    );
    let built = ModelBuilder::new(0)
        .hf_config(&hf)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Opaque(candle_nn::linear(4, 3, vb.pp("fc"))?))
        })
        .unwrap();
    assert_eq!(
        built.report.preset,
        "hf(unknown model_type `not_a_family`: common rules, 0.05)"
    );
    let weight = built.report.get("fc.weight").expect("fc.weight");
    assert_eq!(weight.expected_std, Some(0.05));
    // Strict: refused before the constructor runs.
    let mut ran = false;
    let err = ModelBuilder::new(0)
        .hf_config(&hf)
        .strict(true)
        .build(DType::F32, &Device::Cpu, |vb| {
            ran = true;
            Ok(Opaque(candle_nn::linear(4, 3, vb.pp("fc"))?))
        })
        .err()
        .expect("strict refuses an unknown family");
    assert!(!ran);
    assert!(err.to_string().contains("not_a_family"), "{err}");
}

/// A padding row rule whose embedding comes from the checkpoint leaves it alone (its rows are
/// the checkpoint's) and is not an unused rule, so a strict fine-tuning build passes.
#[test]
fn a_loaded_embedding_keeps_its_rows_and_its_padding_rule_is_used() {
    let hf = HfConfig::from_json(&serde_json::json!({"model_type": "llama", "pad_token_id": 2}))
        .unwrap();
    let embed =
        |vb: candle_nn::VarBuilder| candle_nn::embedding(10, 4, vb.pp("model.embed_tokens"));
    let saved = ModelBuilder::new(1)
        .preset(init_candle::build::Preset::hf(0.02))
        .build(DType::F32, &Device::Cpu, embed)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("hf-families-pad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("model.safetensors");
    saved.varmap.save(&file).unwrap();
    // SAFETY: the file is not modified while mapped.
    let checkpoint = unsafe { init_candle::build::Checkpoint::mmap(&[&file]).unwrap() };
    let built = ModelBuilder::new(2)
        .hf_config(&hf)
        .checkpoint(checkpoint)
        .strict(true)
        .build(DType::F32, &Device::Cpu, embed)
        .unwrap();
    assert!(built.report.unused_rules.is_empty());
    assert_eq!(
        built.model.embeddings().to_vec2::<f32>().unwrap(),
        saved.model.embeddings().to_vec2::<f32>().unwrap(),
        "the loaded rows, padding row included"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn config_errors_name_the_key() {
    for (config, says) in [
        (serde_json::json!([1]), "expected a JSON object"),
        (
            serde_json::json!({"model_type": "llama", "pad_token_id": -1}),
            "`pad_token_id` is -1",
        ),
        (
            serde_json::json!({"model_type": "t5", "d_model": 8}),
            "`d_kv` is missing",
        ),
        (
            serde_json::json!({"model_type": "clip", "text_config": {"hidden_size": "x"}}),
            "`text_config.hidden_size`",
        ),
        (
            serde_json::json!({"model_type": "distilbert", "sinusoidal_pos_embds": true}),
            "sinusoidal_pos_embds",
        ),
    ] {
        let err = HfConfig::from_json(&config).expect_err(says);
        assert!(err.to_string().contains(says), "{err}");
    }
}

/// Every family of the crate's table has its fixture rows and a test above.
#[test]
fn every_family_is_in_the_fixture() {
    let families = fixture()["families"].as_object().expect("families");
    for family in init_candle::build::FAMILIES {
        assert!(
            families.contains_key(family.model_type),
            "{}",
            family.model_type
        );
    }
    assert_eq!(families.len(), init_candle::build::FAMILIES.len());
}
