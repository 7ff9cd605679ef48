//! Shared helpers of the integration tests: a VarMap-backed `VarBuilder` and a one-sample
//! Kolmogorov-Smirnov test (the statistic PyTorch's own `test/nn/test_init.py` uses, with the
//! same acceptance threshold p > 1e-4).

#![allow(dead_code)]

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};

pub fn varmap() -> (VarMap, VarBuilder<'static>) {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    (varmap, vb)
}

pub fn values(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .and_then(|t| t.to_dtype(DType::F64))
        .and_then(|t| t.to_vec1::<f64>())
        .expect("tensor values")
}

/// erf with |error| < 1.2e-7 (Numerical Recipes' erfc Chebyshev fit).
pub fn erf(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - erfc
    } else {
        erfc - 1.0
    }
}

pub fn normal_cdf(mean: f64, std: f64) -> impl Fn(f64) -> f64 {
    move |x| 0.5 * (1.0 + erf((x - mean) / (std * std::f64::consts::SQRT_2)))
}

pub fn uniform_cdf(low: f64, high: f64) -> impl Fn(f64) -> f64 {
    move |x| ((x - low) / (high - low)).clamp(0.0, 1.0)
}

/// The p-value of the one-sample KS test of `sample` against `cdf`.
pub fn ks_pvalue(sample: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut xs = sample.to_vec();
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        let f = cdf(x);
        d = d.max((i as f64 + 1.0) / n - f).max(f - i as f64 / n);
    }
    // Kolmogorov distribution with Stephens' small-sample correction.
    let lambda = (n.sqrt() + 0.12 + 0.11 / n.sqrt()) * d;
    let mut q = 0.0;
    for k in 1..=100 {
        let k = k as f64;
        let term = 2.0 * (-1f64).powi(k as i32 - 1) * (-2.0 * k * k * lambda * lambda).exp();
        q += term;
        if term.abs() < 1e-12 {
            break;
        }
    }
    q.clamp(0.0, 1.0)
}

/// Asserts the KS test accepts at p > 1e-4.
pub fn assert_ks(what: &str, sample: &[f64], cdf: impl Fn(f64) -> f64) {
    let p = ks_pvalue(sample, cdf);
    assert!(
        p > 1e-4,
        "{what}: KS p-value {p:.3e} <= 1e-4 over {} values",
        sample.len()
    );
}
