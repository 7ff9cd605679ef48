//! Every layer's traversal (names, shapes) and PyTorch default initialization, checked against
//! the rules PyTorch 2.15.0 reports in `tests/data/module_defaults.json` (copied from the
//! project's reference data): uniform parameters with a KS test against U(-bound, bound) and the
//! bound as a hard limit, normal ones with a KS test, constants exactly. Plus Conv3d and
//! MaxPool3d against naive reference loops, and forward passes that see what init writes.

mod common;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use common::{assert_ks, normal_cdf, uniform_cdf, values, varmap};
use init_candle::nn::{conv3d, group_norm, gru, lstm, Conv3d, Conv3dConfig, MaxPool3d, RnnConfig};
use init_candle::{
    from_candle_nn, DefaultInit, Error, FanMode, Init, InitWeights, InitWeightsExt, Nonlinearity,
    Parameter,
};
use serde_json::Value;

/// Builds the layer PyTorch built with `constructor`, or `None` where candle has no equivalent.
fn build(constructor: &str, vb: VarBuilder) -> init_candle::Result<Option<Box<dyn InitWeights>>> {
    let cfg1 = candle_nn::Conv1dConfig::default();
    let cfg2 = candle_nn::Conv2dConfig::default();
    let m: Box<dyn InitWeights> = match constructor.split("  #").next().unwrap_or("").trim() {
        "nn.Linear(20, 30)" => Box::new(candle_nn::linear(20, 30, vb)?),
        "nn.Linear(8192, 4096)" => Box::new(candle_nn::linear(8192, 4096, vb)?),
        "nn.Conv1d(16, 33, 3)" => Box::new(candle_nn::conv1d(16, 33, 3, cfg1, vb)?),
        "nn.Conv2d(6, 3, 5)" => Box::new(candle_nn::conv2d(6, 3, 5, cfg2, vb)?),
        "nn.Conv2d(8, 16, 3, groups=4)" => {
            let cfg = candle_nn::Conv2dConfig { groups: 4, ..cfg2 };
            Box::new(candle_nn::conv2d(8, 16, 3, cfg, vb)?)
        }
        "nn.Conv3d(3, 64, 3, padding=1)" => Box::new(conv3d(
            3,
            64,
            3,
            Conv3dConfig {
                padding: 1,
                ..Default::default()
            },
            vb,
        )?),
        "nn.ConvTranspose1d(16, 33, 3)" => Box::new(candle_nn::conv_transpose1d(
            16,
            33,
            3,
            Default::default(),
            vb,
        )?),
        "nn.ConvTranspose2d(6, 3, 5)" => Box::new(candle_nn::conv_transpose2d(
            6,
            3,
            5,
            Default::default(),
            vb,
        )?),
        "nn.BatchNorm1d(7)" | "nn.BatchNorm2d(7)" => Box::new(candle_nn::batch_norm(7, 1e-5, vb)?),
        "nn.BatchNorm3d(7, affine=False)" => {
            let cfg = candle_nn::BatchNormConfig {
                affine: false,
                ..Default::default()
            };
            Box::new(candle_nn::batch_norm(7, cfg, vb)?)
        }
        "nn.LayerNorm([4, 5])" => {
            let w = vb.get_with_hints((4, 5), "weight", candle_nn::Init::Const(1.))?;
            let b = vb.get_with_hints((4, 5), "bias", candle_nn::Init::Const(0.))?;
            Box::new(candle_nn::LayerNorm::new(w, b, 1e-5))
        }
        "nn.GroupNorm(2, 6)" => Box::new(group_norm(2, 6, 1e-5, vb)?),
        "nn.Embedding(10, 3)" => Box::new(candle_nn::embedding(10, 3, vb)?),
        "nn.LSTM(10, 20, 1, bidirectional=True)" => Box::new(lstm(
            10,
            20,
            RnnConfig {
                bidirectional: true,
                ..Default::default()
            },
            vb,
        )?),
        "nn.GRU(10, 20, 1)" => Box::new(gru(10, 20, RnnConfig::default(), vb)?),
        "nn.PReLU(3)" => Box::new(candle_nn::prelu(Some(3), vb)?),
        _ => return Ok(None),
    };
    Ok(Some(m))
}

