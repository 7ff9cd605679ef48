//! The tutorials' models print as PyTorch prints them, byte for byte: each example's model
//! (built by the same code the example runs, `examples/tutorials/*.rs`), every layer of
//! init-candle, and tensors and parameters (`print(w1)`), against the text PyTorch printed
//! for the same models and values (`tests/expected/*.txt`, written by `tests/expected/gen.py`).

#[path = "../examples/tutorials/c3d.rs"]
#[allow(dead_code)]
mod c3d;
#[path = "../examples/tutorials/children_vs_modules.rs"]
#[allow(dead_code)]
mod children_vs_modules;
#[path = "../examples/tutorials/mlp.rs"]
#[allow(dead_code)]
mod mlp;
#[path = "../examples/tutorials/net.rs"]
#[allow(dead_code)]
mod net;

use std::collections::BTreeMap;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use init_candle::nn::{
    batch_norm1d, batch_norm2d, batch_norm3d, conv3d, conv3d_no_bias, group_norm, gru, lstm,
    Conv3dConfig, Dropout, Flatten, LeakyReLU, MaxPool2d, MaxPool3d, ReLU, RnnConfig, Sequential,
    Sigmoid, Softmax, Tanh,
};
use init_candle::{parameter_repr, tensor_repr, Generator, InitWeights, InitWeightsExt};

