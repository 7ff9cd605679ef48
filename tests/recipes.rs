//! Each recipe of `init_candle::recipes` against the library that defines it:
//! `tests/data/recipes.json`, written by `scripts/recipes_fixture.py` (run
//! `bash scripts/recipes_fixture.sh` to regenerate it) from torchtitan (0.3.0 and 0.2.2),
//! megatron-core, gpt-neox, ai2-olmo-core, transformers (GPT-2), PEFT, mup, torchvision, timm
//! and jax/flax building a small model.
//!
//! Every tensor the reference's recipe decides is built here with the recipe, under the same
//! name, and compared as `tests/hf_families.rs` compares (shape, exact constants, zero rows,
//! mean and std within what two samples of that size allow, the tails); and where our
//! initializer is bounded (a truncated normal, a uniform), the reference's values lie within
//! its bounds.

mod common;

use std::collections::BTreeMap;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use candle_transformers::models::llama::{Llama, LlamaConfig};
use common::facts::{disagreement, Built};
use common::values;
use init_candle::build::{ModelBuilder, Opaque, Preset};
use init_candle::init::Distribution;
use init_candle::recipes::{
    self, BaseShapes, Layout, LoraInit, MupOptimizer, OlmoInit, Recipe, ResidualBlock,
};
use init_candle::Init;
use serde_json::Value;

fn fixture() -> &'static Value {
    static FIXTURE: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        serde_json::from_str(include_str!("data/recipes.json")).expect("tests/data/recipes.json")
    })
}

fn shape(key: &str) -> usize {
    fixture()["shape"][key].as_u64().expect("shape") as usize
}

/// Builds with `recipe` over `Preset::hf(0.02)`; every tensor with the initializer it got.
fn build<M: 'static>(
    recipe: &Recipe,
    constructor: impl FnOnce(VarBuilder<'_>) -> candle_core::Result<M>,
) -> BTreeMap<String, (Built, Option<Init>)> {
    build_over(Preset::hf(0.02), recipe, constructor).0
}

fn build_over<M: 'static>(
    preset: Preset,
    recipe: &Recipe,
    constructor: impl FnOnce(VarBuilder<'_>) -> candle_core::Result<M>,
) -> (
    BTreeMap<String, (Built, Option<Init>)>,
    init_candle::build::BuildReport,
) {
    let built = ModelBuilder::new(3)
        .preset(preset)
        .recipe(recipe)
        .strict(true)
        .build(DType::F32, &Device::Cpu, |vb| Ok(Opaque(constructor(vb)?)))
        .unwrap_or_else(|e| panic!("{}: {e}", recipe.name()));
    let vars = built.varmap.data().lock().expect("varmap").clone();
    let tensors = vars
        .into_iter()
        .map(|(path, var)| {
            let t = var.as_tensor();
            let init = built.report.get(&path).and_then(|r| r.init.clone());
            let b = Built {
                dims: t.dims().to_vec(),
                values: values(t),
            };
            (path, (b, init))
        })
        .collect();
    (tensors, built.report)
}

/// Compares every tensor of the case with ours; returns how many.
fn check(case: &str, ours: &BTreeMap<String, (Built, Option<Init>)>) -> usize {
    let (problems, n) = problems(case, ours);
    assert!(
        problems.is_empty(),
        "{case} ({}):\n  {}",
        fixture()["cases"][case]["reference"],
        problems.join("\n  ")
    );
    n
}

/// What [`check`] would report: each disagreement, and how many tensors the case has.
fn problems(case: &str, ours: &BTreeMap<String, (Built, Option<Init>)>) -> (Vec<String>, usize) {
    let tensors = fixture()["cases"][case]["tensors"]
        .as_object()
        .unwrap_or_else(|| panic!("case {case}"));
    let mut problems = Vec::new();
    for (name, facts) in tensors {
        let Some((built, init)) = ours.get(name) else {
            problems.push(format!("we build no `{name}`"));
            continue;
        };
        if let Some(why) = disagreement(facts, built) {
            problems.push(format!("`{name}`: {why}"));
        }
        // The reference's values within our initializer's bounds.
        let (lo, hi) = (
            facts["min"].as_f64().unwrap_or(0.0),
            facts["max"].as_f64().unwrap_or(0.0),
        );
        // Our bounds, and whether the values reach them (a truncation within 3.5 stds; a
        // uniform's always).
        let (bounds, reached) = match init {
            Some(Init::TruncNormal { mean, std, a, b }) => (
                Some((mean + a, mean + b)),
                (b - mean).max(mean - a) <= 3.5 * std,
            ),
            Some(Init::Uniform { low, high }) => (Some((*low, *high)), true),
            Some(init @ Init::VarianceScaling { distribution, .. }) => {
                let std = init.expected_std(&built.dims).unwrap_or(f64::NAN);
                match distribution {
                    Distribution::TruncatedNormal => {
                        let bound = 2.0 * std / 0.879_625_661_034_239_8;
                        (Some((-bound, bound)), true)
                    }
                    Distribution::Uniform => {
                        let bound = 3f64.sqrt() * std;
                        (Some((-bound, bound)), true)
                    }
                    Distribution::Normal => (None, false),
                }
            }
            _ => (None, false),
        };
        if let Some((a, b)) = bounds {
            let slack = 1e-6 * (b - a).abs();
            if lo < a - slack || hi > b + slack {
                problems.push(format!(
                    "`{name}`: the reference reaches [{lo}, {hi}], outside our bounds [{a}, {b}]"
                ));
            }
            // Both bounded, with 1000 values or more: each sample's extremes lie at its bounds
            // (a uniform's and a truncated normal's alike), so they agree.
            let ours = built.values.iter().fold(0f64, |m, x| m.max(x.abs()));
            let theirs = lo.abs().max(hi.abs());
            if reached && built.values.len() >= 1000 && (ours - theirs).abs() > 0.05 * theirs {
                problems.push(format!(
                    "`{name}`: our values reach {ours:.4}, the reference's {theirs:.4}: other bounds"
                ));
            }
        }
    }
    (problems, tensors.len())
}

