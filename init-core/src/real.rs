//! The arithmetic the samplers run in: `f32` (for f32, f16 and bf16 tensors) and `f64`.
//!
//! The `f32` transcendental functions are branch-free polynomials so that the sampling loops
//! vectorize. Fused multiply-adds are written explicitly (`mul_add`) and never left to the
//! compiler: a fused multiply-add is correctly rounded whether the hardware does it (AVX2,
//! AVX-512, CUDA's `fmaf`) or libm does (the plain x86-64 fallback), so every path writes the
//! same bits.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::philox::RETRY;

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
    /// The largest value [`Real::unit`] returns.
    const UNIT_MAX: Self;
    /// Uniform `u` in [0, 1) of a group of 16 Philox blocks, from the group's 64 words in
    /// structure-of-arrays order (see `Key::groups`). f32: word `u`; f64 (u < 32): words `u`
    /// (low) and `u + 32` (high), so uniform `u` always lies in block `u % 16`.
    fn unit(w: &[u32], u: usize) -> Self;
    /// As [`Real::unit`], in (0, 1].
    fn unit_open(w: &[u32], u: usize) -> Self;
    /// Uniform `u` of a group read from its block (`u % 16`) alone, the block's words being
    /// lane `l` of `w` (as `Key::blocks_at` returns them). Written with selects, not indexing,
    /// so that a loop over the lanes vectorizes.
    fn unit_at(w: &[[u32; RETRY]; 4], l: usize, u: u32) -> Self;
    /// As [`Real::unit_at`], in (0, 1].
    fn unit_open_at(w: &[[u32; RETRY]; 4], l: usize, u: u32) -> Self;
    fn from_f64(x: f64) -> Self;
    /// `x`, exactly.
    fn from_f32(x: f32) -> Self;
    /// `u <= 2^24`, exactly.
    fn from_u24(u: u32) -> Self;
    fn ln(self) -> Self;
    /// [`Real::ln`] of `N` values (the same bits), written so that their chains overlap.
    #[inline(always)]
    fn ln_lanes<const N: usize>(mut x: [Self; N]) -> [Self; N] {
        for v in &mut x {
            *v = v.ln();
        }
        x
    }
    fn sqrt(self) -> Self;
    /// `self * a + b` with one rounding.
    fn mul_add(self, a: Self, b: Self) -> Self;
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
    const UNIT_MAX: Self = (16_777_215.0 / 16_777_216.0) as f32;
    #[inline(always)]
    fn unit(w: &[u32], u: usize) -> f32 {
        unit24(w[u])
    }
    #[inline(always)]
    fn unit_open(w: &[u32], u: usize) -> f32 {
        unit24_open(w[u])
    }
    #[inline(always)]
    fn unit_at(w: &[[u32; RETRY]; 4], l: usize, u: u32) -> f32 {
        unit24(word_at(w, l, u / 16))
    }
    #[inline(always)]
    fn unit_open_at(w: &[[u32; RETRY]; 4], l: usize, u: u32) -> f32 {
        unit24_open(word_at(w, l, u / 16))
    }
    #[inline(always)]
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn from_f32(x: f32) -> f32 {
        x
    }
    #[inline(always)]
    fn from_u24(u: u32) -> f32 {
        u as i32 as f32
    }
    #[inline(always)]
    fn ln(self) -> f32 {
        ln_f32(self)
    }
    #[inline(always)]
    fn ln_lanes<const N: usize>(x: [f32; N]) -> [f32; N] {
        ln_f32_lanes(x)
    }
    #[inline(always)]
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn mul_add(self, a: f32, b: f32) -> f32 {
        f32::mul_add(self, a, b)
    }
    #[inline(always)]
    fn sin_cos_turns(self) -> (f32, f32) {
        sin_cos_turns_f32(self)
    }
}

