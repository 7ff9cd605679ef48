//! JAX/Flax's initializers (`jax.nn.initializers`, re-exported by `flax.linen.initializers`):
//! `variance_scaling` and its named instances against the exact laws JAX's source defines
//! (Kolmogorov-Smirnov), with fans counted here by hand from each shape; `orthogonal`'s
//! `column_axis`; `delta_orthogonal`'s centre tap; and their errors.

mod common;

use candle_core::{DType, Device, IndexOp, Tensor};
use init_core::{Arg, Axes, Distribution, Generator, Init, InitError, VarianceMode};

use common::{
    assert_normal, assert_trunc_normal, assert_uniform, bits, orthogonality_error, values,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The std of a standard normal conditioned on (-2, 2) (jax/_src/nn/initializers.py).
const TRUNCATED_STD: f64 = 0.879_625_661_034_239_8;

/// Checks the values of `init` on `dims` against `distribution` with variance `variance`.
fn assert_law(init: &Init, dims: &[usize], variance: f64, seed: u64) -> TestResult {
    let t = Tensor::zeros(dims, DType::F64, &Device::Cpu)?;
    init.apply(&t, &mut Generator::new(seed))?;
    let v = values(&t);
    let what = format!("{init} on {dims:?}");
    let Init::VarianceScaling { distribution, .. } = init else {
        panic!("{what}: not variance_scaling");
    };
    let std = variance.sqrt();
    match distribution {
        Distribution::TruncatedNormal => {
            let s = std / TRUNCATED_STD;
            assert_trunc_normal(&what, &v, 0.0, s, -2.0 * s, 2.0 * s);
        }
        Distribution::Normal => assert_normal(&what, &v, 0.0, std),
        Distribution::Uniform => {
            let bound = (3.0 * variance).sqrt();
            assert_uniform(&what, &v, -bound, bound);
        }
    }
    assert!(
        (init.expected_std(dims).unwrap() - std).abs() < 1e-12 * std,
        "{what}: expected_std"
    );
    Ok(())
}

#[test]
fn named_instances_have_jax_laws_on_pytorch_layout() -> TestResult {
    // A candle Linear weight (out 96, in 80) and a conv kernel (out 32, in 16, 3, 3).
    let dense = [96, 80];
    let conv = [32, 16, 3, 3];
    let (dense_in, dense_out) = (80.0, 96.0);
    let (conv_in, conv_out) = (16.0 * 9.0, 32.0 * 9.0);
    type Fan = fn(f64, f64) -> f64;
    let cases: [(Init, f64, Fan); 6] = [
        (Init::lecun_normal(), 1.0, |i, _| i),
        (Init::lecun_uniform(), 1.0, |i, _| i),
        (Init::he_normal(), 2.0, |i, _| i),
        (Init::he_uniform(), 2.0, |i, _| i),
        (Init::glorot_normal(), 1.0, |i, o| (i + o) / 2.0),
        (Init::glorot_uniform(), 1.0, |i, o| (i + o) / 2.0),
    ];
    for (seed, (init, scale, fan)) in cases.into_iter().enumerate() {
        assert_law(&init, &dense, scale / fan(dense_in, dense_out), seed as u64)?;
        assert_law(
            &init,
            &conv,
            scale / fan(conv_in, conv_out),
            seed as u64 + 100,
        )?;
    }
    Ok(())
}

#[test]
fn every_mode_and_distribution_on_every_kind_of_axes() -> TestResult {
    let modes = [
        VarianceMode::FanIn,
        VarianceMode::FanOut,
        VarianceMode::FanAvg,
        VarianceMode::FanGeoAvg,
    ];
    let distributions = [
        Distribution::TruncatedNormal,
        Distribution::Normal,
        Distribution::Uniform,
    ];
    // (shape, in_axis, out_axis, batch_axis, fan_in, fan_out)
    type Layout<'a> = (&'a [usize], Axes, Axes, Axes, f64, f64);
    let layouts: [Layout; 4] = [
        // JAX's own conv layout (kh, kw, in, out) with JAX's default axes.
        (
            &[3, 3, 16, 32],
            Axes::one(-2),
            Axes::one(-1),
            Axes::NONE,
            144.0,
            288.0,
        ),
        // A batch of 4 Dense kernels (in 16, out 32): the batch axis is no receptive field.
        (
            &[4, 16, 32],
            Axes::one(1),
            Axes::one(2),
            Axes::one(0),
            16.0,
            32.0,
        ),
        // Axes as lists: the input is two axes (8 x 6), the output one.
        (
            &[8, 6, 20],
            Axes::from_array([0, 1]),
            Axes::one(2),
            Axes::NONE,
            48.0,
            20.0,
        ),
        // A (out 1, in 500) weight: fan_out 1.
        (
            &[1, 500],
            Axes::one(1),
            Axes::one(0),
            Axes::NONE,
            500.0,
            1.0,
        ),
    ];
    let mut seed = 1000;
    for (dims, in_axis, out_axis, batch_axis, fan_in, fan_out) in layouts {
        for mode in modes {
            for distribution in distributions {
                let scale = 1.5;
                let init = Init::VarianceScaling {
                    scale,
                    mode,
                    distribution,
                    in_axis,
                    out_axis,
                    batch_axis,
                };
                let n = match mode {
                    VarianceMode::FanIn => fan_in,
                    VarianceMode::FanOut => fan_out,
                    VarianceMode::FanAvg => (fan_in + fan_out) / 2.0,
                    VarianceMode::FanGeoAvg => (fan_in * fan_out).sqrt(),
                };
                seed += 1;
                assert_law(&init, dims, scale / n, seed)?;
            }
        }
    }
    Ok(())
}

