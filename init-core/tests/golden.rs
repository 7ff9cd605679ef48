//! Parity with what PyTorch 2.15 does, measured and stored in `tests/data/torch-golden.json`
//! (a copy of the project's reference data): gains, fans, the std and bound of every
//! xavier/kaiming variant, eye and dirac outputs, sparse zero counts, truncated normal cases,
//! orthogonality, every error and every warning. PyTorch's `module_defaults` are the layers'
//! business and are tested there.

mod common;

use std::sync::OnceLock;

use candle_core::{DType, Device, Tensor};
use init_core::{
    calculate_correct_fan, calculate_fan_in_and_fan_out, calculate_gain, FanMode, Generator, Init,
    InitError, Nonlinearity,
};
use serde_json::Value;

use common::{assert_trunc_normal, bits, capture_warnings, marked, values, FLOAT_DTYPES};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn golden() -> &'static Value {
    static GOLDEN: OnceLock<Value> = OnceLock::new();
    GOLDEN.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/torch-golden.json");
        let text = std::fs::read_to_string(path).expect("tests/data/torch-golden.json");
        serde_json::from_str(&text).expect("valid JSON")
    })
}

fn rows(v: &Value) -> &Vec<Value> {
    v.as_array().expect("a JSON array")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn shape(v: &Value) -> Vec<usize> {
    rows(v)
        .iter()
        .map(|d| d.as_u64().expect("a dimension") as usize)
        .collect()
}

/// Nested arrays of numbers, flattened in row-major order.
fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(flat).collect(),
        other => vec![f(other)],
    }
}

fn cpu_zeros(dims: &[usize], dtype: DType) -> Tensor {
    Tensor::zeros(dims, dtype, &Device::Cpu).unwrap()
}

/// Whether a `kaiming_*`/`xavier_*` test tensor of this shape is small enough to allocate and
/// sample in a debug-build test (the two 2-D shapes with 2M and 33M elements are not).
fn small(dims: &[usize]) -> bool {
    dims.iter().product::<usize>() <= 300_000
}

// =============================================================================================
// calculate_gain and fans
// =============================================================================================

#[test]
fn calculate_gain_equals_torch_for_every_row() -> TestResult {
    let cases = rows(&golden()["calculate_gain"]);
    assert_eq!(cases.len(), 29);
    for row in cases {
        let name = row["nonlinearity"].as_str().unwrap();
        let ignored = row.get("note").and_then(Value::as_str) == Some("param ignored");
        let param = match &row["param"] {
            Value::Null => None,
            Value::Number(n) => Some(n.as_f64().unwrap()),
            // A str/list/bool parameter PyTorch ignores: pass NaN, which must be ignored too.
            _ if ignored => Some(f64::NAN),
            other => panic!("unexpected param {other}"),
        };
        let n = Nonlinearity::from_name(name, param)?;
        let gain = calculate_gain(n)?;
        // PyTorch is deterministic here: the same f64 operations give the same bits.
        assert_eq!(gain, f(&row["gain"]), "calculate_gain({name}, {param:?})");
    }
    Ok(())
}

#[test]
fn fans_equal_torch_for_every_shape() -> TestResult {
    let cases = rows(&golden()["fans"]);
    assert_eq!(cases.len(), 26);
    for row in cases {
        let dims = shape(&row["shape"]);
        let (fan_in, fan_out) = calculate_fan_in_and_fan_out(&dims)?;
        assert_eq!(fan_in as u64, row["fan_in"].as_u64().unwrap(), "{dims:?}");
        assert_eq!(fan_out as u64, row["fan_out"].as_u64().unwrap(), "{dims:?}");
        let correct = row["correct_fan"].as_object().unwrap();
        assert_eq!(correct.len(), 4);
        for (mode, fan) in correct {
            // PyTorch lower-cases the mode: "FAN_IN" and "Fan_Out" are accepted.
            let mode: FanMode = mode.parse()?;
            assert_eq!(
                calculate_correct_fan(&dims, mode)? as u64,
                fan.as_u64().unwrap(),
                "{dims:?} {mode:?}"
            );
        }
    }
    Ok(())
}

// =============================================================================================
// xavier / kaiming: the std and bound of all 546 rows
// =============================================================================================

/// The value at every position equals what `reference` writes from the same generator state:
/// f64 tensors, so the two agree bit for bit exactly when init-core used the same std (bound)
/// as PyTorch, to the last bit.
fn assert_same_draws(
    dims: &[usize],
    init: &Init,
    reference: &Init,
    seed: u64,
) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let t = cpu_zeros(dims, DType::F64);
    init.apply(&t, &mut Generator::new(seed))?;
    let r = cpu_zeros(dims, DType::F64);
    reference.apply(&r, &mut Generator::new(seed))?;
    assert_eq!(
        bits(&t),
        bits(&r),
        "{init:?} on {dims:?} is not {reference:?}"
    );
    Ok(values(&t))
}

