//! The initializers with structure: eye, dirac, orthogonal, sparse and delta_orthogonal.

use candle_core::{CpuStorage, DType, Layout, Tensor};

use crate::cpu::sample_into;
use crate::dist::Normal;
use crate::error::{InitError, Result};
use crate::generator::{mix64, Generator, SeqRng};
use crate::ops::{sample, ConstOp, Dense, DenseOp, ScatterOp};
use crate::philox::Key;

/// Row-major logical index of a multi-index.
fn logical(dims: &[usize], idx: &[usize]) -> usize {
    dims.iter().zip(idx).fold(0, |acc, (&d, &i)| acc * d + i)
}

fn zero_then_scatter(t: &Tensor, name: &'static str, writes: &[(usize, f64)]) -> Result<()> {
    t.inplace_op1(&ConstOp { value: 0.0 })?;
    t.inplace_op1(&ScatterOp { name, writes })?;
    Ok(())
}

/// Ones on the main diagonal, zeros elsewhere. Checked by the caller: 2-D.
pub(crate) fn eye(t: &Tensor) -> Result<()> {
    let d = t.dims();
    let writes: Vec<(usize, f64)> = (0..d[0].min(d[1])).map(|i| (i * d[1] + i, 1.0)).collect();
    zero_then_scatter(t, "eye", &writes)
}

/// PyTorch's dirac_: for each group g and channel c < min(out/groups, in), a one at
/// (g * out/groups + c, c, centre of the kernel). Checked by the caller: 3-5-D, groups divide.
pub(crate) fn dirac(t: &Tensor, groups: usize) -> Result<()> {
    let d = t.dims();
    let per_group = d[0] / groups;
    let min_dim = per_group.min(d[1]);
    let mut idx: Vec<usize> = d.iter().map(|&k| k / 2).collect();
    let mut writes = Vec::with_capacity(groups * min_dim);
    for g in 0..groups {
        for c in 0..min_dim {
            idx[0] = g * per_group + c;
            idx[1] = c;
            writes.push((logical(d, &idx), 1.0));
        }
    }
    zero_then_scatter(t, "dirac", &writes)
}

/// Writes `at(i, j)` for the `m x k` matrix into `dst` in row-major order, by tiles (so that a
/// column-major source is read in cache-sized blocks).
fn write_row_major<T>(m: usize, k: usize, dst: &mut [T], at: impl Fn(usize, usize) -> T) {
    const TILE: usize = 64;
    for i0 in (0..m).step_by(TILE) {
        for j0 in (0..k).step_by(TILE) {
            for i in i0..(i0 + TILE).min(m) {
                for j in j0..(j0 + TILE).min(k) {
                    dst[i * k + j] = at(i, j);
                }
            }
        }
    }
}

/// The parallelism of the QR decomposition: fixed, so that the result does not depend on the
/// size of the thread pool it runs in (faer partitions its work by this count, not by threads).
const QR_PAR: usize = 2;

macro_rules! orthogonal_q {
    ($T:ty, $rows:expr, $cols:expr, $key:expr, $gain:expr) => {{
        use faer::dyn_stack::{MemBuffer, MemStack};
        use faer::linalg::householder::{
            apply_block_householder_on_the_left_in_place_scratch,
            apply_block_householder_on_the_left_in_place_with_conj,
        };
        use faer::linalg::qr::no_pivoting::factor::{
            qr_in_place, qr_in_place_scratch, recommended_blocksize,
        };
        use faer::{Conj, Mat, MatMut, Par};

        let (rows, cols) = ($rows, $cols);
        let par = Par::rayon(QR_PAR);
        // The normal matrix, (rows, cols) or its transpose when wide so that m >= k, drawn
        // directly in the column-major order faer works in.
        let wide = rows < cols;
        let (m, k) = if wide { (cols, rows) } else { (rows, cols) };
        let mut buf = vec![0.0 as $T; m * k];
        sample_into(
            &mut buf,
            &$key,
            &Normal {
                mean: 0.0,
                std: 1.0,
            },
        )?;
        let bs = recommended_blocksize::<$T>(m, k);
        let mut coeff = Mat::<$T>::zeros(bs, k);
        let mut a = MatMut::from_column_major_slice_mut(&mut buf, m, k);
        let mut mem = MemBuffer::new(
            qr_in_place_scratch::<$T>(m, k, bs, par, Default::default()).or(
                apply_block_householder_on_the_left_in_place_scratch::<$T>(m, bs, k),
            ),
        );
        qr_in_place(
            a.as_mut(),
            coeff.as_mut(),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        );
        // Q = H_1 ... H_k applied to the first k columns of the identity, block by block from
        // the last, each only to the trailing rows and columns it changes (as LAPACK's orgqr).
        let mut q = Mat::<$T>::zeros(m, k);
        for j in 0..k {
            q[(j, j)] = 1.0;
        }
        let mut end = k;
        let mut size = if k.is_multiple_of(bs) { bs } else { k % bs };
        while end > 0 {
            let start = end - size;
            apply_block_householder_on_the_left_in_place_with_conj(
                a.as_ref().get(start.., start..end),
                coeff.as_ref().get(..size, start..end),
                Conj::No,
                q.as_mut().get_mut(start.., start..),
                par,
                MemStack::new(&mut mem),
            );
            end = start;
            size = bs;
        }
        // Make the decomposition unique (R's diagonal positive), so that Q is Haar-distributed,
        // and write Q column-major into `buf`: read row-major, that is the wide (k x m) result.
        let gain = $gain as $T;
        let signs: Vec<$T> = (0..k)
            .map(|j| if a[(j, j)] < 0.0 { -gain } else { gain })
            .collect();
        // The result in the tensor's row-major order, written over the normal matrix: Q
        // column-major is already the wide (k x m) result; a tall one is Q transposed.
        if wide {
            for (j, f) in signs.iter().enumerate() {
                for (dst, x) in buf[j * m..(j + 1) * m].iter_mut().zip(q.col(j).iter()) {
                    *dst = f * *x;
                }
            }
        } else {
            write_row_major(m, k, &mut buf, |i, j| signs[j] * q[(i, j)]);
        }
        buf
    }};
}