/// The fixture's small Llama (untied head), from candle-transformers.
fn llama(vb: VarBuilder<'_>) -> candle_core::Result<Llama> {
    let cfg: LlamaConfig = serde_json::from_value(serde_json::json!({
        "hidden_size": shape("dim"), "intermediate_size": shape("hidden"),
        "vocab_size": shape("vocab"), "num_hidden_layers": shape("layers"),
        "num_attention_heads": shape("heads"), "num_key_value_heads": shape("heads"),
        "rms_norm_eps": 1e-5, "max_position_embeddings": 64, "tie_word_embeddings": false
    }))
    .map_err(candle_core::Error::wrap)?;
    Llama::load(vb, &cfg.into_config(false))
}

#[test]
fn torchtitan_llama3_depth_init() {
    let recipe = recipes::torchtitan_llama3(shape("layers"), shape("dim"), true);
    assert_eq!(check("torchtitan_llama3", &build(&recipe, llama)), 16);
}

/// torchtitan 0.2.2, the last release with `ModelArgs.depth_init`: both settings. With two
/// layers they differ in layer 0 only (0.02 / sqrt(2) against 0.02 / sqrt(4)), so each case
/// is also checked against the other setting's recipe, which must disagree there and only
/// there.
#[test]
fn torchtitan_0_2_depth_init_false_and_true() {
    let (layers, dim) = (shape("layers"), shape("dim"));
    let case = |depth_init: bool| format!("torchtitan_0_2_llama3_depth_init_{depth_init}");
    for depth_init in [false, true] {
        let recipe = recipes::torchtitan_llama3(layers, dim, depth_init);
        assert_eq!(check(&case(depth_init), &build(&recipe, llama)), 16);
        let (wrong, _) = problems(&case(!depth_init), &build(&recipe, llama));
        let mut named: Vec<&str> = wrong
            .iter()
            .map(|p| p.split('`').nth(1).unwrap_or(p))
            .collect();
        named.dedup();
        assert_eq!(
            named,
            [
                "model.layers.0.mlp.down_proj.weight",
                "model.layers.0.mlp.up_proj.weight",
                "model.layers.0.self_attn.o_proj.weight",
            ],
            "depth_init={depth_init} against the other case: {wrong:#?}"
        );
    }
}

#[test]
fn megatron_scaled_init() {
    let recipe = recipes::megatron(Layout::Llama, 0.02, shape("layers"));
    assert_eq!(check("megatron", &build(&recipe, llama)), 16);
}

#[test]
fn olmo_init_methods() {
    for (case, method) in [
        ("olmo_normal", OlmoInit::Normal),
        ("olmo_llama", OlmoInit::Llama),
        ("olmo_llama_depth", OlmoInit::LlamaDepth),
        ("olmo_fan_in", OlmoInit::FanIn),
    ] {
        let recipe = recipes::olmo(method, shape("dim"), shape("layers"));
        assert_eq!(check(case, &build(&recipe, llama)), 16, "{case}");
    }
}

#[test]
fn nanogpt_is_gpt2() {
    let (d, v, l) = (shape("dim"), shape("vocab"), shape("layers"));
    let gpt2 = |vb: VarBuilder<'_>| -> candle_core::Result<Vec<candle_nn::Linear>> {
        let t = vb.pp("transformer");
        candle_nn::embedding(v, d, t.pp("wte"))?;
        candle_nn::embedding(64, d, t.pp("wpe"))?;
        let mut layers = Vec::new();
        for i in 0..l {
            let h = t.pp(format!("h.{i}"));
            layers.push(candle_nn::linear(d, 3 * d, h.pp("attn.c_attn"))?);
            layers.push(candle_nn::linear(d, d, h.pp("attn.c_proj"))?);
            layers.push(candle_nn::linear(d, 4 * d, h.pp("mlp.c_fc"))?);
            layers.push(candle_nn::linear(4 * d, d, h.pp("mlp.c_proj"))?);
        }
        Ok(layers)
    };
    assert_eq!(check("nanogpt", &build(&recipes::nanogpt(l), gpt2)), 10);
}