#[test]
fn instances_are_named_by_the_table_and_round_trip() -> TestResult {
    let cases = [
        (Init::lecun_normal(), "lecun_normal"),
        (Init::lecun_uniform(), "lecun_uniform"),
        (Init::he_normal(), "he_normal"),
        (Init::he_uniform(), "he_uniform"),
        (Init::glorot_normal(), "glorot_normal"),
        (Init::glorot_uniform(), "glorot_uniform"),
        (Init::delta_orthogonal(), "delta_orthogonal"),
        (
            Init::variance_scaling(0.5, VarianceMode::FanOut, Distribution::Normal),
            "variance_scaling",
        ),
    ];
    for (init, name) in cases {
        assert_eq!(init.name(), name);
        assert_eq!(Init::from_args(name, &init.args())?, init, "{name}");
        let json = serde_json::to_value(&init)?;
        let back: Init = serde_json::from_value(json.clone())?;
        assert_eq!(back, init, "{json}");
    }
    // The instance is the general row with its values: one value, two names for it.
    assert_eq!(Init::from_args("he_uniform", &[])?, Init::he_uniform());
    let general = Init::from_args(
        "variance_scaling",
        &[
            ("scale", 2.0.into()),
            ("mode", "fan_in".into()),
            ("distribution", "uniform".into()),
        ],
    )?;
    assert_eq!(general, Init::he_uniform());
    assert_eq!(
        general.to_string(),
        "he_uniform(in_axis=1, out_axis=0, batch_axis=[])"
    );
    assert_eq!(
        Init::variance_scaling(0.5, VarianceMode::FanGeoAvg, Distribution::Normal).to_string(),
        "variance_scaling(scale=0.5, mode=fan_geo_avg, distribution=normal, in_axis=1, \
         out_axis=0, batch_axis=[])"
    );
    // JAX's axes in a config: one axis as an integer, several as a list.
    let json = r#"{"kind": "variance_scaling", "scale": 1.0, "mode": "fan_avg",
        "distribution": "truncated_normal", "in_axis": -2, "out_axis": -1, "batch_axis": [0]}"#;
    let init: Init = serde_json::from_str(json)?;
    assert_eq!(
        init,
        Init::glorot_normal()
            .with_axes(Axes::one(-2), Axes::one(-1), Axes::one(0))
            .unwrap()
    );
    let args = [
        ("in_axis", Arg::Int(-2)),
        ("out_axis", Arg::Int(-1)),
        ("batch_axis", Arg::Axes(Axes::one(0))),
    ];
    assert_eq!(Init::from_args("glorot_normal", &args)?, init);
    // A config written before column_axis existed is PyTorch's orthogonal.
    let old: Init = serde_json::from_str(r#"{"kind": "orthogonal", "gain": 2.0}"#)?;
    assert_eq!(
        old,
        Init::Orthogonal {
            gain: 2.0,
            column_axis: 0
        }
    );
    Ok(())
}

