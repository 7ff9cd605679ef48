//! A port of PyTorch's `test/nn/test_init.py`: the 29 tests of `TestNNInit` and the 19 CPU
//! instances of `TestNNInitDeviceType`, one Rust test each (48), with the same sizes, the same
//! kind of random parameters (drawn from a `StdRng` seeded with 123, as PyTorch seeds `random`
//! with 123 in `setUp`) and the same Kolmogorov-Smirnov threshold, p > 1e-4. Initializers are
//! seeded with fixed `Generator` seeds, so every test is deterministic.
//!
//! Where PyTorch tests something the Rust types make impossible (a `bool` as a slope, a
//! deprecated alias), the port tests the nearest property that can fail, and says so.

mod common;

use candle_core::{DType, Device, IndexOp, Tensor};
use init_core::{
    calculate_gain, FanMode, Generator, Init, InitError, Nonlinearity, DEFAULT_NEGATIVE_SLOPE,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use common::{assert_normal, assert_trunc_normal, assert_uniform, capture_warnings, values};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// PyTorch's `setUp`: `random.seed(123)`.
fn param_rng() -> StdRng {
    StdRng::seed_from_u64(123)
}

/// `_create_random_nd_tensor`: sizes drawn from [size_min, size_max], a zero f32 tensor.
fn random_nd_tensor(rng: &mut StdRng, dims: usize, size_min: usize, size_max: usize) -> Tensor {
    let size: Vec<usize> = (0..dims)
        .map(|_| rng.random_range(size_min..=size_max))
        .collect();
    Tensor::zeros(size, DType::F32, &Device::Cpu).unwrap()
}

/// `_random_float`: uniform in [a, b).
fn random_float(rng: &mut StdRng, a: f64, b: f64) -> f64 {
    (b - a) * rng.random::<f64>() + a
}

/// fan_in and fan_out computed the way the PyTorch test computes them (not with init-core).
fn test_fans(t: &Tensor) -> (f64, f64) {
    let d = t.dims();
    let receptive: usize = d[2..].iter().product();
    ((d[1] * receptive) as f64, (d[0] * receptive) as f64)
}

// =============================================================================================
// TestNNInit
// =============================================================================================

#[test]
fn test_calculate_gain_linear() -> TestResult {
    for name in [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    ] {
        let n = Nonlinearity::from_name(name, None)?;
        assert_eq!(n.name(), name);
        assert_eq!(calculate_gain(n)?, 1.0, "{name}");
    }
    Ok(())
}

#[test]
#[allow(clippy::approx_constant)] // PyTorch's literals, kept as written there
fn test_calculate_gain_nonlinear() -> TestResult {
    for (name, gain) in [
        ("sigmoid", 1.0),
        ("tanh", 1.6666666666666667),
        ("relu", 1.4142135623730951),
        ("leaky_relu", 1.4141428569978354),
        ("selu", 0.75),
    ] {
        let n: Nonlinearity = name.parse()?;
        assert_eq!(calculate_gain(n)?, gain, "{name}");
    }
    Ok(())
}

#[test]
#[allow(clippy::approx_constant)] // PyTorch's literals, kept as written there
fn test_calculate_gain_leaky_relu() -> TestResult {
    for (param, gain) in [
        (None, 1.4141428569978354),
        (Some(0.0), 1.4142135623730951),
        (Some(0.01), 1.4141428569978354),
        (Some(10.0), 0.14071950894605836),
    ] {
        let n = Nonlinearity::from_name("leaky_relu", param)?;
        assert_eq!(calculate_gain(n)?, gain, "slope {param:?}");
    }
    assert_eq!(
        Nonlinearity::LEAKY_RELU,
        Nonlinearity::from_name("leaky_relu", None)?
    );
    assert_eq!(DEFAULT_NEGATIVE_SLOPE, 0.01);
    Ok(())
}

/// PyTorch rejects `True`, `[1]` and `{"a": "b"}` as slopes; the Rust type only admits an `f64`,
/// so the values that are "not a valid number" here are the non-finite ones.
#[test]
fn test_calculate_gain_leaky_relu_only_accepts_numbers() {
    for slope in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let n = Nonlinearity::LeakyRelu {
            negative_slope: slope,
        };
        assert!(calculate_gain(n).is_err(), "slope {slope}");
        let named = Nonlinearity::from_name("leaky_relu", Some(slope)).unwrap();
        assert!(calculate_gain(named).is_err(), "from_name slope {slope}");
    }
}