/// The sections of `tests/expected/<file>.txt`: `### name` lines, each followed by the text.
fn expected(file: &str) -> BTreeMap<String, String> {
    let path = format!("{}/tests/expected/{file}.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut sections = BTreeMap::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("### ") {
            if let Some((k, lines)) = current.take() {
                sections.insert(k, lines.join("\n"));
            }
            current = Some((name.to_owned(), Vec::new()));
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    if let Some((k, lines)) = current {
        sections.insert(k, lines.join("\n"));
    }
    assert!(!sections.is_empty(), "{path} has no sections");
    sections
}

/// Compares every section PyTorch printed with ours; all differences are reported together.
fn compare(file: &str, ours: Vec<(&str, String)>) {
    let want = expected(file);
    let mut failures = Vec::new();
    let names: Vec<&str> = ours.iter().map(|(k, _)| *k).collect();
    for key in want.keys() {
        if !names.contains(&key.as_str()) {
            failures.push(format!(
                "`{key}`: PyTorch printed it, the test does not build it"
            ));
        }
    }
    for (key, text) in &ours {
        match want.get(*key) {
            None => failures.push(format!("`{key}`: not in tests/expected/{file}.txt")),
            Some(w) if w != text => {
                failures.push(format!("`{key}`:\n--- PyTorch\n{w}\n--- ours\n{text}"))
            }
            Some(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} prints differ from PyTorch's ({file}.txt):\n\n{}",
        failures.len(),
        ours.len(),
        failures.join("\n\n")
    );
}

fn vb(varmap: &VarMap) -> VarBuilder<'_> {
    VarBuilder::from_varmap(varmap, DType::F32, &Device::Cpu)
}

#[test]
fn net_prints_as_pytorch() {
    let varmap = VarMap::new();
    let model = net::Net::new(vb(&varmap), &Generator::new(0)).unwrap();
    compare("net", vec![("print(net)", model.module_repr())]);
}

#[test]
fn c3d_prints_as_pytorch() {
    // Zeros: the print needs the shapes, not 80M random values.
    let model = c3d::C3D::new(VarBuilder::zeros(DType::F32, &Device::Cpu)).unwrap();
    compare("c3d", vec![("print(model)", model.module_repr())]);
}

#[test]
fn mlp_prints_as_pytorch() {
    let (varmap1, varmap2) = (VarMap::new(), VarMap::new());
    let model = mlp::MLP::new(vb(&varmap1), &Generator::new(0)).unwrap();
    let net = mlp::sequential(&vb(&varmap2)).unwrap();
    net.init_with(0, &mut mlp::init_weights).unwrap();
    compare(
        "mlp",
        vec![
            ("print(MLP())", model.module_repr()),
            ("print(net)", net.to_string()),
        ],
    );
}

#[test]
fn children_vs_modules_prints_as_pytorch() {
    let varmap = VarMap::new();
    let net1 = children_vs_modules::net1(&vb(&varmap)).unwrap();
    let net2 = children_vs_modules::sim_net::new(vb(&varmap).pp("net2")).unwrap();
    let lines = |items: Vec<String>| items.join("\n");
    compare(
        "children_vs_modules",
        vec![
            ("print(net1)", net1.to_string()),
            ("print(net1[0])", net1[0].to_string()),
            (
                "for layer in net1: print(layer)",
                lines((&net1).into_iter().map(|l| l.to_string()).collect()),
            ),
            ("print(net2)", net2.module_repr()),
            (
                "for i in net2.children(): print(i)",
                lines(net2.children().iter().map(|m| m.module_repr()).collect()),
            ),
            (
                "for i in net2.modules(): print(i)",
                lines(net2.modules().iter().map(|m| m.module_repr()).collect()),
            ),
        ],
    );
}

#[test]
fn every_layer_prints_as_pytorch() {
    let varmap = VarMap::new();
    let vb = vb(&varmap);
    let conv = |cfg| candle_nn::conv1d_no_bias(4, 6, 3, cfg, vb.pp("c1"));
    let rnn_cfg = RnnConfig::default();
    let gru_cfg = RnnConfig {
        num_layers: 2,
        bias: false,
        bidirectional: true,
    };
    let bn_no_affine = candle_nn::BatchNormConfig {
        affine: false,
        ..1e-5.into()
    };
    let bn3 = candle_nn::BatchNormConfig {
        momentum: 0.01,
        ..1e-3.into()
    };
    let layers: Vec<(&str, Box<dyn InitWeights>)> = vec![
        (
            "linear",
            Box::new(candle_nn::linear(400, 120, vb.pp("l1")).unwrap()),
        ),
        (
            "linear_no_bias",
            Box::new(candle_nn::linear_no_bias(3, 4, vb.pp("l2")).unwrap()),
        ),
        (
            "conv1d",
            Box::new(
                conv(candle_nn::Conv1dConfig {
                    padding: 1,
                    groups: 2,
                    ..Default::default()
                })
                .unwrap(),
            ),
        ),
        (
            "conv2d",
            Box::new(candle_nn::conv2d(3, 6, 5, Default::default(), vb.pp("c2")).unwrap()),
        ),
        (
            "conv2d_strided",
            Box::new(
                candle_nn::conv2d(
                    3,
                    8,
                    3,
                    candle_nn::Conv2dConfig {
                        stride: 2,
                        padding: 1,
                        dilation: 2,
                        ..Default::default()
                    },
                    vb.pp("c3"),
                )
                .unwrap(),
            ),
        ),
        (
            "conv_transpose1d",
            Box::new(
                candle_nn::conv_transpose1d(
                    4,
                    6,
                    3,
                    candle_nn::ConvTranspose1dConfig {
                        stride: 2,
                        ..Default::default()
                    },
                    vb.pp("t1"),
                )
                .unwrap(),
            ),
        ),
        (
            "conv_transpose2d",
            Box::new(
                candle_nn::conv_transpose2d(
                    4,
                    6,
                    3,
                    candle_nn::ConvTranspose2dConfig {
                        stride: 2,
                        ..Default::default()
                    },
                    vb.pp("t2"),
                )
                .unwrap(),
            ),
        ),
        (
            "conv3d",
            Box::new(
                conv3d(
                    3,
                    64,
                    3,
                    Conv3dConfig {
                        padding: 1,
                        ..Default::default()
                    },
                    vb.pp("c4"),
                )
                .unwrap(),
            ),
        ),
        (
            "conv3d_no_bias",
            Box::new(
                conv3d_no_bias(
                    4,
                    8,
                    3,
                    Conv3dConfig {
                        stride: 2,
                        groups: 2,
                        ..Default::default()
                    },
                    vb.pp("c5"),
                )
                .unwrap(),
            ),
        ),
        (
            "batch_norm1d",
            Box::new(batch_norm1d(6, 1e-5, vb.pp("b1")).unwrap()),
        ),
        (
            "batch_norm2d",
            Box::new(batch_norm2d(16, 1e-5, vb.pp("b2")).unwrap()),
        ),
        (
            "batch_norm3d",
            Box::new(batch_norm3d(8, bn3, vb.pp("b3")).unwrap()),
        ),
        (
            "batch_norm2d_no_affine",
            Box::new(batch_norm2d(6, bn_no_affine, vb.pp("b4")).unwrap()),
        ),
        (
            "layer_norm",
            Box::new(candle_nn::layer_norm(8, 1e-5, vb.pp("n1")).unwrap()),
        ),
        (
            "rms_norm",
            Box::new(candle_nn::rms_norm(8, 1e-6, vb.pp("n2")).unwrap()),
        ),
        (
            "group_norm",
            Box::new(group_norm(2, 6, 1e-5, vb.pp("n3")).unwrap()),
        ),
        (
            "embedding",
            Box::new(candle_nn::embedding(10, 3, vb.pp("e")).unwrap()),
        ),
        (
            "prelu",
            Box::new(candle_nn::prelu(None, vb.pp("p")).unwrap()),
        ),
        (
            "lstm",
            Box::new(lstm(10, 20, rnn_cfg, vb.pp("lstm")).unwrap()),
        ),
        ("gru", Box::new(gru(10, 20, gru_cfg, vb.pp("gru")).unwrap())),
        ("relu", Box::new(ReLU)),
        ("tanh", Box::new(Tanh)),
        ("sigmoid", Box::new(Sigmoid)),
        ("leaky_relu", Box::new(LeakyReLU::default())),
        (
            "leaky_relu_02",
            Box::new(LeakyReLU {
                negative_slope: 0.2,
            }),
        ),
        ("softmax", Box::new(Softmax::new(1))),
        ("softmax_last", Box::new(Softmax::new(-1))),
        ("softmax_implicit", Box::new(Softmax::implicit())),
        ("flatten", Box::new(Flatten::default())),
        ("dropout", Box::new(Dropout::new(0.5).unwrap())),
        ("dropout_01", Box::new(Dropout::new(0.1).unwrap())),
        ("gelu", Box::new(candle_nn::Activation::Gelu)),
        (
            "gelu_tanh",
            Box::new(candle_nn::Activation::GeluPytorchTanh),
        ),
        ("elu", Box::new(candle_nn::Activation::Elu(1.0))),
        ("silu", Box::new(candle_nn::Activation::Silu)),
        (
            "max_pool2d_ints",
            Box::new(MaxPool2d::new(2, 2, 0).unwrap()),
        ),
        (
            "max_pool2d_tuples",
            Box::new(MaxPool2d::new((2, 2), (2, 2), 0).unwrap()),
        ),
        (
            "max_pool2d_padded",
            Box::new(MaxPool2d::new(3, 2, 1).unwrap()),
        ),
        (
            "max_pool3d_tuples",
            Box::new(MaxPool3d::new((1, 2, 2), (1, 2, 2), 0).unwrap()),
        ),
        (
            "max_pool3d_mixed",
            Box::new(MaxPool3d::new((2, 2, 2), (2, 2, 2), (0, 1, 1)).unwrap()),
        ),
        ("max_pool3d_ints", Box::new(MaxPool3d::cube(2).unwrap())),
        (
            "sequential",
            Box::new(
                Sequential::new()
                    .add(candle_nn::linear(4, 8, vb.pp("s0")).unwrap())
                    .add(ReLU)
                    .add(Dropout::new(0.5).unwrap())
                    .add(candle_nn::linear(8, 2, vb.pp("s3")).unwrap()),
            ),
        ),
    ];
    compare(
        "layers",
        layers.iter().map(|(k, m)| (*k, m.module_repr())).collect(),
    );
}

/// `((i * 7919) % 2003 - 1001) / 5567` in f64, cast to `dtype` (as gen.py computes it).
fn wave(n: usize, dtype: DType) -> Tensor {
    let v: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 2003) as f64 - 1001.0)
        .map(|x| x / 5567.0)
        .collect();
    Tensor::from_vec(v, n, &Device::Cpu)
        .and_then(|t| t.to_dtype(dtype))
        .unwrap()
}

