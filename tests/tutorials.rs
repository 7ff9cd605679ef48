//! The examples follow their source documents (`../shared/seeds/`): each example's code
//! (`examples/tutorials/*.rs`, which the examples run) against what PyTorch printed running the
//! document's code (`tests/expected/*.txt`, written by `tests/expected/gen.py`): module prints,
//! fixed values and error texts byte for byte, random values by distribution (Kolmogorov-Smirnov
//! tests against the exact law, over many seeds where a tensor is small). Also every layer of
//! init-candle and tensors and parameters (`print(w1)`) print as PyTorch prints them.

#[path = "../examples/tutorials/apply_or_modules.rs"]
#[allow(dead_code)]
mod apply_or_modules;
#[path = "../examples/tutorials/c3d.rs"]
#[allow(dead_code)]
mod c3d;
#[path = "../examples/tutorials/children_vs_modules.rs"]
#[allow(dead_code)]
mod children_vs_modules;
#[path = "../examples/tutorials/initialize_weights.rs"]
#[allow(dead_code)]
mod initialize_weights;
#[path = "../examples/tutorials/tour.rs"]
#[allow(dead_code)]
mod tour;

use std::collections::BTreeMap;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use init_candle::nn::{
    batch_norm1d, batch_norm2d, batch_norm3d, conv3d, conv3d_no_bias, group_norm, gru, lstm,
    Conv3dConfig, Dropout, Flatten, LeakyReLU, MaxPool2d, MaxPool3d, ReLU, RnnConfig, Sequential,
    Sigmoid, Softmax, Tanh,
};
use init_candle::{parameter_repr, tensor_repr, Generator, Init, InitWeights, InitWeightsExt};
use init_testkit::{assert_ks, assert_normal, assert_uniform};

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

/// Compares the given sections only (a file whose other sections another test checks).
fn compare_some(file: &str, ours: Vec<(&str, String)>) {
    let want = expected(file);
    for (key, text) in ours {
        assert_eq!(want.get(key), Some(&text), "`{key}` in {file}.txt");
    }
}

fn vb(varmap: &VarMap) -> VarBuilder<'_> {
    VarBuilder::from_varmap(varmap, DType::F32, &Device::Cpu)
}

fn values(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .and_then(|t| t.to_dtype(DType::F64))
        .and_then(|t| t.to_vec1::<f64>())
        .unwrap()
}

/// Python's `repr` of a shape tuple: `(4, 10)`, `(5,)`.
fn py_shape(dims: &[usize]) -> String {
    match dims {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `str(t.dtype)` of PyTorch.
fn torch_dtype(dtype: DType) -> &'static str {
    match dtype {
        DType::F64 => "torch.float64",
        DType::F32 => "torch.float32",
        other => panic!("no PyTorch name here for {other:?}"),
    }
}

fn last_line(text: &str) -> String {
    text.lines().last().unwrap_or_default().to_owned()
}

/// `xavier`'s std, `sqrt(2 / (fan_in + fan_out))` times `gain`.
fn xavier_std(dims: &[usize], gain: f64) -> f64 {
    let (fan_in, fan_out) = init_candle::calculate_fan_in_and_fan_out(dims).unwrap();
    gain * (2.0 / (fan_in + fan_out) as f64).sqrt()
}

fn fan_in(dims: &[usize]) -> f64 {
    init_candle::calculate_fan_in_and_fan_out(dims).unwrap().0 as f64
}

/// Rows of `w` (flattened from dimension 1) orthonormal, as orthogonal_ makes them when there
/// are fewer rows than columns.
fn assert_orthonormal_rows(what: &str, w: &Tensor) {
    let m = w.flatten_from(1).unwrap().to_dtype(DType::F64).unwrap();
    let gram = m.matmul(&m.t().unwrap()).unwrap().to_vec2::<f64>().unwrap();
    for (i, row) in gram.iter().enumerate() {
        for (j, &g) in row.iter().enumerate() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((g - want).abs() < 1e-5, "{what}: W W^T [{i}][{j}] = {g}");
        }
    }
}