fn shape(v: &Value) -> Vec<usize> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_u64())
                .map(|x| x as usize)
                .collect()
        })
        .unwrap_or_default()
}

/// Checks `t` against one rule of the reference (`{"dist": "uniform", "bound": b}`, ...).
fn check_rule(what: &str, t: &Tensor, rule: &Value) {
    let mut v = values(t);
    // Large tensors: the KS test on a prefix is as valid (each value is a draw).
    v.truncate(200_000);
    match rule["dist"].as_str() {
        Some("uniform") => {
            let bound = rule["bound"].as_f64().expect("bound");
            // f32 rounding of a bound computed in f64 may be one ulp out.
            let limit = bound * (1.0 + 1e-6);
            assert!(
                v.iter().all(|x| x.abs() <= limit),
                "{what}: a value outside +-{bound}"
            );
            assert_ks(what, &v, uniform_cdf(-bound, bound));
        }
        Some("normal") => {
            let (mean, std) = (
                rule["mean"].as_f64().unwrap_or(0.0),
                rule["std"].as_f64().unwrap_or(1.0),
            );
            assert_ks(what, &v, normal_cdf(mean, std));
        }
        Some("constant") => {
            let value = rule["value"].as_f64().expect("value");
            assert!(v.iter().all(|&x| x == value), "{what}: not all {value}");
        }
        other => panic!("{what}: unexpected rule {other:?}"),
    }
}

#[test]
fn every_layer_has_pytorch_default_init() {
    let data: Value = serde_json::from_str(include_str!("data/module_defaults.json"))
        .expect("module_defaults.json");
    let cases = data["module_defaults"].as_array().expect("module_defaults");
    let mut checked = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let constructor = case["constructor"].as_str().expect("constructor");
        let (_varmap, vb) = varmap();
        let Some(module) = build(constructor, vb).expect("build") else {
            continue;
        };
        // Start from garbage so that the test sees what reset_parameters writes.
        for (_, t) in module.named_parameters() {
            t.const_set(7f32.into()).expect("const_set");
        }
        module
            .reset_parameters(1000 + i as u64)
            .expect("reset_parameters");
        let params = module.named_parameters();
        let expected: Vec<(String, Vec<usize>)> = case["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or("").to_owned(),
                    shape(&p["shape"]),
                )
            })
            .collect();
        let got: Vec<(String, Vec<usize>)> = params
            .iter()
            .map(|(n, t)| (n.clone(), t.dims().to_vec()))
            .collect();
        assert_eq!(got, expected, "{constructor}: parameter names and shapes");
        for (name, t) in &params {
            let rule = if case["rule"].get("all").is_some() {
                &case["rule"]["all"]
            } else {
                &case["rule"][name]
            };
            check_rule(&format!("{constructor} {name}"), t, rule);
        }
        // Buffers (BatchNorm running stats): names, and the values PyTorch reports.
        for buffer in case["buffers"].as_array().into_iter().flatten() {
            let name = buffer["name"].as_str().unwrap_or("");
            if name == "num_batches_tracked" {
                continue; // candle's BatchNorm does not count batches
            }
            let (_, t) = module
                .named_buffers()
                .into_iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{constructor}: no buffer {name}"));
            let expected = buffer["values_unique"][0].as_f64().expect("value");
            assert!(
                values(&t).iter().all(|&x| x == expected),
                "{constructor} {name} != {expected}"
            );
        }
        checked.push(constructor.split("  #").next().unwrap_or("").to_owned());
    }
    assert!(
        checked.len() >= 17,
        "only {} layers checked: {checked:?}",
        checked.len()
    );
}

#[test]
fn class_names_and_downcasts() {
    let (_vm, vb) = varmap();
    let fc = candle_nn::linear(3, 4, vb.pp("fc")).unwrap();
    let m: &dyn InitWeights = &fc;
    assert_eq!(m.class_name(), "Linear");
    assert!(m.is::<candle_nn::Linear>());
    assert!(m.downcast_ref::<candle_nn::Conv2d>().is_none());
    let conv = conv3d(2, 3, 3, Conv3dConfig::default(), vb.pp("c")).unwrap();
    assert_eq!((&conv as &dyn InitWeights).class_name(), "Conv3d");
    assert!(conv.class_name().contains("Conv"));
}

