//! The in-place Candle ops behind every initializer ([`candle_core::InplaceOp1`]): each writes
//! into the tensor's own storage, through the CPU backend (`cpu`) or, with the `cuda` feature,
//! the CUDA backend (`cuda`).

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, DType, Device, Layout, Tensor};
use half::{bf16, f16};

use crate::cpu;
use crate::dist::Sampler;
use crate::error::{InitError, Result};
use crate::generator::Generator;
use crate::philox::Key;

/// The dtypes constants and scatters can be written in.
const ALL_DTYPES: &str = "f32, f64, f16, bf16, u8, u32, i16, i32, i64";

/// Checks that the tensor lies on a device the ops write to.
pub(crate) fn check_device(op: &'static str, device: &Device) -> Result<()> {
    match device {
        Device::Cpu => Ok(()),
        #[cfg(feature = "cuda")]
        Device::Cuda(_) => Ok(()),
        other => Err(InitError::UnsupportedDevice {
            op,
            device: format!("{:?}", other.location()),
        }),
    }
}

/// Samples `s` into `t` in place, with the generator's next key.
pub(crate) fn sample<S: AnySampler>(
    name: &'static str,
    t: &Tensor,
    s: &S,
    rng: &mut Generator,
) -> Result<()> {
    let op = SampleOp {
        name,
        key: rng.next_key(),
        sampler: s,
    };
    Ok(t.inplace_op1(&op)?)
}

/// Samples a shard (see [`MappedSampleOp`]) with the generator's next key.
pub(crate) fn sample_mapped<S: AnySampler>(
    name: &'static str,
    t: &Tensor,
    s: &S,
    view: Layout,
    rng: &mut Generator,
) -> Result<()> {
    let op = MappedSampleOp {
        name,
        key: rng.next_key(),
        sampler: s,
        view,
    };
    Ok(t.inplace_op1(&op)?)
}

/// Samples in place: the value at storage position p depends only on (key, p).
pub(crate) struct SampleOp<'a, S> {
    pub name: &'static str,
    pub key: Key,
    pub sampler: &'a S,
}

/// The samplers a [`SampleOp`] runs: on the CPU, and with the `cuda` feature on the GPU too.
#[cfg(not(feature = "cuda"))]
pub(crate) trait AnySampler: Sampler<f32> + Sampler<f64> {}
#[cfg(not(feature = "cuda"))]
impl<S: Sampler<f32> + Sampler<f64>> AnySampler for S {}
/// The samplers a [`SampleOp`] runs: on the CPU, and with the `cuda` feature on the GPU too.
#[cfg(feature = "cuda")]
pub(crate) trait AnySampler: Sampler<f32> + Sampler<f64> + crate::cuda::GpuSampler {}
#[cfg(feature = "cuda")]
impl<S: Sampler<f32> + Sampler<f64> + crate::cuda::GpuSampler> AnySampler for S {}

impl<S: AnySampler> candle_core::InplaceOp1 for SampleOp<'_, S> {
    fn name(&self) -> &'static str {
        self.name
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        crate::cuda::sample(self.name, &self.key, self.sampler, storage, layout)
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let (k, s) = (&self.key, self.sampler);
        let r = match storage {
            CpuStorage::F32(d) => cpu::sample(d, layout, k, s),
            CpuStorage::F64(d) => cpu::sample(d, layout, k, s),
            CpuStorage::F16(d) => cpu::sample(d, layout, k, s),
            CpuStorage::BF16(d) => cpu::sample(d, layout, k, s),
            other => Err(InitError::UnsupportedDtype {
                op: self.name,
                dtype: other.dtype(),
                allowed: "f32, f64, f16, bf16",
            }),
        };
        r.map_err(candle_core::Error::wrap)
    }
}

/// Samples a shard: the tensor holds, in row-major order, the positions of `view`, a view of a
/// full tensor that is not in memory; each gets the full tensor's value there.
pub(crate) struct MappedSampleOp<'a, S> {
    pub name: &'static str,
    pub key: Key,
    pub sampler: &'a S,
    pub view: Layout,
}

impl<S: AnySampler> candle_core::InplaceOp1 for MappedSampleOp<'_, S> {
    fn name(&self) -> &'static str {
        self.name
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        crate::cuda::sample_mapped(
            self.name,
            &self.key,
            self.sampler,
            storage,
            layout,
            &self.view,
        )
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let (k, s, v) = (&self.key, self.sampler, &self.view);
        let r = match storage {
            CpuStorage::F32(d) => shard(d, layout).and_then(|d| cpu::sample_mapped(d, v, k, s)),
            CpuStorage::F64(d) => shard(d, layout).and_then(|d| cpu::sample_mapped(d, v, k, s)),
            CpuStorage::F16(d) => shard(d, layout).and_then(|d| cpu::sample_mapped(d, v, k, s)),
            CpuStorage::BF16(d) => shard(d, layout).and_then(|d| cpu::sample_mapped(d, v, k, s)),
            other => Err(InitError::UnsupportedDtype {
                op: self.name,
                dtype: other.dtype(),
                allowed: "f32, f64, f16, bf16",
            }),
        };
        r.map_err(candle_core::Error::wrap)
    }
}

/// The elements of a contiguous tensor in its storage.
fn shard<'d, T>(data: &'d mut [T], layout: &Layout) -> Result<&'d mut [T]> {
    let n = layout.shape().elem_count();
    match layout.contiguous_offsets() {
        Some((start, end)) if end <= data.len() && end - start == n => Ok(&mut data[start..end]),
        _ => Err(InitError::Internal(
            "a shard must be a contiguous tensor".into(),
        )),
    }
}

/// A constant, as each dtype holds it (checked representable before any write).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConstOp {
    pub value: f64,
}

