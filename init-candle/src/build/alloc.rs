//! Fresh tensors whose memory is not touched until the initializer (or the checkpoint's
//! decoder) writes it, so each page is touched once, by the thread that writes it.

use candle_core::{DType, Device, Shape, Var};

use crate::error::Result;

/// A vector of `n` zeros from a zeroed allocation (pages not touched yet).
pub(crate) trait ZeroedVec: Sized {
    fn zeroed(n: usize) -> Vec<Self>;
}

impl ZeroedVec for f32 {
    fn zeroed(n: usize) -> Vec<f32> {
        vec![0.0; n]
    }
}

impl ZeroedVec for f64 {
    fn zeroed(n: usize) -> Vec<f64> {
        vec![0.0; n]
    }
}

impl ZeroedVec for half::bf16 {
    fn zeroed(n: usize) -> Vec<half::bf16> {
        use half::vec::HalfBitsVecExt;
        vec![0u16; n].reinterpret_into()
    }
}

impl ZeroedVec for half::f16 {
    fn zeroed(n: usize) -> Vec<half::f16> {
        use half::vec::HalfBitsVecExt;
        vec![0u16; n].reinterpret_into()
    }
}

/// A zero variable that has not touched its memory yet: on the CPU, zeroed pages from the
/// allocator (`calloc`). (candle's own `zeros` for bf16/f16 writes every element: a
/// `vec![bf16::ZERO; n]` is not a zeroed allocation.) Elsewhere, candle's `zeros`.
pub(crate) fn fresh(dims: &[usize], dtype: DType, dev: &Device) -> Result<Var> {
    let n: usize = dims.iter().product();
    let shape = Shape::from(dims.to_vec());
    if !dev.is_cpu() {
        return Ok(Var::zeros(shape, dtype, dev)?);
    }
    Ok(match dtype {
        DType::F32 => Var::from_vec(f32::zeroed(n), shape, dev)?,
        DType::F64 => Var::from_vec(f64::zeroed(n), shape, dev)?,
        DType::BF16 => Var::from_vec(half::bf16::zeroed(n), shape, dev)?,
        DType::F16 => Var::from_vec(half::f16::zeroed(n), shape, dev)?,
        _ => Var::zeros(shape, dtype, dev)?,
    })
}
