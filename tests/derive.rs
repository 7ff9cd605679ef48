//! `#[derive(InitWeights)]` on nested, generic, tuple and container models: names equal to the
//! VarBuilder paths, traversal orders, declared initializers (exact values where deterministic),
//! reproducibility per path, tied parameters, and checking before writing.

mod common;

use std::sync::Arc;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{BatchNorm, Conv2d, Embedding, LayerNorm, Linear, VarBuilder};
use common::{assert_ks, normal_cdf, values, varmap};
use init_candle::nn::{ReLU, Sequential};
use init_candle::{
    Error, FanMode, Init, InitPlan, InitWeights, InitWeightsExt, Nonlinearity, PlanEntry,
    ValueSource,
};

#[derive(InitWeights)]
struct Block {
    #[init(kaiming_normal(mode = fan_out, nonlinearity = relu), bias = zeros)]
    conv: Conv2d,
    bn: BatchNorm,
}

impl Block {
    fn new(cin: usize, cout: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            conv: candle_nn::conv2d(cin, cout, 3, Default::default(), vb.pp("conv"))?,
            bn: candle_nn::batch_norm(cout, 1e-5, vb.pp("bn"))?,
        })
    }
}

#[derive(InitWeights)]
struct Net {
    #[init(rename = "features")]
    blocks: Vec<Block>,
    #[init(normal(std = 0.01), bias = constant(value = 0.5))]
    head: Linear,
    aux: Option<Linear>,
    missing: Option<Linear>,
    boxed: Box<Linear>,
    #[init(constant(value = 0.25))]
    scale: Tensor,
    #[init(skip)]
    name: String,
}

/// The plan's entry for the parameter at `path`.
fn entry<'p>(plan: &'p InitPlan, path: &str) -> &'p PlanEntry {
    let mut entries = plan.entries().iter();
    entries
        .find(|e| e.path == path)
        .unwrap_or_else(|| panic!("{path}: not in the plan"))
}

fn net(vb: &VarBuilder) -> Net {
    Net {
        blocks: vec![
            Block::new(3, 8, vb.pp("features").pp(0)).unwrap(),
            Block::new(8, 8, vb.pp("features").pp(1)).unwrap(),
        ],
        head: candle_nn::linear(8, 4, vb.pp("head")).unwrap(),
        aux: Some(candle_nn::linear(8, 2, vb.pp("aux")).unwrap()),
        missing: None,
        boxed: Box::new(candle_nn::linear(2, 2, vb.pp("boxed")).unwrap()),
        scale: vb.get(3, "scale").unwrap(),
        name: "net".into(),
    }
}

#[test]
fn names_are_the_varbuilder_paths() {
    let (varmap, vb) = varmap();
    let model = net(&vb);
    let names: Vec<String> = model
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "scale",
            "features.0.conv.weight",
            "features.0.conv.bias",
            "features.0.bn.weight",
            "features.0.bn.bias",
            "features.1.conv.weight",
            "features.1.conv.bias",
            "features.1.bn.weight",
            "features.1.bn.bias",
            "head.weight",
            "head.bias",
            "aux.weight",
            "aux.bias",
            "boxed.weight",
            "boxed.bias",
        ]
    );
    let buffers: Vec<String> = model.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(buffers[0], "features.0.bn.running_mean");
    // Same storage as the VarMap's variables of those names.
    model.check_varmap(&varmap).unwrap();
    assert_eq!(model.name, "net");
}

#[test]
fn modules_are_pre_order_and_apply_is_post_order() {
    let (_vm, vb) = varmap();
    let model = net(&vb);
    let modules: Vec<(String, &str)> = model
        .named_modules()
        .into_iter()
        .map(|(n, m)| (n, m.class_name()))
        .collect();
    let expected = [
        ("", "Net"),
        ("features", "ModuleList"),
        ("features.0", "Block"),
        ("features.0.conv", "Conv2d"),
        ("features.0.bn", "BatchNorm"),
        ("features.1", "Block"),
        ("features.1.conv", "Conv2d"),
        ("features.1.bn", "BatchNorm"),
        ("head", "Linear"),
        ("aux", "Linear"),
        ("boxed", "Linear"),
    ];
    let expected: Vec<(String, &str)> = expected.iter().map(|(a, b)| (a.to_string(), *b)).collect();
    assert_eq!(modules, expected);
    let children: Vec<String> = model.named_children().into_iter().map(|(n, _)| n).collect();
    assert_eq!(children, ["features", "head", "aux", "boxed"]);

    let mut order = Vec::new();
    model
        .apply_named(&mut |path, _| {
            order.push(path.to_owned());
            Ok(())
        })
        .unwrap();
    assert_eq!(order.first().map(String::as_str), Some("features.0.conv"));
    assert_eq!(order.last().map(String::as_str), Some(""));
    let pos = |p: &str| order.iter().position(|x| x == p).unwrap();
    assert!(pos("features.0.conv") < pos("features.0") && pos("features.0") < pos("features"));
}

#[test]
fn declared_inits_and_defaults() {
    let (_vm, vb) = varmap();
    let model = net(&vb);
    let plan = model.init_plan().unwrap();
    let find = |p: &str| entry(&plan, p);
    assert_eq!(
        find("head.weight").init,
        Init::Normal {
            mean: 0.0,
            std: 0.01
        }
    );
    assert_eq!(find("head.weight").source, attribute("head"));
    assert_eq!(find("head.bias").init, Init::Constant { value: 0.5 });
    assert_eq!(find("features.0.conv.bias").init, Init::Zeros);
    assert_eq!(find("features.1.bn.weight").init, Init::Ones);
    assert_eq!(find("features.1.bn.running_var").init, Init::Ones);
    assert_eq!(find("aux.weight").source, ValueSource::LayerDefault);
    assert_eq!(
        find("aux.weight").init,
        Init::Uniform {
            low: -1.0 / 8f64.sqrt(),
            high: 1.0 / 8f64.sqrt()
        }
    );

    model.init_weights(11).unwrap();
    assert!(values(&model.scale).iter().all(|&v| v == 0.25));
    assert!(values(model.head.bias().unwrap()).iter().all(|&v| v == 0.5));
    assert!(values(model.blocks[1].conv.bias().unwrap())
        .iter()
        .all(|&v| v == 0.0));
    // kaiming_normal(fan_out, relu) on (8, 8, 3, 3): std = sqrt(2) / sqrt(8 * 9).
    let w: Vec<f64> = model
        .blocks
        .iter()
        .flat_map(|b| values(b.conv.weight()))
        .collect();
    let std = 2f64.sqrt() / (8.0f64 * 9.0).sqrt();
    assert_ks(
        "features.1.conv.weight",
        &values(model.blocks[1].conv.weight()),
        normal_cdf(0.0, std),
    );
    assert!(w.iter().any(|&v| v != 0.0));
}

