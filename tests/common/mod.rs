//! Shared helpers of the integration tests: a VarMap-backed `VarBuilder`, tensor read-back, and
//! the Kolmogorov-Smirnov test of `init-testkit` (PyTorch's statistic and threshold, p > 1e-4).

#![allow(dead_code)]

pub mod facts;

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

/// The CDF of N(mean, std^2), as a function of x.
pub fn normal_cdf(mean: f64, std: f64) -> impl Fn(f64) -> f64 {
    move |x| init_testkit::normal_cdf(x, mean, std)
}

/// The CDF of U(low, high), as a function of x.
pub fn uniform_cdf(low: f64, high: f64) -> impl Fn(f64) -> f64 {
    move |x| init_testkit::uniform_cdf(x, low, high)
}

#[allow(unused_imports)] // not every test file KS-tests
pub use init_testkit::assert_ks;

/// A fresh directory for one test's files (checkpoints), named after the test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("init-candle-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}