/// y[n][o][z][y][x] = b[o] + sum over the group's input channels and the kernel.
#[allow(clippy::needless_range_loop)] // index arithmetic mirrors the definition
fn naive_conv3d(x: &Tensor, w: &Tensor, b: &Tensor, cfg: Conv3dConfig) -> Vec<f32> {
    let xd = x.dims5().unwrap();
    let wd = w.dims5().unwrap();
    let xv = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let wv = w.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let bv = b.to_vec1::<f32>().unwrap();
    let (n, c, d, h, wdt) = xd;
    let (o, cg, kd, kh, kw) = wd;
    let (p, s, dl, g) = (cfg.padding as isize, cfg.stride, cfg.dilation, cfg.groups);
    let out = |len: usize, k: usize| (len + 2 * cfg.padding - dl * (k - 1) - 1) / s + 1;
    let (od, oh, ow) = (out(d, kd), out(h, kh), out(wdt, kw));
    let mut y = Vec::with_capacity(n * o * od * oh * ow);
    for ni in 0..n {
        for oi in 0..o {
            let group = oi / (o / g);
            for zi in 0..od {
                for yi in 0..oh {
                    for xi in 0..ow {
                        let mut acc = bv[oi];
                        for ci in 0..cg {
                            let cin = group * cg + ci;
                            for a in 0..kd {
                                for bb in 0..kh {
                                    for cc in 0..kw {
                                        let zz = (zi * s + a * dl) as isize - p;
                                        let yy = (yi * s + bb * dl) as isize - p;
                                        let xx = (xi * s + cc * dl) as isize - p;
                                        if zz < 0
                                            || yy < 0
                                            || xx < 0
                                            || zz >= d as isize
                                            || yy >= h as isize
                                            || xx >= wdt as isize
                                        {
                                            continue;
                                        }
                                        let xidx = (((ni * c + cin) * d + zz as usize) * h
                                            + yy as usize)
                                            * wdt
                                            + xx as usize;
                                        let widx = (((oi * cg + ci) * kd + a) * kh + bb) * kw + cc;
                                        acc += xv[xidx] * wv[widx];
                                    }
                                }
                            }
                        }
                        y.push(acc);
                    }
                }
            }
        }
    }
    y
}

#[test]
fn conv3d_matches_a_naive_reference() {
    let dev = Device::Cpu;
    let configs = [
        Conv3dConfig::default(),
        Conv3dConfig {
            padding: 1,
            ..Default::default()
        },
        Conv3dConfig {
            padding: 1,
            stride: 2,
            ..Default::default()
        },
        Conv3dConfig {
            padding: 2,
            dilation: 2,
            groups: 2,
            ..Default::default()
        },
    ];
    for cfg in configs {
        let x = Tensor::randn(0f32, 1.0, (2, 4, 5, 6, 7), &dev).unwrap();
        let w = Tensor::randn(0f32, 1.0, (6, 4 / cfg.groups, 3, 2, 3), &dev).unwrap();
        let b = Tensor::randn(0f32, 1.0, 6, &dev).unwrap();
        let conv = Conv3d::new(w.clone(), Some(b.clone()), cfg).unwrap();
        let y = conv.forward(&x).unwrap();
        let expected = naive_conv3d(&x, &w, &b, cfg);
        let got = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(
            got.len(),
            expected.len(),
            "{cfg:?}: output size ({:?})",
            y.dims()
        );
        let worst = got
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-4, "{cfg:?}: max |diff| = {worst}");
    }
}

#[test]
fn conv3d_rejects_bad_configs() {
    let (_vm, vb) = varmap();
    let err = conv3d(
        3,
        4,
        3,
        Conv3dConfig {
            groups: 2,
            ..Default::default()
        },
        vb.pp("a"),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("groups = 2 must divide in_channels = 3"),
        "{err}"
    );
    let conv = conv3d(3, 4, 3, Conv3dConfig::default(), vb.pp("b")).unwrap();
    let err = conv
        .forward(&Tensor::zeros((1, 2, 4, 4, 4), DType::F32, &Device::Cpu).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("input has 2 channels"), "{err}");
}