#[test]
fn xavier_std_and_bound_equal_torch_for_every_row() -> TestResult {
    let xavier = &golden()["xavier"];
    let cases = rows(&xavier["cases"]);
    assert_eq!(cases.len(), 84);
    let mut sampled = 0;
    for (i, row) in cases.iter().enumerate() {
        let dims = shape(&row["shape"]);
        let gain = f(&row["gain"]);
        let (std, bound) = (f(&row["normal_std"]), f(&row["uniform_bound"]));
        // The formula, on init-core's fans, gives PyTorch's f64 exactly.
        let (fan_in, fan_out) = calculate_fan_in_and_fan_out(&dims)?;
        assert_eq!(
            (fan_in as u64, fan_out as u64),
            (
                row["fan_in"].as_u64().unwrap(),
                row["fan_out"].as_u64().unwrap()
            )
        );
        assert_eq!(
            gain * (2.0 / (fan_in + fan_out) as f64).sqrt(),
            std,
            "{dims:?} gain {gain}"
        );
        assert_eq!(3f64.sqrt() * std, bound, "{dims:?} gain {gain}");
        assert!(Init::XavierNormal { gain }
            .validate(&dims, DType::F32)
            .is_ok());
        if !small(&dims) {
            continue;
        }
        // And init-core samples with exactly that std / bound.
        let seed = 1000 + i as u64;
        assert_same_draws(
            &dims,
            &Init::XavierNormal { gain },
            &Init::Normal { mean: 0.0, std },
            seed,
        )?;
        let v = assert_same_draws(
            &dims,
            &Init::XavierUniform { gain },
            &Init::Uniform {
                low: -bound,
                high: bound,
            },
            seed,
        )?;
        assert!(
            v.iter().all(|x| x.abs() <= bound),
            "{dims:?}: a value beyond the bound {bound}"
        );
        sampled += 1;
    }
    assert_eq!(sampled, 76, "rows sampled (all but the two large shapes)");
    Ok(())
}

#[test]
fn kaiming_std_and_bound_equal_torch_for_every_row() -> TestResult {
    let kaiming = &golden()["kaiming"];
    let defaults = &kaiming["defaults"];
    assert_eq!(f(&defaults["a"]), 0.0);
    // PyTorch's defaults are init-core's defaults.
    assert_eq!(
        Init::kaiming_normal(),
        Init::KaimingNormal {
            a: 0.0,
            mode: defaults["mode"].as_str().unwrap().parse()?,
            nonlinearity: Nonlinearity::from_name(
                defaults["nonlinearity"].as_str().unwrap(),
                None
            )?,
        }
    );
    let cases = rows(&kaiming["cases"]);
    assert_eq!(cases.len(), 462);
    let mut sampled = 0;
    for (i, row) in cases.iter().enumerate() {
        let dims = shape(&row["shape"]);
        let a = f(&row["a"]);
        let mode: FanMode = row["mode"].as_str().unwrap().parse()?;
        let name = row["nonlinearity"].as_str().unwrap();
        let (std, bound) = (f(&row["normal_std"]), f(&row["uniform_bound"]));
        // PyTorch passes `a` as calculate_gain's param: the slope of leaky_relu, ignored otherwise.
        let nonlinearity = Nonlinearity::from_name(name, Some(a))?;
        let gain = calculate_gain(nonlinearity)?;
        let fan = calculate_correct_fan(&dims, mode)?;
        assert_eq!(gain, f(&row["gain"]), "gain of {name} a={a}");
        assert_eq!(
            fan as u64,
            row["fan"].as_u64().unwrap(),
            "{dims:?} {mode:?}"
        );
        assert_eq!(
            gain / (fan as f64).sqrt(),
            std,
            "{dims:?} {name} a={a} {mode:?}"
        );
        assert_eq!(3f64.sqrt() * std, bound, "{dims:?} {name} a={a} {mode:?}");
        if !small(&dims) {
            continue;
        }
        // The slope init-core uses for leaky_relu is `a`, whatever the enum carries (as PyTorch).
        let nonlinearity = Nonlinearity::from_name(name, None)?;
        let seed = 5000 + i as u64;
        assert_same_draws(
            &dims,
            &Init::KaimingNormal {
                a,
                mode,
                nonlinearity,
            },
            &Init::Normal { mean: 0.0, std },
            seed,
        )?;
        let v = assert_same_draws(
            &dims,
            &Init::KaimingUniform {
                a,
                mode,
                nonlinearity,
            },
            &Init::Uniform {
                low: -bound,
                high: bound,
            },
            seed,
        )?;
        assert!(
            v.iter().all(|x| x.abs() <= bound),
            "{dims:?}: a value beyond the bound {bound}"
        );
        sampled += 1;
    }
    assert_eq!(
        sampled,
        462 - 2 * 22,
        "rows sampled (all but the two large shapes)"
    );
    Ok(())
}

