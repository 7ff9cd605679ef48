//! Plain writes on the CPU: a value at every position of a layout, values at given logical
//! indices, values in logical order.

use candle_core::Layout;

use crate::cpu::walk::for_each_run;
use crate::error::{InitError, Result};
use crate::layout::position;

/// Writes `value` at every position of the layout (`memset` speed, both cores when large).
pub(crate) fn fill<T: Copy + Send + Sync>(data: &mut [T], layout: &Layout, value: T) -> Result<()> {
    for_each_run(data, layout, |run, _| {
        run.fill(value);
        true
    })
}

/// Writes `conv(v)` at the storage position of logical index `i`, for every `(i, v)`.
pub(crate) fn scatter<T: Copy>(
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

/// Writes `conv(values[i])` at the storage position of logical index `i`, for every `i`.
pub(crate) fn dense<T: Copy, V: Copy>(
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