#[test]
fn test_calculate_gain_only_accepts_valid_nonlinearities() {
    let mut rng = param_rng();
    for n in [2, 5, 25] {
        let random_string: String = (0..n)
            .map(|_| rng.random_range(b'a'..=b'z') as char)
            .collect();
        let err = Nonlinearity::from_name(&random_string, None).unwrap_err();
        assert!(
            matches!(err, InitError::UnknownNonlinearity(ref s) if *s == random_string),
            "{err}"
        );
        assert!(random_string.parse::<Nonlinearity>().is_err());
    }
}

#[test]
fn test_uniform() -> TestResult {
    let mut rng = param_rng();
    for (i, dims) in [1, 2, 4].into_iter().enumerate() {
        let t = random_nd_tensor(&mut rng, dims, 30, 50);
        let a = random_float(&mut rng, -3.0, 3.0);
        let b = a + random_float(&mut rng, 1.0, 5.0);
        init_core::uniform(&t, a, b, &mut Generator::new(100 + i as u64))?;
        let v = values(&t);
        // The f32 bounds: a and b rounded to the tensor's dtype.
        let (lo, hi) = (a as f32 as f64, b as f32 as f64);
        assert!(
            v.iter().all(|&x| lo <= x && x <= hi),
            "value outside [{a}, {b}]"
        );
        assert_uniform(&format!("uniform {dims}-D"), &v, a, b);
    }
    Ok(())
}

#[test]
fn test_normal() -> TestResult {
    let mut rng = param_rng();
    for (i, dims) in [1, 2, 4].into_iter().enumerate() {
        let t = random_nd_tensor(&mut rng, dims, 30, 50);
        let mean = random_float(&mut rng, -3.0, 3.0);
        let std = random_float(&mut rng, 1.0, 5.0);
        init_core::normal(&t, mean, std, &mut Generator::new(200 + i as u64))?;
        assert_normal(&format!("normal {dims}-D"), &values(&t), mean, std);
    }
    Ok(())
}

/// PyTorch: `generator=gen` seeded 42 gives what the global RNG seeded 42 gives. Here: a
/// `Generator` taken from a user's `rand` RNG is the same generator as one built from the same
/// seed and stream, and gives the same values; and the values are truncated normal.
#[test]
fn test_trunc_normal_generator() -> TestResult {
    let input = Tensor::zeros(5, DType::F32, &Device::Cpu)?;
    let mut user_rng = StdRng::seed_from_u64(42);
    let mut gen = Generator::from_rng(&mut user_rng);
    init_core::trunc_normal(&input, 0.0, 1.0, -2.0, 2.0, &mut gen)?;

    let reference = Tensor::zeros(5, DType::F32, &Device::Cpu)?;
    let mut again = StdRng::seed_from_u64(42);
    let (seed, stream) = (again.random::<u64>(), again.random::<u64>());
    let mut manual = Generator::with_stream(seed, stream);
    init_core::trunc_normal(&reference, 0.0, 1.0, -2.0, 2.0, &mut manual)?;
    assert_eq!(values(&input), values(&reference));
    assert_eq!(gen, manual);

    // The 5 values say little about the distribution: test 10^4 from the same generator.
    let big = Tensor::zeros(10_000, DType::F32, &Device::Cpu)?;
    init_core::trunc_normal(&big, 0.0, 1.0, -2.0, 2.0, &mut gen)?;
    assert_trunc_normal(
        "trunc_normal via from_rng",
        &values(&big),
        0.0,
        1.0,
        -2.0,
        2.0,
    );
    Ok(())
}

#[test]
fn test_constant() -> TestResult {
    let mut rng = param_rng();
    for dims in [1, 2, 4] {
        let t = random_nd_tensor(&mut rng, dims, 1, 5);
        let t = (t + 3.0)?; // start from something else than the constant
        let val = random_float(&mut rng, 1.0, 10.0);
        init_core::constant(&t, val)?;
        let expected = val as f32 as f64;
        assert!(values(&t).iter().all(|&x| x == expected), "{dims}-D");
    }
    Ok(())
}

#[test]
fn test_ones_and_zeros() -> TestResult {
    let mut rng = param_rng();
    for (val, f) in [
        (1.0, init_core::ones as fn(&Tensor) -> init_core::Result<()>),
        (0.0, init_core::zeros),
    ] {
        for dims in [1, 2, 4] {
            let t = random_nd_tensor(&mut rng, dims, 1, 5);
            let t = (t + 7.0)?;
            f(&t)?;
            assert!(values(&t).iter().all(|&x| x == val), "{val} {dims}-D");
        }
    }
    Ok(())
}

