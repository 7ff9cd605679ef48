//! The CUDA path (feature `cuda`): the `cuda_fwd` of the in-place ops of `fill.rs` and
//! `structured.rs`, writing into the tensor's own device memory.
//!
//! # Kernels: PTX built by nvcc at build time, not NVRTC at run time
//!
//! `kernels.cu` is compiled to PTX by `build.rs` (only when this feature is on) and embedded in
//! the library; the driver loads it once per device through Candle's custom-module cache
//! (`CudaDevice::get_or_load_custom_func`). Reasons, against compiling with NVRTC on first use:
//! - no new tool: building Candle's `cuda` feature already needs nvcc (candle-kernels compiles
//!   its PTX the same way), and `CUDA_COMPUTE_CAP` picks the architecture for both;
//! - a kernel that does not compile fails the build, on the build machine, not a run on the GPU
//!   machine (which here has no Rust toolchain and is used only to run binaries);
//! - no run-time dependency on `libnvrtc` (Candle itself never loads it: its kernels are PTX),
//!   and no compile latency on the first initialization of a process;
//! - the floating-point contract is fixed at build time: `--fmad=false`, so the only fused
//!   multiply-adds are the explicit ones that mirror `mul_add` on the CPU (see `kernels.cu`).
//!
//! The CPU build is unaffected: without the feature `build.rs` returns at once and this module
//! is not compiled.
//!
//! # What runs where
//! - uniform / normal / truncated normal (and everything built on them: xavier, kaiming, the
//!   normal part of sparse): one kernel, no host round trip, no temporary. Contiguous views: one
//!   thread per Philox block, values staged in shared memory and written with 16-byte stores;
//!   strided views: one thread per element. Truncated normals redraw rejected positions inside
//!   the kernel, with the CPU's candidate math and attempt tags, so the values are the CPU's;
//!   so does uniform where a value can round onto `high` in the dtype (f16/bf16), as on the CPU.
//! - constant / zeros / ones: a fill kernel (16-byte stores), any dtype Candle's CPU path takes.
//! - eye, dirac, the zeros of sparse: the few positions and values are computed on the host
//!   (as on the CPU) and scattered by a kernel: uploads of O(written elements), not the tensor.
//! - orthogonal: **host fallback**: the QR decomposition runs on the host (faer, as on the
//!   CPU, so the matrix is the CPU's), then the values are uploaded into the tensor in place
//!   (one copy for contiguous views, a scatter otherwise).
//!
//! # Same values as the CPU
//! The value of storage position p is a function of (seed, stream, p) only, as on the CPU. f32,
//! f16 and bf16 tensors: bit-identical for every sampler (same operations in the same order,
//! IEEE-exact f32 arithmetic, explicit fma). f64: uniform bit-identical; normal and truncated
//! normal go through `log` and `sincos`, CUDA's libdevice versus the host's libm, so values
//! may differ in the last bit or two (and in rare cases a truncated candidate sitting on the
//! acceptance boundary could be accepted on one side and redrawn on the other).

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::cudarc::driver::{
    CudaSlice, DevicePtr, DeviceRepr, LaunchConfig, PushKernelArg,
};
use candle_core::cuda_backend::{CudaDevice, CudaStorage, CudaStorageSlice, WrapErr};
use candle_core::{Error, Layout, Result};
use half::{bf16, f16};

use crate::dist::{Bounds, Normal, Sampler, TruncMethod, TruncNormal, Uniform};
use crate::fill::AnySampler;
use crate::philox::Key;
use crate::ziggurat::LAYERS;

