//! Helpers shared by init-core's integration tests: the statistics of `init-testkit`, tensor
//! read-back and a logger that captures warnings.
//!
//! Every test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::cell::RefCell;

use candle_core::{DType, Tensor};

#[allow(unused_imports)] // each test binary uses a different subset
pub use init_testkit::*;

// ---------------------------------------------------------------------------------------------
// Tensors
// ---------------------------------------------------------------------------------------------

/// A tensor's values in logical (row-major) order, as f64 (exact for every float dtype).
pub fn values(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .and_then(|t| t.to_dtype(DType::F64))
        .and_then(|t| t.to_vec1::<f64>())
        .expect("reading a tensor back")
}

/// A float tensor's values as bit patterns, for byte-exact comparisons.
pub fn bits(t: &Tensor) -> Vec<u64> {
    let flat = t.flatten_all().expect("flatten");
    match t.dtype() {
        DType::F32 => flat
            .to_vec1::<f32>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits() as u64)
            .collect(),
        DType::F64 => flat
            .to_vec1::<f64>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect(),
        DType::F16 => flat
            .to_vec1::<half::f16>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits() as u64)
            .collect(),
        DType::BF16 => flat
            .to_vec1::<half::bf16>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits() as u64)
            .collect(),
        DType::U8 => flat
            .to_vec1::<u8>()
            .unwrap()
            .iter()
            .map(|&v| v as u64)
            .collect(),
        DType::U32 => flat
            .to_vec1::<u32>()
            .unwrap()
            .iter()
            .map(|&v| v as u64)
            .collect(),
        DType::I16 => flat
            .to_vec1::<i16>()
            .unwrap()
            .iter()
            .map(|&v| v as u64)
            .collect(),
        DType::I32 => flat
            .to_vec1::<i32>()
            .unwrap()
            .iter()
            .map(|&v| v as u64)
            .collect(),
        DType::I64 => flat
            .to_vec1::<i64>()
            .unwrap()
            .iter()
            .map(|&v| v as u64)
            .collect(),
        other => panic!("bits: unexpected dtype {other:?}"),
    }
}

/// A CPU tensor of `dims` holding 0.5, 1.5, 2.5, ... (distinct, exactly representable in every
/// float dtype for the sizes used here), to see whether an initializer wrote anything.
pub fn marked(dims: &[usize], dtype: DType) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (i % 1000) as f64 + 0.5).collect();
    Tensor::from_vec(v, dims, &candle_core::Device::Cpu)
        .and_then(|t| t.to_dtype(dtype))
        .expect("marked tensor")
}

pub const FLOAT_DTYPES: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::BF16];
pub const INT_DTYPES: [DType; 5] = [DType::U8, DType::U32, DType::I16, DType::I32, DType::I64];

// ---------------------------------------------------------------------------------------------
// Warnings
// ---------------------------------------------------------------------------------------------

thread_local! {
    static WARNINGS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A logger that records warnings per thread (init-core validates, and so warns, on the
/// calling thread), so that tests running in parallel do not see each other's warnings.
struct Capture;

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            WARNINGS.with(|w| w.borrow_mut().push(record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture;

/// Runs `f` and returns its result with the warnings it logged on this thread.
pub fn capture_warnings<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&CAPTURE).expect("no other logger in the test binary");
        log::set_max_level(log::LevelFilter::Warn);
    });
    WARNINGS.with(|w| w.borrow_mut().clear());
    let out = f();
    let warnings = WARNINGS.with(|w| std::mem::take(&mut *w.borrow_mut()));
    (out, warnings)
}