impl Real for f64 {
    const WORDS: usize = 2;
    const NAN: Self = f64::NAN;
    const UNIT_MAX: Self = 1.0 - TWO_POW_M53;
    #[inline(always)]
    fn unit(w: &[u32], u: usize) -> f64 {
        unit53(w[u], w[u + 32])
    }
    #[inline(always)]
    fn unit_open(w: &[u32], u: usize) -> f64 {
        unit53_open(w[u], w[u + 32])
    }
    #[inline(always)]
    fn unit_at(w: &[[u32; RETRY]; 4], l: usize, u: u32) -> f64 {
        let k = u / 16;
        unit53(word_at(w, l, k), word_at(w, l, k + 2))
    }
    #[inline(always)]
    fn unit_open_at(w: &[[u32; RETRY]; 4], l: usize, u: u32) -> f64 {
        let k = u / 16;
        unit53_open(word_at(w, l, k), word_at(w, l, k + 2))
    }
    #[inline(always)]
    fn from_f64(x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn from_f32(x: f32) -> f64 {
        x as f64
    }
    #[inline(always)]
    fn from_u24(u: u32) -> f64 {
        u as f64
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
    fn mul_add(self, a: f64, b: f64) -> f64 {
        f64::mul_add(self, a, b)
    }
    #[inline(always)]
    fn sin_cos_turns(self) -> (f64, f64) {
        (std::f64::consts::TAU * self).sin_cos()
    }
}

/// Word `k` (0..4) of lane `l`, by bit masks: all four words are read and combined, so that a
/// loop over the lanes becomes vector blends (selects written as `if` were compiled into
/// branches choosing which row to read, one per lane and bit).
#[inline(always)]
pub(crate) fn word_at(w: &[[u32; RETRY]; 4], l: usize, k: u32) -> u32 {
    let (w0, w1, w2, w3) = (w[0][l], w[1][l], w[2][l], w[3][l]);
    let odd = 0u32.wrapping_sub(k & 1);
    let top = 0u32.wrapping_sub((k >> 1) & 1);
    let low = w0 ^ ((w0 ^ w1) & odd);
    let high = w2 ^ ((w2 ^ w3) & odd);
    low ^ ((low ^ high) & top)
}

#[inline(always)]
fn unit24(w: u32) -> f32 {
    (w >> 8) as f32 * TWO_POW_M24
}
#[inline(always)]
fn unit24_open(w: u32) -> f32 {
    ((w >> 8) + 1) as f32 * TWO_POW_M24
}
#[inline(always)]
fn unit53(lo: u32, hi: u32) -> f64 {
    (((lo as u64) | ((hi as u64) << 32)) >> 11) as f64 * TWO_POW_M53
}
#[inline(always)]
fn unit53_open(lo: u32, hi: u32) -> f64 {
    ((((lo as u64) | ((hi as u64) << 32)) >> 11) + 1) as f64 * TWO_POW_M53
}

/// Natural logarithm for positive, finite, normal `x` (the samplers only pass (0, 1]).
/// A division-free minimax polynomial (Cephes' single-precision coefficients) on
/// [sqrt(1/2), sqrt(2)); relative error below 2 ulp on (0, 1].
#[inline(always)]
pub(crate) fn ln_f32(x: f32) -> f32 {
    ln_f32_lanes([x])[0]
}

/// [`ln_f32`] of `N` values, one step at a time across all of them: the polynomial's
/// dependency chains of different lanes then sit side by side in the instruction stream, which
/// lets the processor overlap them (the one-value form is the same code with `N = 1`, so both
/// give the same bits).
#[inline(always)]
pub(crate) fn ln_f32_lanes<const N: usize>(x: [f32; N]) -> [f32; N] {
    let mut e = [0f32; N];
    let mut z = [0f32; N];
    for j in 0..N {
        let bits = x[j].to_bits();
        let mut ej = ((bits >> 23) & 0xFF) as i32 - 126;
        let mut m = f32::from_bits((bits & 0x007F_FFFF) | 0x3F00_0000); // [0.5, 1)
        let small = m < std::f32::consts::FRAC_1_SQRT_2;
        ej -= small as i32;
        m = if small { m + m } else { m };
        e[j] = ej as f32;
        z[j] = m - 1.0;
    }
    const C: [f32; 9] = [
        7.037_683_6e-2,
        -1.151_461e-1,
        1.167_699_9e-1,
        -1.242_014_1e-1,
        1.424_932_3e-1,
        -1.666_805_8e-1,
        2.000_071_4e-1,
        -2.499_999_4e-1,
        0.333_333_3,
    ];
    let mut p = [C[0]; N];
    for &c in &C[1..] {
        for j in 0..N {
            p[j] = p[j].mul_add(z[j], c);
        }
    }
    // ln 2 split so that e * LN2_HI is exact.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let mut out = [0f32; N];
    for j in 0..N {
        let z2 = z[j] * z[j];
        let y = (z[j] * z2).mul_add(p[j], e[j].mul_add(LN2_LO, -0.5 * z2));
        out[j] = e[j].mul_add(LN2_HI, z[j] + y);
    }
    out
}

/// `(sin 2πx, cos 2πx)` for x in [0, 1), absolute error below 1e-7.
#[inline(always)]
pub(crate) fn sin_cos_turns_f32(x: f32) -> (f32, f32) {
    // Nearest quarter turn q in 0..=4, remainder f in [-1/8, 1/8] turns (exact in f32).
    // `floor` and the bit trick below instead of `as i32`: a float-to-int cast with Rust's
    // saturating semantics does not vectorize on AVX2, and this gives the same q.
    let qf = (x * 4.0 + 0.5).floor();
    let q = (qf + 8_388_608.0).to_bits();
    let f = x - qf * 0.25;
    let t = f * std::f32::consts::TAU;
    let t2 = t * t;
    let s = t * t2
        .mul_add(1.0 / 362_880.0, -1.0 / 5040.0)
        .mul_add(t2, 1.0 / 120.0)
        .mul_add(t2, -1.0 / 6.0)
        .mul_add(t2, 1.0);
    let c = t2
        .mul_add(1.0 / 40_320.0, -1.0 / 720.0)
        .mul_add(t2, 1.0 / 24.0)
        .mul_add(t2, -0.5)
        .mul_add(t2, 1.0);
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
            let err = if want == 0.0 {
                got.abs()
            } else {
                ((got - want) / want).abs()
            };
            worst = worst.max(err);
        }
        assert!(worst < 2.5e-7, "worst relative error {worst}");
    }