impl candle_core::InplaceOp1 for ConstOp {
    fn name(&self) -> &'static str {
        "constant"
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        crate::cuda::fill(self.value, storage, layout)
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        use cpu::write::fill;
        let v = self.value;
        let r = match storage {
            CpuStorage::F32(d) => fill(d, layout, v as f32),
            CpuStorage::F64(d) => fill(d, layout, v),
            CpuStorage::F16(d) => fill(d, layout, f16::from_f64(v)),
            CpuStorage::BF16(d) => fill(d, layout, bf16::from_f64(v)),
            CpuStorage::U8(d) => fill(d, layout, v as u8),
            CpuStorage::U32(d) => fill(d, layout, v as u32),
            CpuStorage::I16(d) => fill(d, layout, v as i16),
            CpuStorage::I32(d) => fill(d, layout, v as i32),
            CpuStorage::I64(d) => fill(d, layout, v as i64),
            other => Err(InitError::UnsupportedDtype {
                op: "constant",
                dtype: other.dtype(),
                allowed: ALL_DTYPES,
            }),
        };
        r.map_err(candle_core::Error::wrap)
    }
}

/// Checks that `value` is held exactly by `dtype` (floats: finite values must not overflow;
/// integers: integral and in range), so that a constant is never silently changed.
pub(crate) fn check_representable(value: f64, dtype: DType, what: &'static str) -> Result<()> {
    let (lo, hi, integral) = match dtype {
        DType::U8 => (0.0, u8::MAX as f64, true),
        DType::U32 => (0.0, u32::MAX as f64, true),
        DType::I16 => (i16::MIN as f64, i16::MAX as f64, true),
        DType::I32 => (i32::MIN as f64, i32::MAX as f64, true),
        DType::I64 => (-9.223_372_036_854_776e18, 9.223_372_036_854_775e18, true),
        DType::F16 => (-65504.0, 65504.0, false),
        DType::BF16 => (
            -3.389_531_389_251_535_5e38,
            3.389_531_389_251_535_5e38,
            false,
        ),
        DType::F32 => (f32::MIN as f64, f32::MAX as f64, false),
        DType::F64 => return Ok(()),
        other => {
            return Err(InitError::UnsupportedDtype {
                op: what,
                dtype: other,
                allowed: ALL_DTYPES,
            })
        }
    };
    let ok = if integral {
        value.fract() == 0.0 && value >= lo && value <= hi
    } else {
        !value.is_finite() || (value >= lo && value <= hi)
    };
    if ok {
        Ok(())
    } else {
        Err(InitError::NotRepresentable { what, value, dtype })
    }
}

/// Writes given values at given logical (row-major) indices of the layout; the tensor's other
/// elements are untouched. Used for the ones of eye and dirac.
pub(crate) struct ScatterOp<'a> {
    pub name: &'static str,
    /// (logical index, value)
    pub writes: &'a [(usize, f64)],
}

impl candle_core::InplaceOp1 for ScatterOp<'_> {
    fn name(&self) -> &'static str {
        self.name
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        crate::cuda::scatter(self.name, self.writes, storage, layout)
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        use cpu::write::scatter;
        let w = self.writes;
        let r = match storage {
            CpuStorage::F32(d) => scatter(d, layout, w, |v| v as f32),
            CpuStorage::F64(d) => scatter(d, layout, w, |v| v),
            CpuStorage::F16(d) => scatter(d, layout, w, f16::from_f64),
            CpuStorage::BF16(d) => scatter(d, layout, w, bf16::from_f64),
            CpuStorage::U8(d) => scatter(d, layout, w, |v| v as u8),
            CpuStorage::U32(d) => scatter(d, layout, w, |v| v as u32),
            CpuStorage::I16(d) => scatter(d, layout, w, |v| v as i16),
            CpuStorage::I32(d) => scatter(d, layout, w, |v| v as i32),
            CpuStorage::I64(d) => scatter(d, layout, w, |v| v as i64),
            other => Err(InitError::UnsupportedDtype {
                op: self.name,
                dtype: other.dtype(),
                allowed: ALL_DTYPES,
            }),
        };
        r.map_err(candle_core::Error::wrap)
    }
}

/// Values in the tensor's logical (row-major) order, written at their storage positions.
pub(crate) enum Dense<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
}

/// Writes host values (orthogonal's matrix) into every position of the layout, converted as
/// `from_f32` / `from_f64` convert them.
pub(crate) struct DenseOp<'a> {
    pub name: &'static str,
    pub values: Dense<'a>,
}

impl candle_core::InplaceOp1 for DenseOp<'_> {
    fn name(&self) -> &'static str {
        self.name
    }

    /// The values were computed on the host: uploaded into the storage.
    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        storage: &mut candle_core::CudaStorage,
        layout: &Layout,
    ) -> candle_core::Result<()> {
        match self.values {
            Dense::F32(v) => crate::cuda::dense_f32(self.name, v, storage, layout),
            Dense::F64(v) => crate::cuda::dense_f64(self.name, v, storage, layout),
        }
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        use cpu::write::dense;
        let r = match (storage, &self.values) {
            (CpuStorage::F32(d), Dense::F32(v)) => dense(d, layout, v, |x| x),
            (CpuStorage::F16(d), Dense::F32(v)) => dense(d, layout, v, f16::from_f32),
            (CpuStorage::BF16(d), Dense::F32(v)) => dense(d, layout, v, bf16::from_f32),
            (CpuStorage::F64(d), Dense::F64(v)) => dense(d, layout, v, |x| x),
            (other, _) => Err(InitError::Internal(format!(
                "{}: no dense write of these values into {:?}",
                self.name,
                other.dtype()
            ))),
        };
        r.map_err(candle_core::Error::wrap)
    }
}