/// The adapters PEFT adds (r 8 on q_proj and v_proj) under PEFT's names.
fn adapters(vb: VarBuilder<'_>) -> candle_core::Result<Vec<candle_nn::Linear>> {
    let (d, l) = (shape("dim"), shape("layers"));
    let mut out = Vec::new();
    for i in 0..l {
        for proj in ["q_proj", "v_proj"] {
            let p = vb.pp(format!(
                "base_model.model.model.layers.{i}.self_attn.{proj}"
            ));
            out.push(candle_nn::linear_no_bias(d, 8, p.pp("lora_A.default"))?);
            out.push(candle_nn::linear_no_bias(8, d, p.pp("lora_B.default"))?);
        }
    }
    Ok(out)
}

#[test]
fn lora_as_peft_initializes_it() {
    assert_eq!(
        check(
            "lora_default",
            &build(&recipes::lora(LoraInit::Default), adapters)
        ),
        8
    );
    assert_eq!(
        check(
            "lora_gaussian",
            &build(&recipes::lora(LoraInit::Gaussian { r: 8 }), adapters)
        ),
        8
    );
}

#[test]
fn zero_init_residual_as_torchvision() {
    // The model (a `Func` borrowing the builder) is dropped: its tensors stay in the VarMap.
    let resnet =
        |vb: VarBuilder<'_>| candle_transformers::models::resnet::resnet50(10, vb).map(|_| ());
    let ours = build(
        &recipes::zero_init_residual(ResidualBlock::Bottleneck),
        resnet,
    );
    assert_eq!(check("zero_init_residual", &ours), 16);
    // The other norms keep 1.
    let (bn2, _) = &ours["layer1.0.bn2.weight"];
    assert!(bn2.values.iter().all(|&x| x == 1.0));
}

#[test]
fn layer_scale_as_timm() {
    let (d, l) = (shape("dim"), shape("layers"));
    let gammas = |vb: VarBuilder<'_>| -> candle_core::Result<Vec<candle_core::Tensor>> {
        let mut out = Vec::new();
        for i in 0..l {
            for branch in 1..=2 {
                // As candle-transformers' DINOv2 asks for it: no hint.
                out.push(vb.get(d, &format!("blocks.{i}.ls{branch}.gamma"))?);
            }
        }
        Ok(out)
    };
    assert_eq!(
        check("layer_scale", &build(&recipes::layer_scale(1e-5), gammas)),
        4
    );
}

/// A recipe prints its name, reference and rules; its rules can be taken one by one.
#[test]
fn a_recipe_prints_and_its_rules_are_optional() {
    let recipe = recipes::torchtitan_llama3(2, 64, false);
    let text = recipe.to_string();
    assert!(
        text.starts_with("recipe torchtitan llama3 (depth_init=false"),
        "{text}"
    );
    assert!(text.contains("torchtitan/models/llama3"), "{text}");
    assert!(text.contains("rule `lm_head.weight`"), "{text}");
    assert!(recipe.rules().iter().all(|r| r.is_optional()));
    // A tied model (no lm_head) is not a strict-mode error.
    let built = ModelBuilder::new(0)
        .preset(Preset::hf(0.02))
        .recipe(&recipe)
        .strict(true)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Opaque(candle_nn::embedding(
                8,
                4,
                vb.pp("model.embed_tokens"),
            )?))
        })
        .unwrap();
    assert!(built.report.unused_rules.is_empty());
    // depth_init=false: every layer's output projections 0.02 / sqrt(2 n_layers).
    let std = |layer: usize| {
        let info_dims = [64, 64];
        let path = format!("model.layers.{layer}.self_attn.o_proj.weight");
        let info = init_candle::build::TensorInfo::new(&path, &info_dims, DType::F32);
        match recipe.rules().iter().find_map(|r| r.decide(&info)) {
            Some(Init::TruncNormal { std, .. }) => std,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(std(0), 0.01);
    assert_eq!(std(1), 0.01);
}

/// muP: an MLP at width 256 with base shapes from width 64, as mup's `set_base_shapes` leaves
/// it (biases and the readout rescaled, or the readout zero), and MuAdam's and MuSGD's
/// learning-rate and weight-decay multipliers, tensor by tensor.
#[test]
fn mup_as_microsofts_mup() {
    let mlp = |width: usize| {
        move |vb: VarBuilder<'_>| -> candle_core::Result<Vec<candle_nn::Linear>> {
            Ok(vec![
                candle_nn::linear(16, width, vb.pp("input"))?,
                candle_nn::linear(width, width, vb.pp("hidden"))?,
                candle_nn::linear(width, 10, vb.pp("readout"))?,
            ])
        }
    };
    let base = BaseShapes::of(mlp(64)).unwrap();
    for zero in [false, true] {
        let case = format!("mup_readout_zero_{zero}");
        let recipe = recipes::mup(&base, "readout", zero);
        let (ours, report) = build_over(Preset::PyTorch, &recipe, mlp(256));
        assert_eq!(check(&case, &ours), 6);
        for (name, optimizer) in [("adam", MupOptimizer::Adam), ("sgd", MupOptimizer::Sgd)] {
            let want = &fixture()["cases"][case.as_str()]["multipliers"][name];
            let table = base.multipliers(&report, optimizer).unwrap();
            assert_eq!(table.len(), 6);
            for m in table {
                let w = &want[m.path.as_str()];
                assert_eq!(
                    (Some(m.lr), Some(m.weight_decay)),
                    (w["lr"].as_f64(), w["weight_decay"].as_f64()),
                    "{case} {name} {}",
                    m.path
                );
            }
        }
    }
    // A tensor with no base shape is an error naming it.
    let built = ModelBuilder::new(0)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(8, 8, vb.pp("other"))
        })
        .unwrap();
    let err = base
        .multipliers(&built.report, MupOptimizer::Adam)
        .unwrap_err();
    assert!(err.to_string().contains("`other.weight`"), "{err}");
}