// --- document 000 ---------------------------------------------------------------------------

#[test]
fn initialize_weights_follows_document_000() {
    let varmap = VarMap::new();
    let net = initialize_weights::Net::new(vb(&varmap)).unwrap();
    net.initialize_weights(&Generator::new(0)).unwrap();
    let x = Tensor::randn(0f32, 1.0, (4, 3, 32, 32), &Device::Cpu).unwrap();
    compare(
        "initialize_weights",
        vec![
            ("print(net)", net.module_repr()),
            (
                "net(torch.randn(4, 3, 32, 32)).shape",
                py_shape(net.forward(&x).unwrap().dims()),
            ),
        ],
    );
    // Conv2d: xavier_normal_, bias 0; Linear: normal_(0, 0.01), bias 0.
    for (path, t) in net.named_parameters() {
        let v = values(&t);
        if path.ends_with("bias") {
            assert!(v.iter().all(|&x| x == 0.0), "{path} is not zeroed");
        } else if path.starts_with("conv") {
            assert_normal(&path, &v, 0.0, xavier_std(t.dims(), 1.0));
        } else {
            assert_normal(&path, &v, 0.0, 0.01);
        }
    }
    // The attributes declare the same: init_weights(seed) writes the same bytes.
    let by_hand: Vec<Vec<f64>> = net.parameters().iter().map(values).collect();
    net.init_weights(0).unwrap();
    let declared: Vec<Vec<f64>> = net.parameters().iter().map(values).collect();
    assert_eq!(by_hand, declared);
    // The listed functions, applied as the example applies them, are the documented defaults.
    let listed = initialize_weights::listed_functions();
    assert_eq!(listed.len(), 10);
    for (signature, _, init) in listed {
        let w = Tensor::zeros((64, 64), DType::F32, &Device::Cpu).unwrap();
        init.apply(&w, &mut Generator::new(1)).unwrap();
        assert!(
            signature.starts_with(&format!("torch.nn.init.{}_(", init.name())),
            "{signature}"
        );
    }
}

// --- document 001 ---------------------------------------------------------------------------

#[test]
fn c3d_follows_document_001() {
    // Zeros: the print needs the shapes, not 80M random values.
    let model = c3d::C3D::new(VarBuilder::zeros(DType::F32, &Device::Cpu)).unwrap();
    compare_some("c3d", vec![("print(model)", model.module_repr())]);
    // weights_init by class name: Conv3d and Linear get xavier_normal_ and a 0.0 bias, nothing
    // else is written.
    let report = model.init_with(7, &mut c3d::weights_init).unwrap();
    assert_eq!(report.parameters, 2 * (8 + 3));
    for t in &report.tensors {
        let want = if t.path.ends_with("weight") {
            Init::XavierNormal { gain: 1.0 }
        } else {
            Init::Constant { value: 0.0 }
        };
        assert_eq!(t.init.as_ref(), Some(&want), "{}", t.path);
    }
    let w = model.conv2.weight();
    assert_normal("conv2.weight", &values(w), 0.0, xavier_std(w.dims(), 1.0));
    assert!(values(model.fc8.bias().unwrap()).iter().all(|&x| x == 0.0));
}

/// The law of a random tour step, as PyTorch defines the call.
enum Law {
    Uniform(f64, f64),
    Normal(f64),
    /// orthogonal_: rows orthonormal; each entry a coordinate of a uniform point on the sphere
    /// of dimension `cols - 1` (its CDF).
    Orthogonal(fn(f64) -> f64),
    /// sparse_: `zeros` zeros in each column, the rest N(0, std).
    Sparse {
        zeros: usize,
        std: f64,
    },
}

