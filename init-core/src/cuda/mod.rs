//! The CUDA backend (feature `cuda`): the `cuda_fwd` of the in-place ops, writing into the
//! tensor's own device memory.
//!
//! The kernels (`kernels.cu`) are compiled to PTX by nvcc in `build.rs`, as Candle's own are,
//! with `--fmad=false`: the only fused multiply-adds are the explicit ones that mirror
//! `mul_add` on the CPU. The PTX is embedded and loaded once per device through Candle's
//! custom-module cache.
//!
//! - uniform, normal, truncated normal: one sampling kernel, no temporary. Contiguous views
//!   take one thread per Philox block and 16-byte stores; strided views one thread per element.
//!   A shard (`Init::apply_region`) takes the tiled kernel when its region is contiguous in the
//!   full tensor (a row split, a flat chunk), its positions stored from the shard's offset, and
//!   one thread per element otherwise (a column split).
//!   Rejected positions are redrawn inside the kernel with the CPU's candidates and attempt tags.
//! - constant: a fill kernel, any dtype the CPU path takes.
//! - eye, dirac, the zeros of sparse: positions and values computed on the host (as on the CPU),
//!   written by a scatter kernel.
//! - orthogonal: the QR decomposition runs on the host (as on the CPU), the values are uploaded.
//!
//! Values: the value of storage position p is a function of (seed, stream, p), as on the CPU.
//! f32, f16 and bf16 are bit-identical to the CPU for every sampler; f64 uniform too, while f64
//! normals go through libdevice's `log` and `sincos` and may differ from the host's libm in the
//! last bits (and a truncated candidate on the acceptance boundary may be redrawn on one side
//! only).

mod params;
#[cfg(test)]
mod tests;

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::cudarc::driver::{
    CudaSlice, DevicePtr, DeviceRepr, LaunchConfig, PushKernelArg,
};
use candle_core::cuda_backend::{CudaDevice, CudaStorage, CudaStorageSlice, WrapErr};
use candle_core::{Error, Layout, Result};
use half::{bf16, f16};

use crate::dist::{Sampler, MAX_ATTEMPTS};
use crate::layout::{end, position};
use crate::philox::Key;
pub(crate) use params::GpuSampler;
use params::{for_dtype, plan_mapped, plan_sample, Axes, GpuDist, Launch, Method};

/// The kernels, compiled by `build.rs`.
const PTX: &str = include_str!(concat!(env!("OUT_DIR"), "/init_kernels.ptx"));
/// The name Candle caches the module under.
const MODULE: &str = "init_core_kernels";
/// Threads per block of the sampling kernels (`SAMPLE_THREADS` in `kernels.cu`).
const SAMPLE_THREADS: u32 = 256;
/// Threads per block of the element-wise kernels, and the most blocks of a grid-stride launch.
const THREADS: u32 = 256;
const MAX_BLOCKS: u64 = 1 << 16;

fn err(msg: String) -> Error {
    Error::Msg(msg)
}

fn check_len(layout: &Layout, len: usize) -> Result<()> {
    if end(layout) > len {
        return Err(err(format!(
            "init-core (cuda): layout {layout:?} reaches past the storage ({len} elements)"
        )));
    }
    Ok(())
}

