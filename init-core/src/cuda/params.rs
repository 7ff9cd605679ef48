//! What the kernels of `kernels.cu` are given: the sampling method, its parameters, the axes of
//! a strided layout and how a sampling kernel covers a layout. Host-side values only (no
//! device call), each type laid out as the kernel's struct of the same name.

use candle_core::cuda_backend::cudarc::driver::DeviceRepr;
use candle_core::{Error, Layout, Result};

use crate::dist::{Bounds, Normal, Sampler, TruncMethod, TruncNormal, Uniform, MAX_ATTEMPTS};
use crate::layout::merged_axes;
use crate::philox::Key;
use crate::ziggurat::LAYERS;

/// `MAX_RANK` in `kernels.cu`.
pub(super) const MAX_RANK: usize = 8;

/// The sampling methods of the kernels (`M_*` in `kernels.cu`; a test checks the values).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// `M_UNIFORM`
    Uniform = 0,
    /// `M_NORMAL`
    Normal = 1,
    /// `M_TRUNC_NORMAL`: normal candidates, rejected outside the interval.
    TruncNormal = 2,
    /// `M_TRUNC_UNIFORM`: uniform candidates, accepted with the normal density's ratio.
    TruncUniform = 3,
    /// `M_TRUNC_EXP`: exponential candidates for intervals in a tail.
    TruncExp = 4,
    /// `M_TRUNC_ZIG`: the ziggurat (f32 arithmetic), which reads its table through a pointer.
    TruncZig = 5,
}

impl Method {
    /// Every method, with the name of its `#define` in `kernels.cu`.
    #[cfg(test)]
    pub const ALL: [(Method, &'static str); 6] = [
        (Method::Uniform, "M_UNIFORM"),
        (Method::Normal, "M_NORMAL"),
        (Method::TruncNormal, "M_TRUNC_NORMAL"),
        (Method::TruncUniform, "M_TRUNC_UNIFORM"),
        (Method::TruncExp, "M_TRUNC_EXP"),
        (Method::TruncZig, "M_TRUNC_ZIG"),
    ];
}

/// `SampleParams` of `kernels.cu`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(super) struct SampleParams {
    pub stream: u64,
    pub q: [f64; 7],
    pub a: f64,
    pub b: f64,
    pub key0: u32,
    pub key1: u32,
    /// A [`Method`] as `u32`.
    pub method: u32,
    pub per: u32,
    pub bounded: u32,
    pub max_attempts: u32,
    pub lo_closed: u32,
    pub unused: u32,
}
// SAFETY: plain `repr(C)` data, laid out as the kernel's struct (no padding: 8-byte fields
// first, then an even number of 4-byte ones; the size is tested).
unsafe impl DeviceRepr for SampleParams {}

/// `Axes` of `kernels.cu`: positions `start + sum idx_k * strides[k]` over the box `dims`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Axes {
    pub dims: [u64; MAX_RANK],
    pub strides: [u64; MAX_RANK],
    pub start: u64,
    pub rank: u64,
}
// SAFETY: plain `repr(C)` data of u64s, as the kernel's struct (the size is tested).
unsafe impl DeviceRepr for Axes {}