#[test]
fn test_eye() -> TestResult {
    let mut rng = param_rng();
    let t = (random_nd_tensor(&mut rng, 2, 1, 5) + 5.0)?;
    init_core::eye(&t)?;
    let m = t.to_vec2::<f32>()?;
    for (i, row) in m.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            let expected = if i == j { 1.0 } else { 0.0 };
            assert_eq!(x, expected, "[{i}][{j}]");
        }
    }
    Ok(())
}

#[test]
fn test_eye_only_works_on_2d_inputs() {
    let mut rng = param_rng();
    for dims in [1, 3] {
        let t = random_nd_tensor(&mut rng, dims, 1, 3);
        let err = init_core::eye(&t).unwrap_err();
        assert!(matches!(err, InitError::Rank { .. }), "{err}");
    }
}

#[test]
fn test_dirac_properties() -> TestResult {
    let mut rng = param_rng();
    let mut gen = Generator::new(3);
    for dims in [3, 4, 5] {
        for groups in [1, 2, 3] {
            let (a, c, d, e) = (
                rng.random_range(1..=5usize),
                rng.random_range(1..=5usize),
                rng.random_range(1..=5usize),
                rng.random_range(1..=5usize),
            );
            let b = rng.random_range(1..=5 * groups);
            let shape = [a * groups, b, c, d, e];
            let t = Tensor::zeros(&shape[..dims], DType::F32, &Device::Cpu)?;
            init_core::normal(&t, 0.0, 1.0, &mut gen)?; // PyTorch starts from randn
            init_core::dirac(&t, groups)?;

            let (c_out, c_in) = (t.dims()[0] / groups, t.dims()[1]);
            let min_d = c_out.min(c_in);
            let v = values(&t);
            let nonzero = v.iter().filter(|&&x| x != 0.0).count();
            assert_eq!(
                nonzero,
                min_d * groups,
                "shape {:?} groups {groups}",
                t.dims()
            );
            assert_eq!(v.iter().sum::<f64>(), (min_d * groups) as f64);
        }
    }
    Ok(())
}

/// A direct 3-D convolution (no padding, stride 1), since candle-core has no conv3d.
fn conv3d(input: &Tensor, kernel: &Tensor) -> candle_core::Result<Tensor> {
    let (b, c_in, x, y, z) = input.dims5()?;
    let (c_out, kc, kx, ky, kz) = kernel.dims5()?;
    assert_eq!(c_in, kc);
    let (ox, oy, oz) = (x - kx + 1, y - ky + 1, z - kz + 1);
    let inp = input.flatten_all()?.to_vec1::<f32>()?;
    let ker = kernel.flatten_all()?.to_vec1::<f32>()?;
    let mut out = vec![0f32; b * c_out * ox * oy * oz];
    for bi in 0..b {
        for o in 0..c_out {
            for (i, j, k) in itertools3(ox, oy, oz) {
                let mut acc = 0f32;
                for c in 0..c_in {
                    for (p, q, r) in itertools3(kx, ky, kz) {
                        let iv = inp[(((bi * c_in + c) * x + i + p) * y + j + q) * z + k + r];
                        let kv = ker[(((o * c_in + c) * kx + p) * ky + q) * kz + r];
                        acc += iv * kv;
                    }
                }
                out[(((bi * c_out + o) * ox + i) * oy + j) * oz + k] = acc;
            }
        }
    }
    Tensor::from_vec(out, (b, c_out, ox, oy, oz), &Device::Cpu)
}

fn itertools3(a: usize, b: usize, c: usize) -> impl Iterator<Item = (usize, usize, usize)> {
    (0..a).flat_map(move |i| (0..b).flat_map(move |j| (0..c).map(move |k| (i, j, k))))
}