/// The kernels, compiled by `build.rs`.
const PTX: &str = include_str!(concat!(env!("OUT_DIR"), "/init_kernels.ptx"));
/// The name Candle caches the module under.
const MODULE: &str = "init_core_kernels";
/// Threads per block of the sampling kernels (`SAMPLE_THREADS` in `kernels.cu`).
const SAMPLE_THREADS: u32 = 256;
/// Threads per block of the element-wise kernels, and the most blocks of a grid-stride launch.
const THREADS: u32 = 256;
const MAX_BLOCKS: u64 = 1 << 16;
/// Rejections per position before a truncated normal gives up (as the CPU's `MAX_ATTEMPTS`).
const MAX_ATTEMPTS: u32 = 4096;
/// `M_TRUNC_ZIG` in `kernels.cu`: the ziggurat, which reads its table through a pointer.
const M_TRUNC_ZIG: u32 = 5;
/// `MAX_RANK` in `kernels.cu`.
const MAX_RANK: usize = 8;

/// `SampleParams` of `kernels.cu`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct SampleParams {
    stream: u64,
    q: [f64; 7],
    a: f64,
    b: f64,
    key0: u32,
    key1: u32,
    method: u32,
    per: u32,
    bounded: u32,
    max_attempts: u32,
    lo_closed: u32,
    unused: u32,
}
// SAFETY: plain `repr(C)` data, laid out as the kernel's struct (no padding: 8-byte fields
// first, then an even number of 4-byte ones).
unsafe impl DeviceRepr for SampleParams {}

/// `Axes` of `kernels.cu`: positions `start + sum idx_k * strides[k]` over the box `dims`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Axes {
    dims: [u64; MAX_RANK],
    strides: [u64; MAX_RANK],
    start: u64,
    rank: u64,
}
// SAFETY: plain `repr(C)` data of u64s, as the kernel's struct.
unsafe impl DeviceRepr for Axes {}

/// A sampler as the kernels see it (`M_*` in `kernels.cu`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GpuDist {
    /// The method in f32 and in f64 arithmetic.
    method: [u32; 2],
    q: [f64; 7],
    /// The ziggurat's table (`M_TRUNC_ZIG`, f32 arithmetic only): scale, fast, bottom and
    /// height of each layer, as the words `kernels.cu` reads.
    zig: Option<Vec<u32>>,
    /// Positions per group in f32 and in f64 arithmetic (`P` in `kernels.cu`).
    per: [u32; 2],
    /// Where written values must lie (the sampler's [`Sampler::bounds`]), and whether values
    /// need checking against them: not when even the largest value rounds inside
    /// ([`Sampler::max_value`], per dtype; decided by [`sample`]).
    bounds: Option<Bounds>,
    check: bool,
}

/// The samplers of `dist.rs`, described for the kernels.
pub(crate) trait GpuSampler {
    fn gpu(&self) -> GpuDist;
}

impl GpuSampler for Uniform {
    fn gpu(&self) -> GpuDist {
        let mut q = [0.0; 7];
        q[0] = self.low;
        q[1] = self.high - self.low;
        GpuDist {
            method: [0; 2],
            q,
            zig: None,
            per: [64, 32],
            bounds: Sampler::<f64>::bounds(self),
            check: true,
        }
    }
}

impl GpuSampler for Normal {
    fn gpu(&self) -> GpuDist {
        let mut q = [0.0; 7];
        q[0] = self.mean;
        q[1] = self.std;
        GpuDist {
            method: [1; 2],
            q,
            zig: None,
            per: [64, 32],
            bounds: Sampler::<f64>::bounds(self),
            check: true,
        }
    }
}

