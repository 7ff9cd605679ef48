//! The arithmetic the samplers run in: `f32` (for f32, f16 and bf16 tensors) and `f64`.
//!
//! The `f32` transcendental functions are branch-free polynomials so that the sampling loops
//! vectorize. They use no fused multiply-add, so every SIMD level (scalar, AVX2, AVX-512) gives
//! bit-identical results.

use std::ops::{Add, Div, Mul, Neg, Sub};

pub(crate) trait Real:
    Copy
    + Default
    + Send
    + Sync
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + 'static
{
    /// 32-bit words of random bits that make one uniform number.
    const WORDS: usize;
    const NAN: Self;
    /// A uniform number in [0, 1) from `WORDS` words.
    fn unit(w: &[u32]) -> Self;
    /// A uniform number in (0, 1] from `WORDS` words.
    fn unit_open(w: &[u32]) -> Self;
    fn from_f64(x: f64) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    /// `(sin 2πx, cos 2πx)` for x in [0, 1).
    fn sin_cos_turns(self) -> (Self, Self);
    /// `if c { a } else { b }`, written so that loops over it vectorize.
    #[inline(always)]
    fn select(c: bool, a: Self, b: Self) -> Self {
        if c {
            a
        } else {
            b
        }
    }
}

const TWO_POW_M24: f32 = 1.0 / 16_777_216.0;
const TWO_POW_M53: f64 = 1.0 / 9_007_199_254_740_992.0;

impl Real for f32 {
    const WORDS: usize = 1;
    const NAN: Self = f32::NAN;
    #[inline(always)]
    fn unit(w: &[u32]) -> f32 {
        (w[0] >> 8) as f32 * TWO_POW_M24
    }
    #[inline(always)]
    fn unit_open(w: &[u32]) -> f32 {
        ((w[0] >> 8) + 1) as f32 * TWO_POW_M24
    }
    #[inline(always)]
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn ln(self) -> f32 {
        ln_f32(self)
    }
    #[inline(always)]
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn sin_cos_turns(self) -> (f32, f32) {
        sin_cos_turns_f32(self)
    }
}

impl Real for f64 {
    const WORDS: usize = 2;
    const NAN: Self = f64::NAN;
    #[inline(always)]
    fn unit(w: &[u32]) -> f64 {
        (bits64(w) >> 11) as f64 * TWO_POW_M53
    }
    #[inline(always)]
    fn unit_open(w: &[u32]) -> f64 {
        ((bits64(w) >> 11) + 1) as f64 * TWO_POW_M53
    }
    #[inline(always)]
    fn from_f64(x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn ln(self) -> f64 {
        f64::ln(self)
    }
    #[inline(always)]
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn sin_cos_turns(self) -> (f64, f64) {
        (std::f64::consts::TAU * self).sin_cos()
    }
}

/// Two consecutive words as one 64-bit number, the first word low.
#[inline(always)]
fn bits64(w: &[u32]) -> u64 {
    (w[0] as u64) | ((w[1] as u64) << 32)
}

/// Natural logarithm for positive, finite, normal `x` (the samplers only pass (0, 1]).
/// Relative error below 2 ulp on (0, 1].
#[inline(always)]
pub(crate) fn ln_f32(x: f32) -> f32 {
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xFF) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007F_FFFF) | 0x3F80_0000); // [1, 2)
    let big = m > std::f32::consts::SQRT_2;
    m = if big { m * 0.5 } else { m };
    e += big as i32;
    // ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let p = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
    let ef = e as f32;
    // ln 2 split so that ef * LN2_HI is exact.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    ef * LN2_HI + (2.0 * s * p + ef * LN2_LO)
}

/// `(sin 2πx, cos 2πx)` for x in [0, 1), absolute error below 1e-7.
#[inline(always)]
pub(crate) fn sin_cos_turns_f32(x: f32) -> (f32, f32) {
    // Nearest quarter turn q in 0..=4, remainder f in [-1/8, 1/8] turns (exact in f32).
    let q = (x * 4.0 + 0.5) as i32;
    let f = x - q as f32 * 0.25;
    let t = f * std::f32::consts::TAU;
    let t2 = t * t;
    let s = t * (1.0
        + t2 * (-1.0 / 6.0 + t2 * (1.0 / 120.0 + t2 * (-1.0 / 5040.0 + t2 * (1.0 / 362_880.0)))));
    let c = 1.0
        + t2 * (-0.5 + t2 * (1.0 / 24.0 + t2 * (-1.0 / 720.0 + t2 * (1.0 / 40_320.0))));
    // Rotate by q quarter turns.
    let odd = q & 1 == 1;
    let (s1, c1) = if odd { (c, -s) } else { (s, c) };
    let neg = q & 2 == 2;
    if neg {
        (-s1, -c1)
    } else {
        (s1, c1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_std_on_the_unit_grid() {
        let mut worst = 0.0f64;
        for i in (1..=(1u32 << 24)).step_by(97).chain([1, 2, 3, 1 << 24]) {
            let x = i as f32 * TWO_POW_M24;
            let got = ln_f32(x) as f64;
            let want = (x as f64).ln();
            let err = if want == 0.0 { got.abs() } else { ((got - want) / want).abs() };
            worst = worst.max(err);
        }
        assert!(worst < 2.5e-7, "worst relative error {worst}");
    }

    #[test]
    fn sin_cos_match_std() {
        let mut worst = 0.0f64;
        for i in (0..(1u32 << 24)).step_by(89).chain([0, (1 << 24) - 1, 1 << 22, 1 << 23]) {
            let x = i as f32 * TWO_POW_M24;
            let (s, c) = sin_cos_turns_f32(x);
            let (ws, wc) = (std::f64::consts::TAU * x as f64).sin_cos();
            worst = worst.max((s as f64 - ws).abs()).max((c as f64 - wc).abs());
        }
        assert!(worst < 2e-7, "worst absolute error {worst}");
    }

    #[test]
    fn units_span_their_intervals() {
        assert_eq!(f32::unit(&[0]), 0.0);
        assert_eq!(f32::unit_open(&[u32::MAX]), 1.0);
        assert!(f32::unit(&[u32::MAX]) < 1.0);
        assert_eq!(f64::unit(&[0, 0]), 0.0);
        assert!(f64::unit(&[u32::MAX, u32::MAX]) < 1.0);
        assert_eq!(f64::unit_open(&[u32::MAX, u32::MAX]), 1.0);
        assert!(f64::unit_open(&[0, 0]) > 0.0);
    }
}
