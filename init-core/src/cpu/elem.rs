//! Element types of the CPU backend: the arithmetic each dtype samples in, and the masks of
//! values outside a sampler's bounds (AVX2 where the [`Isa`] token allows).

use half::{bf16, f16};

use crate::dist::Bounds;
#[cfg(target_arch = "x86_64")]
use crate::isa::Avx2;
use crate::isa::Isa;
use crate::real::Real;

/// Floating-point element types and the type their values are computed in.
pub(crate) trait Elem: Copy + Send + Sync + 'static {
    type Acc: Real;
    /// A type that holds every value of `Self` exactly, to compare values with bounds in.
    type Wide: Copy + PartialOrd + std::fmt::Debug;
    fn from_acc(x: Self::Acc) -> Self;
    fn to_f64(self) -> f64;
    fn widen(self) -> Self::Wide;
    /// `(lo, hi)` such that a value `v` lies in `b` exactly when `lo < v.widen() < hi`.
    fn wide_bounds(b: &Bounds) -> (Self::Wide, Self::Wide);
    /// Bit `i` set where `vals[i]` does not lie strictly between `lo` and `hi` (NaN included).
    #[inline(always)]
    fn outside<I: Isa>(isa: I, vals: &[Self; 64], lo: Self::Wide, hi: Self::Wide) -> u64 {
        outside_by_bytes(isa, vals, lo, hi)
    }
}

/// [`Elem::outside`] for any element type: a flag byte per value, then a byte mask.
#[inline(always)]
fn outside_by_bytes<T: Elem, I: Isa>(isa: I, vals: &[T; 64], lo: T::Wide, hi: T::Wide) -> u64 {
    let mut flags = [0u8; 64];
    for (f, v) in flags.iter_mut().zip(vals) {
        let w = v.widen();
        *f = 0u8.wrapping_sub(u8::from(!((w > lo) & (w < hi))));
    }
    let (halves, _) = flags.as_chunks::<32>();
    u64::from(byte_mask(isa, &halves[0])) | u64::from(byte_mask(isa, &halves[1])) << 32
}

/// [`Elem::outside`] under AVX2 for 64 values widened to f32, eight per register: two ordered
/// compares (false for NaN) and a `vmovmskps` per register.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn outside_avx2(_: Avx2, lo: f32, hi: f32, v: &[std::arch::x86_64::__m256; 8]) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: the token proves AVX2; no memory is touched.
    unsafe {
        let (lo, hi) = (_mm256_set1_ps(lo), _mm256_set1_ps(hi));
        let mut m = 0u64;
        for (k, &v) in v.iter().enumerate() {
            let inside = _mm256_and_ps(
                _mm256_cmp_ps::<_CMP_GT_OQ>(v, lo),
                _mm256_cmp_ps::<_CMP_LT_OQ>(v, hi),
            );
            m |= u64::from(!(_mm256_movemask_ps(inside) as u8)) << (8 * k);
        }
        m
    }
}

/// [`Elem::wide_bounds`] in f32: the largest f32 below `b.lo` (or at it, for an open bound) and
/// the smallest f32 at or above `b.hi`. Between two adjacent f32 values there is no f32, so
/// `v > lo` and `v < hi` decide membership exactly for every f32 `v` (and f16, bf16).
fn f32_bounds(b: &Bounds) -> (f32, f32) {
    let mut lo = b.lo as f32;
    if lo as f64 > b.lo || (b.lo_closed && lo as f64 == b.lo) {
        lo = lo.next_down();
    }
    let mut hi = b.hi as f32;
    if (hi as f64) < b.hi {
        hi = hi.next_up();
    }
    (lo, hi)
}

