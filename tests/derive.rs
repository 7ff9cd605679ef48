//! `#[derive(InitWeights)]` on nested, generic, tuple and container models: names equal to the
//! VarBuilder paths, traversal orders, declared initializers (exact values where deterministic),
//! reproducibility per path, tied parameters, and checking before writing.

mod common;

use std::sync::Arc;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{BatchNorm, Conv2d, Linear, VarBuilder};
use common::{assert_ks, normal_cdf, values, varmap};
use init_candle::nn::{ReLU, Sequential};
use init_candle::{Error, Init, InitSource, InitWeights, InitWeightsExt};

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
    let find = |p: &str| plan.entries().iter().find(|e| e.path == p).unwrap();
    assert_eq!(
        find("head.weight").init,
        Init::Normal {
            mean: 0.0,
            std: 0.01
        }
    );
    assert_eq!(find("head.weight").source, InitSource::Declared);
    assert_eq!(find("head.bias").init, Init::Constant { value: 0.5 });
    assert_eq!(find("features.0.conv.bias").init, Init::Zeros);
    assert_eq!(find("features.1.bn.weight").init, Init::Ones);
    assert_eq!(find("features.1.bn.running_var").init, Init::Ones);
    assert_eq!(find("aux.weight").source, InitSource::Default);
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
fn outer_declarations_override_inner_ones() {
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
    let find = |p: &str| {
        plan.entries()
            .iter()
            .find(|e| e.path == p)
            .unwrap()
            .init
            .clone()
    };
    assert_eq!(find("block.conv.weight"), Init::XavierUniform { gain: 1.0 });
    assert_eq!(find("block.conv.bias"), Init::Ones);
    // BatchNorm's weight is a `weight` too: xavier on a 1-D tensor cannot succeed, so nothing is
    // written and the error names the parameter.
    let before = values(outer.block.conv.weight());
    let err = outer.init_weights(0).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("block.bn.weight: "), "{text}");
    assert_eq!(
        values(outer.block.conv.weight()),
        before,
        "a parameter was written before the error"
    );
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