#[test]
fn max_pool3d_matches_a_naive_reference() {
    let dev = Device::Cpu;
    let x = Tensor::randn(0f32, 1.0, (1, 2, 4, 7, 7), &dev).unwrap();
    let pool = MaxPool3d::new((2, 2, 2), (2, 2, 2), (0, 1, 1)).unwrap();
    let y = pool.forward(&x).unwrap();
    assert_eq!(y.dims(), &[1, 2, 2, 4, 4]);
    let xv = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let yv = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let mut k = 0;
    for c in 0..2 {
        for z in 0..2 {
            for yy in 0..4 {
                for xx in 0..4 {
                    let mut best = f32::NEG_INFINITY;
                    for a in 0..2 {
                        for b in 0..2 {
                            for d in 0..2 {
                                let (zi, yi, xi) = (
                                    z * 2 + a,
                                    (yy * 2 + b) as isize - 1,
                                    (xx * 2 + d) as isize - 1,
                                );
                                if (0..7).contains(&yi) && (0..7).contains(&xi) {
                                    best = best.max(
                                        xv[((c * 4 + zi) * 7 + yi as usize) * 7 + xi as usize],
                                    );
                                }
                            }
                        }
                    }
                    assert_eq!(yv[k], best, "at c={c} z={z} y={yy} x={xx}");
                    k += 1;
                }
            }
        }
    }
}

#[test]
fn rnn_forward_reads_the_initialized_storage() {
    let (varmap, vb) = varmap();
    let rnn = lstm(
        3,
        4,
        RnnConfig {
            num_layers: 2,
            bidirectional: true,
            bias: true,
        },
        vb.pp("rnn"),
    )
    .unwrap();
    let names: Vec<String> = rnn.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names[..4],
        ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    );
    assert!(names.contains(&"weight_ih_l1_reverse".to_owned()));
    assert_eq!(rnn.parameter("weight_ih_l1").unwrap().dims(), &[16, 8]);
    rnn.check_varmap_prefixed(&varmap, "rnn").unwrap();
    let x = Tensor::randn(0f32, 1.0, (2, 5, 3), &Device::Cpu).unwrap();
    // All-zero weights and biases: every gate is sigmoid(0) and the candidate tanh(0) = 0, so h = 0.
    rnn.init_with(0, &mut |m| {
        m.init_weight(Init::Zeros);
        m.init_bias(Init::Zeros);
        Ok(())
    })
    .unwrap();
    let y = rnn.forward(&x).unwrap();
    assert_eq!(y.dims(), &[2, 5, 8]);
    assert!(values(&y).iter().all(|&v| v == 0.0));
    rnn.init_weights(1).unwrap();
    assert!(values(&rnn.forward(&x).unwrap()).iter().any(|&v| v != 0.0));

    let (_vm, vb) = common::varmap();
    let g = gru(3, 4, RnnConfig::default(), vb).unwrap();
    g.init_with(0, &mut |m| {
        m.init_weight(Init::Zeros);
        m.init_bias(Init::Zeros);
        Ok(())
    })
    .unwrap();
    assert!(values(&g.forward(&x).unwrap()).iter().all(|&v| v == 0.0));
}

#[test]
fn group_norm_forward_reads_the_initialized_storage() {
    let (_vm, vb) = varmap();
    let gn = group_norm(2, 4, 1e-5, vb).unwrap();
    gn.init_with(0, &mut |m| {
        m.init("weight", Init::Constant { value: 2.0 })?;
        m.init("bias", Init::Constant { value: 3.0 })
    })
    .unwrap();
    let x = Tensor::randn(0f32, 1.0, (2, 4, 8), &Device::Cpu).unwrap();
    let y = gn.forward(&x).unwrap();
    let mean = values(&y).iter().sum::<f64>() / y.elem_count() as f64;
    assert!((mean - 3.0).abs() < 1e-4, "mean {mean}");
}

#[test]
fn buffers_are_listed_apart_from_parameters() {
    let (_vm, vb) = varmap();
    let bn = candle_nn::batch_norm(5, 1e-5, vb).unwrap();
    let p: Vec<String> = bn.named_parameters().into_iter().map(|(n, _)| n).collect();
    let b: Vec<String> = bn.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(p, ["weight", "bias"]);
    assert_eq!(b, ["running_mean", "running_var"]);
}

/// A layer written by hand: each parameter listed once, with its default.
struct Affine {
    weight: Tensor,
    bias: Tensor,
    scale: Tensor,
}

