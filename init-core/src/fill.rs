//! Writing into a tensor's own storage: the `InplaceOp1`s behind every initializer, the walk
//! over a (possibly strided) layout, SIMD dispatch and threads.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, DType, Layout};
use half::{bf16, f16};
use rayon::prelude::*;

use crate::dist::{Bounds, Sampler, CHUNK};
use crate::error::{InitError, Result};
#[cfg(target_arch = "x86_64")]
use crate::philox::Avx2;
use crate::philox::{Isa, Key, Portable, RETRY};
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
    fn outside<I: Isa>(vals: &[Self; 64], lo: Self::Wide, hi: Self::Wide) -> u64 {
        outside_by_bytes::<Self, I>(vals, lo, hi)
    }
}

/// [`Elem::outside`] for any element type: a flag byte per value, then a byte mask.
#[inline(always)]
fn outside_by_bytes<T: Elem, I: Isa>(vals: &[T; 64], lo: T::Wide, hi: T::Wide) -> u64 {
    let mut flags = [0u8; 64];
    for (f, v) in flags.iter_mut().zip(vals) {
        let w = v.widen();
        *f = 0u8.wrapping_sub(u8::from(!((w > lo) & (w < hi))));
    }
    let (halves, _) = flags.as_chunks::<32>();
    u64::from(byte_mask::<I>(&halves[0])) | u64::from(byte_mask::<I>(&halves[1])) << 32
}

/// [`Elem::outside`] under AVX2 for 64 values widened to f32, eight per register: two ordered
/// compares (false for NaN) and a `vmovmskps` per register.
///
/// # Safety
/// AVX2 must be available (`Isa::AVX2`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn outside_avx2(lo: f32, hi: f32, v: &[std::arch::x86_64::__m256; 8]) -> u64 {
    use std::arch::x86_64::*;
    // SAFETY: AVX2 is available (the caller's contract).
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
    fn outside<I: Isa>(vals: &[f32; 64], lo: f32, hi: f32) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if I::AVX2 {
            use std::arch::x86_64::*;
            // SAFETY: `I::AVX2` (see `Avx2`); unaligned loads of eight values at a time, all
            // inside `vals`. Plain loops: closures might run out of line, outside SIMD code.
            unsafe {
                let mut v = [_mm256_setzero_ps(); 8];
                for (k, v) in v.iter_mut().enumerate() {
                    *v = _mm256_loadu_ps(vals.as_ptr().add(8 * k));
                }
                return outside_avx2(lo, hi, &v);
            }
        }
        outside_by_bytes::<f32, I>(vals, lo, hi)
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
    fn outside<I: Isa>(vals: &[bf16; 64], lo: f32, hi: f32) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if I::AVX2 {
            use std::arch::x86_64::*;
            // SAFETY: `I::AVX2` (see `Avx2`); unaligned loads of eight values at a time, all
            // inside `vals`, each widened as `widen` does (bits shifted into the top half).
            unsafe {
                let mut v = [_mm256_setzero_ps(); 8];
                for (k, v) in v.iter_mut().enumerate() {
                    let h = _mm_loadu_si128(vals.as_ptr().add(8 * k).cast());
                    *v = _mm256_castsi256_ps(_mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(h)));
                }
                return outside_avx2(lo, hi, &v);
            }
        }
        outside_by_bytes::<bf16, I>(vals, lo, hi)
    }
}

/// Elements per rayon task; a multiple of [`CHUNK`] so that tasks start on chunk boundaries.
const PIECE: usize = 1 << 16;
/// Rejected positions collected before they are redrawn (at least one chunk's worth).
const REJECTS: usize = 4 * CHUNK;
/// Rejected positions of each 64 a chunk's scan records without a branch: with 4.6% rejected
/// (trunc_normal on (-2, 2)), 84% of the 64-flag words have at most this many.
const UNROLLED: usize = 4;
/// Below this many elements one thread does the work.
const PAR_MIN: usize = 1 << 15;
/// Rejection attempts per position before giving up (the samplers accept a candidate with
/// probability above 1/4, so this is never reached in practice).
const MAX_ATTEMPTS: u16 = 4096;

/// The (size, stride) axes of a layout in decreasing stride order, size-1 axes dropped and
/// axes merged where one steps exactly over the other: the set of storage positions a layout
/// covers does not depend on the order of its dimensions, so a transposed matrix is one axis.
pub(crate) fn merged_axes(layout: &Layout) -> Vec<(usize, usize)> {
    let mut axes: Vec<(usize, usize)> = layout
        .dims()
        .iter()
        .zip(layout.stride())
        .filter(|(&d, _)| d != 1)
        .map(|(&d, &s)| (d, s))
        .collect();
    axes.sort_by_key(|a| std::cmp::Reverse(a.1));
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(axes.len());
    for (d, s) in axes {
        match merged.last_mut() {
            Some(last) if last.1 == s * d => *last = (last.0 * d, s),
            _ => merged.push((d, s)),
        }
    }
    merged
}