#[test]
fn test_dirac_identity() -> TestResult {
    let (batch, in_c, out_c, size, kernel_size) = (8, 3, 9, 5, 3);
    let mut gen = Generator::new(4);
    for groups in [1, 3] {
        let eff_out_c = out_c / groups;
        for spatial in 1..=3usize {
            let mut in_shape = vec![batch, in_c];
            in_shape.extend(std::iter::repeat_n(size, spatial));
            let mut k_shape = vec![eff_out_c * groups, in_c];
            k_shape.extend(std::iter::repeat_n(kernel_size, spatial));

            let input = Tensor::zeros(in_shape, DType::F32, &Device::Cpu)?;
            init_core::normal(&input, 0.0, 1.0, &mut gen)?;
            let filter = Tensor::zeros(k_shape, DType::F32, &Device::Cpu)?;
            init_core::dirac(&filter, groups)?;
            let output = match spatial {
                1 => input.conv1d(&filter, 0, 1, 1, 1)?,
                2 => input.conv2d(&filter, 0, 1, 1, 1)?,
                _ => conv3d(&input, &filter)?,
            };
            // input[:, :, 1:-1, ...]
            let mut inner = input.clone();
            for d in 2..2 + spatial {
                inner = inner.narrow(d, 1, size - 2)?;
            }
            for g in 0..groups {
                let kept = output.narrow(1, eff_out_c * g, in_c)?;
                assert_eq!(
                    values(&kept),
                    values(&inner),
                    "{spatial}-D, groups {groups}: group {g} must pass its input through"
                );
                let extra = eff_out_c - in_c;
                if extra > 0 {
                    let rest = output.narrow(1, eff_out_c * g + in_c, extra)?;
                    assert!(
                        values(&rest).iter().all(|&x| x == 0.0),
                        "extra outputs must be 0"
                    );
                }
            }
        }
    }
    Ok(())
}

#[test]
fn test_dirac_only_works_on_3_4_5d_inputs() {
    let mut rng = param_rng();
    for dims in [1, 2, 6] {
        let t = random_nd_tensor(&mut rng, dims, 1, 3);
        let err = init_core::dirac(&t, 1).unwrap_err();
        assert!(matches!(err, InitError::Rank { .. }), "{dims}-D: {err}");
    }
}

fn scalar_and_vector() -> [Tensor; 2] {
    let mut rng = param_rng();
    [
        random_nd_tensor(&mut rng, 0, 1, 1),
        random_nd_tensor(&mut rng, 1, 1, 1),
    ]
}

#[test]
fn test_xavier_uniform_errors_on_inputs_smaller_than_2d() {
    for t in scalar_and_vector() {
        let err = init_core::xavier_uniform(&t, 1.0, &mut Generator::new(0)).unwrap_err();
        assert!(matches!(err, InitError::FanRank { .. }), "{err}");
    }
}

#[test]
fn test_xavier_normal_errors_on_inputs_smaller_than_2d() {
    for t in scalar_and_vector() {
        let err = init_core::xavier_normal(&t, 1.0, &mut Generator::new(0)).unwrap_err();
        assert!(matches!(err, InitError::FanRank { .. }), "{err}");
    }
}

#[test]
fn test_xavier_uniform() -> TestResult {
    let mut rng = param_rng();
    let mut gen = Generator::new(5);
    for use_gain in [true, false] {
        for dims in [2, 4] {
            let t = random_nd_tensor(&mut rng, dims, 20, 25);
            let gain = if use_gain {
                random_float(&mut rng, 0.1, 2.0)
            } else {
                1.0
            };
            init_core::xavier_uniform(&t, gain, &mut gen)?;
            let (fan_in, fan_out) = test_fans(&t);
            let bounds = gain * (2.0 / (fan_in + fan_out)).sqrt() * 3f64.sqrt();
            assert_uniform(
                &format!("xavier_uniform {:?} gain {gain}", t.dims()),
                &values(&t),
                -bounds,
                bounds,
            );
        }
    }
    Ok(())
}

#[test]
fn test_xavier_normal() -> TestResult {
    let mut rng = param_rng();
    let mut gen = Generator::new(6);
    for use_gain in [true, false] {
        for dims in [2, 4] {
            let t = random_nd_tensor(&mut rng, dims, 20, 25);
            let gain = if use_gain {
                random_float(&mut rng, 0.1, 2.0)
            } else {
                1.0
            };
            init_core::xavier_normal(&t, gain, &mut gen)?;
            let (fan_in, fan_out) = test_fans(&t);
            let std = gain * (2.0 / (fan_in + fan_out)).sqrt();
            assert_normal(
                &format!("xavier_normal {:?} gain {gain}", t.dims()),
                &values(&t),
                0.0,
                std,
            );
        }
    }
    Ok(())
}

#[test]
fn test_kaiming_uniform_errors_on_inputs_smaller_than_2d() {
    for t in scalar_and_vector() {
        let r = init_core::kaiming_uniform(
            &t,
            0.0,
            FanMode::FanIn,
            Nonlinearity::LEAKY_RELU,
            &mut Generator::new(0),
        );
        assert!(matches!(r, Err(InitError::FanRank { .. })), "{r:?}");
    }
}