/// A (semi-)orthogonal matrix from the reduced QR decomposition of a normal matrix, with the
/// sign correction. The matrix is (size(column_axis), numel / size(column_axis)): its row `r`
/// is the slice at index `r` of `column_axis`, the other axes flattened in order; with
/// `column_axis = 0` that is PyTorch's flatten rule (size(0), numel / size(0)). Checked by the
/// caller: 2 or more dimensions, the axis inside. Computed in f32 for f32/f16/bf16, f64 for f64.
pub(crate) fn orthogonal(
    t: &Tensor,
    gain: f64,
    column_axis: i64,
    rng: &mut Generator,
) -> Result<()> {
    let key = rng.next_key();
    let dims = t.dims();
    let numel = t.elem_count();
    if numel == 0 {
        return Ok(());
    }
    let axis = init_spec::resolve_axis(column_axis, dims.len()).ok_or_else(|| {
        InitError::Internal(format!("orthogonal: column_axis {column_axis} of {dims:?}"))
    })?;
    let rows = dims[axis];
    let cols = numel / rows;
    if t.dtype() == DType::F64 {
        let v = move_rows_to_axis(orthogonal_q!(f64, rows, cols, key, gain), dims, axis);
        t.inplace_op1(&DenseOp {
            name: "orthogonal",
            values: Dense::F64(&v),
        })?;
    } else {
        let v = move_rows_to_axis(orthogonal_q!(f32, rows, cols, key, gain), dims, axis);
        t.inplace_op1(&DenseOp {
            name: "orthogonal",
            values: Dense::F32(&v),
        })?;
    }
    Ok(())
}

/// The row-major (dims[axis], numel / dims[axis]) matrix `m` in the tensor's row-major order:
/// element (r, c) goes to the position whose index on `axis` is r and whose other indices,
/// flattened in order, are c.
fn move_rows_to_axis<T: Copy + Default>(m: Vec<T>, dims: &[usize], axis: usize) -> Vec<T> {
    if axis == 0 {
        return m;
    }
    let rows = dims[axis];
    let outer: usize = dims[..axis].iter().product();
    let inner: usize = dims[axis + 1..].iter().product();
    let cols = outer * inner;
    let mut out = vec![T::default(); m.len()];
    for o in 0..outer {
        for r in 0..rows {
            let dst = (o * rows + r) * inner;
            let src = r * cols + o * inner;
            out[dst..dst + inner].copy_from_slice(&m[src..src + inner]);
        }
    }
    out
}

