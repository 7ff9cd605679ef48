//! The initializers with structure: eye, dirac, orthogonal and sparse.

use candle_core::{DType, Tensor};
use faer::Mat;

use crate::dist::Normal;
use crate::error::Result;
use crate::fill::{sample_into, ConstOp, Dense, DenseOp, ScatterOp};
use crate::generator::{mix64, Generator, SeqRng};
use crate::init::sample;
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

macro_rules! orthogonal_q {
    ($T:ty, $rows:expr, $cols:expr, $key:expr, $gain:expr) => {{
        let (rows, cols) = ($rows, $cols);
        // PyTorch: a (rows, cols) standard normal matrix, transposed when wide.
        let mut flat = vec![0.0 as $T; rows * cols];
        sample_into(
            &mut flat,
            &$key,
            &Normal {
                mean: 0.0,
                std: 1.0,
            },
        );
        let wide = rows < cols;
        let (m, k) = if wide { (cols, rows) } else { (rows, cols) };
        let a = Mat::<$T>::from_fn(m, k, |i, j| {
            if wide {
                flat[j * cols + i]
            } else {
                flat[i * cols + j]
            }
        });
        let qr = a.qr();
        let q = qr.compute_thin_Q();
        let r = qr.thin_R();
        // Make the decomposition unique: R's diagonal positive, so Q is uniform (Haar).
        let sign: Vec<$T> = (0..k)
            .map(|j| if r[(j, j)] < 0.0 { -1.0 } else { 1.0 })
            .collect();
        let gain = $gain as $T;
        for i in 0..rows {
            for j in 0..cols {
                flat[i * cols + j] = gain
                    * if wide {
                        q[(j, i)] * sign[i]
                    } else {
                        q[(i, j)] * sign[j]
                    };
            }
        }
        flat
    }};
}

/// A (semi-)orthogonal matrix from the reduced QR decomposition of a normal matrix, with the
/// sign correction and PyTorch's flatten rule: the tensor is viewed as (size(0), numel/size(0)).
/// Checked by the caller: 2 or more dimensions. Computed in f32 for f32/f16/bf16, f64 for f64.
pub(crate) fn orthogonal(t: &Tensor, gain: f64, rng: &mut Generator) -> Result<()> {
    let key = rng.next_key();
    let rows = t.dims()[0];
    let numel = t.elem_count();
    if numel == 0 {
        return Ok(());
    }
    let cols = numel / rows;
    if t.dtype() == DType::F64 {
        let v = orthogonal_q!(f64, rows, cols, key, gain);
        t.inplace_op1(&DenseOp {
            name: "orthogonal",
            values: Dense::F64(&v),
        })?;
    } else {
        let v = orthogonal_q!(f32, rows, cols, key, gain);
        t.inplace_op1(&DenseOp {
            name: "orthogonal",
            values: Dense::F32(&v),
        })?;
    }
    Ok(())
}

/// N(0, std^2), then in each column `ceil(sparsity * rows)` distinct rows, chosen uniformly
/// (a partial Fisher-Yates shuffle per column), set to zero. Checked by the caller.
pub(crate) fn sparse(t: &Tensor, sparsity: f64, std: f64, rng: &mut Generator) -> Result<()> {
    let (rows, cols) = (t.dims()[0], t.dims()[1]);
    let mut own = Generator::with_stream(rng.seed(), rng.next_key().stream);
    let num_zeros = (sparsity * rows as f64).ceil() as usize;
    sample("sparse", t, &Normal { mean: 0.0, std }, &mut own)?;
    let key = own.next_key();
    let mut writes = Vec::with_capacity(num_zeros * cols);
    let mut perm: Vec<u32> = Vec::with_capacity(rows);
    for col in 0..cols {
        let mut r = SeqRng::new(
            Key {
                key: key.key,
                stream: mix64(key.stream ^ col as u64),
            },
            1,
        );
        perm.clear();
        perm.extend(0..rows as u32);
        for i in 0..num_zeros {
            let j = i + r.below((rows - i) as u32) as usize;
            perm.swap(i, j);
            writes.push((perm[i] as usize * cols + col, 0.0));
        }
    }
    t.inplace_op1(&ScatterOp {
        name: "sparse",
        writes: &writes,
    })?;
    Ok(())
}