#[test]
fn the_innermost_declaration_decides_and_the_outer_one_is_reported() {
    #[derive(InitWeights)]
    struct Outer {
        #[init(xavier_uniform, bias = ones)]
        block: Block,
    }
    let (_vm, vb) = varmap();
    let outer = Outer {
        block: Block::new(2, 2, vb.pp("block")).unwrap(),
    };
    let plan = outer.init_plan().unwrap();
    let find = |p: &str| entry(&plan, p).clone();
    // Block's own declaration on `conv` is the most specific: it decides, and the outer one it
    // overrides is named.
    let conv = find("block.conv.weight");
    assert_eq!(
        conv.init,
        Init::KaimingNormal {
            a: 0.0,
            mode: FanMode::FanOut,
            nonlinearity: Nonlinearity::Relu
        }
    );
    assert_eq!(conv.source, attribute("block.conv"));
    assert_eq!(
        conv.overridden,
        ["attribute on `block` (xavier_uniform(gain=1))"]
    );
    assert_eq!(find("block.conv.bias").init, Init::Zeros);
    assert_eq!(
        find("block.conv.bias").overridden,
        ["attribute on `block` (ones)"]
    );
    // An attribute on a composite field reaches the weights with 2+ dimensions and their
    // layers' biases: BatchNorm's 1-D weight and its bias keep their defaults.
    assert_eq!(find("block.bn.weight").init, Init::Ones);
    assert_eq!(find("block.bn.bias").init, Init::Zeros);
    let report = outer.init_weights(0).unwrap();
    assert_eq!(report.parameters, 6);
    let conv = report
        .tensors
        .iter()
        .find(|t| t.path == "block.conv.weight")
        .unwrap();
    assert_eq!(
        conv.source,
        ValueSource::Attribute {
            field: "block.conv".into()
        }
    );
    let text = report.to_string();
    assert!(
        text.contains("`block.conv.weight`: attribute on `block.conv` took precedence over attribute on `block` (xavier_uniform(gain=1))"),
        "{text}"
    );
    assert!(values(outer.block.bn.weight_and_bias().unwrap().0)
        .iter()
        .all(|&v| v == 1.0));
    // Where the block declares nothing, the outer declaration decides.
    #[derive(InitWeights)]
    struct Plain {
        conv: Conv2d,
    }
    #[derive(InitWeights)]
    struct OuterPlain {
        #[init(xavier_uniform, bias = ones)]
        block: Plain,
    }
    let outer = OuterPlain {
        block: Plain {
            conv: candle_nn::conv2d(2, 2, 3, Default::default(), vb.pp("plain.conv")).unwrap(),
        },
    };
    let plan = outer.init_plan().unwrap();
    let conv = &plan.entries()[0];
    assert_eq!(conv.init, Init::XavierUniform { gain: 1.0 });
    assert_eq!(conv.source, attribute("block"));
    assert!(conv.overridden.is_empty());
}

#[derive(InitWeights)]
struct Pair<A, B>(A, #[init(xavier_normal)] B, #[init(skip)] usize);

#[derive(InitWeights)]
struct Wrapper<M: InitWeights> {
    inner: M,
    layers: [Linear; 2],
}

#[test]
fn tuple_and_generic_structs() {
    let (_vm, vb) = varmap();
    let pair = Pair(
        candle_nn::linear(2, 3, vb.pp("0")).unwrap(),
        candle_nn::linear(3, 4, vb.pp("1")).unwrap(),
        7,
    );
    let names: Vec<String> = pair
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["0.weight", "0.bias", "1.weight", "1.bias"]);
    assert_eq!(pair.class_name(), "Pair");
    assert_eq!(pair.2, 7);

    let w = Wrapper {
        inner: pair,
        layers: [
            candle_nn::linear(1, 1, vb.pp("layers.0")).unwrap(),
            candle_nn::linear(1, 1, vb.pp("layers.1")).unwrap(),
        ],
    };
    let names: Vec<String> = w.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "inner.0.weight");
    assert_eq!(names[4], "layers.0.weight");
    assert_eq!(w.init_plan().unwrap().entries().len(), 8);
    let plan = w.init_plan().unwrap();
    assert_eq!(plan.entries()[2].init, Init::XavierNormal { gain: 1.0 });
}

#[test]
fn same_seed_same_weights_whatever_else_exists() {
    #[derive(InitWeights)]
    struct Small {
        fc: Linear,
    }
    #[derive(InitWeights)]
    struct Big {
        before: Linear,
        fc: Linear,
    }
    let (_a, vb_a) = varmap();
    let (_b, vb_b) = varmap();
    let small = Small {
        fc: candle_nn::linear(16, 8, vb_a.pp("fc")).unwrap(),
    };
    let big = Big {
        before: candle_nn::linear(100, 50, vb_b.pp("before")).unwrap(),
        fc: candle_nn::linear(16, 8, vb_b.pp("fc")).unwrap(),
    };
    small.init_weights(5).unwrap();
    big.init_weights(5).unwrap();
    assert_eq!(values(small.fc.weight()), values(big.fc.weight()));
    assert_eq!(
        values(small.fc.bias().unwrap()),
        values(big.fc.bias().unwrap())
    );
    let first = values(small.fc.weight());
    small.init_weights(6).unwrap();
    assert_ne!(first, values(small.fc.weight()));
    small.init_weights(5).unwrap();
    assert_eq!(first, values(small.fc.weight()));
}