/// The storage positions a layout covers, as runs of consecutive positions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Runs {
    /// `len` positions from `start`.
    Single { start: usize, len: usize },
    /// `count` runs of `len` positions each. Run `r` starts at `start + sum_k i_k * stride_k`,
    /// where `(i_k)` is `r` written in mixed radix over the `(size, stride)` axes of `outer`
    /// (last axis fastest): computed when needed, so a view with many runs costs no memory
    /// proportional to its size.
    Blocks {
        start: usize,
        outer: Vec<(usize, usize)>,
        count: usize,
        len: usize,
    },
}

/// The start positions of consecutive runs of a [`Runs::Blocks`], from a given run on.
struct RunStarts<'a> {
    outer: &'a [(usize, usize)],
    idx: Vec<usize>,
    pos: usize,
}

impl<'a> RunStarts<'a> {
    fn new(start: usize, outer: &'a [(usize, usize)], first: usize) -> Self {
        let mut idx = vec![0; outer.len()];
        let (mut pos, mut r) = (start, first);
        for (k, &(size, stride)) in outer.iter().enumerate().rev() {
            idx[k] = r % size;
            pos += idx[k] * stride;
            r /= size;
        }
        RunStarts { outer, idx, pos }
    }

    /// The current run's start; moves on to the next run.
    fn next_start(&mut self) -> usize {
        let current = self.pos;
        for k in (0..self.outer.len()).rev() {
            let (size, stride) = self.outer[k];
            self.idx[k] += 1;
            self.pos += stride;
            if self.idx[k] < size {
                break;
            }
            self.pos -= stride * size;
            self.idx[k] = 0;
        }
        current
    }
}

impl Runs {
    /// The layout's positions in increasing storage order. The written set does not depend on
    /// the order of the dimensions, so dimensions are sorted by stride and merged where they are
    /// contiguous: a transposed matrix is one run.
    pub fn of(layout: &Layout) -> Runs {
        let dims = layout.dims();
        let start = layout.start_offset();
        if dims.contains(&0) {
            return Runs::Single { start, len: 0 };
        }
        let merged = merged_axes(layout);
        let (len, outer) = match merged.last() {
            None => return Runs::Single { start, len: 1 },
            Some(&(d, 1)) => (d, &merged[..merged.len() - 1]),
            Some(_) => (1, &merged[..]),
        };
        if outer.is_empty() {
            return Runs::Single { start, len };
        }
        Runs::Blocks {
            start,
            outer: outer.to_vec(),
            count: outer.iter().map(|a| a.0).product(),
            len,
        }
    }

    /// One past the largest position, to check against the storage's length.
    fn end(&self) -> usize {
        match self {
            Runs::Single { start, len } => start + len,
            Runs::Blocks {
                start,
                outer,
                count,
                len,
            } => RunStarts::new(*start, outer, count - 1).pos + len,
        }
    }
}

/// A pointer that may cross threads: each thread writes a disjoint set of positions.
struct SharedMut<T>(*mut T);
impl<T> Clone for SharedMut<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SharedMut<T> {}
unsafe impl<T: Send> Send for SharedMut<T> {}
unsafe impl<T: Send> Sync for SharedMut<T> {}
impl<T> SharedMut<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