/// `3 + ((i * 7919) % 2003) / 1001` in f64.
fn between_3_and_5(n: usize) -> Tensor {
    let v: Vec<f64> = (0..n)
        .map(|i| 3.0 + ((i * 7919) % 2003) as f64 / 1001.0)
        .collect();
    Tensor::from_vec(v, n, &Device::Cpu).unwrap()
}

#[test]
fn tensors_and_parameters_print_as_pytorch() {
    let dev = Device::Cpu;
    let f32s = |v: &[f32], shape: &[usize]| Tensor::from_slice(v, shape, &dev).unwrap();
    let dirac = |shape: &[usize]| {
        let w = Tensor::zeros(shape, DType::F32, &dev).unwrap();
        init_candle::init::dirac(&w, 1).unwrap();
        w
    };
    let small = wave(15, DType::F32).reshape((3, 5)).unwrap();
    let summarized = wave(1200, DType::F32).reshape((40, 30)).unwrap();
    let float64 = between_3_and_5(1200).reshape((40, 30)).unwrap();
    let float64_small = between_3_and_5(6).reshape((2, 3)).unwrap();
    let tensors: Vec<(&str, Tensor)> = vec![
        ("small", small.clone()),
        ("summarized", summarized.clone()),
        ("float64_summarized", float64.clone()),
        ("float64_small", float64_small.clone()),
        ("scientific", f32s(&[1.0e-5, 0.5, -2.0, 123.25], &[4])),
        ("large_ints", f32s(&[1.0, -2000.0, 3.0], &[3])),
        ("int_mode", f32s(&[1.0, 0.0, -3.0, 0.0, 12.0, 0.0], &[2, 3])),
        (
            "eye",
            Tensor::eye(3, DType::F32, &dev)
                .unwrap()
                .pad_with_zeros(1, 0, 2)
                .unwrap(),
        ),
        ("zeros", Tensor::zeros((2, 3), DType::F32, &dev).unwrap()),
        ("wrapped_vector", wave(40, DType::F32)),
        ("three_d", wave(24, DType::F32).reshape((2, 3, 4)).unwrap()),
        ("dirac", dirac(&[3, 16, 5, 5])),
        ("summarized_vector", wave(1500, DType::F32)),
        ("scalar", Tensor::new(0.5f32, &dev).unwrap()),
        (
            "int64",
            Tensor::new(&[[1i64, -20, 300], [4, 5, 6]], &dev).unwrap(),
        ),
        ("empty", Tensor::zeros(0, DType::F32, &dev).unwrap()),
    ];
    let mut ours: Vec<(&str, String)> = tensors
        .iter()
        .map(|(k, t)| (*k, tensor_repr(t).unwrap()))
        .collect();
    ours.push(("parameter_small", parameter_repr(&small).unwrap()));
    ours.push(("parameter_summarized", parameter_repr(&summarized).unwrap()));
    ours.push(("parameter_float64", parameter_repr(&float64).unwrap()));
    ours.push((
        "parameter_float64_small",
        parameter_repr(&float64_small).unwrap(),
    ));
    compare("tensors", ours);
}