impl Axes {
    /// The positions of a layout as at most [`MAX_RANK`] axes, its [`merged_axes`].
    pub fn of(layout: &Layout) -> Result<Axes> {
        let merged = merged_axes(layout);
        if merged.len() > MAX_RANK {
            return Err(Error::Msg(format!(
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
}

/// A sampler as the kernels see it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GpuDist {
    /// The method in f32 and in f64 arithmetic.
    pub method: [Method; 2],
    pub q: [f64; 7],
    /// The ziggurat's table ([`Method::TruncZig`], f32 arithmetic only): scale, fast, bottom
    /// and height of each layer, as the words `kernels.cu` reads.
    pub zig: Option<Vec<u32>>,
    /// Positions per group in f32 and in f64 arithmetic (`P` in `kernels.cu`).
    pub per: [u32; 2],
    /// Where written values must lie (the sampler's [`Sampler::bounds`]), and whether values
    /// need checking against them: not when even the largest value rounds inside
    /// ([`Sampler::max_value`], per dtype; decided by [`for_dtype`]).
    pub bounds: Option<Bounds>,
    pub check: bool,
}

/// The samplers of `dist.rs` the kernels run, described for them.
pub(crate) trait GpuSampler: Sampler<f32> + Sampler<f64> {
    fn gpu(&self) -> GpuDist;
}

impl GpuSampler for Uniform {
    fn gpu(&self) -> GpuDist {
        let mut q = [0.0; 7];
        q[0] = self.low;
        q[1] = self.high - self.low;
        GpuDist {
            method: [Method::Uniform; 2],
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
            method: [Method::Normal; 2],
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
            TruncMethod::Normal => (Method::TruncNormal, [64, 32]),
            TruncMethod::Uniform { shift } => {
                q[4] = shift;
                (Method::TruncUniform, [32, 16])
            }
            TruncMethod::Exponential { lambda, mass } => {
                q[4] = lambda;
                q[5] = mass;
                (Method::TruncExp, [32, 16])
            }
        };
        let mut method = [method; 2];
        let zig = self.zig.as_deref().map(|z| {
            // f32 arithmetic draws with the ziggurat: one word per position, 64 per group.
            method[0] = Method::TruncZig;
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

/// The sampler as the kernels of one dtype run it: whether its values need checking against
/// its bounds (as the CPU's `sample_run` decides: not when the smallest one, the lower bound,
/// and the largest one both round inside).
pub(super) fn for_dtype<S: GpuSampler, R: crate::real::Real>(
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

/// How a sampling kernel covers a layout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Launch {
    /// `init_sample_contiguous_*`: positions [start, end), tiles `first_tile..first_tile+tiles`,
    /// position p stored at `p - shift` (0 for a tensor's own storage; a shard whose region is
    /// contiguous in the full tensor stores its region's positions from its own offset).
    Contiguous {
        shift: i64,
        start: u64,
        end: u64,
        first_tile: u64,
        tiles: u32,
    },
    /// `init_sample_strided_*`: the `n` positions of `axes`.
    Strided { n: u64, axes: Axes },
    /// `init_sample_mapped_*`: a shard; the value of the `i`-th of the `n` positions of `axes`
    /// (in a full tensor that is not in memory) is written at storage position `out + i`.
    Mapped { out: u64, n: u64, axes: Axes },
}

/// The kernel parameters and launch of a sampler over a layout; `None` when it is empty.
/// `wide`: f64 arithmetic (an f64 tensor).
pub(super) fn plan_sample(
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
        method: dist.method[wide as usize] as u32,
        per: dist.per[wide as usize],
        bounded: (dist.bounds.is_some() && dist.check) as u32,
        max_attempts: u32::from(MAX_ATTEMPTS),
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
                return Err(Error::Msg(format!(
                    "init-core (cuda): {n} elements are too many"
                )));
            }
            Launch::Contiguous {
                shift: 0,
                start,
                end,
                first_tile,
                tiles: tiles as u32,
            }
        }
        None => Launch::Strided {
            n,
            axes: Axes::of(layout)?,
        },
    };
    Ok(Some((params, launch)))
}

/// The kernel parameters and launch that fill the contiguous `out` (a shard) with the values of
/// the positions of `view` (its region in the full tensor); `None` when it is empty.
pub(super) fn plan_mapped(
    key: &Key,
    dist: &GpuDist,
    wide: bool,
    out: &Layout,
    view: &Layout,
) -> Result<Option<(SampleParams, Launch)>> {
    let n = view.shape().elem_count();
    let start = match out.contiguous_offsets() {
        Some((start, end)) if end - start == n => start,
        _ => {
            return Err(Error::Msg(format!(
                "init-core (cuda): a shard must be contiguous with the {n} elements of its region, got {out:?}"
            )))
        }
    };
    let Some((params, launch)) = plan_sample(key, dist, wide, view)? else {
        return Ok(None);
    };
    let launch = match launch {
        // A region contiguous in the full tensor (a row split, a flat chunk): the tiled kernel,
        // its positions stored from the shard's offset.
        Launch::Contiguous {
            start: from,
            end,
            first_tile,
            tiles,
            ..
        } => Launch::Contiguous {
            shift: from as i64 - start as i64,
            start: from,
            end,
            first_tile,
            tiles,
        },
        _ => Launch::Mapped {
            out: start as u64,
            n: n as u64,
            axes: Axes::of(view)?,
        },
    };
    Ok(Some((params, launch)))
}