/// Runs a tour over many seeds and checks every step: the fixed ones against PyTorch's print,
/// the random ones by their law; every section PyTorch printed is one of the two.
fn check_tour(
    file: &str,
    skip: &[&str],
    tour: fn(&mut Generator) -> init_candle::Result<Vec<tour::Step>>,
    laws: &[(&str, Law)],
    seeds: u64,
) {
    let want = expected(file);
    let first = tour(&mut Generator::new(0)).unwrap();
    let mut codes: Vec<&str> = first.iter().map(|s| s.code).collect();
    let mut sections: Vec<&str> = want
        .keys()
        .map(|k| k.as_str())
        .filter(|k| !skip.contains(k))
        .collect();
    codes.sort();
    sections.sort();
    assert_eq!(codes, sections, "the tour's steps are PyTorch's sections");
    let law = |code: &str| laws.iter().find(|(c, _)| *c == code).map(|(_, l)| l);
    for step in &first {
        if law(step.code).is_none() {
            assert_eq!(step.text().unwrap(), want[step.code], "{}", step.code);
        }
    }
    let mut samples: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for seed in 0..seeds {
        for step in tour(&mut Generator::new(seed)).unwrap() {
            let Some(law) = law(step.code) else { continue };
            let tour::Shown::Tensor(t) = &step.shown else {
                panic!("{}: a random step shows a tensor", step.code)
            };
            let v = values(t);
            match law {
                Law::Orthogonal(_) => assert_orthonormal_rows(step.code, t),
                Law::Sparse { zeros, .. } => {
                    let cols = t.dim(1).unwrap();
                    for c in 0..cols {
                        let n = v
                            .iter()
                            .skip(c)
                            .step_by(cols)
                            .filter(|&&x| x == 0.0)
                            .count();
                        assert_eq!(n, *zeros, "{}: zeros in column {c}", step.code);
                    }
                }
                _ => {}
            }
            let kept = v
                .into_iter()
                .filter(|&x| !matches!(law, Law::Sparse { .. }) || x != 0.0);
            samples.entry(step.code).or_default().extend(kept);
        }
    }
    for (code, law) in laws {
        let v = &samples[code];
        match law {
            Law::Uniform(a, b) => assert_uniform(code, v, *a, *b),
            Law::Normal(std) => assert_normal(code, v, 0.0, *std),
            Law::Orthogonal(cdf) => assert_ks(code, v, cdf),
            Law::Sparse { std, .. } => assert_normal(code, v, 0.0, *std),
        }
    }
}

#[test]
fn post_tour_follows_document_001() {
    let sqrt2 = 2f64.sqrt();
    let laws = [
        ("2: w = torch.empty(3, 5); nn.init.uniform_(w)", Law::Uniform(0.0, 1.0)),
        ("3: w = torch.empty(3, 5); nn.init.normal_(w)", Law::Normal(1.0)),
        (
            "7: w = torch.empty(3, 5); nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('relu'))",
            Law::Uniform(-sqrt2 * (6.0f64 / 8.0).sqrt(), sqrt2 * (6.0f64 / 8.0).sqrt()),
        ),
        (
            "8: w = torch.empty(3, 5); nn.init.xavier_normal_(w)",
            Law::Normal((2.0f64 / 8.0).sqrt()),
        ),
        (
            "9: w = torch.empty(3, 5); nn.init.kaiming_uniform_(w, mode='fan_in', nonlinearity='relu')",
            Law::Uniform(-sqrt2 * (3.0f64 / 5.0).sqrt(), sqrt2 * (3.0f64 / 5.0).sqrt()),
        ),
        (
            "10: w = torch.empty(3, 5); nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')",
            Law::Normal(sqrt2 / 3f64.sqrt()),
        ),
        (
            "11: w = torch.empty(3, 5); nn.init.orthogonal_(w)",
            // A coordinate of a uniform point on the 4-sphere: density 3/4 (1 - x^2).
            Law::Orthogonal(|x: f64| {
                let x = x.clamp(-1.0, 1.0);
                0.75 * (x - x.powi(3) / 3.0 + 2.0 / 3.0)
            }),
        ),
        (
            "12: w = torch.empty(3, 5); nn.init.sparse_(w, sparsity=0.1)",
            Law::Sparse { zeros: 1, std: 0.01 },
        ),
    ];
    check_tour("c3d", &["print(model)"], tour::post_tour, &laws, 3000);
}