impl InitWeights for Affine {
    fn class_name(&self) -> &'static str {
        "Affine"
    }
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        visit(Parameter::new(
            "weight",
            &self.weight,
            DefaultInit::UniformFanIn(&self.weight),
        ));
        visit(Parameter::new(
            "bias",
            &self.bias,
            DefaultInit::UniformFanIn(&self.weight),
        ));
        visit(Parameter::new("scale", &self.scale, DefaultInit::Keep));
    }
}

#[test]
fn a_hand_written_layer_lists_each_parameter_once() {
    let dev = Device::Cpu;
    let layer = Affine {
        weight: Tensor::zeros((3, 16), DType::F32, &dev).unwrap(),
        bias: Tensor::zeros(3, DType::F32, &dev).unwrap(),
        scale: Tensor::ones(3, DType::F32, &dev).unwrap(),
    };
    let names: Vec<String> = layer
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["weight", "bias", "scale"]);
    let plan = layer.init_plan().unwrap();
    let inits: Vec<(&str, &Init)> = plan
        .entries()
        .iter()
        .map(|e| (e.path.as_str(), &e.init))
        .collect();
    let u = Init::Uniform {
        low: -0.25,
        high: 0.25,
    };
    // `scale` has no default: not in the plan, left as it is.
    assert_eq!(inits, [("weight", &u), ("bias", &u)]);
    layer.reset_parameters(3).unwrap();
    assert!(values(&layer.bias).iter().all(|v| v.abs() <= 0.25));
    assert!(values(&layer.bias).iter().any(|&v| v != 0.0));
    assert_eq!(values(&layer.scale), [1.0, 1.0, 1.0]);
    assert_eq!(layer.module_repr(), "Affine()");
}

#[test]
fn a_default_without_a_fan_names_the_parameter() {
    let dev = Device::Cpu;
    let layer = Affine {
        weight: Tensor::zeros(3, DType::F32, &dev).unwrap(),
        bias: Tensor::zeros(3, DType::F32, &dev).unwrap(),
        scale: Tensor::ones(3, DType::F32, &dev).unwrap(),
    };
    let err = layer.init_weights(0).unwrap_err();
    assert!(err.to_string().starts_with("weight: "), "{err}");
}

#[test]
fn from_candle_nn_maps_every_initializer() {
    use candle_nn::init::{FanInOut, NonLinearity, NormalOrUniform};
    assert_eq!(
        from_candle_nn(candle_nn::Init::Randn {
            mean: 1.0,
            stdev: 2.0
        })
        .unwrap(),
        Init::Normal {
            mean: 1.0,
            std: 2.0
        }
    );
    assert_eq!(
        from_candle_nn(candle_nn::Init::Uniform { lo: -1.0, up: 3.0 }).unwrap(),
        Init::Uniform {
            low: -1.0,
            high: 3.0
        }
    );
    assert_eq!(
        from_candle_nn(candle_nn::Init::Kaiming {
            dist: NormalOrUniform::Uniform,
            fan: FanInOut::FanOut,
            non_linearity: NonLinearity::Tanh,
        })
        .unwrap(),
        Init::KaimingUniform {
            a: 0.0,
            mode: FanMode::FanOut,
            nonlinearity: Nonlinearity::Tanh
        }
    );
    let err = from_candle_nn(candle_nn::Init::Kaiming {
        dist: NormalOrUniform::Normal,
        fan: FanInOut::FanIn,
        non_linearity: NonLinearity::ExplicitGain(3.0),
    })
    .unwrap_err();
    assert!(matches!(err, Error::NoInitEquivalent(_)), "{err}");
}

#[test]
fn errors_convert_to_candle_errors_and_back() {
    let err = MaxPool3d::new((0, 2, 2), (1, 1, 1), (0, 0, 0)).unwrap_err();
    assert!(
        err.to_string().starts_with("MaxPool3d: kernel and stride"),
        "{err}"
    );
    let candle: candle_core::Error = err.into();
    assert!(candle.to_string().contains("MaxPool3d: kernel and stride"));
    let back: Error = candle_core::Error::Msg("m".into()).into();
    let again: candle_core::Error = back.into();
    assert!(matches!(again, candle_core::Error::Msg(_)));
}
