//! Rules that compute: recipes of real training runs, each one declaration on a model we did
//! not write (candle-transformers' `Llama`, small config): torchtitan's depth init, Megatron's
//! scaled init of the output layers, a muP-style width rule. Each tensor's values are
//! KS-tested against the law the recipe gives it; the report names the rule that decided.
//! Also: rules that cannot compute or do not fit are errors that name the rule and the fix,
//! before anything is written.

mod common;

use candle_core::{DType, Device};
use candle_transformers::models::llama::{Llama, LlamaConfig};
use common::{assert_ks, normal_cdf, values};
use init_candle::build::{ModelBuilder, Opaque, Preset, Rule};
use init_candle::{Error, Init, InitWeightsExt, ValueSource};

const LAYERS: usize = 3;

fn config() -> candle_transformers::models::llama::Config {
    let json = serde_json::json!({
        "hidden_size": 64,
        "intermediate_size": 160,
        "vocab_size": 300,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-5,
        "max_position_embeddings": 64,
        "tie_word_embeddings": false,
    });
    let cfg: LlamaConfig = serde_json::from_value(json).unwrap();
    cfg.into_config(false)
}

fn build(builder: ModelBuilder) -> init_candle::Result<init_candle::build::Built<Opaque<Llama>>> {
    let cfg = config();
    builder.build(DType::F32, &Device::Cpu, |vb| {
        Ok(Opaque(Llama::load(vb, &cfg)?))
    })
}

/// The std each tensor got, by the rule or by the preset (N(0, 0.02); norms are 1).
fn check(
    built: &init_candle::build::Built<Opaque<Llama>>,
    rule: &str,
    std_of: impl Fn(&str) -> Option<f64>,
) {
    let vars = built.varmap.data().lock().unwrap();
    let mut ruled = 0;
    for t in &built.report.tensors {
        let v = values(vars[&t.path].as_tensor());
        match std_of(&t.path) {
            Some(std) => {
                ruled += 1;
                assert_eq!(
                    t.source,
                    ValueSource::Rule {
                        pattern: rule.to_owned()
                    },
                    "{}",
                    t.path
                );
                assert!(
                    (t.expected_std.unwrap() / std - 1.0).abs() < 1e-12,
                    "{}",
                    t.path
                );
                assert_ks(&t.path, &v, normal_cdf(0.0, std));
            }
            None if t.path.ends_with("norm.weight") => assert!(v.iter().all(|&x| x == 1.0)),
            None => {
                assert!(matches!(t.source, ValueSource::Preset { .. }), "{}", t.path);
                assert_ks(&t.path, &v, normal_cdf(0.0, 0.02));
            }
        }
    }
    assert!(ruled > 0);
    assert!(built.report.unused_rules.is_empty());
}

#[test]
fn torchtitan_depth_init_is_one_rule() {
    // std 0.02 / sqrt(2 (layer_id + 1)) on each layer's attention and MLP output projections.
    let pattern = "model.layers.{layer}.{block}.{proj}.weight";
    let built = build(
        ModelBuilder::new(1)
            .preset(Preset::hf(0.02))
            .strict(true)
            .rule_fn(pattern, |t| {
                let layer = t.number("layer")?;
                matches!(t.capture("proj")?, "o_proj" | "down_proj").then(|| Init::Normal {
                    mean: 0.0,
                    std: 0.02 / (2.0 * (layer + 1) as f64).sqrt(),
                })
            }),
    )
    .unwrap();
    check(&built, pattern, |path| {
        let rest = path.strip_prefix("model.layers.")?;
        let (layer, rest) = rest.split_once('.')?;
        let layer: usize = layer.parse().ok()?;
        (rest.ends_with("o_proj.weight") || rest.ends_with("down_proj.weight"))
            .then(|| 0.02 / (2.0 * (layer + 1) as f64).sqrt())
    });
    // Six tensors, six different... three stds, one report line each, one rule.
    let ruled: Vec<&str> = built
        .report
        .tensors
        .iter()
        .filter(|t| matches!(t.source, ValueSource::Rule { .. }))
        .map(|t| t.path.as_str())
        .collect();
    assert_eq!(ruled.len(), 2 * LAYERS);
}

