//! [`Region`] and [`Init::apply_region`]: a shard of a tensor initialized on its own, equal bit
//! for bit to the same region of the full tensor initialized whole, without the full tensor.

use candle_core::{Device, Layout, Tensor};

use crate::error::{InitError, Result};
use crate::generator::Generator;
use crate::init::Init;

/// Which part of a full tensor a shard holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Indices `start..start + len` along dimension `dim` (tensor parallelism: a column or row
    /// split); the shard's shape is the full one with `len` at `dim`.
    Narrow {
        dim: usize,
        start: usize,
        len: usize,
    },
    /// Elements `start..start + len` of the full tensor's row-major flattening (an FSDP/ZeRO
    /// chunk); the shard is 1-D.
    Flat { start: usize, len: usize },
}

impl Region {
    /// The region of rank `rank` when dimension `dim` of `full` is split evenly over
    /// `world_size` ranks (candle's `Shard { dim, rank, world_size }`).
    ///
    /// # Errors
    /// When `dim` is out of range, `rank >= world_size`, or the size at `dim` is not divisible
    /// by `world_size` (candle's convention: no uneven splits).
    pub fn split(full: &[usize], dim: usize, rank: usize, world_size: usize) -> Result<Region> {
        let op = "shard";
        let size = *full.get(dim).ok_or_else(|| InitError::InvalidRegion {
            op,
            message: format!("dim {dim} is out of range for shape {full:?}"),
        })?;
        if world_size == 0 || rank >= world_size {
            return Err(InitError::InvalidRegion {
                op,
                message: format!(
                    "rank {rank} of world_size {world_size}; rank must be < world_size"
                ),
            });
        }
        if !size.is_multiple_of(world_size) {
            return Err(InitError::InvalidRegion {
                op,
                message: format!(
                    "dim {dim} of shape {full:?} has size {size}, not divisible by world_size {world_size}; the size must be a multiple of world_size"
                ),
            });
        }
        let len = size / world_size;
        Ok(Region::Narrow {
            dim,
            start: rank * len,
            len,
        })
    }

    /// The flat chunk of rank `rank` when the row-major flattening of `full` is cut into
    /// `world_size` chunks of `numel.div_ceil(world_size)` elements (`torch.chunk` on the
    /// flattened tensor, FSDP's chunks before padding): the last ranks may hold fewer elements,
    /// or none. Chunks of every rank, concatenated in rank order, are the flattened tensor.
    ///
    /// # Errors
    /// When `rank >= world_size`.
    ///
    /// ```
    /// use init_candle::init::Region;
    ///
    /// // 10 elements over 4 ranks: 3, 3, 3, 1.
    /// assert_eq!(Region::flat_chunk(&[2, 5], 3, 4)?, Region::Flat { start: 9, len: 1 });
    /// # Ok::<(), init_candle::InitError>(())
    /// ```
    pub fn flat_chunk(full: &[usize], rank: usize, world_size: usize) -> Result<Region> {
        if world_size == 0 || rank >= world_size {
            return Err(InitError::InvalidRegion {
                op: "shard",
                message: format!(
                    "rank {rank} of world_size {world_size}; rank must be < world_size"
                ),
            });
        }
        let numel: usize = full.iter().product();
        let chunk = numel.div_ceil(world_size);
        let start = (rank * chunk).min(numel);
        let end = ((rank + 1) * chunk).min(numel);
        Ok(Region::Flat {
            start,
            len: end - start,
        })
    }

    /// The shard's shape, or an error when the region does not lie inside `full`.
    pub fn dims(&self, full: &[usize]) -> Result<Vec<usize>> {
        let op = "shard";
        match *self {
            Region::Narrow { dim, start, len } => {
                let size = *full.get(dim).ok_or_else(|| InitError::InvalidRegion {
                    op,
                    message: format!("dim {dim} is out of range for shape {full:?}"),
                })?;
                if start.checked_add(len).is_none_or(|end| end > size) {
                    return Err(InitError::InvalidRegion {
                        op,
                        message: format!(
                            "indices {start}..{} of dim {dim} lie outside shape {full:?}",
                            start.saturating_add(len)
                        ),
                    });
                }
                let mut dims = full.to_vec();
                dims[dim] = len;
                Ok(dims)
            }
            Region::Flat { start, len } => {
                let numel: usize = full.iter().product();
                if start.checked_add(len).is_none_or(|end| end > numel) {
                    return Err(InitError::InvalidRegion {
                        op,
                        message: format!(
                            "elements {start}..{} lie outside the {numel} elements of shape {full:?}",
                            start.saturating_add(len)
                        ),
                    });
                }
                Ok(vec![len])
            }
        }
    }