#[test]
fn test_kaiming_normal_errors_on_inputs_smaller_than_2d() {
    for t in scalar_and_vector() {
        let r = init_core::kaiming_normal(
            &t,
            0.0,
            FanMode::FanIn,
            Nonlinearity::LEAKY_RELU,
            &mut Generator::new(0),
        );
        assert!(matches!(r, Err(InitError::FanRank { .. })), "{r:?}");
    }
}

fn assert_zero_element_warning(init: Init) {
    let t = Tensor::zeros((0, 1), DType::F32, &Device::Cpu).unwrap();
    let (r, warnings) = capture_warnings(|| init.apply(&t, &mut Generator::new(0)));
    assert!(r.is_ok(), "{r:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Initializing zero-element tensors is a no-op")),
        "{warnings:?}"
    );
}

#[test]
fn test_kaiming_uniform_warning_on_0element_tensor() {
    assert_zero_element_warning(Init::kaiming_uniform());
}

#[test]
fn test_kaiming_normal_warning_on_0element_tensor() {
    assert_zero_element_warning(Init::kaiming_normal());
}

#[test]
fn test_kaiming_uniform() -> TestResult {
    let mut rng = param_rng();
    let mut gen = Generator::new(7);
    for use_a in [true, false] {
        for dims in [2, 4] {
            for mode in [FanMode::FanIn, FanMode::FanOut] {
                let t = random_nd_tensor(&mut rng, dims, 20, 25);
                let a = if use_a {
                    random_float(&mut rng, 0.1, 2.0)
                } else {
                    0.0
                };
                init_core::kaiming_uniform(&t, a, mode, Nonlinearity::LEAKY_RELU, &mut gen)?;
                let (fan_in, fan_out) = test_fans(&t);
                let n = if mode == FanMode::FanIn {
                    fan_in
                } else {
                    fan_out
                };
                let bounds = (2.0 / ((1.0 + a * a) * n)).sqrt() * 3f64.sqrt();
                assert_uniform(
                    &format!("kaiming_uniform {:?} a {a} {mode:?}", t.dims()),
                    &values(&t),
                    -bounds,
                    bounds,
                );
            }
        }
    }
    Ok(())
}

#[test]
fn test_kaiming_normal() -> TestResult {
    let mut rng = param_rng();
    let mut gen = Generator::new(8);
    for use_a in [true, false] {
        for dims in [2, 4] {
            for mode in [FanMode::FanIn, FanMode::FanOut] {
                let t = random_nd_tensor(&mut rng, dims, 20, 25);
                let a = if use_a {
                    random_float(&mut rng, 0.1, 2.0)
                } else {
                    0.0
                };
                init_core::kaiming_normal(&t, a, mode, Nonlinearity::LEAKY_RELU, &mut gen)?;
                let (fan_in, fan_out) = test_fans(&t);
                let n = if mode == FanMode::FanIn {
                    fan_in
                } else {
                    fan_out
                };
                let std = (2.0 / ((1.0 + a * a) * n)).sqrt();
                assert_normal(
                    &format!("kaiming_normal {:?} a {a} {mode:?}", t.dims()),
                    &values(&t),
                    0.0,
                    std,
                );
            }
        }
    }
    Ok(())
}

#[test]
fn test_sparse_only_works_on_2d_inputs() {
    let mut rng = param_rng();
    for dims in [1, 3] {
        let sparsity = random_float(&mut rng, 0.1, 0.9);
        let t = random_nd_tensor(&mut rng, dims, 1, 3);
        let err = init_core::sparse(&t, sparsity, 0.01, &mut Generator::new(0)).unwrap_err();
        assert!(matches!(err, InitError::Rank { .. }), "{err}");
    }
}

#[test]
fn test_sparse_default_std() -> TestResult {
    let mut rng = param_rng();
    let mut gen = Generator::new(9);
    for use_random_std in [true, false] {
        let t = random_nd_tensor(&mut rng, 2, 30, 35);
        let rows = t.dims()[0];
        let sparsity = random_float(&mut rng, 0.1, 0.2);
        let std = if use_random_std {
            let std = random_float(&mut rng, 0.01, 0.2);
            init_core::sparse(&t, sparsity, std, &mut gen)?;
            std
        } else {
            Init::sparse(sparsity).apply(&t, &mut gen)?;
            0.01 // PyTorch's default
        };
        let expected_zeros = (sparsity * rows as f64).ceil() as usize;
        for col in 0..t.dims()[1] {
            let column = values(&t.i((.., col))?);
            let zeros = column.iter().filter(|&&x| x == 0.0).count();
            // PyTorch asserts >=; the other values are normal, so exactly that many are 0.
            assert_eq!(zeros, expected_zeros, "column {col}");
        }
        let nonzero: Vec<f64> = values(&t).into_iter().filter(|&x| x != 0.0).collect();
        assert_normal(&format!("sparse std {std}"), &nonzero, 0.0, std);
    }
    Ok(())
}