#[test]
fn tied_parameters_are_initialized_once() {
    #[derive(InitWeights)]
    struct Tied {
        encoder: Arc<Linear>,
        decoder: Arc<Linear>,
    }
    let (_vm, vb) = varmap();
    let shared = Arc::new(candle_nn::linear(4, 4, vb.pp("encoder")).unwrap());
    let tied = Tied {
        encoder: shared.clone(),
        decoder: shared,
    };
    assert_eq!(
        tied.named_parameters().len(),
        2,
        "tied parameters are listed once"
    );
    assert_eq!(tied.num_parameters(), 20);
    let report = tied.init_weights(0).unwrap();
    assert_eq!(report.parameters, 2);
    assert_eq!(
        report.tied,
        [
            ("decoder.weight".to_owned(), "encoder.weight".to_owned()),
            ("decoder.bias".to_owned(), "encoder.bias".to_owned())
        ]
    );
}

#[test]
fn a_copy_of_a_variable_is_reported() {
    let (varmap, vb) = varmap();
    let fc = candle_nn::linear(3, 2, vb.pp("fc")).unwrap();
    #[derive(InitWeights)]
    struct M {
        fc: Linear,
    }
    // A layer built from a copy of the VarMap's tensor: writing it would not reach the VarMap.
    let copy = Linear::new(fc.weight().copy().unwrap(), fc.bias().cloned());
    let m = M { fc: copy };
    match m.check_varmap(&varmap) {
        Err(Error::NotVarMapStorage { path }) => assert_eq!(path, "fc.weight"),
        other => panic!("expected NotVarMapStorage, got {other:?}"),
    }
    let ok = M { fc };
    ok.check_varmap(&varmap).unwrap();
}

