//! The argument checks behind [`Init::check`](super::Init::check): each decides, before any
//! write, whether an initializer's arguments can be drawn in the tensor's dtype, and into which
//! [`Plan`] they turn.

use candle_core::DType;

use super::Plan;
use crate::accept;
use crate::dist::{Normal, TruncNormal, Uniform};
use crate::error::{InitError, Result};
use crate::ops::check_representable;

pub(super) fn rank(op: &'static str, allowed: &'static str, dims: &[usize]) -> InitError {
    InitError::Rank {
        op,
        allowed,
        dims: dims.to_vec(),
    }
}

pub(super) fn check_const(v: f64, dtype: DType, op: &'static str) -> Result<f64> {
    check_representable(v, dtype, op)?;
    Ok(v)
}

pub(super) fn check_finite(op: &'static str, param: &'static str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(InitError::param(op, param, v, "it must be a finite number"))
    }
}

/// The largest |z| the Box-Muller transform makes from the smallest uniform in (0, 1] of the
/// arithmetic a dtype is sampled in (2^-24 in f32, 2^-53 in f64), with a margin for the rounding
/// of the logarithm, square root and cosine.
fn normal_z_max(dtype: DType) -> f64 {
    let bits = if dtype == DType::F64 { 53.0 } else { 24.0 };
    (2.0 * bits * std::f64::consts::LN_2).sqrt() * (1.0 + 1e-6)
}

/// The largest finite value of a float dtype.
fn float_max(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => f64::MAX,
        DType::F16 => half::f16::MAX.to_f64(),
        DType::BF16 => half::bf16::MAX.to_f64(),
        _ => f32::MAX as f64,
    }
}

/// N(mean, std^2), `std` computed from the argument `param` = `value`: std must be a finite
/// number >= 0, and every value the sampler can make must be finite in `dtype`.
pub(super) fn check_normal(
    op: &'static str,
    param: &'static str,
    value: f64,
    mean: f64,
    std: f64,
    dtype: DType,
) -> Result<Plan> {
    check_finite(op, "mean", mean)?;
    if !(std >= 0.0 && std.is_finite()) {
        let allowed = if param == "std" {
            "std must be a finite number >= 0".to_string()
        } else {
            format!("it makes std = {std}; std must be a finite number >= 0")
        };
        return Err(InitError::param(op, param, value, allowed));
    }
    let (reach, max) = (mean.abs() + std * normal_z_max(dtype), float_max(dtype));
    if reach > max {
        return Err(InitError::param(
            op,
            param,
            value,
            format!(
                "values N({mean}, {std}^2) reach +-{reach:e}, beyond the largest {dtype:?} \
                 ({max:e}); they would overflow to infinity"
            ),
        ));
    }
    Ok(Plan::Normal(Normal { mean, std }))
}

/// U[-bound, bound), `bound` computed from the argument `param` = `value`: a zero bound fills
/// zeros (as PyTorch's `uniform_(-0., 0.)` does); the range must be finite in `dtype`.
pub(super) fn symmetric_uniform(
    op: &'static str,
    param: &'static str,
    value: f64,
    bound: f64,
    dtype: DType,
) -> Result<Plan> {
    if bound == 0.0 {
        return Ok(Plan::ConstDraw(0.0));
    }
    let max = float_max(dtype);
    if !(bound.is_finite() && 2.0 * bound <= max) {
        return Err(InitError::param(
            op,
            param,
            value,
            format!(
                "it makes the bound +-{bound:e}, whose range exceeds the largest {dtype:?} \
                 ({max:e})"
            ),
        ));
    }
    uniform_plan(op, param, value, -bound, bound, dtype)
}

pub(super) fn check_uniform(op: &'static str, low: f64, high: f64, dtype: DType) -> Result<Plan> {
    check_finite(op, "low", low)?;
    check_finite(op, "high", high)?;
    check_representable(low, dtype, op)?;
    check_representable(high, dtype, op)?;
    if low > high {
        return Err(InitError::param(
            op,
            "(low, high)",
            format!("({low}, {high})"),
            "uniform draws from [low, high), so low <= high is required",
        ));
    }
    if low == high {
        // PyTorch fills `low` (+0 for a -0 bound); a draw is still taken.
        return Ok(Plan::ConstDraw(low + 0.0));
    }
    if smallest_at_or_above(low, dtype) >= high {
        return Err(InitError::param(
            op,
            "(low, high)",
            format!("({low}, {high})"),
            format!("no {dtype:?} value lies in [low, high)"),
        ));
    }
    let max = float_max(dtype);
    if high - low > max {
        return Err(InitError::param(
            op,
            "high - low",
            high - low,
            format!("the range must not exceed the largest {dtype:?} ({max:e})"),
        ));
    }
    uniform_plan(
        op,
        "(low, high)",
        format!("({low}, {high})"),
        low,
        high,
        dtype,
    )
}