/// PyTorch's largest |value| of three uniform initializations: ours lies below the same bound
/// and, over this many elements, within 0.1% of it.
#[test]
fn uniform_variants_reach_their_bound_as_torch_does() -> TestResult {
    let cases = rows(&golden()["kaiming_xavier_empirical_max_abs"]);
    assert_eq!(cases.len(), 3);
    for (i, row) in cases.iter().enumerate() {
        let dims = shape(&row["shape"]);
        let kwargs = &row["kwargs"];
        let (fan_in, fan_out) = calculate_fan_in_and_fan_out(&dims)?;
        let (init, bound) = match row["fn"].as_str().unwrap() {
            "xavier_uniform" => (
                Init::xavier_uniform(),
                (6.0 / (fan_in + fan_out) as f64).sqrt(),
            ),
            "kaiming_uniform" => {
                let a = kwargs.get("a").map_or(0.0, f);
                let mode: FanMode = kwargs
                    .get("mode")
                    .and_then(Value::as_str)
                    .unwrap_or("fan_in")
                    .parse()?;
                let name = kwargs
                    .get("nonlinearity")
                    .and_then(Value::as_str)
                    .unwrap_or("leaky_relu");
                let gain = calculate_gain(Nonlinearity::from_name(name, Some(a))?)?;
                let fan = calculate_correct_fan(&dims, mode)?;
                (
                    Init::KaimingUniform {
                        a,
                        mode,
                        nonlinearity: Nonlinearity::from_name(name, None)?,
                    },
                    gain * (3.0 / fan as f64).sqrt(),
                )
            }
            other => panic!("unexpected fn {other}"),
        };
        let torch_max = f(&row["max_abs"]);
        assert!(
            torch_max <= bound && torch_max > 0.999 * bound,
            "reference data: {torch_max} vs {bound}"
        );
        let t = cpu_zeros(&dims, DType::F32);
        init.apply(&t, &mut Generator::new(77 + i as u64))?;
        let max = values(&t).iter().fold(0f64, |m, x| m.max(x.abs()));
        let bound32 = bound as f32 as f64;
        assert!(
            max <= bound32,
            "{init:?} {dims:?}: max |x| = {max} > {bound32}"
        );
        assert!(
            max > 0.999 * bound,
            "{init:?} {dims:?}: max |x| = {max}, bound {bound}"
        );
    }
    Ok(())
}

// =============================================================================================
// eye, dirac, sparse
// =============================================================================================