/// max |W W^T - gain^2 I| (or W^T W when W is tall), W the tensor viewed as (rows, cols).
fn orthogonality_error(t: &Tensor, gain: f64) -> f64 {
    let rows = t.dims()[0];
    common::orthogonality_error(rows, t.elem_count() / rows, &values(t), gain)
}

#[test]
fn test_orthogonal() -> TestResult {
    let mut rng = param_rng();
    let mut gen = Generator::new(10);
    for use_gain in [true, false] {
        for size in [&[3, 4][..], &[4, 3], &[20, 2, 3, 4], &[2, 3, 4, 5]] {
            let gain = if use_gain {
                random_float(&mut rng, 0.1, 2.0)
            } else {
                1.0
            };
            for (dtype, atol) in [(DType::F32, 1e-6), (DType::F64, 1e-13)] {
                let t = Tensor::zeros(size, dtype, &Device::Cpu)?;
                init_core::orthogonal(&t, gain, &mut gen)?;
                let err = orthogonality_error(&t, gain);
                // PyTorch: atol 1e-6 in f32; scaled by gain^2 for gains above 1.
                assert!(
                    err <= atol * gain.max(1.0).powi(2),
                    "{size:?} {dtype:?} gain {gain}: |W W^T - gain^2 I| = {err:e}"
                );
            }
        }
    }
    Ok(())
}

// PyTorch's `test_deprecation` checks that its old aliases without a trailing underscore warn.
// This API has no aliases to deprecate: one name per initializer, PyTorch's without the
// underscore. In its place: `Init::name` and the serialized `kind` agree, and round trip.
#[test]
fn one_name_per_initializer() -> TestResult {
    let cases = [
        (Init::uniform(), "uniform"),
        (Init::normal(), "normal"),
        (Init::trunc_normal(), "trunc_normal"),
        (Init::Constant { value: 1.0 }, "constant"),
        (Init::Zeros, "zeros"),
        (Init::Ones, "ones"),
        (Init::Eye, "eye"),
        (Init::dirac(), "dirac"),
        (Init::xavier_uniform(), "xavier_uniform"),
        (Init::xavier_normal(), "xavier_normal"),
        (Init::kaiming_uniform(), "kaiming_uniform"),
        (Init::kaiming_normal(), "kaiming_normal"),
        (Init::orthogonal(), "orthogonal"),
        (Init::sparse(0.1), "sparse"),
    ];
    for (init, name) in cases {
        assert_eq!(init.name(), name);
        let json = serde_json::to_value(&init)?;
        assert_eq!(json["kind"], name, "{json}");
        let back: Init = serde_json::from_value(json)?;
        assert_eq!(back, init);
    }
    Ok(())
}

// =============================================================================================
// TestNNInitDeviceType (CPU instances)
// =============================================================================================

/// `input.min() >= a` and `input.max() <= b` at the tensor's precision as PyTorch checks, and
/// (PyTorch >= 2.12 semantics, stated in its docs) never a bound itself.
fn assert_strictly_inside(v: &[f64], a: f64, b: f64, what: &str) {
    for &x in v {
        assert!(x.is_finite(), "{what}: non-finite value {x}");
        assert!(
            a < x && x < b,
            "{what}: value {x} not in the open interval ({a}, {b})"
        );
    }
}

fn trunc_normal_all_dtypes(dims: usize, dtype: DType, seed: u64) -> TestResult {
    let mut rng = StdRng::seed_from_u64(123 + dims as u64);
    let size: Vec<usize> = (0..dims).map(|_| rng.random_range(30..=50)).collect();
    let t = Tensor::zeros(size, dtype, &Device::Cpu)?;
    let mean = rng.random_range(-3.0..3.0);
    let std = rng.random_range(0.01..1.0);
    let a = rng.random_range(mean - 2.0 * std..mean);
    let b = rng.random_range(mean..mean + 2.0 * std);
    init_core::trunc_normal(&t, mean, std, a, b, &mut Generator::new(seed))?;
    let v = values(&t);
    let what = format!("trunc_normal {dims}-D {dtype:?} ({mean}, {std}, {a}, {b})");
    assert_strictly_inside(&v, a, b, &what);
    assert_trunc_normal(&what, &v, mean, std, a, b);
    Ok(())
}