/// A matrix of the fixture (a list of rows); `null` entries (JSON's NaN) read as NaN.
fn matrix(v: &Value) -> Vec<Vec<f64>> {
    let rows = v.as_array().expect("rows").iter();
    rows.map(|r| {
        let row = r.as_array().expect("row").iter();
        row.map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
    })
    .collect()
}

/// Three rows of small integers, the input the LoRA checks feed an adapted layer.
fn probe(inp: usize) -> candle_core::Tensor {
    let values = (0..3 * inp).map(|i| ((i * 7919) % 13) as f32 - 6.0);
    candle_core::Tensor::from_vec(values.collect::<Vec<_>>(), (3, inp), &Device::Cpu).unwrap()
}

/// How far the adapted layer's output `x W^T + scaling (x A^T) B^T` lies from `before`, the
/// base layer's output before the adapters were made (largest absolute difference).
fn output_shift(
    x: &candle_core::Tensor,
    w: &candle_core::Tensor,
    a: &candle_core::Tensor,
    b: &candle_core::Tensor,
    scaling: f64,
    before: &candle_core::Tensor,
) -> f32 {
    let lora = x.matmul(&a.t().unwrap()).unwrap().matmul(&b.t().unwrap());
    let after = x.matmul(&w.t().unwrap()).unwrap() + (lora.unwrap() * scaling).unwrap();
    let diff = (after.unwrap() - before).unwrap().abs().unwrap();
    diff.max_all().unwrap().to_scalar::<f32>().unwrap()
}

/// PEFT's PiSSA and OLoRA on the same base weight: the adapters equal PEFT's up to the sign
/// of each rank-one component, the residual base weight equals PEFT's, and the layer's output
/// is unchanged.
#[test]
fn pissa_and_olora_as_peft_computes_them() {
    use candle_core::Tensor;
    use init_candle::recipes::{lora_from_base, LoraFromBase};

    for (case, init) in [
        ("lora_pissa", LoraFromBase::Pissa),
        ("lora_olora", LoraFromBase::Olora),
    ] {
        let exact = &fixture()["cases"][case]["exact"];
        let (base, want_a, want_b, want_res) = (
            matrix(&exact["base"]),
            matrix(&exact["lora_A"]),
            matrix(&exact["lora_B"]),
            matrix(&exact["residual"]),
        );
        let scaling = exact["scaling"].as_f64().expect("scaling");
        let (out, inp, r) = (base.len(), base[0].len(), want_a.len());
        let varmap = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let w = vb.get((out, inp), "proj.base_layer.weight").unwrap();
        let flat: Vec<f32> = base.iter().flatten().map(|&x| x as f32).collect();
        varmap.data().lock().unwrap()["proj.base_layer.weight"]
            .set(&Tensor::from_vec(flat, (out, inp), &Device::Cpu).unwrap())
            .unwrap();
        let a = vb.get((r, inp), "proj.lora_A.default.weight").unwrap();
        let b = vb.get((out, r), "proj.lora_B.default.weight").unwrap();
        let x = probe(inp);
        let before = x.matmul(&w.t().unwrap()).unwrap();
        let replaced = lora_from_base(&varmap, init, scaling).unwrap();
        assert_eq!(replaced, ["proj.base_layer.weight"]);
        let got = |t: &Tensor| t.to_dtype(DType::F64).unwrap().to_vec2::<f64>().unwrap();
        let (ga, gb, gres) = (got(&a), got(&b), got(&w));
        for k in 0..r {
            // The component's sign: flip A's row and B's column together.
            let sign = if ga[k][0] * want_a[k][0] < 0.0 {
                -1.0
            } else {
                1.0
            };
            for j in 0..inp {
                assert!(
                    (sign * ga[k][j] - want_a[k][j]).abs() < 1e-4,
                    "{case} A[{k}][{j}]"
                );
            }
            for i in 0..out {
                assert!(
                    (sign * gb[i][k] - want_b[i][k]).abs() < 1e-4,
                    "{case} B[{i}][{k}]"
                );
            }
        }
        for i in 0..out {
            for j in 0..inp {
                assert!(
                    (gres[i][j] - want_res[i][j]).abs() < 1e-5,
                    "{case} residual[{i}][{j}]"
                );
            }
        }
        let diff = output_shift(&x, &w, &a, &b, scaling, &before);
        assert!(diff < 1e-4, "{case}: output moved by {diff}");
    }
}