// --- document 002 ---------------------------------------------------------------------------

#[test]
fn apply_or_modules_follows_document_002() {
    use apply_or_modules::{method1, method2, SIZES};
    let mut rng = Generator::new(3);
    let varmap = VarMap::new();
    let (conv, refused) = apply_or_modules::single_layer(vb(&varmap), &mut rng).unwrap();
    let w = conv.weight();
    let bound = (6.0 / (fan_in(w.dims()) + 64.0 * 9.0)).sqrt();
    assert_uniform("conv.weight", &values(w), -bound, bound);
    // xavier_uniform_(conv.bias, 0): PyTorch's ValueError, and nothing written.
    let pytorch =
        expected("apply_or_modules")["torch.nn.init.xavier_uniform_(conv.bias, 0)"].clone();
    let pytorch = pytorch.strip_prefix("ValueError: ").unwrap().to_lowercase();
    let ours = refused.unwrap_err().to_string();
    assert!(
        ours.to_lowercase().starts_with(&pytorch),
        "ours: {ours}\nPyTorch: {pytorch}"
    );
    let bias = conv.bias().unwrap();
    let before = values(bias);
    assert!(init_candle::init::xavier_uniform(bias, 0.0, &mut rng).is_err());
    assert_eq!(values(bias), before);

    // Method 1: apply(weight_init).
    let model = method1::Net::new(vb(&varmap).pp("m1"), SIZES).unwrap();
    model.init_with(3, &mut method1::weight_init).unwrap();
    for (path, t) in model.named_parameters() {
        if path.ends_with("bias") {
            assert!(values(&t).iter().all(|&x| x == 0.0), "{path}");
        } else {
            assert_normal(&path, &values(&t), 0.0, xavier_std(t.dims(), 1.0));
        }
    }
    // Method 2: its loop finds nothing; the Linear layers keep PyTorch's default.
    let model2 = method2::Net::new(vb(&varmap).pp("m2"), SIZES, 3).unwrap();
    let found: Vec<&str> = model2
        .modules()
        .iter()
        .filter(|m| {
            m.is::<candle_nn::Conv2d>()
                || m.is::<init_candle::nn::BatchNorm2d>()
                || m.is::<init_candle::nn::GroupNorm>()
        })
        .map(|m| m.class_name())
        .collect();
    for (path, t) in model2.named_parameters() {
        let layer = path.trim_end_matches(".weight").trim_end_matches(".bias");
        let weight = model2
            .named_parameters()
            .into_iter()
            .find(|(p, _)| *p == format!("{layer}.weight"))
            .unwrap()
            .1;
        let b = 1.0 / fan_in(weight.dims()).sqrt();
        assert_uniform(&path, &values(&t), -b, b);
    }

    // The initializer loops over a conv net's modules.
    let net = apply_or_modules::conv_net(vb(&varmap).pp("net")).unwrap();
    let loops = apply_or_modules::initializer_loops(&net, &mut rng).unwrap();
    let written: Vec<Vec<&str>> = loops
        .iter()
        .map(|(_, w)| w.iter().map(|(p, _)| p.as_str()).collect())
        .collect();
    assert_eq!(
        written,
        [
            vec!["0", "2", "5"],
            vec!["0", "2"],
            vec!["0", "2"],
            vec!["0", "2"],
            vec!["0", "2"]
        ]
    );
    let gain = 2f64.sqrt();
    for (i, (call, tensors)) in loops.iter().enumerate() {
        for (path, w) in tensors {
            let what = format!("{call}: {path}");
            let v = values(w);
            match i {
                0 => {
                    let b = 3f64.sqrt() * xavier_std(w.dims(), 1.0);
                    assert_uniform(&what, &v, -b, b)
                }
                1 => {
                    let b = 3f64.sqrt() * xavier_std(w.dims(), gain);
                    assert_uniform(&what, &v, -b, b)
                }
                2 => assert_normal(&what, &v, 0.0, gain / fan_in(w.dims()).sqrt()),
                3 => assert_orthonormal_rows(&what, w),
                _ => assert!(v.iter().all(|&x| x == 0.5), "{what}"),
            }
        }
    }
    let x = Tensor::randn(0f32, 1.0, (2, 3, 8, 8), &Device::Cpu).unwrap();
    let x1 = Tensor::randn(0f32, 1.0, (8, SIZES.0), &Device::Cpu).unwrap();
    let conv0 = net.get::<candle_nn::Conv2d>(0).unwrap();
    assert!(values(conv0.bias().unwrap()).iter().all(|&b| b == 0.0));
    compare(
        "apply_or_modules",
        vec![
            ("print(conv)", conv.module_repr()),
            (
                "torch.nn.init.xavier_uniform_(conv.bias, 0)",
                expected("apply_or_modules")["torch.nn.init.xavier_uniform_(conv.bias, 0)"].clone(),
            ),
            ("method 1: print(model)", model.module_repr()),
            (
                "method 1: model(x).shape",
                py_shape(model.forward(&x1).unwrap().dims()),
            ),
            ("method 2: print(model)", model2.module_repr()),
            (
                "method 2: modules the loop initialized",
                format!("{found:?}"),
            ),
            ("print(net)", net.to_string()),
            (
                "net[0].weight after the constant loop",
                tensor_repr(&conv0.weight().get(0).unwrap().get(0).unwrap()).unwrap(),
            ),
            ("net(x).shape", py_shape(net.forward(&x).unwrap().dims())),
        ],
    );
}

