//! The storage positions a (possibly strided) layout covers, for the CPU and the CUDA backends:
//! axes sorted and merged, runs of consecutive positions, the position of a logical index.

use candle_core::Layout;

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

/// One past the largest storage position of the layout; its start when it is empty.
pub(crate) fn end(layout: &Layout) -> usize {
    let start = layout.start_offset();
    if layout.dims().contains(&0) {
        return start;
    }
    let last: usize = layout
        .dims()
        .iter()
        .zip(layout.stride())
        .map(|(&d, &s)| (d - 1) * s)
        .sum();
    start + last + 1
}

/// Storage position of a logical (row-major) index of the layout.
pub(crate) fn position(layout: &Layout, mut logical: usize) -> usize {
    let mut pos = layout.start_offset();
    for (&d, &s) in layout.dims().iter().zip(layout.stride()).rev() {
        pos += (logical % d) * s;
        logical /= d;
    }
    pos
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

impl Runs {
    /// The layout's positions in increasing storage order, from its [`merged_axes`]: a
    /// transposed matrix is one run.
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
}

/// The start positions of consecutive runs of a [`Runs::Blocks`], from a given run on.
pub(crate) struct RunStarts<'a> {
    outer: &'a [(usize, usize)],
    idx: Vec<usize>,
    pos: usize,
}

impl<'a> RunStarts<'a> {
    /// From run `first` of the runs with these `start` and `outer` axes.
    pub fn new(start: usize, outer: &'a [(usize, usize)], first: usize) -> Self {
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
    pub fn next_start(&mut self) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_contiguous_and_transposed_layouts() {
        let l = Layout::contiguous((4, 5));
        assert_eq!(Runs::of(&l), Runs::Single { start: 0, len: 20 });
        let t = l.transpose(0, 1).unwrap();
        assert_eq!(Runs::of(&t), Runs::Single { start: 0, len: 20 });
        let rows = l.narrow(0, 1, 2).unwrap();
        assert_eq!(Runs::of(&rows), Runs::Single { start: 5, len: 10 });
        let starts = |layout: &Layout| match Runs::of(layout) {
            Runs::Blocks {
                start,
                outer,
                count,
                len,
            } => {
                let mut it = RunStarts::new(start, &outer, 0);
                let all: Vec<usize> = (0..count).map(|_| it.next_start()).collect();
                // Starting anywhere gives the same runs.
                for (first, &s) in all.iter().enumerate() {
                    assert_eq!(RunStarts::new(start, &outer, first).pos, s);
                }
                assert_eq!(end(layout), all[count - 1] + len);
                (all, len)
            }
            runs => panic!("expected blocks, got {runs:?}"),
        };
        let cols = l.narrow(1, 1, 3).unwrap();
        assert_eq!(starts(&cols), (vec![1, 6, 11, 16], 3));
        let col = l.narrow(1, 2, 1).unwrap();
        assert_eq!(starts(&col), (vec![2, 7, 12, 17], 1));
        // Rows of a 3-D block, and a slice of its transposed view (contiguous again in storage
        // order: runs are found whatever the order of the dimensions).
        let cube = Layout::contiguous((3, 4, 5));
        let inner = cube.narrow(1, 1, 2).unwrap().narrow(2, 0, 4).unwrap();
        assert_eq!(starts(&inner), (vec![5, 10, 25, 30, 45, 50], 4));
        let tcol = cube.transpose(0, 2).unwrap().narrow(1, 3, 1).unwrap();
        assert_eq!(starts(&tcol), (vec![15, 35, 55], 5));
        let empty = Layout::contiguous((0, 3));
        assert_eq!(Runs::of(&empty), Runs::Single { start: 0, len: 0 });
        assert_eq!(end(&empty), 0);
    }

    /// The merged axes cover exactly the positions of the logical indices, in another order.
    #[test]
    fn merged_axes_cover_the_logical_positions() {
        let l = Layout::contiguous((4, 5, 6));
        assert_eq!(merged_axes(&l), vec![(120, 1)]);
        let cols = l.narrow(2, 1, 3).unwrap();
        assert_eq!(merged_axes(&cols), vec![(20, 6), (3, 1)]);
        let t = l.narrow(1, 1, 3).unwrap().transpose(0, 2).unwrap();
        let axes = merged_axes(&t);
        let n: usize = axes.iter().map(|a| a.0).product();
        let mut from_axes: Vec<usize> = (0..n)
            .map(|mut i| {
                let mut pos = t.start_offset();
                for &(d, s) in axes.iter().rev() {
                    pos += (i % d) * s;
                    i /= d;
                }
                pos
            })
            .collect();
        let mut from_layout: Vec<usize> = (0..t.shape().elem_count())
            .map(|i| position(&t, i))
            .collect();
        from_axes.sort_unstable();
        from_layout.sort_unstable();
        assert_eq!(from_axes, from_layout);
        assert_eq!(end(&t), *from_layout.last().unwrap() + 1);
    }
}