/// Calls `f(run, first_position)` on every run of the layout, on several threads when large.
/// `f` returns false when it could not complete its run.
fn for_each_run<T: Send>(
    data: &mut [T],
    layout: &Layout,
    f: impl Fn(&mut [T], usize) -> bool + Sync,
) -> Result<()> {
    let runs = Runs::of(layout);
    if runs.end() > data.len() {
        return Err(InitError::Internal(format!(
            "layout {layout:?} reaches past the storage ({} elements)",
            data.len()
        )));
    }
    let ok = match runs {
        Runs::Single { start, len } => {
            let run = &mut data[start..start + len];
            if len < PAR_MIN {
                f(run, start)
            } else {
                // Tasks start on PIECE boundaries of the storage, whatever `start` is.
                let head = ((PIECE - start % PIECE) % PIECE).min(len);
                let (h, rest) = run.split_at_mut(head);
                let ok = f(h, start);
                let rest_ok = rest
                    .par_chunks_mut(PIECE)
                    .enumerate()
                    .map(|(i, piece)| f(piece, start + head + i * PIECE))
                    .reduce(|| true, |x, y| x && y);
                ok && rest_ok
            }
        }
        Runs::Blocks {
            start,
            outer,
            count,
            len,
        } => {
            let ptr = SharedMut(data.as_mut_ptr());
            let per_task = (PIECE / len).max(1);
            let (f, outer) = (&f, &outer);
            // Runs `first .. first + n`.
            let work = move |first: usize, n: usize| {
                let mut starts = RunStarts::new(start, outer, first);
                let mut ok = true;
                for _ in 0..n {
                    let s = starts.next_start();
                    // SAFETY: `s + len <= data.len()` (checked above through `end`: runs
                    // start in increasing order), and the runs of a layout without internal
                    // overlap are disjoint; candle's `inplace_op1` refuses layouts with
                    // internal overlap, and the runs were derived from the layout's strides,
                    // so no two runs alias.
                    let run = unsafe { std::slice::from_raw_parts_mut(ptr.get().add(s), len) };
                    ok &= f(run, s);
                }
                ok
            };
            if count * len < PAR_MIN {
                work(0, count)
            } else {
                (0..count.div_ceil(per_task))
                    .into_par_iter()
                    .map(|t| work(t * per_task, per_task.min(count - t * per_task)))
                    .reduce(|| true, |x, y| x && y)
            }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(InitError::Internal(format!(
            "a rejection sampler rejected some position {MAX_ATTEMPTS} times in a row"
        )))
    }
}

/// Writes sampled values into `run`, whose first element is storage position `pos0`.
/// Returns false if some position was still rejected after [`MAX_ATTEMPTS`].
///
/// With bounds, each chunk's values are checked while they are in cache (one vectorized
/// comparison per value, then a bit scan over the rejected ones), and rejected positions are
/// queued and redrawn `RETRY` at a time.
#[inline(always)]
fn sample_run<T: Elem, S: Sampler<T::Acc>, I: Isa>(
    run: &mut [T],
    pos0: usize,
    key: &Key,
    s: &S,
) -> bool {
    // When the smallest candidate (the lower bound, computed as the sampler does) and the largest
    // both round inside, nothing needs checking.
    let check = match (s.bounds(), s.max_value()) {
        (Some(b), Some(m))
            if b.contains(T::from_acc(m).to_f64())
                && b.contains(T::from_acc(<T::Acc as Real>::from_f64(b.lo)).to_f64()) =>
        {
            None
        }
        (b, _) => b,
    };
    let mut redraws = match check {
        Some(b) => Some(Redraws::<T, S, I> {
            idx: [0; RETRY],
            attempt: [0; RETRY],
            len: 0,
            pos0,
            key,
            sampler: s,
            wide: T::wide_bounds(&b),
            isa: std::marker::PhantomData,
        }),
        None => None,
    };
    let mut vals = [<T::Acc as Default>::default(); CHUNK];
    // Rejected run indices, redrawn in a separate loop (when the list could not take a whole
    // chunk more, and at the end), so that the sampling loop stays small.
    // One spare entry: `collect_set_bits` writes one past the last index it counts.
    let mut rejects = [0usize; REJECTS + 1];
    let mut nrej = 0;
    let mut i = 0;
    while i < run.len() {
        let pos = pos0 + i;
        let off = pos % CHUNK;
        let n = (CHUNK - off).min(run.len() - i);
        s.chunk::<I>(key, (pos / CHUNK) as u64, &mut vals);
        let seg = &mut run[i..i + n];
        for (d, v) in seg.iter_mut().zip(&vals[off..off + n]) {
            *d = T::from_acc(*v);
        }
        if let Some(redraws) = redraws.as_mut() {
            let (lo, hi) = redraws.wide;
            let (whole, tail) = seg.as_chunks::<64>();
            for (k, vals) in whole.iter().enumerate() {
                let m = T::outside::<I>(vals, lo, hi);
                collect_set_bits(m, i + 64 * k, &mut rejects, &mut nrej);
            }
            if let Some(&first) = tail.first() {
                // The last few padded with a copy of their first, those bits masked off.
                let mut pad = [first; 64];
                pad[..tail.len()].copy_from_slice(tail);
                let m = T::outside::<I>(&pad, lo, hi) & ((1u64 << tail.len()) - 1);
                collect_set_bits(m, i + 64 * whole.len(), &mut rejects, &mut nrej);
            }
            if nrej > REJECTS - CHUNK {
                if !redraws.push_all(run, &rejects[..nrej]) {
                    return false;
                }
                nrej = 0;
            }
        }
        i += n;
    }
    // No closures here: one that is not inlined would run outside this SIMD-compiled code.
    match redraws.as_mut() {
        Some(r) => r.redraw_all(run, &rejects[..nrej]),
        None => true,
    }
}

/// Appends `base + i` to `list[*len..]` for each bit `i` set in `m`; `list` must have room
/// for one entry more than it receives.
///
/// The first [`UNROLLED`] bits go without a branch (a loop ending after an unpredictable number
/// of rounds costs a misprediction per word): each round writes an index and counts it only if
/// a bit was left.
#[inline(always)]
fn collect_set_bits(mut m: u64, base: usize, list: &mut [usize], len: &mut usize) {
    let mut n = *len;
    for _ in 0..UNROLLED {
        list[n] = base + m.trailing_zeros() as usize;
        n += usize::from(m != 0);
        m &= m.wrapping_sub(1);
    }
    while m != 0 {
        list[n] = base + m.trailing_zeros() as usize;
        n += 1;
        m &= m - 1;
    }
    *len = n;
}

/// Bit `i` set where byte `i` has its top bit set (one `vpmovmskb` under AVX2).
#[inline(always)]
fn byte_mask<I: Isa>(bytes: &[u8; 32]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if I::AVX2 {
        use std::arch::x86_64::{_mm256_loadu_si256, _mm256_movemask_epi8};
        // SAFETY: `Avx2` is only used in code compiled with AVX2 enabled (its contract); an
        // unaligned load of the 32 bytes of `bytes`.
        return unsafe { _mm256_movemask_epi8(_mm256_loadu_si256(bytes.as_ptr().cast())) } as u32;
    }
    let mut m = 0u32;
    for (i, &b) in bytes.iter().enumerate() {
        m |= u32::from(b >> 7) << i;
    }
    m
}

/// Rejected positions of a run (indices into it) waiting to be redrawn, with the attempt each
/// is at; redrawn `RETRY` at a time so that the redraws run as vector lanes.
struct Redraws<'a, T: Elem, S, I> {
    idx: [usize; RETRY],
    attempt: [u16; RETRY],
    len: usize,
    pos0: usize,
    key: &'a Key,
    sampler: &'a S,
    wide: (T::Wide, T::Wide),
    isa: std::marker::PhantomData<I>,
}