/// U[low, high) once its arguments passed their checks: refused when rounding to `dtype` keeps
/// too few values inside [low, high) (see `accept`).
fn uniform_plan(
    op: &'static str,
    param: &'static str,
    value: impl std::fmt::Display,
    low: f64,
    high: f64,
    dtype: DType,
) -> Result<Plan> {
    let s = Uniform { low, high };
    if accept::accepted(&s, dtype) < accept::MIN_ACCEPTED {
        return Err(InitError::param(
            op,
            param,
            value,
            format!("fewer than 1 in 16 values of U[{low}, {high}) round to a {dtype:?} value in [{low}, {high})"),
        ));
    }
    Ok(Plan::Uniform(s))
}

/// Whether some value of `dtype` lies strictly inside (a, b).
fn interior_exists(a: f64, b: f64, dtype: DType) -> bool {
    let r = round_to(a, dtype);
    let above = if r > a { r } else { next_up(r, dtype) };
    above < b
}

/// The smallest value of `dtype` that is >= `x`.
fn smallest_at_or_above(x: f64, dtype: DType) -> f64 {
    let r = round_to(x, dtype);
    if r >= x {
        r
    } else {
        next_up(r, dtype)
    }
}

/// `x` rounded to the nearest value of a float dtype.
fn round_to(x: f64, dtype: DType) -> f64 {
    match dtype {
        DType::F32 => x as f32 as f64,
        DType::F16 => half::f16::from_f64(x).to_f64(),
        DType::BF16 => half::bf16::from_f64(x).to_f64(),
        _ => x,
    }
}

/// The next value of a float dtype above `x`, a value of that dtype.
fn next_up(x: f64, dtype: DType) -> f64 {
    /// The next 16-bit float above a finite one, on its bits.
    fn up16(bits: u16) -> u16 {
        match bits {
            0x0000 | 0x8000 => 0x0001,
            b if b & 0x8000 == 0 => b + 1,
            b => b - 1,
        }
    }
    if x == f64::NEG_INFINITY {
        return match dtype {
            DType::F32 => f32::MIN as f64,
            DType::F16 => half::f16::MIN.to_f64(),
            DType::BF16 => half::bf16::MIN.to_f64(),
            _ => f64::MIN,
        };
    }
    if x == f64::INFINITY {
        return x;
    }
    match dtype {
        DType::F32 => (x as f32).next_up() as f64,
        DType::F16 => half::f16::from_bits(up16(half::f16::from_f64(x).to_bits())).to_f64(),
        DType::BF16 => half::bf16::from_bits(up16(half::bf16::from_f64(x).to_bits())).to_f64(),
        _ => x.next_up(),
    }
}

/// N(mean, std^2) conditioned on the open interval (a, b): std finite and > 0, the bounds
/// ordered, and enough of the mass rounds to a `dtype` value strictly inside them.
pub(super) fn check_trunc(
    op: &'static str,
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
    dtype: DType,
) -> Result<Plan> {
    check_finite(op, "mean", mean)?;
    if !(std > 0.0 && std.is_finite()) {
        return Err(InitError::param(
            op,
            "std",
            std,
            "std must be a finite number > 0",
        ));
    }
    if a.is_nan() || b.is_nan() {
        return Err(InitError::param(
            op,
            "(a, b)",
            format!("({a}, {b})"),
            "the bounds must be numbers (infinite bounds are allowed)",
        ));
    }
    if a >= b {
        return Err(InitError::param(
            op,
            "(a, b)",
            format!("({a}, {b})"),
            "the interval must satisfy a < b",
        ));
    }
    if !interior_exists(a, b, dtype) {
        return Err(InitError::param(
            op,
            "(a, b)",
            format!("({a}, {b})"),
            format!("no {dtype:?} value lies strictly between a and b"),
        ));
    }
    if mean < a - 2.0 * std || mean > b + 2.0 * std {
        log::warn!(
            "mean is more than 2 std from [a, b] in trunc_normal; the distribution \
             is exact here, but it is probably not what you meant"
        );
    }
    let s = TruncNormal::new(mean, std, a, b);
    if accept::accepted(&s, dtype) < accept::MIN_ACCEPTED {
        return Err(InitError::param(
            op,
            "(a, b)",
            format!("({a}, {b}) with mean = {mean}, std = {std}"),
            format!(
                "fewer than 1 in 16 values of N(mean, std^2) conditioned on (a, b) \
                 round to a {dtype:?} value strictly inside (a, b): the mass lies \
                 within one {dtype:?} step of a bound, or beyond the dtype's range; \
                 choose an interval that holds mass away from its bounds"
            ),
        ));
    }
    Ok(Plan::Trunc(s))
}