#[test]
fn megatron_scaled_init_is_one_rule() {
    // init_method_std everywhere; output layers std / sqrt(2 num_layers).
    let sigma = 0.02;
    let scaled = sigma / (2.0 * LAYERS as f64).sqrt();
    let pattern = "*.{proj}.weight";
    let built = build(
        ModelBuilder::new(2)
            .preset(Preset::hf(sigma))
            .rule_fn(pattern, move |t| {
                matches!(t.capture("proj")?, "o_proj" | "down_proj").then_some(Init::Normal {
                    mean: 0.0,
                    std: scaled,
                })
            }),
    )
    .unwrap();
    check(&built, pattern, |path| {
        (path.ends_with("o_proj.weight") || path.ends_with("down_proj.weight")).then_some(scaled)
    });
}

#[test]
fn mup_width_rule_is_one_rule() {
    // Hidden matrices: std scaled by sqrt(base_fan_in / fan_in) from a base width of 32.
    let (base_std, base_fan_in) = (0.02, 32.0);
    let pattern = "model.layers.*.weight";
    let built = build(
        ModelBuilder::new(3)
            .preset(Preset::hf(0.02))
            .rule_fn(pattern, move |t| {
                let fan_in = t.fan_in()? as f64; // None for the 1-D norms: not this rule's
                Some(Init::Normal {
                    mean: 0.0,
                    std: base_std * (base_fan_in / fan_in).sqrt(),
                })
            }),
    )
    .unwrap();
    let cfg = config();
    check(&built, pattern, |path| {
        let fan_in = if path.ends_with("down_proj.weight") {
            cfg.intermediate_size
        } else if path.starts_with("model.layers.") && !path.ends_with("norm.weight") {
            cfg.hidden_size
        } else {
            return None;
        };
        Some(base_std * (base_fan_in / fan_in as f64).sqrt())
    });
}

#[test]
fn a_rule_that_cannot_take_a_tensor_names_itself_and_the_fix() {
    // xavier_normal on every weight of a block reaches its 1-D norm weight too. (A block of our
    // own: candle-transformers' Llama::load unwraps its blocks' errors, a panic in candle.)
    let block = |vb: candle_nn::VarBuilder| {
        let fc = candle_nn::linear(8, 8, vb.pp("layers.0.fc"))?;
        let norm = candle_nn::layer_norm(8, 1e-5, vb.pp("layers.0.norm"))?;
        Ok((fc, norm))
    };
    let err = ModelBuilder::new(0)
        .rule("layers.0.*weight", Init::xavier_normal())
        .build(DType::F32, &Device::Cpu, block)
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(matches!(err, Error::RuleInit { .. }), "{text}");
    assert!(
        text.starts_with("rule `layers.0.*weight` gave `layers.0.norm.weight` [8] an initializer it cannot take: fan in and fan out can not be computed"),
        "{text}"
    );
    assert!(text.ends_with("narrow the rule to matrices with `.rank(2)` (this tensor has 1 dimension) or with a pattern that leaves `layers.0.norm.weight` out"), "{text}");
    // The fix it names works.
    let rank2 = Rule::new("layers.0.*weight", Init::xavier_normal()).rank(2);
    let built = ModelBuilder::new(0)
        .with_rule(rank2)
        .build(DType::F32, &Device::Cpu, block)
        .unwrap();
    assert_eq!(
        built.report.get("layers.0.fc.weight").unwrap().source,
        ValueSource::Rule {
            pattern: "layers.0.*weight".into()
        }
    );
}

#[test]
fn a_malformed_pattern_is_refused_before_the_model_is_built() {
    let cfg = config();
    let mut asked = false;
    let err = ModelBuilder::new(0)
        .rule_fn("model.layers.{layer.weight", |_| None)
        .build(DType::F32, &Device::Cpu, |vb| {
            asked = true;
            Ok(Opaque(Llama::load(vb, &cfg)?))
        })
        .err()
        .unwrap();
    assert!(!asked, "the constructor must not run");
    assert!(matches!(err, Error::RulePattern { .. }));
    assert!(err.to_string().contains("write `{name}`"), "{err}");
}