impl<T: Elem, S: Sampler<T::Acc>, I: Isa> Redraws<'_, T, S, I> {
    /// Queues the positions `list` (run indices) at the sampler's first redraw attempt,
    /// redrawing whole batches as the queue fills; up to `RETRY - 1` positions stay queued for
    /// the next call (no partly empty batches). False when some position was rejected
    /// [`MAX_ATTEMPTS`] times.
    #[inline(always)]
    fn push_all(&mut self, run: &mut [T], mut list: &[usize]) -> bool {
        let first = self.sampler.first_redraw();
        while !list.is_empty() {
            // As many as the queue takes, copied in one go.
            let take = (RETRY - self.len).min(list.len());
            let (now, rest) = list.split_at(take);
            self.idx[self.len..self.len + take].copy_from_slice(now);
            self.attempt[self.len..self.len + take].fill(first);
            self.len += take;
            list = rest;
            // A redraw keeps the positions rejected again: redraw until the queue has room.
            while self.len == RETRY {
                if !self.redraw(run) {
                    return false;
                }
            }
        }
        true
    }

    /// Redraws the positions `list` (run indices) and every queued one until all are inside.
    #[inline(always)]
    fn redraw_all(&mut self, run: &mut [T], list: &[usize]) -> bool {
        if !self.push_all(run, list) {
            return false;
        }
        while self.len > 0 {
            if !self.redraw(run) {
                return false;
            }
        }
        true
    }

    /// Redraws every queued position once; keeps the ones rejected again.
    #[inline(always)]
    fn redraw(&mut self, run: &mut [T]) -> bool {
        let len = self.len;
        // Unused lanes repeat the last position. A loop, not `array::from_fn`, whose closure
        // may stay out of line, outside the SIMD function this runs in.
        let mut pos = [0u64; RETRY];
        for (l, p) in pos.iter_mut().enumerate() {
            *p = (self.pos0 + self.idx[l.min(len - 1)]) as u64;
        }
        let mut vals = [<T::Acc as Default>::default(); RETRY];
        self.sampler
            .retry_lanes::<I>(self.key, &pos, &self.attempt, &mut vals);
        let (lo, hi) = self.wide;
        let mut kept = 0;
        for l in 0..len {
            let v = T::from_acc(vals[l]);
            let w = v.widen();
            if w > lo && w < hi {
                run[self.idx[l]] = v;
            } else if self.attempt[l] >= MAX_ATTEMPTS {
                return false;
            } else {
                self.idx[kept] = self.idx[l];
                self.attempt[kept] = self.attempt[l] + 1;
                kept += 1;
            }
        }
        self.len = kept;
        true
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi2,f16c")]
unsafe fn sample_run_avx512<T: Elem, S: Sampler<T::Acc>>(
    run: &mut [T],
    pos0: usize,
    key: &Key,
    s: &S,
) -> bool {
    sample_run::<T, S, Avx2>(run, pos0, key, s)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,bmi2,f16c")]
unsafe fn sample_run_avx2<T: Elem, S: Sampler<T::Acc>>(
    run: &mut [T],
    pos0: usize,
    key: &Key,
    s: &S,
) -> bool {
    sample_run::<T, S, Avx2>(run, pos0, key, s)
}

/// [`sample_run`] compiled for the best instruction set this CPU has. Fused multiply-adds are
/// only the explicit ones (`mul_add`, correctly rounded in hardware or in libm), so every
/// version writes the same bits.
fn sample_run_dispatch<T: Elem, S: Sampler<T::Acc>>(
    run: &mut [T],
    pos0: usize,
    key: &Key,
    s: &S,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("bmi2")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("f16c")
        {
            // SAFETY: the features were detected on this CPU.
            return unsafe { sample_run_avx512(run, pos0, key, s) };
        }
        if std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("bmi2")
            && std::is_x86_feature_detected!("f16c")
        {
            // SAFETY: the features were detected on this CPU.
            return unsafe { sample_run_avx2(run, pos0, key, s) };
        }
    }
    sample_run::<T, S, Portable>(run, pos0, key, s)
}

/// Fills a host buffer with the values the sampler gives positions `0..out.len()`.
pub(crate) fn sample_into<T: Elem, S: Sampler<T::Acc>>(
    out: &mut [T],
    key: &Key,
    s: &S,
) -> Result<()> {
    let layout = Layout::contiguous(out.len());
    for_each_run(out, &layout, |run, pos| {
        sample_run_dispatch(run, pos, key, s)
    })
}

/// Samples in place: the value at storage position p depends only on (key, p).
pub(crate) struct SampleOp<'a, S> {
    pub name: &'static str,
    pub key: Key,
    pub sampler: &'a S,
}