/// JAX's delta_orthogonal: zeros, and at the centre tap ((k - 1) / 2 on each spatial axis) of a
/// (out, in, kernel...) kernel an orthogonal (out, in) matrix (orthonormal columns) times
/// `scale`. Checked by the caller: 3-5-D, in <= out.
pub(crate) fn delta_orthogonal(t: &Tensor, scale: f64, rng: &mut Generator) -> Result<()> {
    let key = rng.next_key();
    let d = t.dims();
    if t.elem_count() == 0 {
        return Ok(());
    }
    let (out, inputs) = (d[0], d[1]);
    let q: Vec<f64> = if t.dtype() == DType::F64 {
        orthogonal_q!(f64, out, inputs, key, scale)
    } else {
        let q: Vec<f32> = orthogonal_q!(f32, out, inputs, key, scale);
        q.into_iter().map(f64::from).collect()
    };
    let mut idx: Vec<usize> = d.iter().map(|&k| k.saturating_sub(1) / 2).collect();
    let mut writes = Vec::with_capacity(out * inputs);
    for o in 0..out {
        for i in 0..inputs {
            idx[0] = o;
            idx[1] = i;
            writes.push((logical(d, &idx), q[o * inputs + i]));
        }
    }
    zero_then_scatter(t, "delta_orthogonal", &writes)
}

/// N(0, std^2), then in each column `ceil(sparsity * rows)` distinct rows, chosen uniformly
/// (a partial Fisher-Yates shuffle per column, on the column's own Philox stream), set to zero.
/// Checked by the caller. Allocates one permutation of the rows, nothing of the tensor's size.
pub(crate) fn sparse(t: &Tensor, sparsity: f64, std: f64, rng: &mut Generator) -> Result<()> {
    let rows = t.dims()[0];
    let mut own = Generator::with_stream(rng.seed(), rng.next_key().stream);
    sample("sparse", t, &Normal { mean: 0.0, std }, &mut own)?;
    t.inplace_op1(&SparseZeros {
        key: own.next_key(),
        num_zeros: (sparsity * rows as f64).ceil() as usize,
    })?;
    Ok(())
}

/// Zeros `num_zeros` uniformly chosen distinct rows of every column of a 2-D tensor.
struct SparseZeros {
    key: Key,
    num_zeros: usize,
}

impl SparseZeros {
    /// Calls `f` with every storage position to zero, column by column; each column's rows
    /// come from a partial Fisher-Yates shuffle on the column's own Philox stream.
    fn for_each_position(
        &self,
        layout: &Layout,
        mut f: impl FnMut(usize) -> Result<()>,
    ) -> Result<()> {
        let (rows, cols) = (layout.dims()[0], layout.dims()[1]);
        let (rs, cs) = (layout.stride()[0], layout.stride()[1]);
        let start = layout.start_offset();
        if rows > u32::MAX as usize {
            return Err(InitError::Internal(format!(
                "sparse: {rows} rows exceed u32"
            )));
        }
        let mut perm: Vec<u32> = Vec::with_capacity(rows);
        for col in 0..cols {
            let mut r = SeqRng::new(
                Key {
                    key: self.key.key,
                    stream: mix64(self.key.stream ^ col as u64),
                },
                1,
            );
            perm.clear();
            perm.extend(0..rows as u32);
            for i in 0..self.num_zeros {
                let j = i + r.below((rows - i) as u32) as usize;
                perm.swap(i, j);
                f(start + perm[i] as usize * rs + col * cs)?;
            }
        }
        Ok(())
    }

    /// The storage positions [`SparseZeros::write`] zeroes, in the same order.
    #[cfg(feature = "cuda")]
    fn positions(&self, layout: &Layout) -> Result<Vec<usize>> {
        let mut out = Vec::with_capacity(self.num_zeros * layout.dims()[1]);
        self.for_each_position(layout, |p| {
            out.push(p);
            Ok(())
        })?;
        Ok(out)
    }

    fn write<T: Copy + Default>(&self, data: &mut [T], layout: &Layout) -> Result<()> {
        self.for_each_position(layout, |p| {
            *data.get_mut(p).ok_or_else(|| {
                InitError::Internal(format!("sparse: position {p} past the storage"))
            })? = T::default();
            Ok(())
        })
    }
}

impl candle_core::InplaceOp1 for SparseZeros {
    fn name(&self) -> &'static str {
        "sparse"
    }

    /// The zeroed positions are chosen on the host (as on the CPU) and scattered by a kernel.
    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        let positions = self.positions(layout).map_err(candle_core::Error::wrap)?;
        crate::cuda::zero_positions("sparse", &positions, storage)
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let r = match storage {
            CpuStorage::F32(d) => self.write(d, layout),
            CpuStorage::F64(d) => self.write(d, layout),
            CpuStorage::F16(d) => self.write(d, layout),
            CpuStorage::BF16(d) => self.write(d, layout),
            _ => Err(InitError::Internal("sparse: checked float dtype".into())),
        };
        r.map_err(candle_core::Error::wrap)
    }
}