// --- document 003 ---------------------------------------------------------------------------

#[test]
fn notebook_tour_follows_document_003() {
    let sqrt2 = 2f64.sqrt();
    let laws = [
        ("In [4]: X=torch.empty(2,3); nn.init.uniform_(X)", Law::Uniform(0.0, 1.0)),
        ("In [5]: nn.init.normal_(X)", Law::Normal(1.0)),
        (
            "In [11]: X=torch.empty(2,3); nn.init.xavier_uniform_(X,gain=nn.init.calculate_gain('relu'))",
            Law::Uniform(-sqrt2 * (6.0f64 / 5.0).sqrt(), sqrt2 * (6.0f64 / 5.0).sqrt()),
        ),
        (
            "In [12]: nn.init.xavier_normal_(X,gain=nn.init.calculate_gain('sigmoid'))",
            Law::Normal((2.0f64 / 5.0).sqrt()),
        ),
        // kaiming_*'s defaults: leaky_relu with a = 0, gain sqrt(2), fan_in 3.
        ("In [13]: nn.init.kaiming_uniform_(X)", Law::Uniform(-sqrt2, sqrt2)),
        ("In [14]: nn.init.kaiming_normal_(X)", Law::Normal(sqrt2 / 3f64.sqrt())),
        (
            "In [15]: nn.init.orthogonal_(X)",
            // A coordinate of a uniform point on the 2-sphere is uniform on [-1, 1].
            Law::Orthogonal(|x: f64| ((x + 1.0) / 2.0).clamp(0.0, 1.0)),
        ),
        ("In [16]: nn.init.sparse_(X,sparsity=0.5)", Law::Sparse { zeros: 1, std: 0.01 }),
    ];
    check_tour("init_tour", &[], tour::notebook_tour, &laws, 6000);
}

// --- document 004 ---------------------------------------------------------------------------