    #[test]
    fn sin_cos_match_std() {
        let mut worst = 0.0f64;
        for i in (0..(1u32 << 24))
            .step_by(89)
            .chain([0, (1 << 24) - 1, 1 << 22, 1 << 23])
        {
            let x = i as f32 * TWO_POW_M24;
            let (s, c) = sin_cos_turns_f32(x);
            let (ws, wc) = (std::f64::consts::TAU * x as f64).sin_cos();
            worst = worst.max((s as f64 - ws).abs()).max((c as f64 - wc).abs());
        }
        assert!(worst < 2e-7, "worst absolute error {worst}");
    }

    #[test]
    fn units_span_their_intervals() {
        assert_eq!(unit24(u32::MAX), f32::UNIT_MAX);
        assert_eq!(unit53(u32::MAX, u32::MAX), f64::UNIT_MAX);
        assert_eq!(unit24(0), 0.0);
        assert_eq!(unit24_open(u32::MAX), 1.0);
        assert!(unit24(u32::MAX) < 1.0);
        assert_eq!(unit53(0, 0), 0.0);
        assert!(unit53(u32::MAX, u32::MAX) < 1.0);
        assert_eq!(unit53_open(u32::MAX, u32::MAX), 1.0);
        assert!(unit53_open(0, 0) > 0.0);
        // A group's uniform read from its block alone equals the one read from the group.
        let mut w = [0u32; 64];
        for (i, x) in w.iter_mut().enumerate() {
            *x = (i as u32).wrapping_mul(0x9E37_79B9);
        }
        // Lane l of `lanes` holds block (l + 5) % 16 of the group.
        let lanes: [[u32; RETRY]; 4] =
            std::array::from_fn(|k| std::array::from_fn(|l| w[16 * k + (l + 5) % 16]));
        for u in 0..64 {
            let l = (u % 16 + 11) % 16;
            assert_eq!(f32::unit(&w, u), f32::unit_at(&lanes, l, u as u32));
            assert_eq!(
                f32::unit_open(&w, u),
                f32::unit_open_at(&lanes, l, u as u32)
            );
            if u < 32 {
                assert_eq!(f64::unit(&w, u), f64::unit_at(&lanes, l, u as u32));
                assert_eq!(
                    f64::unit_open(&w, u),
                    f64::unit_open_at(&lanes, l, u as u32)
                );
            }
        }
    }
}