    /// The region as a view (layout) of the contiguous full tensor.
    fn layout(&self, full: &[usize]) -> Result<Layout> {
        self.dims(full)?;
        Ok(match *self {
            Region::Narrow { dim, start, len } => {
                Layout::contiguous(full).narrow(dim, start, len)?
            }
            Region::Flat { start, len } => Layout::contiguous_with_offset(len, start),
        })
    }

    /// This region of a full tensor (a view of it).
    fn of(&self, full: &Tensor) -> Result<Tensor> {
        Ok(match *self {
            Region::Narrow { dim, start, len } => full.narrow(dim, start, len)?,
            Region::Flat { start, len } => full.flatten_all()?.narrow(0, start, len)?,
        })
    }
}

impl Init {
    /// Initializes `shard`, the `region` of a tensor of shape `full_dims`, with exactly the
    /// values [`apply`](Init::apply) with the same `rng` would write there in the full tensor:
    /// fans, gains and bounds come from `full_dims`, each value from its position in the full
    /// tensor. Element-wise initializers compute only the shard, where it lives (on CUDA, with
    /// the tiled kernel of whole tensors when the region is contiguous in the full tensor, one
    /// thread per element otherwise); `orthogonal` and `sparse` (which mix the whole
    /// tensor) and `eye`/`dirac` compute the full tensor on the CPU and keep the region
    /// (uploaded to the shard's device): memory and time of the full tensor, on every rank.
    ///
    /// `shard` must be contiguous with the region's shape. Checked before any write.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use init_candle::init::Region;
    /// use init_candle::{Generator, Init};
    ///
    /// let full = Tensor::zeros((6, 4), DType::F32, &Device::Cpu)?;
    /// Init::xavier_normal().apply(&full, &mut Generator::new(3))?;
    /// // Rank 1 of 2, split along dim 1, without the full tensor:
    /// let region = Region::split(&[6, 4], 1, 1, 2)?;
    /// let shard = Tensor::zeros((6, 2), DType::F32, &Device::Cpu)?;
    /// Init::xavier_normal().apply_region(&shard, &[6, 4], region, &mut Generator::new(3))?;
    /// assert_eq!(shard.to_vec2::<f32>()?, full.narrow(1, 2, 2)?.to_vec2::<f32>()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_region(
        &self,
        shard: &Tensor,
        full_dims: &[usize],
        region: Region,
        rng: &mut Generator,
    ) -> Result<()> {
        let op = self.name();
        let dims = region.dims(full_dims)?;
        if shard.dims() != dims.as_slice() {
            return Err(InitError::InvalidRegion {
                op,
                message: format!(
                    "the shard has shape {:?}; {region:?} of {full_dims:?} has shape {dims:?}",
                    shard.dims()
                ),
            });
        }
        if !shard.is_contiguous() {
            return Err(InitError::InvalidRegion {
                op,
                message: "the shard must be contiguous".into(),
            });
        }
        crate::ops::check_device(op, shard.device())?;
        let plan = self.plan(full_dims, shard.dtype())?;
        if plan.is_structured() {
            // The whole tensor, on the CPU, then the region (uploaded to the shard's device).
            let full = Tensor::zeros(full_dims, shard.dtype(), &Device::Cpu)?;
            self.apply(&full, rng)?;
            let part = region.of(&full)?.contiguous()?.reshape(shard.shape())?;
            shard.slice_set(&part.to_device(shard.device())?, 0, 0)?;
            return Ok(());
        }
        self.run_mapped(plan, shard, region.layout(full_dims)?, rng)
    }
}
