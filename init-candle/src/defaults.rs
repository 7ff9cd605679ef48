//! PyTorch's default initializers (`reset_parameters`) as [`Init`] values.

use candle_core::Tensor;
use init_core::{calculate_fan_in_and_fan_out, Init};

use crate::error::Result;

/// `U(-b, b)` with `b = 1/sqrt(fan_in)` of `weight` (zeros when `fan_in == 0`, as PyTorch).
///
/// This is PyTorch's Linear / Conv / ConvTranspose default for the weight
/// (`kaiming_uniform_(a=sqrt(5))` reduces to it) and for the bias; for ConvTranspose the fans
/// come from its `(in, out/groups, *k)` layout, as in PyTorch.
pub(crate) fn fan_in_uniform(weight: &Tensor) -> Result<Init> {
    let (fan_in, _) = calculate_fan_in_and_fan_out(weight.dims())?;
    Ok(fan_in_bound(fan_in))
}

/// [`fan_in_uniform`] for a weight of shape `dims` (2-D and up).
pub(crate) fn fan_in_uniform_dims(dims: &[usize]) -> Init {
    let receptive: usize = dims.iter().skip(2).product();
    fan_in_bound(dims.get(1).copied().unwrap_or(1) * receptive)
}

fn fan_in_bound(fan_in: usize) -> Init {
    uniform_bound(if fan_in > 0 {
        1.0 / (fan_in as f64).sqrt()
    } else {
        0.0
    })
}

/// `U(-b, b)`, or zeros when `b == 0`.
pub(crate) fn uniform_bound(bound: f64) -> Init {
    if bound > 0.0 {
        Init::Uniform {
            low: -bound,
            high: bound,
        }
    } else {
        Init::Zeros
    }
}