#[test]
fn an_unused_strict_rule_names_the_nearest_path() {
    let err = build(
        ModelBuilder::new(0)
            .preset(Preset::hf(0.02))
            .strict(true)
            .rule("model.layers.0.mlp.down_projj.weight", Init::Zeros),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("rule `model.layers.0.mlp.down_projj.weight` matched no tensor; the nearest path is `model.layers.0.mlp.down_proj.weight`"),
        "{err}"
    );
}

#[test]
fn a_function_rule_that_declines_every_tensor_is_unused() {
    let built = build(ModelBuilder::new(0).rule_fn("*", |_| None)).unwrap();
    assert_eq!(built.report.unused_rules, ["*"]);
}

#[test]
fn a_rule_function_sees_the_layer_class_in_a_derived_build() {
    use init_candle::{InitWeights, InitWeightsExt};

    #[derive(InitWeights)]
    struct Block {
        fc: candle_nn::Linear,
        norm: candle_nn::LayerNorm,
    }
    // Linear weights only, whatever their names: the rule asks the layer's class.
    let built = ModelBuilder::new(4)
        .rule_fn("*.weight", |t| {
            (t.module()? == "Linear").then_some(Init::Normal {
                mean: 0.0,
                std: 0.5,
            })
        })
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Block {
                fc: candle_nn::linear(16, 16, vb.pp("fc"))?,
                norm: candle_nn::layer_norm(16, 1e-5, vb.pp("norm"))?,
            })
        })
        .unwrap();
    let fc = built.report.get("fc.weight").unwrap();
    assert_eq!(
        fc.source,
        ValueSource::Rule {
            pattern: "*.weight".into()
        }
    );
    assert_ks(
        "fc.weight",
        &values(built.model.fc.weight()),
        normal_cdf(0.0, 0.5),
    );
    // The norm keeps its layer default (weight 1).
    assert_eq!(
        built.report.get("norm.weight").unwrap().source,
        ValueSource::LayerDefault
    );
    assert!(values(built.model.norm.weight()).iter().all(|&x| x == 1.0));
    built.model.check_varmap(&built.varmap).unwrap();
}

#[test]
fn a_flattened_field_keeps_its_layers_keys() {
    use init_candle::{InitWeights, InitWeightsExt};

    #[derive(InitWeights)]
    struct Backbone {
        fc: candle_nn::Linear,
    }
    #[derive(InitWeights)]
    struct Classifier {
        #[init(flatten)]
        backbone: Backbone,
        #[init(zeros, bias = zeros)]
        head: candle_nn::Linear,
    }
    let built = ModelBuilder::new(5)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Classifier {
                // The backbone's keys as a pretrained checkpoint has them: `fc.*`, no prefix.
                backbone: Backbone {
                    fc: candle_nn::linear(8, 8, vb.pp("fc"))?,
                },
                head: candle_nn::linear(8, 2, vb.pp("head"))?,
            })
        })
        .unwrap();
    let names: Vec<String> = built
        .model
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["fc.weight", "fc.bias", "head.weight", "head.bias"]);
    built.model.check_varmap(&built.varmap).unwrap();
    assert_eq!(
        built.report.get("head.weight").unwrap().source,
        ValueSource::Attribute {
            field: "head".into()
        }
    );
}

#[test]
fn a_rule_over_an_attribute_reports_the_attribute() {
    use init_candle::InitWeights;

    #[derive(InitWeights)]
    struct Classifier {
        body: candle_nn::Linear,
        #[init(zeros, bias = zeros)]
        head: candle_nn::Linear,
    }
    let built = ModelBuilder::new(6)
        .rule(
            "head.weight",
            Init::Normal {
                mean: 0.0,
                std: 0.1,
            },
        )
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Classifier {
                body: candle_nn::linear(8, 8, vb.pp("body"))?,
                head: candle_nn::linear(8, 300, vb.pp("head"))?,
            })
        })
        .unwrap();
    let head = built.report.get("head.weight").unwrap();
    assert_eq!(
        head.source,
        ValueSource::Rule {
            pattern: "head.weight".into()
        }
    );
    assert_eq!(head.overridden, ["attribute on `head` (zeros)"]);
    assert_ks(
        "head.weight",
        &values(built.model.head.weight()),
        normal_cdf(0.0, 0.1),
    );
    let text = built.report.to_string();
    assert!(
        text.contains(
            "`head.weight`: rule `head.weight` took precedence over attribute on `head` (zeros)"
        ),
        "{text}"
    );
    // The bias keeps its attribute, which the report names.
    assert_eq!(
        built.report.get("head.bias").unwrap().source,
        ValueSource::Attribute {
            field: "head".into()
        }
    );
}