/// The samplers a [`SampleOp`] runs: on the CPU, and with the `cuda` feature on the GPU too.
#[cfg(not(feature = "cuda"))]
pub(crate) trait AnySampler: Sampler<f32> + Sampler<f64> {}
#[cfg(not(feature = "cuda"))]
impl<S: Sampler<f32> + Sampler<f64>> AnySampler for S {}
/// The samplers a [`SampleOp`] runs: on the CPU, and with the `cuda` feature on the GPU too.
#[cfg(feature = "cuda")]
pub(crate) trait AnySampler: Sampler<f32> + Sampler<f64> + crate::cuda::GpuSampler {}
#[cfg(feature = "cuda")]
impl<S: Sampler<f32> + Sampler<f64> + crate::cuda::GpuSampler> AnySampler for S {}

impl<S: AnySampler> candle_core::InplaceOp1 for SampleOp<'_, S> {
    fn name(&self) -> &'static str {
        self.name
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        crate::cuda::sample(self.name, &self.key, self.sampler, storage, layout)
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        fn go<T: Elem, S: Sampler<T::Acc>>(
            data: &mut [T],
            layout: &Layout,
            key: &Key,
            s: &S,
        ) -> Result<()> {
            for_each_run(data, layout, |run, pos| {
                sample_run_dispatch(run, pos, key, s)
            })
        }
        let (k, s) = (&self.key, self.sampler);
        let r = match storage {
            CpuStorage::F32(d) => go(d, layout, k, s),
            CpuStorage::F64(d) => go(d, layout, k, s),
            CpuStorage::F16(d) => go(d, layout, k, s),
            CpuStorage::BF16(d) => go(d, layout, k, s),
            other => Err(InitError::UnsupportedDtype {
                op: self.name,
                dtype: other.dtype(),
                allowed: "f32, f64, f16, bf16",
            }),
        };
        r.map_err(candle_core::Error::wrap)
    }
}

/// A constant, as each dtype holds it (checked representable before any write).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConstOp {
    pub value: f64,
}

/// Writes `value` at every position of the layout (`memset` speed, both cores when large).
fn fill_value<T: Copy + Send + Sync>(data: &mut [T], layout: &Layout, value: T) -> Result<()> {
    for_each_run(data, layout, |run, _| {
        run.fill(value);
        true
    })
}

