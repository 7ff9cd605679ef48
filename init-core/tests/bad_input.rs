//! Every initializer under random, mostly bad input: shapes (0-sized, 0-dim, up to 6-D, strided
//! views), dtypes (floats and integers) and arguments (0, negatives, NaN, +-inf, huge,
//! subnormal). Each call must either return `Ok` with values inside its promise, leaving the
//! storage outside the view untouched, or return `Err` with the storage's bytes unchanged; it
//! must never panic.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use candle_core::{DType, Device, IndexOp, Tensor};
use init_core::{
    calculate_correct_fan, calculate_fan_in_and_fan_out, calculate_gain, Axes, Distribution,
    FanMode, Generator, Init, Nonlinearity, VarianceMode,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use common::{bits, marked, values, FLOAT_DTYPES, INT_DTYPES};

const CASES: usize = 30_000;

/// Arguments worth trying: ordinary ones, boundaries and the values that break formulas.
fn nasty(r: &mut StdRng) -> f64 {
    const V: [f64; 26] = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        2.0,
        -3.0,
        1e-3,
        0.02,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
        -1e300,
        5e-324,
        1e-310,
        65504.0,
        70000.0,
        1e38,
        3.5e38,
        1e150,
        f64::MAX,
        f64::MIN_POSITIVE,
        0.1,
        100.0,
        -2.0,
    ];
    if r.random_bool(0.25) {
        r.random_range(-10.0..10.0)
    } else {
        V[r.random_range(0..V.len())]
    }
}

fn nonlinearity(r: &mut StdRng) -> Nonlinearity {
    match r.random_range(0..13) {
        0 => Nonlinearity::Linear,
        1 => Nonlinearity::Conv1d,
        2 => Nonlinearity::Conv2d,
        3 => Nonlinearity::Conv3d,
        4 => Nonlinearity::ConvTranspose1d,
        5 => Nonlinearity::ConvTranspose2d,
        6 => Nonlinearity::ConvTranspose3d,
        7 => Nonlinearity::Sigmoid,
        8 => Nonlinearity::Tanh,
        9 => Nonlinearity::Relu,
        10 => Nonlinearity::Selu,
        _ => Nonlinearity::LeakyRelu {
            negative_slope: nasty(r),
        },
    }
}

fn any_init(r: &mut StdRng) -> Init {
    let mode = if r.random_bool(0.5) {
        FanMode::FanIn
    } else {
        FanMode::FanOut
    };
    match r.random_range(0..17) {
        0 => Init::Uniform {
            low: nasty(r),
            high: nasty(r),
        },
        1 => Init::Normal {
            mean: nasty(r),
            std: nasty(r),
        },
        2 => Init::TruncNormal {
            mean: nasty(r),
            std: nasty(r),
            a: nasty(r),
            b: nasty(r),
        },
        3 => Init::Constant { value: nasty(r) },
        4 => Init::Zeros,
        5 => Init::Ones,
        6 => Init::Eye,
        7 => Init::Dirac {
            groups: [0, 1, 2, 3, 4, 100][r.random_range(0..6)],
        },
        8 => Init::XavierUniform { gain: nasty(r) },
        9 => Init::XavierNormal { gain: nasty(r) },
        10 => Init::KaimingUniform {
            a: nasty(r),
            mode,
            nonlinearity: nonlinearity(r),
        },
        11 => Init::KaimingNormal {
            a: nasty(r),
            mode,
            nonlinearity: nonlinearity(r),
        },
        12 => Init::Orthogonal {
            gain: nasty(r),
            column_axis: r.random_range(-7..7),
        },
        13 => Init::VarianceScaling {
            scale: nasty(r),
            mode: [
                VarianceMode::FanIn,
                VarianceMode::FanOut,
                VarianceMode::FanAvg,
                VarianceMode::FanGeoAvg,
            ][r.random_range(0..4)],
            distribution: [
                Distribution::TruncatedNormal,
                Distribution::Normal,
                Distribution::Uniform,
            ][r.random_range(0..3)],
            in_axis: axes(r),
            out_axis: axes(r),
            batch_axis: if r.random_bool(0.7) {
                Axes::NONE
            } else {
                axes(r)
            },
        },
        14 => Init::DeltaOrthogonal { scale: nasty(r) },
        _ => Init::Sparse {
            sparsity: nasty(r),
            std: nasty(r),
        },
    }
}

/// Zero to two axes in -7..7 (one most often), as JAX's in/out/batch axes.
fn axes(r: &mut StdRng) -> Axes {
    let n = [1, 1, 1, 0, 2][r.random_range(0..5)];
    let list: Vec<i64> = (0..n).map(|_| r.random_range(-7..7)).collect();
    Axes::new(&list).unwrap()
}

/// A shape of rank 0 to 6 with at most a few thousand elements, 0-sized dims included.
fn shape(r: &mut StdRng) -> Vec<usize> {
    let rank = r.random_range(0..=6);
    let big = if rank <= 2 { 40 } else { 5 };
    (0..rank)
        .map(|_| {
            if r.random_bool(0.08) {
                0
            } else {
                r.random_range(1..=big)
            }
        })
        .collect()
}