#[test]
fn children_vs_modules_follows_document_004() {
    use children_vs_modules::{for_layer_in_net1, numpy_random, set_linear_weight, sim_net};
    let mut rng = Generator::new(5);
    let (varmap1, varmap2) = (VarMap::new(), VarMap::new());
    let mut net1 = children_vs_modules::net1(&vb(&varmap1)).unwrap();
    let print_net1 = net1.to_string();
    let print_net1_0 = net1[0].to_string();
    let layers = (&net1)
        .into_iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n");

    // net1[0].weight.data = torch.from_numpy(np.random.uniform(3, 5, size=(40, 30)))
    let new = numpy_random(
        Init::Uniform {
            low: 3.0,
            high: 5.0,
        },
        &[40, 30],
        &mut rng,
    )
    .unwrap();
    set_linear_weight(&mut net1, 0, &new, &varmap1, "0.weight").unwrap();
    let w = net1.get::<candle_nn::Linear>(0).unwrap().weight();
    assert_eq!(w.dtype(), DType::F64);
    assert_uniform("net1[0].weight", &values(w), 3.0, 5.0);
    let after_numpy = last_line(&parameter_repr(w).unwrap());
    net1.check_varmap(&varmap1).unwrap();
    assert!(
        set_linear_weight(&mut net1, 1, &new, &varmap1, "1.weight").is_err(),
        "net1[1] is a ReLU"
    );

    // for layer in net1: ...
    for_layer_in_net1(&mut net1, &varmap1, &mut rng).unwrap();
    let linears = |seq: &Sequential| -> Vec<Tensor> {
        seq.iter()
            .filter_map(|l| {
                l.downcast_ref::<candle_nn::Linear>()
                    .map(|l| l.weight().clone())
            })
            .collect()
    };
    let dtypes = |ws: &[Tensor]| -> String {
        let names: Vec<String> = ws
            .iter()
            .map(|w| format!("'{}'", torch_dtype(w.dtype())))
            .collect();
        format!("[{}]", names.join(", "))
    };
    let net1_weights = linears(&net1);
    for w in &net1_weights {
        assert_normal("for layer in net1", &values(w), 0.0, 0.5);
    }
    net1.check_varmap(&varmap1).unwrap();

    let mut net2 = sim_net::new(vb(&varmap2), &mut rng).unwrap();
    assert_normal(
        "l1[0].weight = randn(40, 30)",
        &values(net2.l1.get::<candle_nn::Linear>(0).unwrap().weight()),
        0.0,
        1.0,
    );
    let lines = |items: Vec<String>| items.join("\n");
    let print_net2 = net2.module_repr();
    let children = lines(net2.children().iter().map(|m| m.module_repr()).collect());
    let modules = lines(net2.modules().iter().map(|m| m.module_repr()).collect());
    net2.for_layer_in_modules(&varmap2, &mut rng).unwrap();
    let net2_weights: Vec<Tensor> = [&net2.l1, &net2.l2, &net2.l3]
        .into_iter()
        .flat_map(linears)
        .collect();
    for w in &net2_weights {
        assert_normal("for layer in net2.modules()", &values(w), 0.0, 0.5);
    }
    net2.check_varmap(&varmap2).unwrap();

    // init.xavier_uniform_(net1[0].weight), on the float64 parameter.
    let w = net1.get::<candle_nn::Linear>(0).unwrap().weight();
    init_candle::init::xavier_uniform(w, 1.0, &mut rng).unwrap();
    let b = (6.0f64 / 70.0).sqrt();
    assert_uniform("init.xavier_uniform_(net1[0].weight)", &values(w), -b, b);

    compare(
        "children_vs_modules",
        vec![
            ("print(net1)", print_net1),
            ("print(net1[0])", print_net1_0),
            ("for layer in net1: print(layer)", layers),
            ("print(net1[0].weight), last line", after_numpy),
            (
                "for layer in net1: weight dtypes after the loop",
                dtypes(&net1_weights),
            ),
            ("print(net2)", print_net2),
            ("for i in net2.children(): print(i)", children),
            ("for i in net2.modules(): print(i)", modules),
            (
                "for layer in net2.modules(): weight dtypes after the loop",
                dtypes(&net2_weights),
            ),
            (
                "init.xavier_uniform_(net1[0].weight), last line",
                last_line(&parameter_repr(w).unwrap()),
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
        ("relu_inplace", Box::new(ReLU::new(true))),
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
        compare(
            "initialize_weights",
            vec![("print(net)", "Net()".to_owned())],
        );
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