/// Bad pairs are refused before anything is written.
#[test]
fn lora_from_base_checks_every_pair_before_writing() {
    use init_candle::recipes::{lora_from_base, LoraFromBase};

    let varmap = candle_nn::VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    candle_nn::linear_no_bias(8, 6, vb.pp("good.base_layer")).unwrap();
    candle_nn::linear_no_bias(8, 2, vb.pp("good.lora_A.default")).unwrap();
    candle_nn::linear_no_bias(2, 6, vb.pp("good.lora_B.default")).unwrap();
    candle_nn::linear_no_bias(8, 6, vb.pp("bad.base_layer")).unwrap();
    candle_nn::linear_no_bias(7, 2, vb.pp("bad.lora_A.default")).unwrap(); // in 7, base in 8
    candle_nn::linear_no_bias(2, 6, vb.pp("bad.lora_B.default")).unwrap();
    candle_nn::linear_no_bias(8, 2, vb.pp("alone.lora_A.default")).unwrap();
    let snapshot = |vm: &candle_nn::VarMap| -> Vec<(String, Vec<f32>)> {
        let mut v: Vec<_> = vm
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(k, t)| {
                (
                    k.clone(),
                    t.as_tensor()
                        .flatten_all()
                        .unwrap()
                        .to_vec1::<f32>()
                        .unwrap(),
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let before = snapshot(&varmap);
    for init in [
        LoraFromBase::Olora,
        LoraFromBase::PissaNiter { niter: 2, seed: 0 },
    ] {
        let err = lora_from_base(&varmap, init, 2.0).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`bad.lora_A.default.weight` [2, 7]"),
            "{text}"
        );
        assert!(
            text.contains("`alone.lora_A.default.weight` has no `alone.lora_B.default.weight`"),
            "{text}"
        );
        assert_eq!(snapshot(&varmap), before, "{init:?}: nothing written");
    }
    let err = lora_from_base(&candle_nn::VarMap::new(), LoraFromBase::Pissa, f64::NAN).unwrap_err();
    assert!(err.to_string().contains("scaling NaN"), "{err}");
}

/// The two-sample Kolmogorov-Smirnov test's p-value: the Kolmogorov distribution at
/// (sqrt(n_e) + 0.12 + 0.11 / sqrt(n_e)) D, n_e = n m / (n + m) (Stephens' correction, as
/// `init_testkit::ks_pvalue` uses for one sample; Numerical Recipes' `kstwo`).
fn ks_two_sample_pvalue(x: &[f64], y: &[f64]) -> f64 {
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v
    };
    let (x, y) = (sorted(x), sorted(y));
    let (n, m) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0f64);
    while i < x.len() && j < y.len() {
        let t = x[i].min(y[j]);
        while i < x.len() && x[i] <= t {
            i += 1;
        }
        while j < y.len() && y[j] <= t {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let ne = (n * m / (n + m)).sqrt();
    init_testkit::kolmogorov_sf((ne + 0.12 + 0.11 / ne) * d)
}

/// PEFT's randomized PiSSA (`pissa_niter_4`, `pissa_niter_16`) on the fixture's base weight,
/// 256 seeds of ours against PEFT's 256 torch seeds. PEFT's adapters come from torch's global
/// RNG, so they are compared by what a run is, not value by value:
/// - every run (ours and PEFT's) rebuilds the base exactly: max |residual + scaling B A - W|
///   below 1e-6 (each of the residual, A and B is rounded once to f32, relative 6e-8, on
///   entries below 1: a few 1e-8 expected, PEFT's own is 2e-8), and the layer's output moves
///   by less than 1e-4, the tolerance of the exact PiSSA test (inputs up to 6 over 24 inputs);
/// - B's columns and A's rows are orthogonal (off the diagonal of B^T B and A A^T, below 1e-6
///   of the diagonal: f32 rounding), so the singular values of scaling B A are
///   scaling |B_k| |A_k|, and each lies at or below the base weight's k-th singular value (a
///   projection of W cannot exceed W's singular values; 1e-6 relative slack for f32);
/// - how far the adapters land from the exact top-r subspaces, ||P_B - P_U||_F / sqrt(2) for
///   B and the left singular vectors, the same for A and the right ones, and the share of the
///   top-r energy scaling B A captures, are distributed as PEFT's: ours draws the same
///   Gaussian test matrix shape and runs the same iterations, so the law is the same, and a
///   two-sample KS test over the 256 + 256 runs must not reject at p = 1e-4 (the threshold of
///   every KS test here). That is enough to tell K from K +- 1 at K = 4 (3 or 5 iterations in
///   place of 4 are rejected, p < 1e-4); at K = 16 one iteration more or less does not show
///   (15 and 17 pass), four fewer do (12 is rejected).
#[test]
fn pissa_niter_as_peft_distributes_it() {
    use candle_core::Tensor;
    use init_candle::recipes::{lora_from_base, LoraFromBase};

    let floats = |v: &Value| -> Vec<f64> {
        let all = v.as_array().expect("list").iter();
        all.map(|x| x.as_f64().expect("number")).collect()
    };
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    for niter in [4usize, 16] {
        let case = format!("lora_pissa_niter_{niter}");
        let exact = &fixture()["cases"][case.as_str()]["exact"];
        let runs = &fixture()["cases"][case.as_str()]["runs"];
        assert_eq!(exact["niter"].as_u64(), Some(niter as u64));
        let base = matrix(&exact["base"]);
        let (u_r, v_r) = (matrix(&exact["left"]), matrix(&exact["right"])); // r x out, r x in
        let sigma = floats(&exact["singular_values"]);
        let scaling = exact["scaling"].as_f64().expect("scaling");
        let (out, inp, r) = (base.len(), base[0].len(), u_r.len());
        let top: f64 = sigma[..r].iter().map(|s| s * s).sum();

        // What one run is: its reconstruction error, its output's move, and its distances and
        // energy; `a` r x in, `b` out x r, `res` out x in.
        let assess = |who: &str, a: &[Vec<f64>], b: &[Vec<f64>], res: &[Vec<f64>]| {
            let mut err = 0f64;
            for i in 0..out {
                for j in 0..inp {
                    let ba: f64 = (0..r).map(|k| b[i][k] * a[k][j]).sum();
                    err = err.max((res[i][j] + scaling * ba - base[i][j]).abs());
                }
            }
            assert!(
                err < 1e-6,
                "{who}: the residual + scaling B A is {err} off W"
            );
            let b_cols: Vec<Vec<f64>> = (0..r)
                .map(|k| (0..out).map(|i| b[i][k]).collect())
                .collect();
            let mut singular = Vec::new();
            for k in 0..r {
                for l in 0..k {
                    let (bb, aa) = (dot(&b_cols[k], &b_cols[l]), dot(&a[k], &a[l]));
                    assert!(
                        bb.abs() < 1e-6 * dot(&b_cols[k], &b_cols[k]),
                        "{who}: B's columns {l} and {k} are not orthogonal ({bb})"
                    );
                    assert!(
                        aa.abs() < 1e-6 * dot(&a[k], &a[k]),
                        "{who}: A's rows {l} and {k} are not orthogonal ({aa})"
                    );
                }
                singular
                    .push(scaling * dot(&b_cols[k], &b_cols[k]).sqrt() * dot(&a[k], &a[k]).sqrt());
            }
            singular.sort_by(|x, y| y.total_cmp(x));
            for (k, s) in singular.iter().enumerate() {
                assert!(
                    *s <= sigma[k] * (1.0 + 1e-6),
                    "{who}: scaling B A's singular value {k} is {s}, above W's {}",
                    sigma[k]
                );
            }
            // sqrt(r - ||U_r^T Q||_F^2), Q the normalized columns (orthonormal, as checked).
            let distance = |vectors: &[Vec<f64>], basis: &[Vec<f64>]| {
                let captured: f64 = vectors
                    .iter()
                    .map(|x| {
                        let norm = dot(x, x);
                        basis.iter().map(|u| dot(u, x).powi(2)).sum::<f64>() / norm
                    })
                    .sum();
                (r as f64 - captured).max(0.0).sqrt()
            };
            let energy = singular.iter().map(|s| s * s).sum::<f64>() / top;
            (distance(&b_cols, &u_r), distance(a, &v_r), energy)
        };

        // PEFT's recorded run passes the same checks, and its figures are the fixture's.
        let (l0, r0, e0) = assess(
            &format!("peft {case}"),
            &matrix(&exact["lora_A"]),
            &matrix(&exact["lora_B"]),
            &matrix(&exact["residual"]),
        );
        let first = |key: &str| runs[key][0].as_f64().expect(key);
        assert!((l0 - first("left_distance")).abs() < 1e-5, "{l0}");
        assert!((r0 - first("right_distance")).abs() < 1e-5, "{r0}");
        assert!((e0 - first("energy")).abs() < 1e-5, "{e0}");

        let x = probe(inp);
        let flat: Vec<f32> = base.iter().flatten().map(|&x| x as f32).collect();
        let w0 = Tensor::from_vec(flat, (out, inp), &Device::Cpu).unwrap();
        let before = x.matmul(&w0.t().unwrap()).unwrap();
        let (mut left, mut right, mut energy) = (Vec::new(), Vec::new(), Vec::new());
        for seed in 0..256 {
            let varmap = candle_nn::VarMap::new();
            let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
            let w = vb.get((out, inp), "proj.base_layer.weight").unwrap();
            varmap.data().lock().unwrap()["proj.base_layer.weight"]
                .set(&w0)
                .unwrap();
            let a = vb.get((r, inp), "proj.lora_A.default.weight").unwrap();
            let b = vb.get((out, r), "proj.lora_B.default.weight").unwrap();
            let init = LoraFromBase::PissaNiter { niter, seed };
            let replaced = lora_from_base(&varmap, init, scaling).unwrap();
            assert_eq!(replaced, ["proj.base_layer.weight"]);
            let got = |t: &Tensor| t.to_dtype(DType::F64).unwrap().to_vec2::<f64>().unwrap();
            let (l, rt, e) = assess(&format!("{init:?}"), &got(&a), &got(&b), &got(&w));
            left.push(l);
            right.push(rt);
            energy.push(e);
            let diff = output_shift(&x, &w, &a, &b, scaling, &before);
            assert!(diff < 1e-4, "{init:?}: output moved by {diff}");
        }
        for (what, ours) in [
            ("left_distance", &left),
            ("right_distance", &right),
            ("energy", &energy),
        ] {
            let theirs = floats(&runs[what]);
            let p = ks_two_sample_pvalue(ours, &theirs);
            let median = |v: &[f64]| {
                let mut v = v.to_vec();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            eprintln!(
                "{case} {what}: median ours {:.4}, peft {:.4}; KS p = {p:.3}",
                median(ours),
                median(&theirs)
            );
            assert!(p > 1e-4, "{case} {what}: two-sample KS rejects, p = {p:e}");
        }
    }
}

/// JAX/Flax's variance_scaling family on a Dense kernel and a conv kernel, in PyTorch's layout:
/// the same distributions as jax's samples (truncated normals within their +-2 std bounds).
#[test]
fn flax_initializers_as_jax_samples_them() {
    use init_candle::init::{Axes, VarianceMode};

    let layers =
        |vb: VarBuilder<'_>| -> candle_core::Result<(candle_nn::Linear, candle_nn::Conv2d)> {
            Ok((
                candle_nn::linear_no_bias(96, 128, vb.pp("dense"))?,
                candle_nn::conv2d_no_bias(16, 32, 3, Default::default(), vb.pp("conv"))?,
            ))
        };
    for (case, init) in [
        ("flax_lecun_normal", Init::lecun_normal()),
        ("flax_lecun_uniform", Init::lecun_uniform()),
        ("flax_he_normal", Init::he_normal()),
        ("flax_he_uniform", Init::he_uniform()),
        ("flax_glorot_normal", Init::glorot_normal()),
        ("flax_glorot_uniform", Init::glorot_uniform()),
        (
            "flax_variance_scaling_0.5_fan_out_normal",
            Init::variance_scaling(0.5, VarianceMode::FanOut, Distribution::Normal),
        ),
    ] {
        let built = build(&recipes::flax(init.clone()), layers);
        assert_eq!(built["dense.weight"].1.as_ref(), Some(&init), "{case}");
        assert_eq!(check(case, &built), 2, "{case}");
    }
    // JAX's own axes on a kernel kept in JAX's layout: the same law (the same bounds).
    let jax = Init::glorot_normal()
        .with_axes(Axes::one(-2), Axes::one(-1), Axes::NONE)
        .unwrap();
    assert_eq!(
        jax.expected_std(&[3, 3, 16, 32]),
        Init::glorot_normal().expected_std(&[32, 16, 3, 3])
    );
    let err = Init::lecun_normal().validate(&[8], DType::F32).unwrap_err();
    assert!(err.to_string().contains("2 or more dimensions"), "{err}");
}

/// max |M M^T - s^2 I| (or M^T M when M is tall) of the tensor viewed as (size(0), rest).
fn gram_max_error(built: &Built, scale: f64) -> f64 {
    let rows = built.dims[0];
    let cols = built.values.len() / rows;
    init_testkit::orthogonality_error(rows, cols, &built.values, scale)
}

/// JAX/Flax's orthogonal (its column axis, the output axis, is axis 0 in PyTorch's layout) and
/// delta_orthogonal (an orthogonal centre tap, JAX's centre (k - 1) / 2): the facts of jax's
/// samples, the same orthogonality, the same tap.
#[test]
fn flax_orthogonal_and_delta_orthogonal_as_jax() {
    let tensors = |shapes: Vec<(&'static str, Vec<usize>)>| {
        move |vb: VarBuilder<'_>| -> candle_core::Result<Vec<candle_core::Tensor>> {
            shapes
                .iter()
                .map(|(name, dims)| vb.get(dims.as_slice(), name))
                .collect()
        }
    };
    let orthogonal = [
        ("dense.weight", vec![128, 96], 1.0),
        ("conv.weight", vec![32, 16, 3, 3], 1.0),
        ("dense_scaled.weight", vec![64, 64], 0.5),
    ];
    let case = &fixture()["cases"]["flax_orthogonal"]["tensors"];
    for (name, dims, gain) in orthogonal {
        let init = Init::Orthogonal {
            gain,
            column_axis: 0,
        };
        let built = build(&recipes::flax(init), tensors(vec![(name, dims)]));
        let (ours, _) = &built[name];
        let facts = &case[name];
        assert_eq!(disagreement(facts, ours), None, "{name}");
        let theirs = facts["gram_max_error"].as_f64().expect("gram_max_error");
        let err = gram_max_error(ours, gain);
        eprintln!("orthogonal {name}: Gram error ours {err:.1e}, jax {theirs:.1e}");
        assert!(
            err < 1e-5 && theirs < 1e-5,
            "{name}: ours {err:e}, jax {theirs:e}"
        );
    }
    let delta = [
        ("conv.weight", vec![32, 16, 3, 3]),
        ("conv_even.weight", vec![16, 16, 4, 4]),
        ("conv1d.weight", vec![8, 8, 3]),
        ("conv3d.weight", vec![8, 4, 3, 3, 3]),
    ];
    let case = &fixture()["cases"]["flax_delta_orthogonal"]["tensors"];
    for (name, dims) in delta {
        let built = build(
            &recipes::flax(Init::delta_orthogonal()),
            tensors(vec![(name, dims.clone())]),
        );
        let (ours, _) = &built[name];
        let facts = &case[name];
        assert_eq!(disagreement(facts, ours), None, "{name}");
        // The taps holding a nonzero value, as lists of spatial indices.
        let (out, inputs) = (dims[0], dims[1]);
        let taps: usize = dims[2..].iter().product();
        let mut nonzero: Vec<Vec<usize>> = Vec::new();
        for tap in 0..taps {
            let any = (0..out * inputs).any(|oi| ours.values[oi * taps + tap] != 0.0);
            if any {
                let mut index = Vec::new();
                let mut rest = tap;
                for &k in dims[2..].iter().rev() {
                    index.insert(0, rest % k);
                    rest /= k;
                }
                nonzero.push(index);
            }
        }
        let theirs: Vec<Vec<usize>> =
            serde_json::from_value(facts["nonzero_taps"].clone()).expect("nonzero_taps");
        assert_eq!(nonzero, theirs, "{name}");
        // The tap's (out, in) matrix has orthonormal columns, as jax's.
        let tap = nonzero[0]
            .iter()
            .zip(&dims[2..])
            .fold(0, |acc, (i, k)| acc * k + i);
        let matrix = Built {
            dims: vec![out, inputs],
            values: (0..out * inputs)
                .map(|oi| ours.values[oi * taps + tap])
                .collect(),
        };
        let err = gram_max_error(&matrix, 1.0);
        let theirs = facts["gram_max_error"].as_f64().expect("gram_max_error");
        eprintln!(
            "delta_orthogonal {name}: centre tap Gram error ours {err:.1e}, jax {theirs:.1e}"
        );
        assert!(
            err < 1e-5 && theirs < 1e-5,
            "{name}: ours {err:e}, jax {theirs:e}"
        );
    }
}

/// PEFT's orthogonal LoRA: every pair's `B A` is 0, and A and B are distributed as PEFT's.
#[test]
fn orthogonal_lora_as_peft() {
    let built = ModelBuilder::new(0)
        .preset(Preset::Zeros)
        .build(DType::F32, &Device::Cpu, |vb| Ok(Opaque(adapters(vb)?)))
        .unwrap();
    let written = init_candle::recipes::lora_orthogonal(&built.varmap, 5).unwrap();
    assert_eq!(written.len(), 4);
    let vars = built.varmap.data().lock().unwrap().clone();
    let facts = fixture()["cases"]["lora_orthogonal"]["tensors"]
        .as_object()
        .expect("lora_orthogonal");
    let mut problems = Vec::new();
    for (name, f) in facts {
        let t = vars[name].as_tensor();
        let ours = Built {
            dims: t.dims().to_vec(),
            values: values(t),
        };
        if let Some(why) = disagreement(f, &ours) {
            problems.push(format!("`{name}`: {why}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for a in &written {
        let b = a.replace(".lora_A.", ".lora_B.");
        let ba = vars[&b].as_tensor().matmul(vars[a].as_tensor()).unwrap();
        let max = ba
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(max < 1e-6, "{a}: |B A| reaches {max}");
    }
    // An odd rank is refused, nothing written.
    let varmap = candle_nn::VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    candle_nn::linear_no_bias(8, 3, vb.pp("p.lora_A.default")).unwrap();
    candle_nn::linear_no_bias(3, 8, vb.pp("p.lora_B.default")).unwrap();
    let err = init_candle::recipes::lora_orthogonal(&varmap, 0).unwrap_err();
    assert!(err.to_string().contains("even rank"), "{err}");
}

/// GPT-NeoX's small_init (inputs, embeddings, the output layer) and wang_init (the residual
/// outputs), as gpt-neox's own init functions draw them.
#[test]
fn gpt_neox_small_init_and_wang_init() {
    let (dim, hidden, layers, vocab) = (
        shape("dim"),
        shape("hidden"),
        shape("layers"),
        shape("vocab"),
    );
    let recipe = recipes::gpt_neox(Layout::GptNeox, dim, layers);
    let model = move |vb: VarBuilder<'_>| -> candle_core::Result<Vec<candle_core::Tensor>> {
        let mut tensors = vec![
            vb.get((vocab, dim), "gpt_neox.embed_in.weight")?,
            vb.get((vocab, dim), "embed_out.weight")?,
        ];
        for layer in 0..layers {
            let vb = vb.pp(format!("gpt_neox.layers.{layer}"));
            tensors.push(vb.get((3 * dim, dim), "attention.query_key_value.weight")?);
            tensors.push(vb.get((dim, dim), "attention.dense.weight")?);
            tensors.push(vb.get((hidden, dim), "mlp.dense_h_to_4h.weight")?);
            tensors.push(vb.get((dim, hidden), "mlp.dense_4h_to_h.weight")?);
        }
        Ok(tensors)
    };
    assert_eq!(check("gpt_neox", &build(&recipe, model)), 10);
}

/// Small-init embeddings as transformers' RWKV draws them (std 1e-4, orthogonal).
#[test]
fn small_init_embeddings_as_rwkv() {
    let (vocab, dim) = (shape("vocab"), shape("dim"));
    let recipe = recipes::small_init_embeddings("*embeddings.weight");
    let built = build(&recipe, |vb| {
        candle_nn::embedding(vocab, dim, vb.pp("embeddings"))
    });
    assert_eq!(check("small_init_embeddings", &built), 1);
    let (ours, _) = &built["embeddings.weight"];
    let gain = 1e-4 * (vocab as f64).sqrt();
    let err = init_testkit::orthogonality_error(vocab, dim, &ours.values, gain);
    assert!(err < 1e-12, "{err:e}");
}