/// A base tensor filled with a recognizable pattern, and the tensor the call writes: the base
/// itself, or a strided view of it (a narrowed dim, a transpose, an index).
fn target(r: &mut StdRng, dims: &[usize], dtype: DType) -> (Tensor, Tensor) {
    let view_kind = if !dims.is_empty() {
        r.random_range(0..4)
    } else {
        0
    };
    let mut base_dims = dims.to_vec();
    match view_kind {
        1 => base_dims[0] += 3,      // narrow dim 0
        3 => base_dims.insert(0, 2), // index into a larger leading dim
        _ => {}
    }
    if view_kind == 2 && dims.len() >= 2 {
        base_dims.swap(0, 1); // transpose back below
    }
    let base = marked(&base_dims, dtype);
    let view = match view_kind {
        1 => base.narrow(0, 2, dims[0]).unwrap(),
        2 if dims.len() >= 2 => base.transpose(0, 1).unwrap(),
        3 => base.i(1).unwrap(),
        _ => base.clone(),
    };
    assert_eq!(view.dims(), dims);
    (base, view)
}

/// Storage positions of the view's elements, in logical order.
fn positions(view: &Tensor) -> Vec<usize> {
    let layout = view.layout();
    let (dims, strides) = (layout.dims(), layout.stride());
    let n: usize = dims.iter().product();
    (0..n)
        .map(|mut i| {
            let mut pos = layout.start_offset();
            for d in (0..dims.len()).rev() {
                pos += (i % dims[d]) * strides[d];
                i /= dims[d];
            }
            pos
        })
        .collect()
}

fn round_to(x: f64, dtype: DType) -> f64 {
    match dtype {
        DType::F32 => x as f32 as f64,
        DType::F16 => half::f16::from_f64(x).to_f64(),
        DType::BF16 => half::bf16::from_f64(x).to_f64(),
        _ => x,
    }
}

/// The promise an `Ok` keeps, checked on the written values (logical order).
fn check_promise(init: &Init, dims: &[usize], dtype: DType, vals: &[f64]) -> Result<(), String> {
    if vals.is_empty() {
        // Nothing written (PyTorch's zero-element calls are no-ops, kaiming's before its checks).
        return Ok(());
    }
    let all = |ok: &dyn Fn(f64) -> bool, what: &str| match vals.iter().find(|&&v| !ok(v)) {
        Some(v) => Err(format!("value {v:e} breaks: {what}")),
        None => Ok(()),
    };
    let in_uniform = |low: f64, high: f64| {
        if low == high {
            let want = round_to(low, dtype);
            all(&|v| v == want, "a constant range fills low")
        } else {
            all(
                &|v| v.is_finite() && v >= low && v < high,
                "inside [low, high)",
            )
        }
    };
    match *init {
        Init::Uniform { low, high } => in_uniform(low, high),
        Init::Normal { .. } | Init::XavierNormal { .. } | Init::KaimingNormal { .. } => {
            all(&|v| v.is_finite(), "finite")
        }
        Init::Sparse { .. } => all(&|v| v.is_finite(), "finite"),
        Init::TruncNormal { a, b, .. } => {
            all(&|v| v.is_finite() && a < v && v < b, "inside (a, b)")
        }
        Init::Constant { value } => {
            let want = round_to(value, dtype);
            all(
                &|v| v == want || (v.is_nan() && want.is_nan()),
                "the constant",
            )
        }
        Init::Zeros => all(&|v| v == 0.0, "zero"),
        Init::Ones => all(&|v| v == 1.0, "one"),
        Init::Eye => {
            let cols = dims[1];
            match vals
                .iter()
                .enumerate()
                .find(|&(i, &v)| v != if i / cols == i % cols { 1.0 } else { 0.0 })
            {
                Some((i, v)) => Err(format!("eye[{i}] = {v}")),
                None => Ok(()),
            }
        }
        Init::Dirac { .. } => all(&|v| v == 0.0 || v == 1.0, "0 or 1"),
        Init::XavierUniform { gain } => {
            let (fan_in, fan_out) =
                calculate_fan_in_and_fan_out(dims).map_err(|e| e.to_string())?;
            let a = 3.0f64.sqrt() * (gain * (2.0 / (fan_in + fan_out) as f64).sqrt());
            in_uniform(-a, a)
        }
        Init::KaimingUniform {
            a,
            mode,
            nonlinearity,
        } => {
            let nonlinearity = match nonlinearity {
                Nonlinearity::LeakyRelu { .. } => Nonlinearity::LeakyRelu { negative_slope: a },
                other => other,
            };
            let gain = calculate_gain(nonlinearity).map_err(|e| e.to_string())?;
            let fan = calculate_correct_fan(dims, mode).map_err(|e| e.to_string())?;
            let bound = 3.0f64.sqrt() * (gain / (fan as f64).sqrt());
            in_uniform(-bound, bound)
        }
        Init::Orthogonal { gain, .. } | Init::DeltaOrthogonal { scale: gain } => {
            let limit = gain.abs() * 1.02;
            all(&|v| v.is_finite() && v.abs() <= limit, "|v| <= |gain|")
        }
        Init::VarianceScaling { distribution, .. } => {
            let std = init.expected_std(dims).ok_or("no std for an Ok call")?;
            match distribution {
                Distribution::Uniform => in_uniform(-(3f64.sqrt()) * std, 3f64.sqrt() * std),
                Distribution::Normal => all(&|v| v.is_finite(), "finite"),
                Distribution::TruncatedNormal => {
                    let bound = 2.0 * std / 0.879_625_661_034_239_8;
                    all(&|v| v.is_finite() && v.abs() < bound, "inside (-2 s, 2 s)")
                }
            }
        }
    }
}