impl Elem for f32 {
    type Acc = f32;
    type Wide = f32;
    #[inline(always)]
    fn from_acc(x: f32) -> f32 {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn widen(self) -> f32 {
        self
    }
    fn wide_bounds(b: &Bounds) -> (f32, f32) {
        f32_bounds(b)
    }
    #[inline(always)]
    fn outside<I: Isa>(isa: I, vals: &[f32; 64], lo: f32, hi: f32) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = isa.avx2() {
            use std::arch::x86_64::*;
            // SAFETY: the token proves AVX2; unaligned loads of eight values at a time, all
            // inside `vals`. Plain loops: closures might run out of line, outside SIMD code.
            let v = unsafe {
                let mut v = [_mm256_setzero_ps(); 8];
                for (k, v) in v.iter_mut().enumerate() {
                    *v = _mm256_loadu_ps(vals.as_ptr().add(8 * k));
                }
                v
            };
            return outside_avx2(avx2, lo, hi, &v);
        }
        outside_by_bytes(isa, vals, lo, hi)
    }
}
impl Elem for f64 {
    type Acc = f64;
    type Wide = f64;
    #[inline(always)]
    fn from_acc(x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
    fn wide_bounds(b: &Bounds) -> (f64, f64) {
        (if b.lo_closed { b.lo.next_down() } else { b.lo }, b.hi)
    }
}
impl Elem for f16 {
    type Acc = f32;
    type Wide = f32;
    #[inline(always)]
    fn from_acc(x: f32) -> f16 {
        f16::from_f32(x)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self.to_f64()
    }
    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
    fn wide_bounds(b: &Bounds) -> (f32, f32) {
        f32_bounds(b)
    }
}
impl Elem for bf16 {
    type Acc = f32;
    type Wide = f32;
    #[inline(always)]
    fn from_acc(x: f32) -> bf16 {
        bf16::from_f32(x)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self.to_f64()
    }
    /// A bf16 is the top half of an f32.
    #[inline(always)]
    fn widen(self) -> f32 {
        f32::from_bits(u32::from(self.to_bits()) << 16)
    }
    fn wide_bounds(b: &Bounds) -> (f32, f32) {
        f32_bounds(b)
    }
    #[inline(always)]
    fn outside<I: Isa>(isa: I, vals: &[bf16; 64], lo: f32, hi: f32) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = isa.avx2() {
            use std::arch::x86_64::*;
            // SAFETY: the token proves AVX2; unaligned loads of eight values at a time, all
            // inside `vals`, each widened as `widen` does (bits shifted into the top half).
            let v = unsafe {
                let mut v = [_mm256_setzero_ps(); 8];
                for (k, v) in v.iter_mut().enumerate() {
                    let h = _mm_loadu_si128(vals.as_ptr().add(8 * k).cast());
                    *v = _mm256_castsi256_ps(_mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(h)));
                }
                v
            };
            return outside_avx2(avx2, lo, hi, &v);
        }
        outside_by_bytes(isa, vals, lo, hi)
    }
}