#[test]
fn test_trunc_normal_all_dtypes_dims_1_float32() -> TestResult {
    trunc_normal_all_dtypes(1, DType::F32, 11)
}

#[test]
fn test_trunc_normal_all_dtypes_dims_1_float64() -> TestResult {
    trunc_normal_all_dtypes(1, DType::F64, 12)
}

#[test]
fn test_trunc_normal_all_dtypes_dims_2_float32() -> TestResult {
    trunc_normal_all_dtypes(2, DType::F32, 13)
}

#[test]
fn test_trunc_normal_all_dtypes_dims_2_float64() -> TestResult {
    trunc_normal_all_dtypes(2, DType::F64, 14)
}

#[test]
fn test_trunc_normal_all_dtypes_dims_4_float32() -> TestResult {
    trunc_normal_all_dtypes(4, DType::F32, 15)
}

#[test]
fn test_trunc_normal_all_dtypes_dims_4_float64() -> TestResult {
    trunc_normal_all_dtypes(4, DType::F64, 16)
}

fn trunc_normal_fixed(
    dtype: DType,
    (mean, std, a, b): (f64, f64, f64, f64),
    seed: u64,
) -> TestResult {
    let t = Tensor::zeros(10_000, dtype, &Device::Cpu)?;
    init_core::trunc_normal(&t, mean, std, a, b, &mut Generator::new(seed))?;
    let v = values(&t);
    let what = format!("trunc_normal {dtype:?} ({mean}, {std}, {a}, {b})");
    assert_strictly_inside(&v, a, b, &what);
    assert_trunc_normal(&what, &v, mean, std, a, b);
    Ok(())
}

#[test]
fn test_trunc_normal_low_precision_float16() -> TestResult {
    trunc_normal_fixed(DType::F16, (0.0, 1.0, -2.0, 2.0), 21)
}

#[test]
fn test_trunc_normal_low_precision_bfloat16() -> TestResult {
    trunc_normal_fixed(DType::BF16, (0.0, 1.0, -2.0, 2.0), 22)
}

#[test]
fn test_trunc_normal_narrow_interval_float32() -> TestResult {
    trunc_normal_fixed(DType::F32, (0.0, 1.0, 2.0, 3.0), 23)
}

#[test]
fn test_trunc_normal_narrow_interval_float64() -> TestResult {
    trunc_normal_fixed(DType::F64, (0.0, 1.0, 2.0, 3.0), 24)
}

#[test]
fn test_trunc_normal_narrow_interval_float16() -> TestResult {
    trunc_normal_fixed(DType::F16, (0.0, 1.0, 2.0, 3.0), 25)
}