impl GpuSampler for TruncNormal {
    fn gpu(&self) -> GpuDist {
        // The standardized, possibly mirrored interval, as `TruncNormal::new` computes it.
        let (mut alpha, mut beta) = (
            (self.a - self.mean) / self.std,
            (self.b - self.mean) / self.std,
        );
        let mut sign = 1.0;
        if beta <= 0.0 {
            (alpha, beta, sign) = (-beta, -alpha, -1.0);
        }
        let mut q = [0.0; 7];
        q[0] = alpha;
        q[1] = beta;
        q[2] = self.mean;
        q[3] = self.std * sign;
        let (method, mut per) = match self.method {
            TruncMethod::Normal => (2, [64, 32]),
            TruncMethod::Uniform { shift } => {
                q[4] = shift;
                (3, [32, 16])
            }
            TruncMethod::Exponential { lambda, mass } => {
                q[4] = lambda;
                q[5] = mass;
                (4, [32, 16])
            }
        };
        let mut method = [method; 2];
        let zig = self.zig.as_deref().map(|z| {
            // f32 arithmetic draws with the ziggurat: one word per position, 64 per group.
            method[0] = 5;
            per[0] = 64;
            let mut t = Vec::with_capacity(4 * LAYERS);
            t.extend(z.scale.iter().map(|x| x.to_bits()));
            t.extend(z.fast.iter().copied());
            t.extend(z.bottom.iter().map(|x| x.to_bits()));
            t.extend(z.height.iter().map(|x| x.to_bits()));
            t
        });
        GpuDist {
            method,
            q,
            zig,
            per,
            bounds: Sampler::<f64>::bounds(self),
            check: true,
        }
    }
}

fn err(msg: String) -> Error {
    Error::Msg(msg)
}

/// The positions of a layout as at most [`MAX_RANK`] axes: dimensions of size 1 dropped, the
/// others ordered by decreasing stride and merged where contiguous (the set of positions, not
/// their logical order, is what a sampler or a fill needs).
fn merged_axes(layout: &Layout) -> Result<Axes> {
    let merged = crate::fill::merged_axes(layout);
    if merged.len() > MAX_RANK {
        return Err(err(format!(
            "init-core (cuda): layouts of more than {MAX_RANK} non-mergeable dimensions are not supported ({layout:?})"
        )));
    }
    let mut ax = Axes {
        start: layout.start_offset() as u64,
        rank: merged.len() as u64,
        ..Default::default()
    };
    for (k, (d, s)) in merged.into_iter().enumerate() {
        ax.dims[k] = d as u64;
        ax.strides[k] = s as u64;
    }
    Ok(ax)
}

/// One past the largest position of the layout (0 when empty).
fn layout_end(layout: &Layout) -> usize {
    if layout.dims().contains(&0) {
        return 0;
    }
    layout.start_offset()
        + 1
        + layout
            .dims()
            .iter()
            .zip(layout.stride())
            .map(|(&d, &s)| (d - 1) * s)
            .sum::<usize>()
}

/// Storage position of a logical (row-major) index of the layout.
fn position(layout: &Layout, mut logical: usize) -> usize {
    let mut pos = layout.start_offset();
    for (&d, &s) in layout.dims().iter().zip(layout.stride()).rev() {
        pos += (logical % d) * s;
        logical /= d;
    }
    pos
}