fn grid(n: u64, threads: u32) -> LaunchConfig {
    let blocks = n.div_ceil(threads as u64).clamp(1, MAX_BLOCKS) as u32;
    LaunchConfig {
        grid_dim: (blocks, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// Samples `s` into every position of `layout` of the CUDA storage, in place.
pub(crate) fn sample<S: GpuSampler>(
    name: &'static str,
    key: &Key,
    s: &S,
    storage: &mut CudaStorage,
    layout: &Layout,
) -> Result<()> {
    sample_storage(name, key, s, storage, layout, None)
}

/// Fills the contiguous `layout` of the CUDA storage (a shard) with the values `s` gives the
/// positions of `view`, a view of a full tensor that is not in memory.
pub(crate) fn sample_mapped<S: GpuSampler>(
    name: &'static str,
    key: &Key,
    s: &S,
    storage: &mut CudaStorage,
    layout: &Layout,
    view: &Layout,
) -> Result<()> {
    sample_storage(name, key, s, storage, layout, Some(view))
}

fn sample_storage<S: GpuSampler>(
    name: &'static str,
    key: &Key,
    s: &S,
    storage: &mut CudaStorage,
    layout: &Layout,
    view: Option<&Layout>,
) -> Result<()> {
    let dev = storage.device().clone();
    let m32 = Sampler::<f32>::max_value(s);
    let m64 = Sampler::<f64>::max_value(s);
    match &mut storage.slice {
        CudaStorageSlice::F32(x) => {
            let d = for_dtype(s, m32, |m| m as f64);
            sample_slice(&dev, x, "f32", false, key, &d, layout, view)
        }
        CudaStorageSlice::F64(x) => {
            let d = for_dtype(s, m64, |m| m);
            sample_slice(&dev, x, "f64", true, key, &d, layout, view)
        }
        CudaStorageSlice::F16(x) => {
            let d = for_dtype(s, m32, |m| f16::from_f32(m).to_f64());
            sample_slice(&dev, x, "f16", false, key, &d, layout, view)
        }
        CudaStorageSlice::BF16(x) => {
            let d = for_dtype(s, m32, |m| bf16::from_f32(m).to_f64());
            sample_slice(&dev, x, "bf16", false, key, &d, layout, view)
        }
        _ => Err(err(format!(
            "{name}: unsupported dtype {:?} (allowed: f32, f64, f16, bf16)",
            storage.dtype()
        ))),
    }
}

#[allow(clippy::too_many_arguments)]
fn sample_slice<T>(
    dev: &CudaDevice,
    slice: &mut CudaSlice<T>,
    suffix: &str,
    wide: bool,
    key: &Key,
    dist: &GpuDist,
    layout: &Layout,
    view: Option<&Layout>,
) -> Result<()> {
    check_len(layout, slice.len())?;
    let planned = match view {
        None => plan_sample(key, dist, wide, layout)?,
        Some(view) => plan_mapped(key, dist, wide, layout, view)?,
    };
    let Some((params, launch)) = planned else {
        return Ok(());
    };
    // Bounded samplers (truncated normals; uniform where its top value rounds onto `high`)
    // report a position rejected MAX_ATTEMPTS times through this flag, read back after the
    // launch: one synchronization per such call, so that a hopeless interval (a dtype whose
    // rounding leaves almost nothing inside) is an error, as on the CPU, not silent bad values.
    let mut failed = match params.bounded {
        0 => None,
        _ => Some(dev.alloc_zeros::<u32>(1)?),
    };
    let null = 0u64;
    // The ziggurat's table (8 KB), for the f32 kernels that use it; a null pointer otherwise.
    let zig = match (&dist.zig, dist.method[wide as usize]) {
        (Some(t), Method::TruncZig) => Some(dev.clone_htod(t)?),
        _ => None,
    };
    let (kernel, cfg) = match launch {
        Launch::Contiguous { tiles, .. } => (
            "contiguous",
            LaunchConfig {
                grid_dim: (tiles, 1, 1),
                block_dim: (SAMPLE_THREADS, 1, 1),
                shared_mem_bytes: 0,
            },
        ),
        Launch::Strided { n, .. } => ("strided", grid(n, THREADS)),
        Launch::Mapped { n, .. } => ("mapped", grid(n, THREADS)),
    };
    let aligned = {
        let stream = dev.cuda_stream();
        let (ptr, _sync) = slice.device_ptr(&stream);
        let shift = match launch {
            Launch::Contiguous { shift, .. } => shift as i128,
            _ => 0,
        };
        // Whether `data - shift`, where the kernel's stores are based, is 16-byte aligned.
        let base = ptr as i128 - shift * std::mem::size_of::<T>() as i128;
        (base.rem_euclid(16) == 0) as u32
    };
    let func =
        dev.get_or_load_custom_func(&format!("init_sample_{kernel}_{suffix}"), MODULE, PTX)?;
    let mut builder = func.builder();
    builder.arg(&mut *slice);
    match &launch {
        Launch::Contiguous {
            shift,
            start,
            end,
            first_tile,
            ..
        } => {
            builder.arg(shift);
            builder.arg(start);
            builder.arg(end);
            builder.arg(first_tile);
            builder.arg(&aligned);
        }
        Launch::Strided { n, axes } => {
            builder.arg(n);
            builder.arg(axes);
        }
        Launch::Mapped { out, n, axes } => {
            builder.arg(out);
            builder.arg(n);
            builder.arg(axes);
        }
    }
    builder.arg(&params);
    match zig.as_ref() {
        Some(t) => builder.arg(t),
        None => builder.arg(&null),
    };
    match failed.as_mut() {
        Some(f) => builder.arg(f),
        None => builder.arg(&null),
    };
    // SAFETY: the arguments match the kernel's signature (`SAMPLE_KERNELS` in kernels.cu).
    // Contiguous: every position written is p - shift for p in [start, end): [start, end) of
    // the layout itself (shift 0), or for a shard [out, out + n) of its contiguous layout
    // (`plan_mapped`); inside the slice either way (checked above). Strided: the positions of the axes are those of the layout, inside the slice, and
    // distinct (Candle refuses in-place ops on layouts with internal overlap). Mapped: the
    // kernel writes [out, out + n), the contiguous layout, inside the slice; the axes are only
    // read as numbers (positions of the full tensor), never as addresses.
    unsafe { builder.launch(cfg) }.w()?;
    if let Some(f) = failed {
        if dev.clone_dtoh(&f)?[0] != 0 {
            return Err(err(format!(
                "a rejection sampler rejected some position {MAX_ATTEMPTS} times in a row"
            )));
        }
    }
    Ok(())
}

/// Writes `bits` at every position of the layout with the kernels of element width `width`
/// (`w1`, `w2`, `w4`, `w8`).
fn fill_slice<T, W: DeviceRepr>(
    dev: &CudaDevice,
    slice: &mut CudaSlice<T>,
    width: &str,
    bits: W,
    layout: &Layout,
) -> Result<()> {
    check_len(layout, slice.len())?;
    let n = layout.shape().elem_count() as u64;
    if n == 0 {
        return Ok(());
    }
    if let Some((start, _)) = layout.contiguous_offsets() {
        let start = start as u64;
        let func =
            dev.get_or_load_custom_func(&format!("init_fill_contiguous_{width}"), MODULE, PTX)?;
        let mut builder = func.builder();
        builder.arg(&mut *slice);
        builder.arg(&start);
        builder.arg(&n);
        builder.arg(&bits);
        let per_vec = (16 / std::mem::size_of::<W>()) as u64;
        // SAFETY: the kernel writes positions [start, start + n), inside the slice.
        unsafe { builder.launch(grid(n.div_ceil(per_vec), THREADS)) }.w()?;
    } else {
        let axes = Axes::of(layout)?;
        let func =
            dev.get_or_load_custom_func(&format!("init_fill_strided_{width}"), MODULE, PTX)?;
        let mut builder = func.builder();
        builder.arg(&mut *slice);
        builder.arg(&n);
        builder.arg(&axes);
        builder.arg(&bits);
        // SAFETY: the positions of the axes are the layout's, inside the slice.
        unsafe { builder.launch(grid(n, THREADS)) }.w()?;
    }
    Ok(())
}

/// Writes `value` at every position of the layout (the CPU's `ConstOp` conversions).
pub(crate) fn fill(value: f64, storage: &mut CudaStorage, layout: &Layout) -> Result<()> {
    let dev = storage.device().clone();
    let v = value;
    match &mut storage.slice {
        CudaStorageSlice::F32(s) => fill_slice(&dev, s, "w4", (v as f32).to_bits(), layout),
        CudaStorageSlice::F64(s) => fill_slice(&dev, s, "w8", v.to_bits(), layout),
        CudaStorageSlice::F16(s) => fill_slice(&dev, s, "w2", f16::from_f64(v).to_bits(), layout),
        CudaStorageSlice::BF16(s) => {
            fill_slice(&dev, s, "w2", bf16::from_f64(v).to_bits(), layout)
        }
        CudaStorageSlice::U8(s) => fill_slice(&dev, s, "w1", v as u8, layout),
        CudaStorageSlice::U32(s) => fill_slice(&dev, s, "w4", v as u32, layout),
        CudaStorageSlice::I16(s) => fill_slice(&dev, s, "w2", v as i16 as u16, layout),
        CudaStorageSlice::I32(s) => fill_slice(&dev, s, "w4", v as i32 as u32, layout),
        CudaStorageSlice::I64(s) => fill_slice(&dev, s, "w8", v as i64 as u64, layout),
        _ => Err(err(format!(
            "constant: unsupported dtype {:?} (allowed: f32, f64, f16, bf16, u8, u32, i16, i32, i64)",
            storage.dtype()
        ))),
    }
}

/// Writes `values[i]` at storage position `positions[i]` (host data, uploaded).
fn scatter_slice<T: DeviceRepr + 'static>(
    dev: &CudaDevice,
    slice: &mut CudaSlice<T>,
    positions: &[usize],
    values: &[T],
) -> Result<()> {
    let n = positions.len() as u64;
    if n == 0 {
        return Ok(());
    }
    if let Some(&p) = positions.iter().find(|&&p| p >= slice.len()) {
        return Err(err(format!(
            "init-core (cuda): position {p} is past the storage ({} elements)",
            slice.len()
        )));
    }
    let width = match std::mem::size_of::<T>() {
        1 => "w1",
        2 => "w2",
        4 => "w4",
        8 => "w8",
        w => {
            return Err(err(format!(
                "init-core (cuda): no scatter of {w}-byte elements"
            )))
        }
    };
    let pos: Vec<u64> = positions.iter().map(|&p| p as u64).collect();
    let pos = dev.clone_htod(&pos)?;
    let vals = dev.clone_htod(values)?;
    let func = dev.get_or_load_custom_func(&format!("init_scatter_{width}"), MODULE, PTX)?;
    let mut builder = func.builder();
    builder.arg(&mut *slice);
    builder.arg(&pos);
    builder.arg(&vals);
    builder.arg(&n);
    // SAFETY: every position is inside the slice (checked above); `pos` and `vals` hold n
    // elements each.
    unsafe { builder.launch(grid(n, THREADS)) }.w()?;
    Ok(())
}

/// Writes `v`, converted to the storage's dtype, at the storage position of logical index `i`
/// for every `(i, v)` (the CPU's `ScatterOp` conversions).
pub(crate) fn scatter(
    name: &'static str,
    writes: &[(usize, f64)],
    storage: &mut CudaStorage,
    layout: &Layout,
) -> Result<()> {
    let dev = storage.device().clone();
    let positions: Vec<usize> = writes.iter().map(|&(i, _)| position(layout, i)).collect();
    fn vals<T>(w: &[(usize, f64)], conv: impl Fn(f64) -> T) -> Vec<T> {
        w.iter().map(|&(_, v)| conv(v)).collect()
    }
    let w = writes;
    let p = &positions;
    match &mut storage.slice {
        CudaStorageSlice::F32(s) => scatter_slice(&dev, s, p, &vals(w, |v| v as f32)),
        CudaStorageSlice::F64(s) => scatter_slice(&dev, s, p, &vals(w, |v| v)),
        CudaStorageSlice::F16(s) => scatter_slice(&dev, s, p, &vals(w, f16::from_f64)),
        CudaStorageSlice::BF16(s) => scatter_slice(&dev, s, p, &vals(w, bf16::from_f64)),
        CudaStorageSlice::U8(s) => scatter_slice(&dev, s, p, &vals(w, |v| v as u8)),
        CudaStorageSlice::U32(s) => scatter_slice(&dev, s, p, &vals(w, |v| v as u32)),
        CudaStorageSlice::I16(s) => scatter_slice(&dev, s, p, &vals(w, |v| v as i16)),
        CudaStorageSlice::I32(s) => scatter_slice(&dev, s, p, &vals(w, |v| v as i32)),
        CudaStorageSlice::I64(s) => scatter_slice(&dev, s, p, &vals(w, |v| v as i64)),
        _ => Err(err(format!(
            "{name}: unsupported dtype {:?} (allowed: f32, f64, f16, bf16, u8, u32, i16, i32, i64)",
            storage.dtype()
        ))),
    }
}

/// Writes zeros at the given storage positions (float dtypes).
pub(crate) fn zero_positions(
    name: &'static str,
    positions: &[usize],
    storage: &mut CudaStorage,
) -> Result<()> {
    let dev = storage.device().clone();
    let n = positions.len();
    match &mut storage.slice {
        CudaStorageSlice::F32(s) => scatter_slice(&dev, s, positions, &vec![0f32; n]),
        CudaStorageSlice::F64(s) => scatter_slice(&dev, s, positions, &vec![0f64; n]),
        CudaStorageSlice::F16(s) => scatter_slice(&dev, s, positions, &vec![f16::ZERO; n]),
        CudaStorageSlice::BF16(s) => scatter_slice(&dev, s, positions, &vec![bf16::ZERO; n]),
        _ => Err(err(format!(
            "{name}: unsupported dtype {:?}",
            storage.dtype()
        ))),
    }
}

/// Writes host values, in the layout's logical order, into the device storage: one copy into a
/// contiguous view, a scatter otherwise.
fn dense_slice<T: DeviceRepr + 'static>(
    dev: &CudaDevice,
    slice: &mut CudaSlice<T>,
    layout: &Layout,
    values: Vec<T>,
) -> Result<()> {
    check_len(layout, slice.len())?;
    if values.len() != layout.shape().elem_count() {
        return Err(err(format!(
            "init-core (cuda): {} values for layout {layout:?}",
            values.len()
        )));
    }
    if values.is_empty() {
        return Ok(());
    }
    if let Some((start, end)) = layout.contiguous_offsets() {
        dev.memcpy_htod(&values, &mut slice.slice_mut(start..end))
    } else {
        let positions: Vec<usize> = (0..values.len()).map(|i| position(layout, i)).collect();
        scatter_slice(dev, slice, &positions, &values)
    }
}

/// Writes f32 values in the layout's logical order, converted to the storage's dtype as the
/// CPU's `DenseOp` converts them.
pub(crate) fn dense_f32(
    name: &'static str,
    values: &[f32],
    storage: &mut CudaStorage,
    layout: &Layout,
) -> Result<()> {
    let dev = storage.device().clone();
    match &mut storage.slice {
        CudaStorageSlice::F32(s) => dense_slice(&dev, s, layout, values.to_vec()),
        CudaStorageSlice::F16(s) => dense_slice(
            &dev,
            s,
            layout,
            values.iter().map(|&v| f16::from_f32(v)).collect(),
        ),
        CudaStorageSlice::BF16(s) => dense_slice(
            &dev,
            s,
            layout,
            values.iter().map(|&v| bf16::from_f32(v)).collect(),
        ),
        _ => Err(err(format!(
            "{name}: no dense write of f32 values into {:?}",
            storage.dtype()
        ))),
    }
}

/// Writes f64 values in the layout's logical order into an f64 storage.
pub(crate) fn dense_f64(
    name: &'static str,
    values: &[f64],
    storage: &mut CudaStorage,
    layout: &Layout,
) -> Result<()> {
    let dev = storage.device().clone();
    match &mut storage.slice {
        CudaStorageSlice::F64(s) => dense_slice(&dev, s, layout, values.to_vec()),
        _ => Err(err(format!(
            "{name}: no dense write of f64 values into {:?}",
            storage.dtype()
        ))),
    }
}