/// The tensor with `axis` moved to the front, as a (size(axis), rest) row-major matrix.
fn rows_along(t: &Tensor, axis: usize) -> candle_core::Result<(usize, usize, Vec<f64>)> {
    let rows = t.dims()[axis];
    let moved = t.transpose(0, axis)?;
    // transpose(0, axis) keeps the other axes in order only when axis is 0 or 1; move it
    // step by step otherwise.
    let moved = if axis > 1 {
        let mut m = t.clone();
        for a in (0..axis).rev() {
            m = m.transpose(a, a + 1)?;
        }
        m
    } else {
        moved
    };
    let flat = moved.contiguous()?.reshape((rows, ()))?;
    let cols = flat.dims()[1];
    Ok((rows, cols, values(&flat)))
}

#[test]
fn orthogonal_column_axis_makes_that_axis_the_rows() -> TestResult {
    for (dims, axis) in [
        (&[4usize, 6, 5][..], 1i64),
        (&[4, 6, 5], -1),
        (&[3, 3, 8, 16], -1), // a JAX conv kernel: output channels orthonormal
        (&[3, 3, 16, 8], 3),
        (&[10, 3], 1),
    ] {
        let t = Tensor::zeros(dims, DType::F64, &Device::Cpu)?;
        let init = Init::Orthogonal {
            gain: 0.5,
            column_axis: axis,
        };
        init.apply(&t, &mut Generator::new(3))?;
        let index = if axis < 0 {
            dims.len() as i64 + axis
        } else {
            axis
        } as usize;
        let (rows, cols, m) = rows_along(&t, index)?;
        let err = orthogonality_error(rows, cols, &m, 0.5);
        assert!(err < 1e-12, "{dims:?} column_axis {axis}: {err:e}");
    }
    // column_axis 0 is PyTorch's orthogonal, bit for bit; -1 and rank - 1 are one axis.
    let a = Tensor::zeros((6, 4, 3), DType::F32, &Device::Cpu)?;
    let b = Tensor::zeros((6, 4, 3), DType::F32, &Device::Cpu)?;
    init_core::orthogonal(&a, 1.0, &mut Generator::new(9))?;
    Init::orthogonal().apply(&b, &mut Generator::new(9))?;
    assert_eq!(bits(&a), bits(&b));
    let c = Tensor::zeros((6, 4, 3), DType::F32, &Device::Cpu)?;
    let d = Tensor::zeros((6, 4, 3), DType::F32, &Device::Cpu)?;
    Init::Orthogonal {
        gain: 1.0,
        column_axis: -1,
    }
    .apply(&c, &mut Generator::new(9))?;
    Init::Orthogonal {
        gain: 1.0,
        column_axis: 2,
    }
    .apply(&d, &mut Generator::new(9))?;
    assert_eq!(bits(&c), bits(&d));
    assert_ne!(bits(&a), bits(&c));
    Ok(())
}

