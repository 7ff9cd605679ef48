//! Sampling on the CPU: a run of consecutive storage positions filled chunk by chunk, values
//! outside the sampler's bounds queued and redrawn, compiled for the best instruction set this
//! CPU has.

use candle_core::Layout;

use crate::cpu::elem::Elem;
use crate::cpu::redraw::{collect_set_bits, Redraws};
use crate::cpu::walk::for_each_run;
use crate::dist::{Sampler, CHUNK};
use crate::error::Result;
#[cfg(target_arch = "x86_64")]
use crate::isa::{Avx2, Avx512};
use crate::isa::{Isa, Portable};
use crate::layout::{RunStarts, Runs};
use crate::philox::Key;
use crate::real::Real;

/// Rejected positions collected before they are redrawn (at least one chunk's worth).
const REJECTS: usize = 4 * CHUNK;

/// Writes sampled values into `run`, whose first element is storage position `pos0`.
/// Returns false if some position was still rejected after [`MAX_ATTEMPTS`] draws.
///
/// With bounds, each chunk's values are checked while they are in cache (one vectorized
/// comparison per value, then a bit scan over the rejected ones), and rejected positions are
/// queued and redrawn `RETRY` at a time.
///
/// [`MAX_ATTEMPTS`]: crate::dist::MAX_ATTEMPTS
#[inline(always)]
fn sample_run<T: Elem, S: Sampler<T::Acc>, I: Isa>(
    isa: I,
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
        Some(b) => Some(Redraws::<T, S, I>::new(isa, pos0, key, s, &b)),
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
        s.chunk(isa, key, (pos / CHUNK) as u64, &mut vals);
        let seg = &mut run[i..i + n];
        for (d, v) in seg.iter_mut().zip(&vals[off..off + n]) {
            *d = T::from_acc(*v);
        }
        if let Some(redraws) = redraws.as_mut() {
            let (lo, hi) = redraws.wide;
            let (whole, tail) = seg.as_chunks::<64>();
            for (k, vals) in whole.iter().enumerate() {
                let m = T::outside(isa, vals, lo, hi);
                collect_set_bits(m, i + 64 * k, &mut rejects, &mut nrej);
            }
            if let Some(&first) = tail.first() {
                // The last few padded with a copy of their first, those bits masked off.
                let mut pad = [first; 64];
                pad[..tail.len()].copy_from_slice(tail);
                let m = T::outside(isa, &pad, lo, hi) & ((1u64 << tail.len()) - 1);
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

/// [`sample_run`] compiled for AVX-512 (the AVX2 kernels, encoded with its registers).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi2,f16c")]
fn sample_run_avx512<T: Elem, S: Sampler<T::Acc>>(
    isa: Avx512,
    run: &mut [T],
    pos0: usize,
    key: &Key,
    s: &S,
) -> bool {
    sample_run(isa.avx2(), run, pos0, key, s)
}

/// [`sample_run`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,bmi2,f16c")]
fn sample_run_avx2<T: Elem, S: Sampler<T::Acc>>(
    isa: Avx2,
    run: &mut [T],
    pos0: usize,
    key: &Key,
    s: &S,
) -> bool {
    sample_run(isa, run, pos0, key, s)
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
        if let Some(isa) = Avx512::detect() {
            // SAFETY: `isa` proves that this CPU has the features the function is compiled for.
            return unsafe { sample_run_avx512(isa, run, pos0, key, s) };
        }
        if let Some(isa) = Avx2::detect() {
            // SAFETY: `isa` proves that this CPU has the features the function is compiled for.
            return unsafe { sample_run_avx2(isa, run, pos0, key, s) };
        }
    }
    sample_run(Portable, run, pos0, key, s)
}

/// Samples `s` into every position of `layout` in `data`: the value at storage position p
/// depends only on (key, p).
pub(crate) fn sample<T: Elem, S: Sampler<T::Acc>>(
    data: &mut [T],
    layout: &Layout,
    key: &Key,
    s: &S,
) -> Result<()> {
    for_each_run(data, layout, |run, pos| {
        sample_run_dispatch(run, pos, key, s)
    })
}

/// Fills `data` (contiguous, in the row-major order of `view`) with the values the sampler gives
/// the storage positions of `view`, a view of a larger tensor that is not in memory: a shard
/// gets exactly what the full tensor would hold there.
pub(crate) fn sample_mapped<T: Elem, S: Sampler<T::Acc>>(
    data: &mut [T],
    view: &Layout,
    key: &Key,
    s: &S,
) -> Result<()> {
    use rayon::prelude::*;
    if data.len() != view.shape().elem_count() {
        return Err(crate::error::InitError::Internal(format!(
            "a shard of {} elements for a view of {}",
            data.len(),
            view.shape().elem_count()
        )));
    }
    match Runs::of(view) {
        Runs::Single { start, len } => {
            for_each_run(&mut data[..len], &Layout::contiguous(len), |run, p| {
                sample_run_dispatch(run, p + start, key, s)
            })
        }
        Runs::Blocks {
            start, outer, len, ..
        } => {
            // Whole runs per task, about a PIECE of values each.
            let per_task = ((1 << 16) / len).max(1);
            let ok = data
                .par_chunks_mut(per_task * len)
                .enumerate()
                .map(|(t, runs)| {
                    let mut starts = RunStarts::new(start, &outer, t * per_task);
                    runs.chunks_mut(len)
                        .all(|run| sample_run_dispatch(run, starts.next_start(), key, s))
                })
                .reduce(|| true, |x, y| x && y);
            if ok {
                Ok(())
            } else {
                Err(crate::error::InitError::Internal(format!(
                    "a rejection sampler rejected some position {} times in a row",
                    crate::dist::MAX_ATTEMPTS
                )))
            }
        }
    }
}

/// Fills a host buffer with the values the sampler gives positions `0..out.len()`.
pub(crate) fn sample_into<T: Elem, S: Sampler<T::Acc>>(
    out: &mut [T],
    key: &Key,
    s: &S,
) -> Result<()> {
    sample(out, &Layout::contiguous(out.len()), key, s)
}

#[cfg(test)]
mod tests {
    use half::{bf16, f16};

    use super::*;
    use crate::dist::{Bounds, Normal, TruncNormal, Uniform};
    use crate::philox::RETRY;

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
            sample_run(Portable, &mut plain, 13, &key, s);
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
    /// rejected again, and the queue must still make room when all of a full batch comes back
    /// rejected.
    #[test]
    fn redraws_survive_batches_rejected_whole() {
        struct Stubborn;
        impl Sampler<f32> for Stubborn {
            fn chunk<I: Isa>(&self, _isa: I, _key: &Key, _chunk: u64, out: &mut [f32; CHUNK]) {
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
                _isa: I,
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
        assert!(sample_run(Portable, &mut run, 7, &key, &Stubborn));
        for (i, &v) in run.iter().enumerate() {
            assert_eq!(v, (7 + i) as f32 + 1.0, "position {i}");
        }
    }
}