fn check_len(layout: &Layout, len: usize) -> Result<()> {
    if layout_end(layout) > len {
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

/// How a sampling kernel covers a layout.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Launch {
    /// `init_sample_contiguous_*`: positions [start, end), tiles `first_tile..first_tile+tiles`.
    Contiguous {
        start: u64,
        end: u64,
        first_tile: u64,
        tiles: u32,
    },
    /// `init_sample_strided_*`: the `n` positions of `axes`.
    Strided { n: u64, axes: Axes },
}

/// The kernel parameters and launch of a sampler over a layout; `None` when it is empty.
/// `wide`: f64 arithmetic (an f64 tensor).
fn plan_sample(
    key: &Key,
    dist: &GpuDist,
    wide: bool,
    layout: &Layout,
) -> Result<Option<(SampleParams, Launch)>> {
    let n = layout.shape().elem_count() as u64;
    if n == 0 {
        return Ok(None);
    }
    let bounds = dist.bounds.unwrap_or(Bounds {
        lo: f64::NEG_INFINITY,
        hi: f64::INFINITY,
        lo_closed: false,
    });
    let params = SampleParams {
        stream: key.stream,
        q: dist.q,
        a: bounds.lo,
        b: bounds.hi,
        key0: key.key[0],
        key1: key.key[1],
        method: dist.method[wide as usize],
        per: dist.per[wide as usize],
        bounded: (dist.bounds.is_some() && dist.check) as u32,
        max_attempts: MAX_ATTEMPTS,
        lo_closed: bounds.lo_closed as u32,
        unused: 0,
    };
    let launch = match layout.contiguous_offsets() {
        Some((start, end)) => {
            let tile = 16 * params.per as u64;
            let (start, end) = (start as u64, end as u64);
            let first_tile = start / tile;
            let tiles = (end - 1) / tile - first_tile + 1;
            if tiles > i32::MAX as u64 {
                return Err(err(format!("init-core (cuda): {n} elements are too many")));
            }
            Launch::Contiguous {
                start,
                end,
                first_tile,
                tiles: tiles as u32,
            }
        }
        None => Launch::Strided {
            n,
            axes: merged_axes(layout)?,
        },
    };
    Ok(Some((params, launch)))
}

/// The sampler as the kernels of one dtype run it: whether its values need checking against
/// its bounds (as the CPU's `sample_run` decides: not when the smallest one, the lower bound,
/// and the largest one both round inside).
fn for_dtype<S: AnySampler, R: crate::real::Real>(
    s: &S,
    max: Option<R>,
    round: impl Fn(R) -> f64,
) -> GpuDist {
    let mut d = s.gpu();
    if let (Some(b), Some(m)) = (d.bounds, max) {
        d.check = !(b.contains(round(m)) && b.contains(round(R::from_f64(b.lo))));
    }
    d
}

/// Samples `s` into every position of `layout` of the CUDA storage, in place.
pub(crate) fn sample<S: AnySampler>(
    name: &'static str,
    key: &Key,
    s: &S,
    storage: &mut CudaStorage,
    layout: &Layout,
) -> Result<()> {
    let dev = storage.device().clone();
    let m32 = Sampler::<f32>::max_value(s);
    let m64 = Sampler::<f64>::max_value(s);
    match &mut storage.slice {
        CudaStorageSlice::F32(x) => {
            let d = for_dtype(s, m32, |m| m as f64);
            sample_slice(&dev, x, "f32", false, key, &d, layout)
        }
        CudaStorageSlice::F64(x) => {
            let d = for_dtype(s, m64, |m| m);
            sample_slice(&dev, x, "f64", true, key, &d, layout)
        }
        CudaStorageSlice::F16(x) => {
            let d = for_dtype(s, m32, |m| f16::from_f32(m).to_f64());
            sample_slice(&dev, x, "f16", false, key, &d, layout)
        }
        CudaStorageSlice::BF16(x) => {
            let d = for_dtype(s, m32, |m| bf16::from_f32(m).to_f64());
            sample_slice(&dev, x, "bf16", false, key, &d, layout)
        }
        _ => Err(err(format!(
            "{name}: unsupported dtype {:?} (allowed: f32, f64, f16, bf16)",
            storage.dtype()
        ))),
    }
}

fn sample_slice<T>(
    dev: &CudaDevice,
    slice: &mut CudaSlice<T>,
    suffix: &str,
    wide: bool,
    key: &Key,
    dist: &GpuDist,
    layout: &Layout,
) -> Result<()> {
    check_len(layout, slice.len())?;
    let Some((params, launch)) = plan_sample(key, dist, wide, layout)? else {
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
    let zig = match (&dist.zig, params.method) {
        (Some(t), M_TRUNC_ZIG) => Some(dev.clone_htod(t)?),
        _ => None,
    };
    match launch {
        Launch::Contiguous {
            start,
            end,
            first_tile,
            tiles,
        } => {
            let aligned = {
                let stream = dev.cuda_stream();
                let (ptr, _sync) = slice.device_ptr(&stream);
                (ptr % 16 == 0) as u32
            };
            let func = dev.get_or_load_custom_func(
                &format!("init_sample_contiguous_{suffix}"),
                MODULE,
                PTX,
            )?;
            let mut builder = func.builder();
            builder.arg(&mut *slice);
            builder.arg(&start);
            builder.arg(&end);
            builder.arg(&first_tile);
            builder.arg(&aligned);
            builder.arg(&params);
            match zig.as_ref() {
                Some(t) => builder.arg(t),
                None => builder.arg(&null),
            };
            match failed.as_mut() {
                Some(f) => builder.arg(f),
                None => builder.arg(&null),
            };
            let cfg = LaunchConfig {
                grid_dim: (tiles, 1, 1),
                block_dim: (SAMPLE_THREADS, 1, 1),
                shared_mem_bytes: 0,
            };
            // SAFETY: the arguments match the kernel's signature; every position written lies
            // in [start, end), inside the slice (checked above).
            unsafe { builder.launch(cfg) }.w()?;
        }
        Launch::Strided { n, axes } => {
            let func =
                dev.get_or_load_custom_func(&format!("init_sample_strided_{suffix}"), MODULE, PTX)?;
            let mut builder = func.builder();
            builder.arg(&mut *slice);
            builder.arg(&n);
            builder.arg(&axes);
            builder.arg(&params);
            match zig.as_ref() {
                Some(t) => builder.arg(t),
                None => builder.arg(&null),
            };
            match failed.as_mut() {
                Some(f) => builder.arg(f),
                None => builder.arg(&null),
            };
            // SAFETY: the arguments match the kernel's signature; the positions of the axes
            // are those of the layout, inside the slice (checked above), and distinct (Candle
            // refuses in-place ops on layouts with internal overlap).
            unsafe { builder.launch(grid(n, THREADS)) }.w()?;
        }
    }
    if let Some(f) = failed {
        if dev.clone_dtoh(&f)?[0] != 0 {
            return Err(err(format!(
                "a rejection sampler rejected some position {MAX_ATTEMPTS} times in a row"
            )));
        }
    }
    Ok(())
}

/// The element width of a dtype's kernels and the bits of `value` in it (as the CPU's
/// `ConstOp` converts it).
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
        let axes = merged_axes(layout)?;
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

/// Writes `conv(v)` at the storage position of logical index `i` for every `(i, v)`.
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

/// The values of the CPU's `DenseOp`, converted as it converts them.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_merge_and_cover_the_layout() {
        let l = Layout::contiguous((4, 5, 6));
        let ax = merged_axes(&l).unwrap();
        assert_eq!((ax.rank, ax.dims[0], ax.strides[0]), (1, 120, 1));
        let cols = l.narrow(2, 1, 3).unwrap();
        let ax = merged_axes(&cols).unwrap();
        assert_eq!(ax.rank, 2);
        assert_eq!(
            (ax.dims[0], ax.strides[0], ax.dims[1], ax.strides[1]),
            (20, 6, 3, 1)
        );
        assert_eq!(ax.start, 1);
        // The axes cover exactly the layout's positions.
        let t = l.narrow(1, 1, 3).unwrap().transpose(0, 2).unwrap();
        let ax = merged_axes(&t).unwrap();
        let n: u64 = ax.dims[..ax.rank as usize].iter().product();
        let mut from_axes: Vec<u64> = (0..n)
            .map(|mut i| {
                let mut pos = ax.start;
                for k in (0..ax.rank as usize).rev() {
                    pos += (i % ax.dims[k]) * ax.strides[k];
                    i /= ax.dims[k];
                }
                pos
            })
            .collect();
        let mut from_layout: Vec<u64> = (0..t.shape().elem_count())
            .map(|i| position(&t, i) as u64)
            .collect();
        from_axes.sort_unstable();
        from_layout.sort_unstable();
        assert_eq!(from_axes, from_layout);
        assert_eq!(layout_end(&t), *from_layout.last().unwrap() as usize + 1);
    }

    use crate::dist::Sampler;
    use crate::fill::SampleOp;
    use candle_core::{CpuStorage, InplaceOp1};
    use std::io::Write;
    use std::path::PathBuf;
    use std::process::{Command, Stdio};

    /// `emulate.cpp` (the kernels run on the host) compiled with the host C++ compiler, or
    /// `None` when there is none.
    fn emulator(test: &str) -> Option<PathBuf> {
        let dir =
            std::env::temp_dir().join(format!("init-core-emulate-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let exe = dir.join("emulate");
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src/cuda/emulate.cpp");
        for cxx in ["c++", "g++", "clang++"] {
            let ok = Command::new(cxx)
                .args([
                    "-std=c++17",
                    "-O2",
                    "-ffp-contract=off",
                    "-Wno-unknown-pragmas",
                    "-o",
                ])
                .arg(&exe)
                .arg(src)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return Some(exe);
            }
        }
        None
    }

    /// The storage bytes the emulated kernels write for `layout` (initially 0xAB bytes).
    fn emulate(
        exe: &PathBuf,
        dtype: &str,
        size: usize,
        len: usize,
        key: &Key,
        dist: &GpuDist,
        layout: &Layout,
    ) -> Vec<u8> {
        let wide = dtype == "f64";
        let (p, launch) = plan_sample(key, dist, wide, layout).unwrap().unwrap();
        let (start, end, strided, axes) = match launch {
            Launch::Contiguous { start, end, .. } => (start, end, 0, Axes::default()),
            Launch::Strided { axes, .. } => (axes.start, 0, 1, axes),
        };
        let r = axes.rank as usize;
        let join = |v: &[u64]| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let hex = |x: f64| format!("{:x}", x.to_bits());
        let mut req = format!(
            "{dtype} {len} {start} {end} {strided} {r} {} {} {} {} {} {} {} {} {} {} {} {}",
            join(&axes.dims[..r]),
            join(&axes.strides[..r]),
            p.key0,
            p.key1,
            p.stream,
            p.method,
            p.per,
            p.bounded,
            p.max_attempts,
            p.lo_closed,
            hex(p.a),
            hex(p.b),
        );
        for q in p.q {
            req += &format!(" {}", hex(q));
        }
        if p.method == M_TRUNC_ZIG {
            for w in dist.zig.as_ref().expect("the ziggurat's table") {
                req += &format!(" {w:x}");
            }
        }
        let mut child = Command::new(exe)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(req.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "emulator failed on {req}");
        assert_eq!(out.stdout.len(), len * size + 1);
        assert_eq!(out.stdout[len * size], 0, "failed flag set: {req}");
        out.stdout[..len * size].to_vec()
    }

    /// The storage bytes the CPU path writes for `layout` (initially 0xAB bytes).
    fn cpu<S: crate::fill::AnySampler>(
        dtype: &str,
        len: usize,
        key: &Key,
        s: &S,
        layout: &Layout,
    ) -> Vec<u8> {
        let mut storage = match dtype {
            "f32" => CpuStorage::F32(vec![f32::from_bits(0xABAB_ABAB); len]),
            "f64" => CpuStorage::F64(vec![f64::from_bits(0xABAB_ABAB_ABAB_ABAB); len]),
            "f16" => CpuStorage::F16(vec![f16::from_bits(0xABAB); len]),
            _ => CpuStorage::BF16(vec![bf16::from_bits(0xABAB); len]),
        };
        let op = SampleOp {
            name: "test",
            key: *key,
            sampler: s,
        };
        op.cpu_fwd(&mut storage, layout).unwrap();
        match storage {
            CpuStorage::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            CpuStorage::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            CpuStorage::F16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            CpuStorage::BF16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            _ => unreachable!(),
        }
    }

    /// The kernels' math, indexing, staging and redraws, run on the host, write exactly the
    /// bytes the CPU path writes: every sampler, dtype and kind of layout. (On a GPU only the
    /// f64 `log`/`sincos` differ; `tests/cuda.rs` checks the real thing.)
    #[test]
    fn emulated_kernels_match_the_cpu() {
        let Some(exe) = emulator("samplers") else {
            eprintln!("no C++ compiler: emulated_kernels_match_the_cpu skipped");
            return;
        };
        let key = Key {
            key: [0x1234_5678, 0x9abc_def0],
            stream: 0x0102_0304_0506_0708,
        };
        let base = Layout::contiguous((48, 70)); // 3360 elements: 3+ tiles, a partial one
        let layouts = [
            base.clone(),
            base.narrow(0, 1, 40).unwrap(), // contiguous at an offset, partial tiles
            base.narrow(1, 3, 50).unwrap(), // strided columns
            base.transpose(0, 1).unwrap(),  // transposed: every position, strided walk
            base.narrow(1, 69, 1).unwrap(), // one column
            Layout::contiguous_with_offset((5,), 1021), // a few elements across a tile edge
        ];
        let len = 48 * 70 + 64;
        fn check<S: crate::fill::AnySampler + GpuSampler>(
            exe: &PathBuf,
            key: &Key,
            s: &S,
            layouts: &[Layout],
            len: usize,
            what: &str,
        ) {
            for (dtype, size) in [("f32", 4), ("f64", 8), ("f16", 2), ("bf16", 2)] {
                for (i, l) in layouts.iter().enumerate() {
                    let want = cpu(dtype, len, key, s, l);
                    let d = match dtype {
                        "f32" => for_dtype(s, Sampler::<f32>::max_value(s), |m| m as f64),
                        "f64" => for_dtype(s, Sampler::<f64>::max_value(s), |m| m),
                        "f16" => for_dtype(s, Sampler::<f32>::max_value(s), |m| {
                            f16::from_f32(m).to_f64()
                        }),
                        _ => for_dtype(s, Sampler::<f32>::max_value(s), |m| {
                            bf16::from_f32(m).to_f64()
                        }),
                    };
                    let got = emulate(exe, dtype, size, len, key, &d, l);
                    if want != got {
                        let first = want
                            .chunks(size)
                            .zip(got.chunks(size))
                            .position(|(a, b)| a != b)
                            .unwrap();
                        let (a, b) = (
                            &want[first * size..(first + 1) * size],
                            &got[first * size..(first + 1) * size],
                        );
                        panic!(
                            "{what} {dtype} layout {i} ({l:?}): first difference at {first}: cpu {a:02x?} emulated {b:02x?}"
                        );
                    }
                }
            }
        }
        // U(-1, 3): in f16 and bf16 some values round onto 3 and are redrawn; U(0, 0.75): none.
        for (low, high) in [(-1.0, 3.0), (0.0, 0.75)] {
            let u = Uniform { low, high };
            check(
                &exe,
                &key,
                &u,
                &layouts,
                len,
                &format!("uniform ({low}, {high})"),
            );
        }
        let n = Normal {
            mean: 0.5,
            std: 2.0,
        };
        check(&exe, &key, &n, &layouts, len, "normal");
        for (a, b) in [
            (-2.0, 2.0),
            (-0.3, 0.4),
            (2.0, 2.05),
            (2.0, 3.0),
            (-3.0, -2.0),
            (0.5, 0.5078125),
        ] {
            let t = TruncNormal::new(0.0, 1.0, a, b);
            assert!(Sampler::<f32>::bounds(&t).is_some());
            check(
                &exe,
                &key,
                &t,
                &layouts,
                len,
                &format!("trunc_normal ({a}, {b})"),
            );
        }
        let _ = std::fs::remove_dir_all(exe.parent().unwrap());
    }

    /// The fill and scatter kernels, run on the host, write exactly their positions (every
    /// alignment of the first element, partial vectors, grids smaller than the work).
    #[test]
    fn emulated_fill_kernels_write_exactly_their_positions() {
        let Some(exe) = emulator("fill") else {
            eprintln!(
                "no C++ compiler: emulated_fill_kernels_write_exactly_their_positions skipped"
            );
            return;
        };
        let out = Command::new(&exe).arg("check-fill").output().unwrap();
        let _ = std::fs::remove_dir_all(exe.parent().unwrap());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn params_match_the_kernel_struct() {
        assert_eq!(std::mem::size_of::<SampleParams>(), 112);
        assert_eq!(std::mem::size_of::<Axes>(), 144);
    }
}