#[test]
fn init_with_checks_everything_before_writing() {
    let (_vm, vb) = varmap();
    let seq = Sequential::new()
        .add(candle_nn::linear(4, 4, vb.pp("0")).unwrap())
        .add(ReLU)
        .add(candle_nn::batch_norm(4, 1e-5, vb.pp("2")).unwrap());
    let before: Vec<Vec<f64>> = seq.parameters().iter().map(values).collect();
    // orthogonal on BatchNorm's 1-D weight cannot succeed; the Linear's must not be written.
    let err = seq
        .init_with(0, &mut |m| {
            m.init_weight(Init::orthogonal());
            Ok(())
        })
        .unwrap_err();
    assert!(err.to_string().starts_with("2.weight: "), "{err}");
    let after: Vec<Vec<f64>> = seq.parameters().iter().map(values).collect();
    assert_eq!(before, after);

    let err = seq
        .init_with(0, &mut |m| {
            if m.is::<Linear>() {
                m.init("wieght", Init::Zeros)?;
            }
            Ok(())
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "module `0` (Linear) has no parameter `wieght`; its own parameters are: weight, bias"
    );
}

#[test]
fn set_parameter_checks_shape_and_dtype() {
    let (_vm, vb) = varmap();
    let seq = Sequential::new().add(candle_nn::linear(3, 2, vb.pp("0")).unwrap());
    let dev = Device::Cpu;
    let err = seq
        .set_parameter(
            "0.weight",
            &Tensor::zeros((3, 2), DType::F32, &dev).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    let err = seq
        .set_parameter(
            "0.weight",
            &Tensor::zeros((2, 3), DType::F64, &dev).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::DtypeMismatch { .. }), "{err}");
    let err = seq
        .set_parameter(
            "0.wieght",
            &Tensor::zeros((2, 3), DType::F32, &dev).unwrap(),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the model has no parameter `0.wieght`; did you mean `0.weight`?"
    );
    let values_in = Tensor::arange(0f32, 6., &dev)
        .unwrap()
        .reshape((2, 3))
        .unwrap();
    seq.set_parameter("0.weight", &values_in).unwrap();
    assert_eq!(
        values(&seq.parameter("0.weight").unwrap()),
        [0., 1., 2., 3., 4., 5.]
    );
}

#[test]
fn var_fields_are_parameters() {
    #[derive(InitWeights)]
    struct WithVar {
        #[init(ones)]
        gamma: Var,
    }
    let m = WithVar {
        gamma: Var::zeros(4, DType::F32, &Device::Cpu).unwrap(),
    };
    m.init_weights(0).unwrap();
    assert_eq!(values(m.gamma.as_tensor()), [1., 1., 1., 1.]);
}

// ---- GPT-2: attribute values computed at run time, tied weights, composite attributes ----

const STD: f64 = 0.02;

mod consts {
    pub const BIAS: f64 = 0.0;
}

#[derive(Clone, Copy)]
struct Gpt2Config {
    n_layer: usize,
    n_embd: usize,
    vocab: usize,
}

#[derive(InitWeights)]
struct Gpt2Block {
    ln_1: LayerNorm,
    #[init(normal(std = STD), bias = constant(value = consts::BIAS))]
    c_fc: Linear,
    // GPT-2's scaled init of the residual projections: 0.02 / sqrt(2 * n_layer).
    #[init(normal(std = 0.02 / (2.0 * self.cfg.n_layer as f64).sqrt()), bias = zeros)]
    c_proj: Linear,
    ln_2: LayerNorm,
    #[init(skip)]
    cfg: Gpt2Config,
}

impl Gpt2Block {
    fn new(cfg: Gpt2Config, vb: VarBuilder) -> Gpt2Block {
        let e = cfg.n_embd;
        Gpt2Block {
            ln_1: candle_nn::layer_norm(e, 1e-5, vb.pp("ln_1")).unwrap(),
            c_fc: candle_nn::linear(e, 4 * e, vb.pp("c_fc")).unwrap(),
            c_proj: candle_nn::linear(4 * e, e, vb.pp("c_proj")).unwrap(),
            ln_2: candle_nn::layer_norm(e, 1e-5, vb.pp("ln_2")).unwrap(),
            cfg,
        }
    }
}

#[derive(InitWeights)]
struct Gpt2 {
    #[init(normal(std = STD))]
    wte: Embedding,
    h: Vec<Gpt2Block>,
    // Tied to `wte` and declared after it.
    lm_head: Linear,
}

/// `lm_head` (no attribute) before the `wte` it is tied to: the field order.
#[derive(InitWeights)]
struct Gpt2HeadFirst {
    lm_head: Linear,
    #[init(normal(std = STD))]
    wte: Embedding,
}

fn gpt2_cfg() -> Gpt2Config {
    Gpt2Config {
        n_layer: 4,
        n_embd: 64,
        vocab: 256,
    }
}

fn gpt2(cfg: Gpt2Config, vb: &VarBuilder) -> Gpt2 {
    let wte = candle_nn::embedding(cfg.vocab, cfg.n_embd, vb.pp("wte")).unwrap();
    let lm_head = Linear::new(wte.embeddings().clone(), None);
    Gpt2 {
        h: (0..cfg.n_layer)
            .map(|i| Gpt2Block::new(cfg, vb.pp("h").pp(i)))
            .collect(),
        wte,
        lm_head,
    }
}

#[test]
fn gpt2_residual_projection_std_comes_from_the_config() {
    let (varmap, vb) = varmap();
    let cfg = gpt2_cfg();
    let model = gpt2(cfg, &vb);
    let expected = 0.02 / (2.0 * 4.0f64).sqrt();
    let plan = model.init_plan().unwrap();
    let find = |p: &str| entry(&plan, p);
    assert_eq!(
        find("h.3.c_proj.weight").init,
        Init::Normal {
            mean: 0.0,
            std: expected
        }
    );
    assert_eq!(find("h.0.c_proj.weight").source, attribute("h.0.c_proj"));
    assert_eq!(find("h.0.c_fc.bias").init, Init::Constant { value: 0.0 });
    assert_eq!(
        find("h.0.c_fc.weight").init,
        Init::Normal {
            mean: 0.0,
            std: 0.02
        }
    );

    model.init_weights_checked(3, &varmap).unwrap();
    let proj: Vec<f64> = model
        .h
        .iter()
        .flat_map(|b| values(b.c_proj.weight()))
        .collect();
    assert_eq!(proj.len(), 4 * 64 * 256);
    assert_ks("h.*.c_proj.weight", &proj, normal_cdf(0.0, expected));
    let fc: Vec<f64> = model
        .h
        .iter()
        .flat_map(|b| values(b.c_fc.weight()))
        .collect();
    assert_ks("h.*.c_fc.weight", &fc, normal_cdf(0.0, 0.02));
    for block in &model.h {
        assert!(values(block.ln_1.weight()).iter().all(|&v| v == 1.0));
        assert!(values(block.c_proj.bias().unwrap())
            .iter()
            .all(|&v| v == 0.0));
    }
    // A deeper model gets a smaller std from the same code.
    let (_vm, vb) = common::varmap();
    let deep = gpt2(Gpt2Config { n_layer: 12, ..cfg }, &vb);
    let plan = deep.init_plan().unwrap();
    let e = entry(&plan, "h.11.c_proj.weight");
    assert_eq!(
        e.init,
        Init::Normal {
            mean: 0.0,
            std: 0.02 / 24f64.sqrt()
        }
    );
}

#[test]
fn a_declaration_wins_over_the_default_of_a_tied_path_in_either_field_order() {
    // wte declared first, lm_head (default) after.
    let (varmap, vb) = varmap();
    let model = gpt2(gpt2_cfg(), &vb);
    let plan = model.init_plan().unwrap();
    let find = |p: &str| entry(&plan, p);
    let declared = Init::Normal {
        mean: 0.0,
        std: 0.02,
    };
    assert_eq!(find("lm_head.weight").init, declared);
    assert!(matches!(
        find("lm_head.weight").source,
        ValueSource::Attribute { .. }
    ));
    let report = model.init_weights_checked(1, &varmap).unwrap();
    assert_eq!(
        report.tied,
        [("lm_head.weight".to_owned(), "wte.weight".to_owned())]
    );
    assert_ks(
        "wte.weight",
        &values(model.wte.embeddings()),
        normal_cdf(0.0, 0.02),
    );

    // lm_head (default) first, wte declared after: the same initializer.
    let (varmap, vb) = common::varmap();
    let wte = candle_nn::embedding(256, 64, vb.pp("wte")).unwrap();
    let model = Gpt2HeadFirst {
        lm_head: Linear::new(wte.embeddings().clone(), None),
        wte,
    };
    let plan = model.init_plan().unwrap();
    for path in ["lm_head.weight", "wte.weight"] {
        let e = entry(&plan, path);
        assert_eq!(e.init, declared, "{path}");
        assert!(matches!(e.source, ValueSource::Attribute { .. }), "{path}");
    }
    // The alias is not "missing from the VarMap": its other path is the VarMap's `wte.weight`.
    model.check_varmap(&varmap).unwrap();
    let report = model.init_weights(1).unwrap();
    assert_eq!(report.parameters, 1);
    assert_eq!(
        report.tied,
        [("wte.weight".to_owned(), "lm_head.weight".to_owned())]
    );
    assert_ks(
        "lm_head.weight",
        &values(model.wte.embeddings()),
        normal_cdf(0.0, 0.02),
    );
    // A choice made in code for one path of a tied tensor is the tensor's, for every path.
    let mut plan = model.init_plan().unwrap();
    plan.set("wte.weight", Init::Constant { value: 0.5 })
        .unwrap();
    assert!(plan
        .entries()
        .iter()
        .all(|e| e.init == Init::Constant { value: 0.5 }));
    plan.execute(&init_candle::Generator::new(0)).unwrap();
    assert!(values(model.wte.embeddings()).iter().all(|&v| v == 0.5));
    model
        .init_with(0, &mut |m| {
            if m.is::<Embedding>() {
                m.init_weight(Init::Ones);
            }
            Ok(())
        })
        .unwrap();
    assert!(values(model.lm_head.weight()).iter().all(|&v| v == 1.0));
}

#[test]
fn tied_paths_with_different_initializers_are_an_error_naming_both() {
    #[derive(InitWeights)]
    struct TwoDeclared {
        #[init(normal(std = 0.02))]
        wte: Embedding,
        #[init(xavier_uniform)]
        lm_head: Linear,
    }
    #[derive(InitWeights)]
    struct TwoDefaults {
        wte: Embedding,
        lm_head: Linear,
    }
    let (_vm, vb) = varmap();
    let wte = candle_nn::embedding(16, 8, vb.pp("wte")).unwrap();
    let before = values(wte.embeddings());
    let lm_head = Linear::new(wte.embeddings().clone(), None);
    let model = TwoDeclared { wte, lm_head };
    let err = model.init_weights(0).unwrap_err();
    assert!(
        matches!(&err, Error::TiedConflict { first, second, .. } if first == "wte.weight" && second == "lm_head.weight"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "`wte.weight` and `lm_head.weight` are the same tensor (tied) but ask for different \
         initializers: normal(mean=0, std=0.02) (attribute on `wte`) and xavier_uniform(gain=1) (attribute on `lm_head`); \
         declare one initializer for both (an `#[init]` on one field wins over the other's layer default)"
    );
    assert_eq!(values(model.wte.embeddings()), before);
    // Embedding's N(0, 1) and Linear's U(-1/sqrt(8), 1/sqrt(8)) for one tensor: no silent pick.
    let model = TwoDefaults {
        lm_head: model.lm_head,
        wte: model.wte,
    };
    let err = model.init_weights(0).unwrap_err();
    assert!(matches!(err, Error::TiedConflict { .. }), "{err}");
}

#[test]
fn a_composite_attribute_reaches_matrices_and_their_biases_only() {
    #[derive(InitWeights)]
    struct Model {
        #[init(normal(std = 0.02), bias = zeros)]
        h: Vec<Gpt2Block>,
    }
    let (_vm, vb) = varmap();
    let cfg = gpt2_cfg();
    let model = Model {
        h: (0..2)
            .map(|i| Gpt2Block::new(cfg, vb.pp("h").pp(i)))
            .collect(),
    };
    // Non-default norm values, to see that they are written with their defaults, not N(0, 0.02).
    for block in &model.h {
        block.ln_1.weight().affine(0.0, 7.0).unwrap();
    }
    let plan = model.init_plan().unwrap();
    for e in plan.entries() {
        // The layer holding the parameter: the field whose own declaration decides.
        let layer = e.path.rsplit_once('.').unwrap().0;
        let expected = if e.path.contains(".ln_") {
            let default = if e.path.ends_with("weight") {
                Init::Ones
            } else {
                Init::Zeros
            };
            (default, ValueSource::LayerDefault)
        } else if e.path.contains(".c_fc.") {
            // The block's own declarations are the most specific: they decide.
            let own = if e.path.ends_with("bias") {
                Init::Constant {
                    value: consts::BIAS,
                }
            } else {
                Init::Normal {
                    mean: 0.0,
                    std: STD,
                }
            };
            (own, attribute(layer))
        } else if e.path.ends_with("bias") {
            (Init::Zeros, attribute(layer))
        } else {
            // c_proj's scaled std, 0.02 / sqrt(2 n_layer), not the outer N(0, 0.02).
            (
                Init::Normal {
                    mean: 0.0,
                    std: 0.02 / (2.0 * cfg.n_layer as f64).sqrt(),
                },
                attribute(layer),
            )
        };
        assert_eq!((e.init.clone(), e.source.clone()), expected, "{}", e.path);
        if matches!(e.source, ValueSource::Attribute { .. }) {
            // Every parameter the outer field reaches names it as overridden.
            let outer = if e.path.ends_with("bias") {
                "attribute on `h` (zeros)"
            } else {
                "attribute on `h` (normal(mean=0, std=0.02))"
            };
            assert_eq!(e.overridden, [outer], "{}", e.path);
        }
    }
    assert_eq!(plan.entries().len(), 2 * 8);
    model.init_weights(0).unwrap();
    for block in &model.h {
        assert!(values(block.ln_1.weight()).iter().all(|&v| v == 1.0));
        assert!(values(block.ln_2.bias().unwrap()).iter().all(|&v| v == 0.0));
    }
    let w: Vec<f64> = model
        .h
        .iter()
        .flat_map(|b| values(b.c_proj.weight()))
        .collect();
    let scaled = 0.02 / (2.0 * cfg.n_layer as f64).sqrt();
    assert_ks("h.*.c_proj.weight", &w, normal_cdf(0.0, scaled));

    // An attribute on a field of norms only reaches nothing: an error, not a silent no-op.
    #[derive(InitWeights)]
    struct Norms {
        #[init(normal(std = 0.02))]
        norms: Vec<LayerNorm>,
    }
    let norms = Norms {
        norms: vec![candle_nn::layer_norm(4, 1e-5, vb.pp("norms.0")).unwrap()],
    };
    let err = norms.init_plan().unwrap_err();
    assert!(
        matches!(&err, Error::Unreached { path, role: "weight", .. } if path == "norms"),
        "{err}"
    );
    // On the layer's own field, a declaration reaches its weight whatever its shape.
    #[derive(InitWeights)]
    struct Scaled {
        #[init(constant(value = 0.5), bias = constant(value = 0.25))]
        ln: LayerNorm,
    }
    let scaled = Scaled {
        ln: candle_nn::layer_norm(4, 1e-5, vb.pp("ln")).unwrap(),
    };
    scaled.init_weights(0).unwrap();
    assert_eq!(values(scaled.ln.weight()), [0.5; 4]);
    assert_eq!(values(scaled.ln.bias().unwrap()), [0.25; 4]);
}

#[test]
fn bias_on_a_layer_without_bias_is_an_error_naming_the_path() {
    #[derive(InitWeights)]
    struct Head {
        #[init(normal(std = 0.02), bias = zeros)]
        proj: Linear,
    }
    #[derive(InitWeights)]
    struct Outer {
        heads: Vec<Head>,
    }
    let (_vm, vb) = varmap();
    let model = Outer {
        heads: vec![Head {
            proj: candle_nn::linear_no_bias(4, 4, vb.pp("heads.0.proj")).unwrap(),
        }],
    };
    let before = values(model.heads[0].proj.weight());
    let err = model.init_weights(0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "heads.0.proj: `bias = zeros` of `#[init(...)]` reaches no parameter: the field holds no \
         `bias*` parameter (a layer built without bias, an Embedding); remove `bias = ...`"
    );
    assert_eq!(values(model.heads[0].proj.weight()), before);
    // A `None` layer holds nothing to reach: no error.
    #[derive(InitWeights)]
    struct Optional {
        #[init(normal(std = 0.02), bias = zeros)]
        proj: Option<Linear>,
    }
    Optional { proj: None }.init_weights(0).unwrap();
}

#[test]
fn an_expression_refused_at_run_time_writes_nothing() {
    #[derive(InitWeights)]
    struct Layer {
        #[init(normal(std = self.std), bias = uniform(low = -self.std, high = 0.1))]
        fc: Linear,
        #[init(normal(std = self.std.abs() * 2.0))]
        scale: Tensor,
        #[init(skip)]
        std: f64,
    }
    #[derive(InitWeights)]
    struct Model {
        layers: Vec<Layer>,
    }
    let (_vm, vb) = varmap();
    let layer = |i: usize, std: f64| Layer {
        fc: candle_nn::linear(4, 4, vb.pp(format!("layers.{i}.fc"))).unwrap(),
        scale: vb.get(4, &format!("layers.{i}.scale")).unwrap(),
        std,
    };
    let model = Model {
        layers: vec![layer(0, 0.1), layer(1, -0.5)],
    };
    let before: Vec<Vec<f64>> = model.parameters().iter().map(values).collect();
    let err = model.init_weights(0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layers.1.fc.weight: the weight initializer of `#[init(...)]`, computed at run time, is \
         refused: `std` of `normal` must be a non-negative number, found `-0.5`"
    );
    let after: Vec<Vec<f64>> = model.parameters().iter().map(values).collect();
    assert_eq!(before, after, "a tensor was written before the error");

    // A bare tensor field's error names the tensor (a layer's own tensors come before its
    // fields' declarations).
    let model = Model {
        layers: vec![Layer {
            std: f64::NAN,
            ..layer(0, 0.0)
        }],
    };
    let err = model.init_plan().unwrap_err();
    assert!(
        matches!(&err, Error::Declaration { path, role: "tensor", .. } if path == "layers.0.scale"),
        "{err}"
    );
    let single = layer(0, 0.1);
    let plan = single.init_plan().unwrap();
    let find = |p: &str| entry(&plan, p).init.clone();
    assert_eq!(
        find("scale"),
        Init::Normal {
            mean: 0.0,
            std: 0.2
        }
    );
    assert_eq!(
        find("fc.bias"),
        Init::Uniform {
            low: -0.1,
            high: 0.1
        }
    );
    // A negative std from the same field: the weight is checked first.
    let err = Layer {
        std: -0.2,
        ..layer(0, 0.0)
    }
    .init_plan()
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("fc.weight: the weight initializer"),
        "{err}"
    );
    // On a composite field, the error names the first parameter the declaration is for.
    #[derive(InitWeights)]
    struct Outer {
        #[init(normal(std = self.std), bias = zeros)]
        blocks: Vec<Layer>,
        #[init(skip)]
        std: f64,
    }
    let outer = Outer {
        blocks: vec![layer(0, 0.1)],
        std: -1.0,
    };
    let err = outer.init_plan().unwrap_err();
    assert!(
        matches!(&err, Error::Declaration { path, role: "weight", .. } if path == "blocks.0.fc.weight"),
        "{err}"
    );
    #[derive(InitWeights)]
    struct OnlyTensor {
        #[init(normal(std = self.std))]
        scale: Tensor,
        #[init(skip)]
        std: f64,
    }
    let t = OnlyTensor {
        scale: vb.get(3, "t.scale").unwrap(),
        std: -1.0,
    };
    let err = t.init_weights(0).unwrap_err();
    assert!(
        matches!(&err, Error::Declaration { path, role: "tensor", .. } if path == "scale"),
        "{err}"
    );
}

#[test]
fn with_functions_compute_the_initializer_from_the_struct() {
    #[derive(InitWeights)]
    struct Block {
        #[init(with = Block::proj_init, bias = with(zero_bias))]
        proj: Linear,
        #[init(skip)]
        n_layer: usize,
    }
    impl Block {
        fn proj_init(&self) -> init_candle::Result<Init> {
            if self.n_layer == 0 {
                return Err(Error::InvalidLayer {
                    layer: "Block",
                    message: "n_layer must be at least 1".into(),
                });
            }
            Ok(Init::Normal {
                mean: 0.0,
                std: 0.02 / (2.0 * self.n_layer as f64).sqrt(),
            })
        }
    }
    fn zero_bias(_: &Block) -> Init {
        Init::Zeros
    }
    let (_vm, vb) = varmap();
    let block = Block {
        proj: candle_nn::linear(4, 4, vb.pp("proj")).unwrap(),
        n_layer: 2,
    };
    let plan = block.init_plan().unwrap();
    assert_eq!(
        plan.entries()[0].init,
        Init::Normal {
            mean: 0.0,
            std: 0.01
        }
    );
    assert_eq!(plan.entries()[1].init, Init::Zeros);
    let block = Block {
        n_layer: 0,
        ..block
    };
    let err = block.init_weights(0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "proj.weight: the weight initializer of `#[init(...)]`, computed at run time, is refused: \
         Block: n_layer must be at least 1"
    );
}

#[test]
fn check_varmap_names_the_key_it_found() {
    #[derive(InitWeights)]
    struct M {
        fc: Linear,
    }
    // Built under another path of the same VarMap: the very tensor, under another name.
    let (varmap, vb) = varmap();
    let m = M {
        fc: candle_nn::linear(3, 2, vb.pp("model").pp("fc")).unwrap(),
    };
    let err = m.check_varmap(&varmap).unwrap_err();
    assert!(
        matches!(&err, Error::VarMapPathMismatch { path, found } if path == "fc.weight" && found == "model.fc.weight"),
        "{err}"
    );
    let before = values(m.fc.weight());
    assert!(m.init_weights_checked(0, &varmap).is_err());
    assert_eq!(
        values(m.fc.weight()),
        before,
        "written despite the failed check"
    );
    // Not in this VarMap at all: its nearest name.
    let (other, vb2) = common::varmap();
    candle_nn::linear(3, 2, vb2.pp("fcc")).unwrap();
    let err = m.check_varmap(&other).unwrap_err();
    assert_eq!(
        err.to_string(),
        "fc.weight: the VarMap has no variable of that name; its nearest name is `fcc.weight`; \
         the model's paths must equal the VarBuilder paths it was built with"
    );
}

#[test]
fn padding_idx_zeroes_the_embeddings_padding_row() {
    #[derive(InitWeights)]
    struct Lm {
        #[init(normal(std = 0.02), padding_idx = self.pad_token_id)]
        wte: Embedding,
        // PyTorch's nn.Embedding(.., padding_idx=0): its default N(0, 1), then row 0 zeroed.
        #[init(padding_idx = 0)]
        wpe: Embedding,
        #[init(skip)]
        pad_token_id: usize,
    }
    let (varmap, vb) = varmap();
    let lm = Lm {
        wte: candle_nn::embedding(50, 16, vb.pp("wte")).unwrap(),
        wpe: candle_nn::embedding(8, 16, vb.pp("wpe")).unwrap(),
        pad_token_id: 3,
    };
    let report = lm.init_weights_checked(5, &varmap).unwrap();
    let wte = lm.wte.embeddings().to_vec2::<f32>().unwrap();
    assert_eq!(wte[3], vec![0.0; 16]);
    let rest: Vec<f64> = wte
        .iter()
        .enumerate()
        .filter(|(r, _)| *r != 3)
        .flat_map(|(_, row)| row.iter().map(|&x| x as f64))
        .collect();
    assert_ks("wte", &rest, normal_cdf(0.0, 0.02));
    let wpe = lm.wpe.embeddings().to_vec2::<f32>().unwrap();
    assert_eq!(wpe[0], vec![0.0; 16]);
    assert!(wpe[1].iter().all(|&x| x != 0.0));
    let rows = |p: &str| {
        report
            .tensors
            .iter()
            .find(|t| t.path == p)
            .unwrap()
            .rows
            .clone()
    };
    assert_eq!(
        rows("wte.weight"),
        ["rows [3]: zeros (padding_idx on `wte`)"]
    );
    assert_eq!(
        rows("wpe.weight"),
        ["rows [0]: zeros (padding_idx on `wpe`)"]
    );

    // A row past the end is refused before anything is written.
    let before = values(lm.wte.embeddings());
    let bad = Lm {
        wte: lm.wte.clone(),
        wpe: lm.wpe.clone(),
        pad_token_id: 50,
    };
    let err = bad.init_weights(6).unwrap_err().to_string();
    assert!(
        err.contains("padding_idx 50 on `wte` is past the last row of [50, 16] (rows 0 to 49)"),
        "{err}"
    );
    assert_eq!(values(lm.wte.embeddings()), before);
}

/// The source of a parameter an `#[init]` on `field` decided.
fn attribute(field: &str) -> ValueSource {
    ValueSource::Attribute {
        field: field.to_owned(),
    }
}

/// `#[init(with = f)]` where `f` takes the tensor too: one declaration computes each tensor's
/// initializer from what it is (a muP-style width rule: std scaled by base_width / fan_in on the
/// Linear weights; the norm weight declined, so it keeps its default).
#[test]
fn a_with_function_of_each_tensor_sees_path_shape_fans_and_layer() {
    use init_candle::build::{ModelBuilder, TensorInfo};

    #[derive(InitWeights)]
    struct Block {
        ln: LayerNorm,
        up: Linear,
        down: Linear,
    }
    #[derive(InitWeights)]
    struct Net {
        #[init(skip)]
        base_width: usize,
        #[init(with = Net::mup, bias = zeros)]
        blocks: Vec<Block>,
    }
    impl Net {
        fn mup(&self, t: &TensorInfo) -> Option<Init> {
            if t.module() != Some("Linear") {
                return None;
            }
            let scale = self.base_width as f64 / t.fan_in()? as f64;
            Some(Init::Normal {
                mean: 0.0,
                std: 0.02 * scale.sqrt(),
            })
        }
    }
    let net = |vb: VarBuilder| -> candle_core::Result<Net> {
        let blocks = (0..2)
            .map(|i| {
                let vb = vb.pp(format!("blocks.{i}"));
                Ok(Block {
                    ln: candle_nn::layer_norm(64, 1e-5, vb.pp("ln"))?,
                    up: candle_nn::linear(64, 256, vb.pp("up"))?,
                    down: candle_nn::linear(256, 64, vb.pp("down"))?,
                })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Net {
            base_width: 16,
            blocks,
        })
    };
    let built = ModelBuilder::new(4)
        .build(DType::F32, &Device::Cpu, net)
        .unwrap();
    let r = &built.report;
    let std = |p: &str| match r.get(p).and_then(|t| t.init.clone()) {
        Some(Init::Normal { std, .. }) => std,
        other => panic!("{p}: {other:?}"),
    };
    assert_eq!(std("blocks.1.up.weight"), 0.02 * (16.0f64 / 64.0).sqrt());
    assert_eq!(std("blocks.1.down.weight"), 0.02 * (16.0f64 / 256.0).sqrt());
    let field = ValueSource::Attribute {
        field: "blocks".into(),
    };
    assert_eq!(r.get("blocks.0.down.weight").unwrap().source, field);
    assert_eq!(r.get("blocks.0.down.bias").unwrap().init, Some(Init::Zeros));
    // Declined: the norm keeps its default.
    assert_eq!(
        r.get("blocks.0.ln.weight").unwrap().source,
        ValueSource::LayerDefault
    );
    assert_ks(
        "down",
        &values(built.model.blocks[1].down.weight()),
        normal_cdf(0.0, 0.005),
    );
    // The same bytes through init_weights.
    let (_varmap, vb) = varmap();
    let again = net(vb).unwrap();
    again.init_weights(4).unwrap();
    assert_eq!(
        values(again.blocks[1].down.weight()),
        values(built.model.blocks[1].down.weight())
    );

    // A refusal names the tensor it was for.
    #[derive(InitWeights)]
    struct Bad {
        #[init(with = Bad::refuse)]
        fc: Linear,
    }
    impl Bad {
        fn refuse(&self, t: &TensorInfo) -> init_candle::Result<Option<Init>> {
            Err(Error::InvalidLayer {
                layer: "Linear",
                message: format!("no rule for {:?}", t.dims()),
            })
        }
    }
    let (_varmap, vb) = varmap();
    let bad = Bad {
        fc: candle_nn::linear(3, 2, vb.pp("fc")).unwrap(),
    };
    let before = values(bad.fc.weight());
    let err = bad.init_weights(0).unwrap_err();
    assert!(
        matches!(&err, Error::Declaration { path, role: "weight", .. } if path == "fc.weight"),
        "{err}"
    );
    assert!(err.to_string().contains("no rule for [2, 3]"), "{err}");
    assert_eq!(values(bad.fc.weight()), before, "nothing written");
}

/// JAX/Flax's initializers as attributes: the named instances, JAX's axes on a tensor kept in
/// JAX's layout, orthogonal's column axis and delta_orthogonal's centre tap.
#[derive(InitWeights)]
struct FlaxNet {
    #[init(lecun_normal, bias = zeros)]
    dense: Linear,
    // A Dense kernel kept as Flax holds it, (in 24, out 40).
    #[init(glorot_uniform(in_axis = -2, out_axis = -1))]
    kernel: Tensor,
    #[init(delta_orthogonal(scale = 2.0), bias = zeros)]
    conv: Conv2d,
    #[init(orthogonal(gain = 0.5, column_axis = -1))]
    mix: Tensor,
}

#[test]
fn flax_initializers_are_attributes() {
    let (_vm, vb) = varmap();
    let conv = candle_nn::Conv2dConfig {
        padding: 1,
        ..Default::default()
    };
    let model = FlaxNet {
        dense: candle_nn::linear(64, 32, vb.pp("dense")).unwrap(),
        kernel: vb.get((24, 40), "kernel").unwrap(),
        conv: candle_nn::conv2d(8, 16, 3, conv, vb.pp("conv")).unwrap(),
        mix: vb.get((6, 5, 10), "mix").unwrap(),
    };
    let plan = model.init_plan().unwrap();
    let find = |p: &str| entry(&plan, p).init.clone();
    assert_eq!(find("dense.weight"), Init::lecun_normal());
    assert_eq!(find("dense.weight").name(), "lecun_normal");
    assert_eq!(find("conv.weight"), Init::DeltaOrthogonal { scale: 2.0 });
    assert_eq!(
        find("kernel").to_string(),
        "glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=[])"
    );
    model.init_weights(5).unwrap();

    // lecun_normal on (out 32, in 64): N(0, s^2) cut at +-2 s, s = sqrt(1 / 64) / 0.8796...
    let s = (1.0f64 / 64.0).sqrt() / 0.879_625_661_034_239_8;
    assert_ks("dense.weight", &values(model.dense.weight()), |x| {
        init_testkit::trunc_normal_cdf(x, 0.0, s, -2.0 * s, 2.0 * s)
    });
    // glorot_uniform on JAX's (in 24, out 40): U(-b, b), b = sqrt(3 / ((24 + 40) / 2)).
    let b = (3.0f64 / 32.0).sqrt();
    assert_ks("kernel", &values(&model.kernel), common::uniform_cdf(-b, b));
    // delta_orthogonal: the centre tap is 2 x (16, 8) with orthonormal columns, the rest 0.
    let w = model.conv.weight();
    let tap = w.narrow(2, 1, 1).unwrap().narrow(3, 1, 1).unwrap();
    let tap = tap.reshape((16, 8)).unwrap().to_dtype(DType::F64).unwrap();
    let gram = tap.t().unwrap().matmul(&tap).unwrap();
    let eye = (Tensor::eye(8, DType::F64, &Device::Cpu).unwrap() * 4.0).unwrap();
    let err = (gram - eye).unwrap().abs().unwrap().max_all().unwrap();
    assert!(err.to_scalar::<f64>().unwrap() < 1e-5);
    let total: f64 = values(w).iter().map(|v| v.abs()).sum();
    let at_tap: f64 = values(&tap).iter().map(|v| v.abs()).sum();
    assert!((total - at_tap).abs() < 1e-4, "{total} {at_tap}");
    // orthogonal along the last axis of (6, 5, 10): the 10 slices (6 x 5 = 30 values each) are
    // orthogonal, each of norm 0.5.
    let m = model
        .mix
        .to_dtype(DType::F64)
        .unwrap()
        .reshape((30, 10))
        .unwrap();
    let gram = m.t().unwrap().matmul(&m).unwrap();
    let eye = (Tensor::eye(10, DType::F64, &Device::Cpu).unwrap() * 0.25).unwrap();
    let err = (gram - eye).unwrap().abs().unwrap().max_all().unwrap();
    assert!(err.to_scalar::<f64>().unwrap() < 1e-5);
}