/// Bit `i` set where byte `i` has its top bit set (one `vpmovmskb` under AVX2).
#[inline(always)]
fn byte_mask<I: Isa>(isa: I, bytes: &[u8; 32]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if let Some(_avx2) = isa.avx2() {
        use std::arch::x86_64::{_mm256_loadu_si256, _mm256_movemask_epi8};
        // SAFETY: the token proves AVX2; an unaligned load of the 32 bytes of `bytes`.
        return unsafe { _mm256_movemask_epi8(_mm256_loadu_si256(bytes.as_ptr().cast())) } as u32;
    }
    let mut m = 0u32;
    for (i, &b) in bytes.iter().enumerate() {
        m |= u32::from(b >> 7) << i;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::Portable;

    /// The AVX2 `outside` masks equal the portable ones bit for bit, for values on, next to and
    /// between the thresholds, NaN and infinities, in every position of the 64.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn outside_masks_agree_on_every_simd_level() {
        #[target_feature(enable = "avx2,fma,bmi2,f16c")]
        fn fast<T: Elem>(isa: Avx2, v: &[T; 64], lo: T::Wide, hi: T::Wide) -> u64 {
            T::outside(isa, v, lo, hi)
        }
        let avx2 = Avx2::for_tests();
        fn check<T: Elem>(avx2: Option<Avx2>, from: fn(f32) -> T) {
            let (lo, hi) = T::wide_bounds(&Bounds {
                lo: -2.0,
                hi: 2.0,
                lo_closed: false,
            });
            let (lo32, hi32) = (-2.0f32, 2.0f32);
            let probes = [
                lo32,
                hi32,
                lo32.next_up(),
                lo32.next_down(),
                hi32.next_up(),
                hi32.next_down(),
                0.0,
                -0.0,
                1.5,
                -3.0,
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
            ];
            for shift in 0..probes.len() {
                let v: [T; 64] = std::array::from_fn(|i| from(probes[(i * 7 + shift) % 13]));
                let plain = outside_by_bytes(Portable, &v, lo, hi);
                assert_ne!(plain, 0);
                assert_ne!(plain, u64::MAX);
                if let Some(isa) = avx2 {
                    // SAFETY: `isa` proves that this CPU has the features `fast` is compiled for.
                    assert_eq!(unsafe { fast(isa, &v, lo, hi) }, plain);
                }
                for (i, x) in v.iter().enumerate() {
                    let w = x.widen();
                    assert_eq!(plain >> i & 1 == 1, !(w > lo && w < hi));
                }
            }
        }
        check::<f32>(avx2, |x| x);
        check::<bf16>(avx2, bf16::from_f32);
        check::<f16>(avx2, f16::from_f32);
        check::<f64>(avx2, f64::from);
    }

    /// The precomputed comparison thresholds decide membership exactly as the f64 bounds do,
    /// for values on, next to and between the bounds, in every dtype.
    #[test]
    fn wide_bounds_decide_like_the_f64_bounds() {
        fn check<T: Elem + std::fmt::Debug>(b: &Bounds, values: &[T]) {
            let (lo, hi) = T::wide_bounds(b);
            for &v in values {
                let w = v.widen();
                assert_eq!(
                    w > lo && w < hi,
                    b.contains(v.to_f64()),
                    "{v:?} in {b:?} (thresholds {lo:?}, {hi:?})"
                );
            }
        }
        let third = 1.0 / 3.0;
        for (lo, hi, lo_closed) in [
            (-2.0, 2.0, false),
            (0.0, 1.0, true),
            (-third, third, false),
            (-third, 0.1, true),
            (2.0, 3.0, false),
            (1e-30, 1e-20, false),
            (f64::NEG_INFINITY, 0.5, false),
            (-1e300, 1e300, false),
            (0.5, f64::INFINITY, false),
        ] {
            let b = Bounds { lo, hi, lo_closed };
            let near: Vec<f64> = [lo, hi, 0.0, 1.0, -1.0, 2.5]
                .into_iter()
                .filter(|x| x.is_finite())
                .collect();
            let mut f32s = vec![f32::NAN, f32::MAX, -f32::MAX];
            let mut f64s = vec![f64::NAN];
            let mut bf16s = vec![bf16::NAN];
            let mut f16s = vec![f16::NAN, f16::MAX, f16::MIN];
            for &x in &near {
                let (mut up, mut down) = (x as f32, x as f32);
                let (mut up64, mut down64) = (x, x);
                let (b16, h16) = (bf16::from_f64(x).to_bits(), f16::from_f64(x).to_bits());
                for k in 0..4u16 {
                    f32s.extend([up, down]);
                    f64s.extend([up64, down64]);
                    (up, down) = (up.next_up(), down.next_down());
                    (up64, down64) = (up64.next_up(), down64.next_down());
                    // Neighbours by bit pattern (same sign as x; enough near the bounds).
                    bf16s.extend([b16.wrapping_add(k), b16.wrapping_sub(k)].map(bf16::from_bits));
                    f16s.extend([h16.wrapping_add(k), h16.wrapping_sub(k)].map(f16::from_bits));
                }
            }
            check::<f32>(&b, &f32s);
            check::<f64>(&b, &f64s);
            check::<bf16>(&b, &bf16s);
            check::<f16>(&b, &f16s);
        }
    }
}