impl candle_core::InplaceOp1 for ConstOp {
    fn name(&self) -> &'static str {
        "constant"
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        crate::cuda::fill(self.value, storage, layout)
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let v = self.value;
        let r = match storage {
            CpuStorage::F32(d) => fill_value(d, layout, v as f32),
            CpuStorage::F64(d) => fill_value(d, layout, v),
            CpuStorage::F16(d) => fill_value(d, layout, f16::from_f64(v)),
            CpuStorage::BF16(d) => fill_value(d, layout, bf16::from_f64(v)),
            CpuStorage::U8(d) => fill_value(d, layout, v as u8),
            CpuStorage::U32(d) => fill_value(d, layout, v as u32),
            CpuStorage::I16(d) => fill_value(d, layout, v as i16),
            CpuStorage::I32(d) => fill_value(d, layout, v as i32),
            CpuStorage::I64(d) => fill_value(d, layout, v as i64),
            other => Err(InitError::UnsupportedDtype {
                op: "constant",
                dtype: other.dtype(),
                allowed: "f32, f64, f16, bf16, u8, u32, i16, i32, i64",
            }),
        };
        r.map_err(candle_core::Error::wrap)
    }
}

/// Checks that `value` is held exactly by `dtype` (floats: finite values must not overflow;
/// integers: integral and in range), so that a constant is never silently changed.
pub(crate) fn check_representable(value: f64, dtype: DType, what: &'static str) -> Result<()> {
    let (lo, hi, integral) = match dtype {
        DType::U8 => (0.0, u8::MAX as f64, true),
        DType::U32 => (0.0, u32::MAX as f64, true),
        DType::I16 => (i16::MIN as f64, i16::MAX as f64, true),
        DType::I32 => (i32::MIN as f64, i32::MAX as f64, true),
        DType::I64 => (-9.223_372_036_854_776e18, 9.223_372_036_854_775e18, true),
        DType::F16 => (-65504.0, 65504.0, false),
        DType::BF16 => (
            -3.389_531_389_251_535_5e38,
            3.389_531_389_251_535_5e38,
            false,
        ),
        DType::F32 => (f32::MIN as f64, f32::MAX as f64, false),
        DType::F64 => return Ok(()),
        other => {
            return Err(InitError::UnsupportedDtype {
                op: what,
                dtype: other,
                allowed: "f32, f64, f16, bf16, u8, u32, i16, i32, i64",
            })
        }
    };
    let ok = if integral {
        value.fract() == 0.0 && value >= lo && value <= hi
    } else {
        !value.is_finite() || (value >= lo && value <= hi)
    };
    if ok {
        Ok(())
    } else {
        Err(InitError::NotRepresentable { what, value, dtype })
    }
}

/// Writes given values at given logical (row-major) indices of the layout; the tensor's other
/// elements are untouched. Used for the sparse structure of eye, dirac, sparse and orthogonal.
pub(crate) struct ScatterOp<'a> {
    pub name: &'static str,
    /// (logical index, value)
    pub writes: &'a [(usize, f64)],
}

fn position(layout: &Layout, mut logical: usize) -> usize {
    let mut pos = layout.start_offset();
    for (&d, &s) in layout.dims().iter().zip(layout.stride()).rev() {
        pos += (logical % d) * s;
        logical /= d;
    }
    pos
}

fn scatter<T: Copy>(
    data: &mut [T],
    layout: &Layout,
    writes: &[(usize, f64)],
    conv: impl Fn(f64) -> T,
) -> Result<()> {
    for &(i, v) in writes {
        let p = position(layout, i);
        let slot = data.get_mut(p).ok_or_else(|| {
            InitError::Internal(format!("position {p} is past the storage ({layout:?})"))
        })?;
        *slot = conv(v);
    }
    Ok(())
}

impl candle_core::InplaceOp1 for ScatterOp<'_> {
    fn name(&self) -> &'static str {
        self.name
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        crate::cuda::scatter(self.name, self.writes, storage, layout)
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let w = self.writes;
        let r = match storage {
            CpuStorage::F32(d) => scatter(d, layout, w, |v| v as f32),
            CpuStorage::F64(d) => scatter(d, layout, w, |v| v),
            CpuStorage::F16(d) => scatter(d, layout, w, f16::from_f64),
            CpuStorage::BF16(d) => scatter(d, layout, w, bf16::from_f64),
            CpuStorage::U8(d) => scatter(d, layout, w, |v| v as u8),
            CpuStorage::U32(d) => scatter(d, layout, w, |v| v as u32),
            CpuStorage::I16(d) => scatter(d, layout, w, |v| v as i16),
            CpuStorage::I32(d) => scatter(d, layout, w, |v| v as i32),
            CpuStorage::I64(d) => scatter(d, layout, w, |v| v as i64),
            other => Err(InitError::UnsupportedDtype {
                op: self.name,
                dtype: other.dtype(),
                allowed: "f32, f64, f16, bf16, u8, u32, i16, i32, i64",
            }),
        };
        r.map_err(candle_core::Error::wrap)
    }
}