fn trunc_normal_unique_values(dtype: DType, min_unique: usize) -> TestResult {
    let t = Tensor::zeros(10_000, dtype, &Device::Cpu)?;
    init_core::trunc_normal(&t, 0.0, 1.0, -2.0, 2.0, &mut Generator::new(31))?;
    let v = values(&t);
    assert_strictly_inside(&v, -2.0, 2.0, &format!("{dtype:?}"));
    let mut sorted: Vec<u64> = v.iter().map(|x| x.to_bits()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    assert!(
        sorted.len() > min_unique,
        "{dtype:?}: only {} unique values, expected > {min_unique}",
        sorted.len()
    );
    Ok(())
}

#[test]
fn test_trunc_normal_unique_values_float32_5000() -> TestResult {
    trunc_normal_unique_values(DType::F32, 5000)
}

#[test]
fn test_trunc_normal_unique_values_float64_5000() -> TestResult {
    trunc_normal_unique_values(DType::F64, 5000)
}

#[test]
fn test_trunc_normal_unique_values_float16_3000() -> TestResult {
    trunc_normal_unique_values(DType::F16, 3000)
}

#[test]
fn test_trunc_normal_unique_values_bfloat16_1000() -> TestResult {
    trunc_normal_unique_values(DType::BF16, 1000)
}

fn trunc_normal_no_boundary_values_small_std(dtype: DType) -> TestResult {
    let t = Tensor::zeros(10_000, dtype, &Device::Cpu)?;
    init_core::trunc_normal(&t, 0.0, 0.1, -2.0, 2.0, &mut Generator::new(41))?;
    let v = values(&t);
    let at_lower = v.iter().filter(|&&x| x == -2.0).count();
    let at_upper = v.iter().filter(|&&x| x == 2.0).count();
    assert_eq!(at_lower, 0, "{dtype:?}: values at the lower bound");
    assert_eq!(at_upper, 0, "{dtype:?}: values at the upper bound");
    assert_strictly_inside(&v, -2.0, 2.0, &format!("{dtype:?}"));
    assert_trunc_normal(&format!("{dtype:?} std 0.1"), &v, 0.0, 0.1, -2.0, 2.0);
    Ok(())
}

#[test]
fn test_trunc_normal_no_boundary_values_small_std_float32() -> TestResult {
    trunc_normal_no_boundary_values_small_std(DType::F32)
}

#[test]
fn test_trunc_normal_no_boundary_values_small_std_float64() -> TestResult {
    trunc_normal_no_boundary_values_small_std(DType::F64)
}

#[test]
fn test_trunc_normal_no_boundary_values_small_std_float16() -> TestResult {
    trunc_normal_no_boundary_values_small_std(DType::F16)
}

#[test]
fn test_trunc_normal_no_boundary_values_small_std_bfloat16() -> TestResult {
    trunc_normal_no_boundary_values_small_std(DType::BF16)
}

// =============================================================================================
// The test helpers themselves: a KS test that cannot reject is worth nothing.
// =============================================================================================

mod helpers {
    use super::common::*;

    #[test]
    fn distribution_functions_match_reference_values() {
        // Reference values: erf/erfc from the C library (Python's math module), the
        // Kolmogorov survival function from its two series (agreeing to 1e-15).
        for (x, e) in [
            (0.5, 0.5204998778130465),
            (1.0, 0.8427007929497149),
            (2.5, 0.999593047982555),
        ] {
            assert!((erf(x) - e).abs() < 1e-15, "erf({x})");
        }
        for (x, e) in [
            (3.0, 2.2090496998585438e-05),
            (5.0, 1.5374597944280351e-12),
            (10.0, 2.088487583762545e-45),
        ] {
            assert!((erfc(x) / e - 1.0).abs() < 1e-13, "erfc({x}) = {}", erfc(x));
        }
        assert!((std_normal_cdf(-2.0) / 0.02275013194817922 - 1.0).abs() < 1e-13);
        assert!((std_normal_sf(6.0) / 9.865876450377012e-10 - 1.0).abs() < 1e-12);
        for (x, p) in [
            (0.5, 0.9639452436648751),
            (1.0, 0.26999967167735456),
            (2.0, 0.0006709252557796953),
        ] {
            assert!((kolmogorov_sf(x) - p).abs() < 1e-14, "kolmogorov_sf({x})");
        }
        // The truncated CDF: 0 and 1 at the bounds, the median of the symmetric case at 0, and
        // the far tail without cancellation.
        assert_eq!(trunc_normal_cdf(-2.0, 0.0, 1.0, -2.0, 2.0), 0.0);
        assert_eq!(trunc_normal_cdf(2.0, 0.0, 1.0, -2.0, 2.0), 1.0);
        assert!((trunc_normal_cdf(0.0, 0.0, 1.0, -2.0, 2.0) - 0.5).abs() < 1e-15);
        let mirrored = trunc_normal_cdf(2.5, 0.0, 1.0, 2.0, 3.0)
            + trunc_normal_cdf(-2.5, 0.0, 1.0, -3.0, -2.0);
        assert!((mirrored - 1.0).abs() < 1e-13);
    }

    #[test]
    fn ks_accepts_exact_quantiles_and_rejects_wrong_distributions() {
        let n = 2000;
        let uniform: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
        assert!(ks_pvalue(&uniform, |x| uniform_cdf(x, 0.0, 1.0)) > 0.99);
        // The same points against a slightly different uniform, and a normal: rejected.
        assert!(ks_pvalue(&uniform, |x| uniform_cdf(x, 0.0, 1.1)) < KS_THRESHOLD);
        assert!(ks_pvalue(&uniform, |x| normal_cdf(x, 0.5, 0.15)) < KS_THRESHOLD);
        // Normal quantiles (by bisection of the CDF) against a normal with a 30% larger std.
        let quantile = |p: f64| {
            let (mut lo, mut hi) = (-10.0, 10.0);
            for _ in 0..100 {
                let mid = 0.5 * (lo + hi);
                if std_normal_cdf(mid) < p {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            0.5 * (lo + hi)
        };
        let normal: Vec<f64> = uniform.iter().map(|&p| quantile(p)).collect();
        assert!(ks_pvalue(&normal, |x| normal_cdf(x, 0.0, 1.0)) > 0.99);
        assert!(ks_pvalue(&normal, |x| normal_cdf(x, 0.0, 1.3)) < KS_THRESHOLD);
    }
}