#[test]
fn a_changed_print_fails_the_comparison() {
    let result = std::panic::catch_unwind(|| {
        compare("net", vec![("print(net)", "Net()".to_owned())]);
    });
    assert!(result.is_err(), "a print that differs must fail");
}

#[test]
fn sequential_indexes_iterates_and_gets_typed_layers() {
    let varmap = VarMap::new();
    let net1 = children_vs_modules::net1(&vb(&varmap)).unwrap();
    assert_eq!(net1[0].class_name(), "Linear");
    assert_eq!(net1[1].class_name(), "ReLU");
    let classes: Vec<&str> = (&net1).into_iter().map(|l| l.class_name()).collect();
    assert_eq!(classes, ["Linear", "ReLU", "Linear", "ReLU", "Linear"]);
    // net1[0].weight is the VarMap's variable "0.weight".
    let w1 = net1.get::<candle_nn::Linear>(0).unwrap().weight();
    assert_eq!(w1.dims(), &[40, 30]);
    net1.check_varmap(&varmap).unwrap();

    let wrong_type = net1.get::<candle_nn::Linear>(1).unwrap_err();
    assert!(matches!(
        wrong_type,
        init_candle::Error::NoSuchLayer { index: 1, .. }
    ));
    assert_eq!(
        wrong_type.to_string(),
        "Sequential: layer 1 is a ReLU (ReLU()), not a `candle_nn::linear::Linear`"
    );
    let past_end = net1.get::<ReLU>(5).unwrap_err();
    assert_eq!(
        past_end.to_string(),
        "Sequential: no layer 5: the Sequential has 5 layers (indices 0 to 4)"
    );
    assert!(Sequential::new()
        .get::<ReLU>(0)
        .unwrap_err()
        .to_string()
        .ends_with("the Sequential is empty"));
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| net1[5].class_name()))
        .unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(
        message,
        "Sequential index 5 is out of range: it has 5 layers"
    );
}