/// Values in the tensor's logical (row-major) order, written at their storage positions.
pub(crate) enum Dense<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
}

pub(crate) struct DenseOp<'a> {
    pub name: &'static str,
    pub values: Dense<'a>,
}

fn write_dense<T: Copy, V: Copy>(
    data: &mut [T],
    layout: &Layout,
    values: &[V],
    conv: impl Fn(V) -> T,
) -> Result<()> {
    if let Some((start, end)) = layout.contiguous_offsets() {
        let dst = data
            .get_mut(start..end)
            .filter(|d| d.len() == values.len())
            .ok_or_else(|| {
                InitError::Internal(format!("{} values for layout {layout:?}", values.len()))
            })?;
        for (d, v) in dst.iter_mut().zip(values) {
            *d = conv(*v);
        }
        return Ok(());
    }
    for (i, v) in values.iter().enumerate() {
        let p = position(layout, i);
        *data
            .get_mut(p)
            .ok_or_else(|| InitError::Internal(format!("position {p} is past the storage")))? =
            conv(*v);
    }
    Ok(())
}

impl candle_core::InplaceOp1 for DenseOp<'_> {
    fn name(&self) -> &'static str {
        self.name
    }

    /// The values were computed on the host (orthogonal's QR): uploaded into the storage.
    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        match self.values {
            Dense::F32(v) => crate::cuda::dense_f32(self.name, v, storage, layout),
            Dense::F64(v) => crate::cuda::dense_f64(self.name, v, storage, layout),
        }
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let r = match (storage, &self.values) {
            (CpuStorage::F32(d), Dense::F32(v)) => write_dense(d, layout, v, |x| x),
            (CpuStorage::F16(d), Dense::F32(v)) => write_dense(d, layout, v, f16::from_f32),
            (CpuStorage::BF16(d), Dense::F32(v)) => write_dense(d, layout, v, bf16::from_f32),
            (CpuStorage::F64(d), Dense::F64(v)) => write_dense(d, layout, v, |x| x),
            (other, _) => Err(InitError::Internal(format!(
                "{}: no dense write of these values into {:?}",
                self.name,
                other.dtype()
            ))),
        };
        r.map_err(candle_core::Error::wrap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::{Normal, TruncNormal, Uniform};

    /// The plain x86-64 build of the kernel (libm's fmaf) and the AVX2/AVX-512 build chosen at
    /// run time must write the same bits.
    #[test]
    fn every_simd_level_writes_the_same_bits() {
        fn same<T: Elem + PartialEq + std::fmt::Debug, S: Sampler<T::Acc>>(s: &S) {
            let key = Key {
                key: [9, 8],
                stream: 7,
            };
            let mut plain = vec![T::from_acc(Default::default()); 1000];
            let mut fast = plain.clone();
            sample_run::<T, S, Portable>(&mut plain, 13, &key, s);
            sample_run_dispatch(&mut fast, 13, &key, s);
            for (i, (a, b)) in plain.iter().zip(&fast).enumerate() {
                assert!(
                    a == b || (a.to_f64().is_nan() && b.to_f64().is_nan()),
                    "element {i}: {a:?} vs {b:?}"
                );
            }
        }
        let n = Normal {
            mean: 0.5,
            std: 2.0,
        };
        let u = Uniform {
            low: -1.0,
            high: 3.0,
        };
        same::<f32, _>(&n);
        same::<f64, _>(&n);
        same::<bf16, _>(&n);
        same::<f16, _>(&u);
        same::<f32, _>(&u);
        for (a, b) in [(-2.0, 2.0), (-0.1, 0.1), (2.0, 3.0), (2.0, 2.05)] {
            let t = TruncNormal::new(0.0, 1.0, a, b);
            same::<f32, _>(&t);
            same::<f64, _>(&t);
            same::<bf16, _>(&t);
        }
    }

    /// A sampler that rejects every candidate until attempt 3: whole batches of redraws are
    /// rejected again, and the queue must still make room (it once overflowed when all of a
    /// full batch came back rejected).
    #[test]
    fn redraws_survive_batches_rejected_whole() {
        struct Stubborn;
        impl Sampler<f32> for Stubborn {
            fn chunk<I: Isa>(&self, _key: &Key, _chunk: u64, out: &mut [f32; CHUNK]) {
                *out = [f32::NAN; CHUNK];
            }
            fn bounds(&self) -> Option<Bounds> {
                Some(Bounds {
                    lo: 0.0,
                    hi: 1e9,
                    lo_closed: false,
                })
            }
            fn retry_lanes<I: Isa>(
                &self,
                _key: &Key,
                pos: &[u64; RETRY],
                attempt: &[u16; RETRY],
                out: &mut [f32; RETRY],
            ) {
                for l in 0..RETRY {
                    out[l] = if attempt[l] >= 3 {
                        pos[l] as f32 + 1.0
                    } else {
                        f32::NAN
                    };
                }
            }
        }
        let key = Key {
            key: [1, 1],
            stream: 1,
        };
        let mut run = vec![0f32; 3 * CHUNK + 5];
        assert!(sample_run::<f32, _, Portable>(&mut run, 7, &key, &Stubborn));
        for (i, &v) in run.iter().enumerate() {
            assert_eq!(v, (7 + i) as f32 + 1.0, "position {i}");
        }
    }

    /// The AVX2 `outside` masks equal the portable ones bit for bit, for values on, next to and
    /// between the thresholds, NaN and infinities, in every position of the 64.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn outside_masks_agree_on_every_simd_level() {
        #[target_feature(enable = "avx2,fma,bmi2,f16c")]
        unsafe fn fast<T: Elem>(v: &[T; 64], lo: T::Wide, hi: T::Wide) -> u64 {
            T::outside::<Avx2>(v, lo, hi)
        }
        fn check<T: Elem>(from: fn(f32) -> T) {
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
                let plain = outside_by_bytes::<T, Portable>(&v, lo, hi);
                assert_ne!(plain, 0);
                assert_ne!(plain, u64::MAX);
                if std::is_x86_feature_detected!("avx2")
                    && std::is_x86_feature_detected!("fma")
                    && std::is_x86_feature_detected!("bmi2")
                    && std::is_x86_feature_detected!("f16c")
                {
                    // SAFETY: the features were detected on this CPU.
                    assert_eq!(unsafe { fast(&v, lo, hi) }, plain);
                }
                for (i, x) in v.iter().enumerate() {
                    let w = x.widen();
                    assert_eq!(plain >> i & 1 == 1, !(w > lo && w < hi));
                }
            }
        }
        check::<f32>(|x| x);
        check::<bf16>(bf16::from_f32);
        check::<f16>(f16::from_f32);
        check::<f64>(f64::from);
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

    #[test]
    fn runs_merge_contiguous_and_transposed_layouts() {
        let l = Layout::contiguous((4, 5));
        assert_eq!(Runs::of(&l), Runs::Single { start: 0, len: 20 });
        let t = l.transpose(0, 1).unwrap();
        assert_eq!(Runs::of(&t), Runs::Single { start: 0, len: 20 });
        let rows = l.narrow(0, 1, 2).unwrap();
        assert_eq!(Runs::of(&rows), Runs::Single { start: 5, len: 10 });
        let starts = |runs: &Runs| match runs {
            Runs::Blocks {
                start,
                outer,
                count,
                len,
            } => {
                let mut it = RunStarts::new(*start, outer, 0);
                let all: Vec<usize> = (0..*count).map(|_| it.next_start()).collect();
                // Starting anywhere gives the same runs.
                for (first, &s) in all.iter().enumerate() {
                    assert_eq!(RunStarts::new(*start, outer, first).pos, s);
                }
                assert_eq!(runs.end(), all[count - 1] + len);
                (all, *len)
            }
            Runs::Single { .. } => panic!("expected blocks, got {runs:?}"),
        };
        let cols = l.narrow(1, 1, 3).unwrap();
        assert_eq!(starts(&Runs::of(&cols)), (vec![1, 6, 11, 16], 3));
        let col = l.narrow(1, 2, 1).unwrap();
        assert_eq!(starts(&Runs::of(&col)), (vec![2, 7, 12, 17], 1));
        // Rows of a 3-D block, and a slice of its transposed view (contiguous again in storage
        // order: runs are found whatever the order of the dimensions).
        let cube = Layout::contiguous((3, 4, 5));
        let inner = cube.narrow(1, 1, 2).unwrap().narrow(2, 0, 4).unwrap();
        assert_eq!(starts(&Runs::of(&inner)), (vec![5, 10, 25, 30, 45, 50], 4));
        let tcol = cube.transpose(0, 2).unwrap().narrow(1, 3, 1).unwrap();
        assert_eq!(starts(&Runs::of(&tcol)), (vec![15, 35, 55], 5));
        let empty = Layout::contiguous((0, 3));
        assert_eq!(Runs::of(&empty), Runs::Single { start: 0, len: 0 });
    }
}
