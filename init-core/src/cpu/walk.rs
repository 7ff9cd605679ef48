//! The CPU backend's walk over a layout: its runs of consecutive storage positions, split into
//! tasks on rayon's threads when large. Tasks start at fixed storage positions, so a run's
//! values never depend on the thread count.

use candle_core::Layout;
use rayon::prelude::*;

use crate::dist::{CHUNK, MAX_ATTEMPTS};
use crate::error::{InitError, Result};
use crate::layout::{end, RunStarts, Runs};

/// Elements per rayon task; a multiple of [`CHUNK`] so that tasks start on chunk boundaries.
const PIECE: usize = 1 << 16;
const _: () = assert!(PIECE.is_multiple_of(CHUNK));
/// Below this many elements one thread does the work.
const PAR_MIN: usize = 1 << 15;

/// A pointer that may cross threads: each thread writes a disjoint set of positions.
struct SharedMut<T>(*mut T);
impl<T> Clone for SharedMut<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SharedMut<T> {}
// SAFETY: the only `SharedMut` is made in `for_each_run` from a `&mut [T]` borrowed for the
// whole call, whose parallel iterators end before it returns; its tasks dereference it at
// disjoint runs only, as if the slice had been split. Handing another thread such access to
// `T`s needs `T: Send`, as splitting a `&mut [T]` across threads does.
unsafe impl<T: Send> Send for SharedMut<T> {}
// SAFETY: as for `Send`: a `&SharedMut` only gives out copies of the pointer, dereferenced
// at disjoint runs.
unsafe impl<T: Send> Sync for SharedMut<T> {}
impl<T> SharedMut<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

/// Calls `f(run, first_position)` on every run of the layout, on several threads when large.
/// `f` returns false when it could not complete its run.
pub(crate) fn for_each_run<T: Send>(
    data: &mut [T],
    layout: &Layout,
    f: impl Fn(&mut [T], usize) -> bool + Sync,
) -> Result<()> {
    let runs = Runs::of(layout);
    if end(layout) > data.len() {
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
                    // start in increasing order); `data` outlives the threads (they end
                    // before this function returns); and the runs of a layout without internal
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