#[test]
fn a_padding_row_is_one_declaration() {
    // Llama with a pad token: transformers zeroes the embedding's padding_idx row after its
    // N(0, 0.02) init; one row rule says it.
    let pad = 7;
    let built = build(
        ModelBuilder::new(7)
            .preset(Preset::hf(0.02))
            .strict(true)
            .with_rule(Rule::new("model.embed_tokens.weight", Init::Zeros).rows([pad])),
    )
    .unwrap();
    let vars = built.varmap.data().lock().unwrap();
    let emb = vars["model.embed_tokens.weight"]
        .as_tensor()
        .to_vec2::<f32>()
        .unwrap();
    assert_eq!(emb[pad], vec![0.0; 64]);
    let others: Vec<f64> = emb
        .iter()
        .enumerate()
        .filter(|(r, _)| *r != pad)
        .flat_map(|(_, row)| row.iter().map(|&x| x as f64))
        .collect();
    assert_ks("embed_tokens rows", &others, normal_cdf(0.0, 0.02));
    let report = built.report.get("model.embed_tokens.weight").unwrap();
    assert_eq!(
        report.source,
        ValueSource::Preset {
            preset: "hf(0.02)".into()
        }
    );
    assert_eq!(
        report.rows,
        ["rows [7]: zeros (rule `model.embed_tokens.weight`)"]
    );
    assert!(built
        .report
        .to_string()
        .contains("`model.embed_tokens.weight`: rows [7]: zeros"));
    // A row past the end is an error naming it.
    let err = build(
        ModelBuilder::new(7)
            .with_rule(Rule::new("model.embed_tokens.weight", Init::Zeros).rows([300])),
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains(
            "row 300 is past the end of `model.embed_tokens.weight` [300, 64] (rows 0 to 299)"
        ),
        "{err}"
    );
}

#[test]
fn lora_adapters_on_a_loaded_model_are_the_trainable_vars() {
    use init_candle::build::Checkpoint;
    use init_candle::{InitWeights, InitWeightsExt};

    // PEFT's LoRA layer: the base Linear loaded, A kaiming_uniform(a = sqrt(5)), B zeros.
    #[derive(InitWeights)]
    struct LoraLinear {
        base: candle_nn::Linear,
        lora_a: candle_nn::Linear,
        lora_b: candle_nn::Linear,
    }
    fn lora(vb: candle_nn::VarBuilder, r: usize) -> candle_core::Result<LoraLinear> {
        Ok(LoraLinear {
            base: candle_nn::linear(64, 64, vb.pp("base"))?,
            lora_a: candle_nn::linear_no_bias(64, r, vb.pp("lora_a"))?,
            lora_b: candle_nn::linear_no_bias(r, 64, vb.pp("lora_b"))?,
        })
    }
    let dir = std::env::temp_dir().join(format!("init-candle-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("base.safetensors");
    let base = ModelBuilder::new(1)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(64, 64, vb.pp("base"))
        })
        .unwrap();
    base.varmap.save(&file).unwrap();
    // SAFETY: the file is not modified while mapped.
    let checkpoint = unsafe { Checkpoint::mmap(&[&file]) }.unwrap();
    let kaiming_a = Init::KaimingUniform {
        a: 5f64.sqrt(),
        mode: init_candle::FanMode::FanIn,
        nonlinearity: init_candle::Nonlinearity::LEAKY_RELU,
    };
    let built = ModelBuilder::new(2)
        .checkpoint(checkpoint)
        .strict(true)
        .rule("*lora_a.weight", kaiming_a)
        .rule("*lora_b.weight", Init::Zeros)
        .build(DType::F32, &Device::Cpu, |vb| lora(vb, 8))
        .unwrap();
    let trainable: Vec<String> = built
        .trainable()
        .unwrap()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(trainable, ["lora_a.weight", "lora_b.weight"]);
    let adapters = built.vars("lora_{ab}.weight").unwrap();
    assert_eq!(adapters.len(), 2);
    assert!(built.vars("lora_{ab.weight").is_err());
    // kaiming_uniform(a = sqrt(5)) on fan_in 64: U(-1/8, 1/8); B is 0; the base is loaded.
    let a = values(built.model.lora_a.weight());
    assert_ks("lora_a.weight", &a, common::uniform_cdf(-0.125, 0.125));
    assert!(values(built.model.lora_b.weight())
        .iter()
        .all(|&x| x == 0.0));
    assert_eq!(
        values(built.model.base.weight()),
        values(base.model.weight())
    );
    built.model.check_varmap(&built.varmap).unwrap();
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_field_named_otherwise_than_its_varbuilder_path_is_an_error_naming_both() {
    use init_candle::InitWeights;

    #[derive(InitWeights)]
    struct Model {
        classifier: candle_nn::Linear,
    }
    let err = ModelBuilder::new(0)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Model {
                classifier: candle_nn::linear(4, 2, vb.pp("head"))?,
            })
        })
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::PathMismatch { model, varbuilder } if model == "classifier.weight" && varbuilder == "head.weight"),
        "{err}"
    );
}