#[test]
fn c3d_takes_a_small_clip_and_rejects_one_too_short_for_pool5() {
    use candle_core::Module;
    let model = c3d::C3D::new(VarBuilder::zeros(DType::F32, &Device::Cpu)).unwrap();
    let clip = |frames: usize, size: usize| {
        Tensor::zeros((1, 3, frames, size, size), DType::F32, &Device::Cpu).unwrap()
    };
    let features = model.features(&clip(16, 56)).unwrap();
    assert_eq!(features.dims(), &[1, 512, 1, 2, 2]);
    // 8 frames: pool5 gets one frame, less than its kernel (PyTorch: "Output size is too small").
    let err = model.features(&clip(8, 56)).unwrap_err().to_string();
    assert!(
        err.contains("MaxPool3d") && err.contains("smaller than the kernel 2"),
        "{err}"
    );
    // The pool alone: an error, never an empty tensor or a panic.
    let pool5 = &model.pool5;
    assert!(pool5.forward(&clip(1, 3)).is_err());
    assert_eq!(pool5.forward(&clip(2, 7)).unwrap().dims(), &[1, 3, 1, 4, 4]);
}

#[test]
fn softmax_uses_the_given_or_pytorchs_implicit_dimension() {
    use candle_core::Module;
    let x = Tensor::new(&[[0f32, 2f32.ln()], [3f32.ln(), 0.]], &Device::Cpu).unwrap();
    let rows = Softmax::new(1)
        .forward(&x)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let expect = [[1.0 / 3.0, 2.0 / 3.0], [0.75, 0.25]];
    for (r, e) in rows.iter().flatten().zip(expect.iter().flatten()) {
        assert!((r - e).abs() < 1e-6, "{rows:?}");
    }
    // No dim on a 2-D input: PyTorch picks dimension 1, so the rows sum to 1.
    let implicit = Softmax::implicit().forward(&x).unwrap();
    assert_eq!(implicit.to_vec2::<f32>().unwrap(), rows);
    let last = Softmax::new(-1).forward(&x).unwrap();
    assert_eq!(last.to_vec2::<f32>().unwrap(), rows);
    let err = Softmax::new(2).forward(&x).unwrap_err().to_string();
    assert!(
        err.contains("dim 2 is out of range for an input of rank 2"),
        "{err}"
    );
}
