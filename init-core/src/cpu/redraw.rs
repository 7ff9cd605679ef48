//! The CPU backend's rejection queue: positions whose values fell outside a sampler's bounds,
//! collected from the masks of a chunk and redrawn [`RETRY`] at a time as vector lanes.

use crate::cpu::elem::Elem;
use crate::dist::{Bounds, Sampler, MAX_ATTEMPTS};
use crate::isa::Isa;
use crate::philox::{Key, RETRY};

/// Rejected positions of each 64 a chunk's scan records without a branch: with 4.6% rejected
/// (trunc_normal on (-2, 2)), 84% of the 64-flag words have at most this many.
const UNROLLED: usize = 4;

/// Appends `base + i` to `list[*len..]` for each bit `i` set in `m`; `list` must have room
/// for one entry more than it receives.
///
/// The first [`UNROLLED`] bits go without a branch (a loop ending after an unpredictable number
/// of rounds costs a misprediction per word): each round writes an index and counts it only if
/// a bit was left.
#[inline(always)]
pub(super) fn collect_set_bits(mut m: u64, base: usize, list: &mut [usize], len: &mut usize) {
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

/// Rejected positions of a run (indices into it) waiting to be redrawn, with the attempt each
/// is at; redrawn `RETRY` at a time so that the redraws run as vector lanes.
pub(super) struct Redraws<'a, T: Elem, S, I> {
    idx: [usize; RETRY],
    attempt: [u16; RETRY],
    len: usize,
    pos0: usize,
    key: &'a Key,
    sampler: &'a S,
    /// The bounds as [`Elem::wide_bounds`] gives them.
    pub wide: (T::Wide, T::Wide),
    isa: I,
}

impl<'a, T: Elem, S: Sampler<T::Acc>, I: Isa> Redraws<'a, T, S, I> {
    /// An empty queue for the run whose first element is storage position `pos0`, redrawing
    /// what lies outside `bounds`.
    #[inline(always)]
    pub fn new(isa: I, pos0: usize, key: &'a Key, sampler: &'a S, bounds: &Bounds) -> Self {
        Redraws {
            idx: [0; RETRY],
            attempt: [0; RETRY],
            len: 0,
            pos0,
            key,
            sampler,
            wide: T::wide_bounds(bounds),
            isa,
        }
    }

    /// Queues the positions `list` (run indices) at the sampler's first redraw attempt,
    /// redrawing whole batches as the queue fills; up to `RETRY - 1` positions stay queued for
    /// the next call (no partly empty batches). False when some position was rejected
    /// [`MAX_ATTEMPTS`] times.
    #[inline(always)]
    pub fn push_all(&mut self, run: &mut [T], mut list: &[usize]) -> bool {
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
    pub fn redraw_all(&mut self, run: &mut [T], list: &[usize]) -> bool {
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
            .retry_lanes(self.isa, self.key, &pos, &self.attempt, &mut vals);
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