#[test]
fn a_tuple_of_derived_modules_builds_with_its_attributes() {
    use init_candle::InitWeights;

    #[derive(InitWeights)]
    struct Body {
        fc: candle_nn::Linear,
    }
    #[derive(InitWeights)]
    struct Head {
        #[init(normal(std = 0.5), bias = zeros)]
        classifier: candle_nn::Linear,
    }
    let built = ModelBuilder::new(8)
        .build(DType::F32, &Device::Cpu, |vb| {
            let body = Body {
                fc: candle_nn::linear(16, 16, vb.pp("fc"))?,
            };
            let head = Head {
                classifier: candle_nn::linear(16, 400, vb.pp("classifier"))?,
            };
            Ok((body, head))
        })
        .unwrap();
    let (_, head) = &built.model;
    assert_eq!(
        built.report.get("classifier.weight").unwrap().source,
        ValueSource::Attribute {
            field: "classifier".into()
        }
    );
    assert_ks(
        "classifier.weight",
        &values(head.classifier.weight()),
        normal_cdf(0.0, 0.5),
    );
    assert_eq!(
        built.report.get("fc.weight").unwrap().source,
        ValueSource::LayerDefault
    );
    // Two bare layers in a tuple have no paths of their own: each is named by the path it was
    // asked for.
    let built = ModelBuilder::new(8)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok((
                candle_nn::linear(4, 4, vb.pp("a"))?,
                candle_nn::linear(4, 4, vb.pp("b"))?,
            ))
        })
        .unwrap();
    let paths: Vec<&str> = built
        .report
        .tensors
        .iter()
        .map(|t| t.path.as_str())
        .collect();
    assert_eq!(paths, ["a.weight", "a.bias", "b.weight", "b.bias"]);
    // Outside the builder (no requested paths), they collide: refused, naming the path.
    let (_varmap, vb) = common::varmap();
    let pair = (
        candle_nn::linear(4, 4, vb.pp("a")).unwrap(),
        candle_nn::linear(4, 4, vb.pp("b")).unwrap(),
    );
    let err = pair.init_weights(0).err().unwrap();
    assert!(
        matches!(&err, Error::DuplicatePath { path } if path == "weight"),
        "{err}"
    );
}

#[test]
fn the_first_rule_wins_and_the_report_names_the_later_ones() {
    let built = ModelBuilder::new(9)
        .rule("fc.weight", Init::Zeros)
        .rule("*.weight", Init::Ones)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(4, 4, vb.pp("fc"))
        })
        .unwrap();
    let fc = built.report.get("fc.weight").unwrap();
    assert_eq!(fc.init, Some(Init::Zeros));
    assert_eq!(fc.overridden, ["rule `*.weight` (ones)"]);
    assert!(built
        .report
        .to_string()
        .contains("`fc.weight`: rule `fc.weight` took precedence over rule `*.weight` (ones)"));
}