#[test]
fn eye_equals_torch_exactly() -> TestResult {
    let cases = rows(&golden()["eye"]);
    assert_eq!(cases.len(), 7);
    let mut failures = Vec::new();
    for row in cases {
        let dims = shape(&row["shape"]);
        let expected = flat(&row["values"]);
        for dtype in FLOAT_DTYPES.into_iter().chain([DType::U8, DType::I64]) {
            let t = marked(&dims, dtype);
            match init_core::eye(&t) {
                Ok(()) => assert_eq!(values(&t), expected, "eye {dims:?} {dtype:?}"),
                Err(e) => failures.push(format!("eye {dims:?} {dtype:?}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
fn dirac_equals_torch_exactly() -> TestResult {
    let dirac = &golden()["dirac"];
    let cases = rows(&dirac["cases"]);
    assert_eq!(cases.len(), 16);
    for row in cases {
        let dims = shape(&row["shape"]);
        let groups = row["groups"].as_i64().unwrap();
        let t = marked(&dims, DType::F32);
        if groups <= 0 {
            // PyTorch silently writes all zeros for groups = -1 (usize cannot be negative;
            // 0 is the nonsense value here): an error, and the tensor is left alone.
            let before = bits(&t);
            let err = init_core::dirac(&t, 0).unwrap_err();
            assert!(
                matches!(err, InitError::DiracGroups { groups: 0, .. }),
                "{err}"
            );
            assert_eq!(bits(&t), before);
            continue;
        }
        init_core::dirac(&t, groups as usize)?;
        let v = values(&t);
        assert_eq!(v, flat(&row["values"]), "dirac {dims:?} groups {groups}");
        assert_eq!(
            v.iter().filter(|&&x| x != 0.0).count() as u64,
            row["nonzero_count"].as_u64().unwrap()
        );
        assert_eq!(v.iter().sum::<f64>(), f(&row["sum"]));
        // The same in every dtype dirac accepts.
        for dtype in [DType::F64, DType::F16, DType::BF16, DType::I32, DType::U8] {
            let t = marked(&dims, dtype);
            init_core::dirac(&t, groups as usize)?;
            assert_eq!(values(&t), v, "dirac {dims:?} groups {groups} {dtype:?}");
        }
    }
    Ok(())
}

#[test]
fn sparse_zero_counts_equal_torch() -> TestResult {
    let sparse = &golden()["sparse"];
    let cases = rows(&sparse["cases"]);
    assert_eq!(cases.len(), 11);
    for row in cases {
        let dims = shape(&row["shape"]);
        let sparsity = f(&row["sparsity"]);
        if !(0.0..=1.0).contains(&sparsity) {
            // PyTorch silently clamps 1.5 to every row and turns -0.1 into "all but one"; both
            // are errors here, and the tensor is left alone.
            let t = marked(&dims, DType::F32);
            let before = bits(&t);
            let err = init_core::sparse(&t, sparsity, 0.01, &mut Generator::new(0)).unwrap_err();
            assert!(
                matches!(
                    err,
                    InitError::InvalidParam {
                        param: "sparsity",
                        ..
                    }
                ),
                "{err}"
            );
            assert_eq!(bits(&t), before);
            continue;
        }
        assert_eq!(
            (sparsity * dims[0] as f64).ceil() as u64,
            row["num_zeros"].as_u64().unwrap()
        );
        let expected = row["effective_zeros_per_column"].as_u64().unwrap() as usize;
        for observed in rows(&row["observed"]) {
            let seed = observed["seed"].as_u64().unwrap();
            let torch_counts: Vec<usize> = shape(&observed["zeros_per_column"]);
            assert!(torch_counts.iter().all(|&c| c == expected));
            let t = marked(&dims, DType::F32);
            Init::sparse(sparsity).apply(&t, &mut Generator::new(seed))?;
            let v = values(&t);
            let counts: Vec<usize> = (0..dims[1])
                .map(|c| (0..dims[0]).filter(|&r| v[r * dims[1] + c] == 0.0).count())
                .collect();
            assert_eq!(
                counts, torch_counts,
                "sparse {dims:?} sparsity {sparsity} seed {seed}"
            );
        }
    }
    Ok(())
}

// =============================================================================================
// trunc_normal and orthogonal
// =============================================================================================

/// Each of PyTorch's measured cases, far tails included: the exact truncated normal (KS,
/// p > 1e-4, 20000 samples as PyTorch's statistics), strictly inside (a, b), and a warning
/// exactly where PyTorch warns.
#[test]
fn trunc_normal_cases_are_exact_and_warn_as_torch() -> TestResult {
    let cases = rows(&golden()["trunc_normal"]["cases"]);
    assert_eq!(cases.len(), 9);
    for (i, row) in cases.iter().enumerate() {
        let (mean, std, a, b) = (f(&row["mean"]), f(&row["std"]), f(&row["a"]), f(&row["b"]));
        let t = cpu_zeros(&[20_000], DType::F32);
        let (r, warnings) = capture_warnings(|| {
            init_core::trunc_normal(&t, mean, std, a, b, &mut Generator::new(300 + i as u64))
        });
        r?;
        let warns = row["warns"].as_bool().unwrap();
        assert_eq!(
            !warnings.is_empty(),
            warns,
            "({mean}, {std}, {a}, {b}): warnings {warnings:?}"
        );
        let v = values(&t);
        assert!(
            v.iter().all(|&x| a < x && x < b),
            "({mean}, {std}, {a}, {b}): a value outside (a, b)"
        );
        assert_trunc_normal(
            &format!("trunc_normal({mean}, {std}, {a}, {b})"),
            &v,
            mean,
            std,
            a,
            b,
        );
    }
    Ok(())
}

#[test]
fn orthogonal_is_as_orthogonal_as_torch() -> TestResult {
    let checks = rows(&golden()["orthogonal"]["checks"]);
    assert_eq!(checks.len(), 18);
    for (i, row) in checks.iter().enumerate() {
        let dims = shape(&row["shape"]);
        let gain = f(&row["gain"]);
        let torch_dev = f(&row["max_abs_dev_from_gain2_I"]);
        let t = cpu_zeros(&dims, DType::F32);
        init_core::orthogonal(&t, gain, &mut Generator::new(400 + i as u64))?;
        let rows_ = dims[0];
        let cols = t.elem_count() / rows_;
        let w = Tensor::from_vec(values(&t), (rows_, cols), &Device::Cpu)?;
        let gram = if rows_ < cols {
            w.matmul(&w.t()?)?
        } else {
            w.t()?.matmul(&w)?
        };
        let k = gram.dims()[0];
        let dev = (gram - (Tensor::eye(k, DType::F64, &Device::Cpu)? * (gain * gain))?)?
            .abs()?
            .max_all()?
            .to_scalar::<f64>()?;
        // f32 like PyTorch: within PyTorch's f32 test tolerance (1e-6, times gain^2), and not
        // far from what PyTorch's own LAPACK QR achieved.
        assert!(
            dev <= 1e-6 * gain * gain && dev <= 10.0 * torch_dev,
            "{dims:?} gain {gain}: |W W^T - gain^2 I| = {dev:e} (PyTorch {torch_dev:e})"
        );
    }
    Ok(())
}

// =============================================================================================
// Errors
// =============================================================================================

/// Runs `f` on a marked tensor of `dims` and `dtype`; when it fails, checks that nothing was
/// written.
fn on(
    dims: &[usize],
    dtype: DType,
    f: impl FnOnce(&Tensor) -> init_core::Result<()>,
) -> init_core::Result<()> {
    let t = marked(dims, dtype);
    let before = bits(&t);
    let r = f(&t);
    if r.is_err() {
        assert_eq!(bits(&t), before, "a failed call wrote into the tensor");
    }
    r
}

fn g() -> Generator {
    Generator::new(0)
}

const F32: DType = DType::F32;
const SCALAR: &[usize] = &[];

/// The Rust call of each of PyTorch's bad calls, or why there is none.
fn rust_call(call: &str) -> Result<init_core::Result<()>, &'static str> {
    use init_core::*;
    let lr = Nonlinearity::LEAKY_RELU;
    let nan_slope =
        || calculate_gain(Nonlinearity::from_name("leaky_relu", Some(f64::NAN))?).map(|_| ());
    Ok(match call {
        "xavier_uniform_(empty(5))" => on(&[5], F32, |t| xavier_uniform(t, 1.0, &mut g())),
        "xavier_normal_(empty(5))" => on(&[5], F32, |t| xavier_normal(t, 1.0, &mut g())),
        "xavier_uniform_(tensor(1.0)) [0-d]" => on(SCALAR, F32, |t| xavier_uniform(t, 1.0, &mut g())),
        "xavier_normal_(tensor(1.0)) [0-d]" => on(SCALAR, F32, |t| xavier_normal(t, 1.0, &mut g())),
        "xavier_uniform_(empty(0,0))" => on(&[0, 0], F32, |t| xavier_uniform(t, 1.0, &mut g())),
        "xavier_normal_(empty(2,3,0))" => on(&[2, 3, 0], F32, |t| xavier_normal(t, 1.0, &mut g())),
        "kaiming_uniform_(empty(5))" => on(&[5], F32, |t| kaiming_uniform(t, 0.0, FanMode::FanIn, lr, &mut g())),
        "kaiming_normal_(empty(5))" => on(&[5], F32, |t| kaiming_normal(t, 0.0, FanMode::FanIn, lr, &mut g())),
        "kaiming_uniform_(tensor(1.0)) [0-d]" => {
            on(SCALAR, F32, |t| kaiming_uniform(t, 0.0, FanMode::FanIn, lr, &mut g()))
        }
        "kaiming_normal_(empty(3,4), mode='foo')" => "foo".parse::<FanMode>().map(|_| ()),
        "kaiming_uniform_(empty(3,4), mode='Fan_Avg')" => "Fan_Avg".parse::<FanMode>().map(|_| ()),
        "kaiming_uniform_(empty(3,4), nonlinearity='foo')" => Nonlinearity::from_name("foo", None).map(|_| ()),
        // A slope that is not a number: NaN is the f64 that is not a number.
        "kaiming_uniform_(empty(3,4), a=True)" => {
            on(&[3, 4], F32, |t| kaiming_uniform(t, f64::NAN, FanMode::FanIn, lr, &mut g()))
        }
        // PyTorch ignores `a` for relu: so does init-core, even when it is not a number.
        "kaiming_uniform_(empty(3,4), a='x', nonlinearity='relu') [a ignored]" => on(&[3, 4], F32, |t| {
            kaiming_uniform(t, f64::NAN, FanMode::FanIn, Nonlinearity::Relu, &mut g())
        }),
        "sparse_(empty(2,3,4), 0.1)" => on(&[2, 3, 4], F32, |t| sparse(t, 0.1, 0.01, &mut g())),
        "sparse_(empty(5), 0.1)" => on(&[5], F32, |t| sparse(t, 0.1, 0.01, &mut g())),
        "eye_(empty(2,3,4))" => on(&[2, 3, 4], F32, eye),
        "eye_(empty(5))" => on(&[5], F32, eye),
        "dirac_(empty(3,3))" => on(&[3, 3], F32, |t| dirac(t, 1)),
        "dirac_(empty(5))" => on(&[5], F32, |t| dirac(t, 1)),
        "dirac_(empty(1,1,1,1,1,1))" => on(&[1, 1, 1, 1, 1, 1], F32, |t| dirac(t, 1)),
        "dirac_(empty(4,2,3), groups=3)" => on(&[4, 2, 3], F32, |t| dirac(t, 3)),
        "dirac_(empty(5,2,3,3), groups=2)" => on(&[5, 2, 3, 3], F32, |t| dirac(t, 2)),
        "dirac_(empty(4,2,3), groups=0)" => on(&[4, 2, 3], F32, |t| dirac(t, 0)),
        "orthogonal_(empty(5))" => on(&[5], F32, |t| orthogonal(t, 1.0, &mut g())),
        "orthogonal_(tensor(1.0)) [0-d]" => on(SCALAR, F32, |t| orthogonal(t, 1.0, &mut g())),
        "calculate_gain('foo')" => Nonlinearity::from_name("foo", None).map(|_| ()),
        "calculate_gain('Linear') [case-sensitive]" => "Linear".parse::<Nonlinearity>().map(|_| ()),
        "calculate_gain('leaky_relu', True)"
        | "calculate_gain('leaky_relu', False)"
        | "calculate_gain('leaky_relu', [1])"
        | "calculate_gain('leaky_relu', {'a': 'b'})"
        | "calculate_gain('leaky_relu', '0.1')" => nan_slope(),
        "calculate_gain('leaky_relu', numpy.float32(0.2))" => {
            return Err("an f32 slope widens to a valid f64 in Rust; PyTorch's isinstance check has no analogue")
        }
        "uniform_(empty(3), a=2, b=1)" => on(&[3], F32, |t| uniform(t, 2.0, 1.0, &mut g())),
        "uniform_(empty(3), a=2.5, b=1.5)" => on(&[3], F32, |t| uniform(t, 2.5, 1.5, &mut g())),
        "normal_(empty(3), 0, -1)" => on(&[3], F32, |t| normal(t, 0.0, -1.0, &mut g())),
        "normal_(empty(3), 0, -0.5)" => on(&[3], F32, |t| normal(t, 0.0, -0.5, &mut g())),
        "trunc_normal_(empty(3), std=0)" => on(&[3], F32, |t| trunc_normal(t, 0.0, 0.0, -2.0, 2.0, &mut g())),
        "trunc_normal_(empty(3), a=2, b=1)" => on(&[3], F32, |t| trunc_normal(t, 0.0, 1.0, 2.0, 1.0, &mut g())),
        "uniform_(empty(3), -3e38, 3e38) [range overflow f32]" => {
            on(&[3], F32, |t| uniform(t, -3e38, 3e38, &mut g()))
        }
        "uniform_(empty(3), -inf, 0)" => on(&[3], F32, |t| uniform(t, f64::NEG_INFINITY, 0.0, &mut g())),
        "uniform_(empty(3), 0, inf)" => on(&[3], F32, |t| uniform(t, 0.0, f64::INFINITY, &mut g())),
        "uniform_(empty(3), 0, nan)" => on(&[3], F32, |t| uniform(t, 0.0, f64::NAN, &mut g())),
        "uniform_(empty(3), -1e300, 1e300) [not representable in f32]" => {
            on(&[3], F32, |t| uniform(t, -1e300, 1e300, &mut g()))
        }
        "uniform_(empty(3, dtype=float64), -1e308, 1e308)" => {
            on(&[3], DType::F64, |t| uniform(t, -1e308, 1e308, &mut g()))
        }
        "normal_(empty(3), 0, nan)" => on(&[3], F32, |t| normal(t, 0.0, f64::NAN, &mut g())),
        "uniform_(empty(3, dtype=int64))" => on(&[3], DType::I64, |t| uniform(t, 0.0, 1.0, &mut g())),
        "normal_(empty(3, dtype=int64))" => on(&[3], DType::I64, |t| normal(t, 0.0, 1.0, &mut g())),
        other => panic!("no Rust equivalent listed for PyTorch's `{other}`: add it here"),
    })
}

#[test]
fn every_torch_error_is_an_error() {
    let cases = rows(&golden()["errors"]);
    assert_eq!(cases.len(), 49);
    let mut checked = 0;
    for row in cases {
        let call = row["call"].as_str().unwrap();
        let torch_raises = !row["raises"].is_null();
        match rust_call(call) {
            Ok(r) => {
                assert_eq!(
                    r.is_err(),
                    torch_raises,
                    "`{call}`: PyTorch raises: {torch_raises}, init-core gave {r:?}"
                );
                checked += 1;
            }
            Err(why) => assert!(!why.is_empty()),
        }
    }
    assert_eq!(checked, 48);
}

/// Where PyTorch silently accepts nonsense, init-core refuses it and leaves the tensor alone.
#[test]
fn nonsense_torch_accepts_is_an_error() {
    use init_core::*;
    let must_fail: Vec<(&str, init_core::Result<()>)> = vec![
        ("dirac groups 0", on(&[4, 2, 3], F32, |t| dirac(t, 0))),
        (
            "sparse sparsity -0.1",
            on(&[10, 3], F32, |t| sparse(t, -0.1, 0.01, &mut g())),
        ),
        (
            "sparse sparsity 1.5",
            on(&[10, 3], F32, |t| sparse(t, 1.5, 0.01, &mut g())),
        ),
        (
            "sparse sparsity NaN",
            on(&[10, 3], F32, |t| sparse(t, f64::NAN, 0.01, &mut g())),
        ),
        (
            "sparse std NaN",
            on(&[10, 3], F32, |t| sparse(t, 0.5, f64::NAN, &mut g())),
        ),
        (
            "sparse std -1",
            on(&[10, 3], F32, |t| sparse(t, 0.5, -1.0, &mut g())),
        ),
        (
            "normal std NaN",
            on(&[3], F32, |t| normal(t, 0.0, f64::NAN, &mut g())),
        ),
        (
            "normal mean NaN",
            on(&[3], F32, |t| normal(t, f64::NAN, 1.0, &mut g())),
        ),
        (
            "trunc_normal std NaN",
            on(&[3], F32, |t| {
                trunc_normal(t, 0.0, f64::NAN, -2.0, 2.0, &mut g())
            }),
        ),
        (
            "trunc_normal std -1",
            on(&[3], F32, |t| {
                trunc_normal(t, 0.0, -1.0, -2.0, 2.0, &mut g())
            }),
        ),
        (
            "trunc_normal a > b",
            on(&[3], F32, |t| {
                trunc_normal(t, 0.0, 1.0, 1.0, -1.0, &mut g())
            }),
        ),
        (
            "trunc_normal a == b",
            on(&[3], F32, |t| trunc_normal(t, 0.0, 1.0, 1.0, 1.0, &mut g())),
        ),
        (
            "trunc_normal a NaN",
            on(&[3], F32, |t| {
                trunc_normal(t, 0.0, 1.0, f64::NAN, 1.0, &mut g())
            }),
        ),
        (
            "trunc_normal no bf16 between a and b",
            on(&[3], DType::BF16, |t| {
                trunc_normal(t, 0.0, 1.0, 1.0, 1.001, &mut g())
            }),
        ),
        (
            "uniform a > b",
            on(&[3], F32, |t| uniform(t, 1.0, -1.0, &mut g())),
        ),
        (
            "xavier gain NaN",
            on(&[3, 4], F32, |t| xavier_normal(t, f64::NAN, &mut g())),
        ),
        (
            "orthogonal gain inf",
            on(&[3, 4], F32, |t| orthogonal(t, f64::INFINITY, &mut g())),
        ),
        (
            "constant 0.5 in i64",
            on(&[3], DType::I64, |t| constant(t, 0.5)),
        ),
        (
            "constant 256 in u8",
            on(&[3], DType::U8, |t| constant(t, 256.0)),
        ),
        (
            "constant -1 in u32",
            on(&[3], DType::U32, |t| constant(t, -1.0)),
        ),
        (
            "constant 1e5 in f16",
            on(&[3], DType::F16, |t| constant(t, 1e5)),
        ),
    ];
    for (what, r) in must_fail {
        assert!(r.is_err(), "{what}: accepted");
    }
}

// =============================================================================================
// Warnings
// =============================================================================================

/// The Rust call of each of PyTorch's warning cases and whether it must warn, or why there is
/// none.
fn rust_warning_call(call: &str) -> Result<(init_core::Result<()>, Vec<String>), &'static str> {
    use init_core::*;
    let lr = Nonlinearity::LEAKY_RELU;
    let fi = FanMode::FanIn;
    let run = |dims: &[usize], f: &dyn Fn(&Tensor) -> init_core::Result<()>| {
        let t = cpu_zeros(dims, F32);
        capture_warnings(|| f(&t))
    };
    if call.contains("[deprecated alias]") {
        return Err("Rust has no deprecated non-underscore aliases");
    }
    Ok(match call {
        "kaiming_uniform_(empty(0, 1))" => {
            run(&[0, 1], &|t| kaiming_uniform(t, 0.0, fi, lr, &mut g()))
        }
        "kaiming_normal_(empty(0, 1))" => {
            run(&[0, 1], &|t| kaiming_normal(t, 0.0, fi, lr, &mut g()))
        }
        "kaiming_uniform_(empty(3, 0))" => {
            run(&[3, 0], &|t| kaiming_uniform(t, 0.0, fi, lr, &mut g()))
        }
        "kaiming_normal_(empty(3, 0))" => {
            run(&[3, 0], &|t| kaiming_normal(t, 0.0, fi, lr, &mut g()))
        }
        "kaiming_uniform_(empty(0,))" => run(&[0], &|t| kaiming_uniform(t, 0.0, fi, lr, &mut g())),
        "kaiming_normal_(empty(0,))" => run(&[0], &|t| kaiming_normal(t, 0.0, fi, lr, &mut g())),
        "kaiming_uniform_(empty(0, 0, 3))" => {
            run(&[0, 0, 3], &|t| kaiming_uniform(t, 0.0, fi, lr, &mut g()))
        }
        "kaiming_normal_(empty(0, 0, 3))" => {
            run(&[0, 0, 3], &|t| kaiming_normal(t, 0.0, fi, lr, &mut g()))
        }
        "trunc_normal_(empty(100), mean=0, std=1, a=5, b=6)" => {
            run(&[100], &|t| trunc_normal(t, 0.0, 1.0, 5.0, 6.0, &mut g()))
        }
        "trunc_normal_(empty(100), mean=10, std=1, a=-2, b=2)" => {
            run(&[100], &|t| trunc_normal(t, 10.0, 1.0, -2.0, 2.0, &mut g()))
        }
        "trunc_normal_(empty(100), mean=4, std=1, a=-2, b=2) [exactly 2 std: no warning]" => {
            run(&[100], &|t| trunc_normal(t, 4.0, 1.0, -2.0, 2.0, &mut g()))
        }
        "uniform_(empty(0,3)) [silent]" => run(&[0, 3], &|t| uniform(t, 0.0, 1.0, &mut g())),
        "normal_(empty(0,3)) [silent]" => run(&[0, 3], &|t| normal(t, 0.0, 1.0, &mut g())),
        "trunc_normal_(empty(0,3)) [silent]" => {
            run(&[0, 3], &|t| trunc_normal(t, 0.0, 1.0, -2.0, 2.0, &mut g()))
        }
        "xavier_uniform_(empty(0,3)) [silent]" => {
            run(&[0, 3], &|t| xavier_uniform(t, 1.0, &mut g()))
        }
        "xavier_normal_(empty(3,0)) [silent]" => run(&[3, 0], &|t| xavier_normal(t, 1.0, &mut g())),
        "orthogonal_(empty(0,3)) [silent]" => run(&[0, 3], &|t| orthogonal(t, 1.0, &mut g())),
        "orthogonal_(empty(3,0,2)) [silent]" => run(&[3, 0, 2], &|t| orthogonal(t, 1.0, &mut g())),
        "sparse_(empty(0,3), 0.5) [silent]" => run(&[0, 3], &|t| sparse(t, 0.5, 0.01, &mut g())),
        "sparse_(empty(3,0), 0.5) [silent]" => run(&[3, 0], &|t| sparse(t, 0.5, 0.01, &mut g())),
        "eye_(empty(0,3)) [silent]" => run(&[0, 3], &|t| eye(t)),
        "dirac_(empty(0,2,3)) [silent]" => run(&[0, 2, 3], &|t| dirac(t, 1)),
        "constant_(empty(0), 1) [silent]" => run(&[0], &|t| constant(t, 1.0)),
        other => panic!("no Rust equivalent listed for PyTorch's `{other}`: add it here"),
    })
}

#[test]
fn warnings_where_torch_warns_and_no_error_where_it_only_warns() {
    let cases = rows(&golden()["warnings"]);
    assert_eq!(cases.len(), 34);
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in cases {
        let call = row["call"].as_str().unwrap();
        assert!(row["raises"].is_null());
        let torch_warnings = rows(&row["warnings"]);
        let (r, warnings) = match rust_warning_call(call) {
            Ok(outcome) => outcome,
            Err(why) => {
                assert!(!why.is_empty());
                continue;
            }
        };
        checked += 1;
        if let Err(e) = r {
            failures.push(format!(
                "`{call}`: PyTorch only warns, init-core failed: {e}"
            ));
            continue;
        }
        if warnings.len() != torch_warnings.len() {
            failures.push(format!(
                "`{call}`: init-core warned {warnings:?}, PyTorch {torch_warnings:?}"
            ));
        } else if let Some(w) = torch_warnings.first() {
            // kaiming's warning has PyTorch's words, so users can search for it.
            if call.starts_with("kaiming") && warnings[0] != w["message"].as_str().unwrap() {
                failures.push(format!("`{call}`: message {:?}", warnings[0]));
            }
        }
    }
    assert_eq!(checked, 23);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