#[test]
fn every_call_keeps_its_promise_or_changes_nothing() {
    let mut r = StdRng::seed_from_u64(0x0BAD_1A90_u64);
    let (mut ok, mut err) = (0usize, 0usize);
    for case in 0..CASES {
        let init = any_init(&mut r);
        let dims = shape(&mut r);
        let dtype = if r.random_bool(0.75) {
            FLOAT_DTYPES[r.random_range(0..FLOAT_DTYPES.len())]
        } else {
            INT_DTYPES[r.random_range(0..INT_DTYPES.len())]
        };
        let (base, view) = target(&mut r, &dims, dtype);
        let before = bits(&base);
        let mut rng = Generator::new(case as u64);
        let what = format!(
            "case {case}: {init:?} on {dims:?} {dtype:?} (view {:?})",
            view.layout()
        );
        let result = catch_unwind(AssertUnwindSafe(|| init.apply(&view, &mut rng)))
            .unwrap_or_else(|_| panic!("{what}: panicked"));
        let after = bits(&base);
        match result {
            Err(e) => {
                err += 1;
                assert!(before == after, "{what}: returned `{e}` after writing");
                assert!(!e.to_string().contains("internal error"), "{what}: {e}");
            }
            Ok(()) => {
                ok += 1;
                let written = positions(&view);
                let mut untouched = vec![true; before.len()];
                for &p in &written {
                    untouched[p] = false;
                }
                for (p, keep) in untouched.iter().enumerate() {
                    assert!(
                        !keep || before[p] == after[p],
                        "{what}: wrote outside the view at {p}"
                    );
                }
                if let Err(broken) = check_promise(&init, &dims, dtype, &values(&view)) {
                    panic!("{what}: Ok, but {broken}");
                }
            }
        }
    }
    eprintln!("{CASES} cases: {ok} Ok, {err} Err");
    // The generator must exercise both outcomes in earnest.
    assert!(ok > CASES / 10 && err > CASES / 10, "ok {ok}, err {err}");
}

/// The cases that wrote and then failed before these checks existed, one by one.
#[test]
fn former_write_then_fail_cases_are_decided_first() {
    let dev = Device::Cpu;
    let zeros = |dtype| Tensor::zeros((16, 8), dtype, &dev).unwrap();
    let mut g = Generator::new(0);
    // A zero bound fills zeros, as PyTorch does.
    for init in [
        Init::Uniform {
            low: 0.5,
            high: 0.5,
        },
        Init::XavierUniform { gain: 0.0 },
        Init::KaimingUniform {
            a: 1e300,
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LEAKY_RELU,
        },
    ] {
        let t = Tensor::ones((16, 8), DType::F32, &dev).unwrap();
        init.apply(&t, &mut g).unwrap();
        let want = if let Init::Uniform { low, .. } = init {
            low
        } else {
            0.0
        };
        let v = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(v.iter().all(|&x| x as f64 == want), "{init:?}: {v:?}");
    }
    // Negative or NaN gains are refused, naming the gain.
    for gain in [-1.0, f64::NAN] {
        for init in [Init::XavierUniform { gain }, Init::XavierNormal { gain }] {
            let e = init
                .apply(&zeros(DType::F32), &mut g)
                .unwrap_err()
                .to_string();
            assert!(e.contains("gain"), "{e}");
        }
    }
    // Mass within one step of a bound: refused before writing, naming (a, b).
    for (dtype, mean, std, a, b) in [
        (DType::F32, 2.0, 0.5, 65504.0, 70000.0),
        (DType::BF16, 0.0, 0.01, 2.0, 2.02),
        (DType::F16, 0.0, 1.0, 60000.0, f64::INFINITY),
    ] {
        let t = zeros(dtype);
        let e = Init::TruncNormal { mean, std, a, b }
            .apply(&t, &mut g)
            .unwrap_err()
            .to_string();
        assert!(e.contains("(a, b)") && e.contains("strictly inside"), "{e}");
        assert_eq!(
            t.to_dtype(DType::F32)
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap(),
            0.0
        );
    }
    // Values that would overflow the dtype.
    let e = Init::Normal {
        mean: 0.0,
        std: 2e4,
    }
    .apply(&zeros(DType::F16), &mut g)
    .unwrap_err()
    .to_string();
    assert!(e.contains("std") && e.contains("overflow"), "{e}");
}