#[test]
fn delta_orthogonal_is_an_orthogonal_centre_tap() -> TestResult {
    // (shape, centre tap): JAX's centre is (k - 1) / 2, so an even kernel's is before the middle.
    let cases: [(&[usize], &[usize]); 4] = [
        (&[32, 16, 3, 3], &[1, 1]),
        (&[16, 16, 4, 4], &[1, 1]),
        (&[8, 8, 3], &[1]),
        (&[8, 4, 3, 3, 3], &[1, 1, 1]),
    ];
    for (dims, centre) in cases {
        for (dtype, atol) in [(DType::F64, 1e-12), (DType::F32, 1e-5)] {
            let t = Tensor::zeros(dims, dtype, &Device::Cpu)?;
            init_core::delta_orthogonal(&t, 2.0, &mut Generator::new(4))?;
            let mut tap = t.clone();
            for &c in centre {
                tap = tap.i((.., .., c))?;
            }
            let tap = tap.to_dtype(DType::F64)?;
            let (out, inputs) = (dims[0], dims[1]);
            let err = orthogonality_error(out, inputs, &values(&tap), 2.0);
            assert!(err < atol * 4.0, "{dims:?} {dtype:?}: {err:e}");
            // Everything else is zero.
            let total: f64 = values(&t).iter().map(|x| x * x).sum();
            let at_tap: f64 = values(&tap).iter().map(|x| x * x).sum();
            assert!(
                (total - at_tap).abs() < 1e-9 * total,
                "{dims:?}: writes off the tap"
            );
            assert!(
                (at_tap - 4.0 * inputs as f64).abs() < atol * 1e3,
                "{dims:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn jax_errors_are_errors_before_any_write() -> TestResult {
    let cases: Vec<(Init, &[usize], &str)> = vec![
        // JAX: "`fan_in` must be less or equal than `fan_out`".
        (
            Init::delta_orthogonal(),
            &[8, 16, 3, 3],
            "must be <= its out_channels",
        ),
        // JAX: "Delta orthogonal initializer requires a 3D, 4D or 5D shape".
        (Init::delta_orthogonal(), &[8, 8], "3, 4, or 5 dimensions"),
        // JAX: "orthogonal initializer requires at least a 2D shape".
        (
            Init::Orthogonal {
                gain: 1.0,
                column_axis: 0,
            },
            &[8],
            "2 or more dimensions",
        ),
        (
            Init::Orthogonal {
                gain: 1.0,
                column_axis: -3,
            },
            &[8, 8],
            "outside a tensor",
        ),
        // JAX: "Can't compute input and output sizes of a 1-dimensional weights tensor".
        (Init::lecun_normal(), &[8], "2 or more dimensions"),
        (
            Init::lecun_normal()
                .with_axes(Axes::one(2), Axes::one(0), Axes::NONE)
                .unwrap(),
            &[8, 8],
            "outside a tensor",
        ),
        (
            Init::lecun_normal()
                .with_axes(Axes::one(1), Axes::one(1), Axes::NONE)
                .unwrap(),
            &[8, 8],
            "named twice",
        ),
        (
            Init::lecun_normal()
                .with_axes(Axes::one(1), Axes::one(0), Axes::one(-1))
                .unwrap(),
            &[8, 8],
            "named twice",
        ),
        (
            Init::variance_scaling(0.0, VarianceMode::FanIn, Distribution::Uniform),
            &[8, 8],
            "finite number > 0",
        ),
    ];
    for (init, dims, message) in cases {
        let t = Tensor::full(7f32, dims, &Device::Cpu)?;
        let before = bits(&t);
        let err = init.apply(&t, &mut Generator::new(0)).unwrap_err();
        assert!(
            err.to_string().contains(message),
            "{init} on {dims:?}: {err}"
        );
        assert!(init.validate(dims, DType::F32).is_err());
        assert_eq!(bits(&t), before, "{init} wrote before failing");
    }
    let err = Init::from_args("variance_scaling", &[("mode", "fan_in".into())]).unwrap_err();
    assert!(matches!(err, InitError::InvalidArgs(_)), "{err}");
    assert!(err.to_string().contains("requires `distribution`"), "{err}");
    Ok(())
}
