//! # init-core: `torch.nn.init` for Candle tensors
//!
//! Every initializer of PyTorch's `torch.nn.init` (`calculate_gain`, `uniform_`, `normal_`,
//! `trunc_normal_`, `constant_`/`ones_`/`zeros_`, `eye_`, `dirac_`, `xavier_uniform_`,
//! `xavier_normal_`, `kaiming_uniform_`, `kaiming_normal_`, `orthogonal_`, `sparse_`) on Candle
//! tensors, with PyTorch's formulas, defaults and error conditions, and:
//!
//! - **in place**: values are written into the tensor's own storage, so a layer built from a
//!   `VarMap`, the `VarMap` itself, its `save()` and the optimizer all see them; views (a few rows
//!   of a weight) are written where they lie;
//! - **checked first**: a call that cannot succeed returns an [`InitError`] before any write;
//! - **reproducible**: a seeded counter-based [`Generator`] (Philox4x32-10) makes the value of
//!   each storage position a function of (seed, stream, position): the same bytes on any thread
//!   count, and a view gets what the full tensor would get there;
//! - **fast**: SIMD (AVX2/AVX-512 chosen at run time) on both cores.
//!
//! JAX/Flax's initializers (`jax.nn.initializers`, re-exported by `flax.linen.initializers`)
//! are here too, with the same guarantees: [`Init::VarianceScaling`] and its named instances
//! ([`Init::lecun_normal`], [`Init::he_normal`], [`Init::glorot_uniform`], ...), `orthogonal`'s
//! `column_axis` ([`Init::Orthogonal`]) and [`Init::DeltaOrthogonal`]. PyTorch's initializers
//! count fans on PyTorch's layout, (out, in, kernel...), the layout of a candle weight; JAX's
//! count them on the axes they are given, which default here to the axes that name the same
//! dimensions in that layout (see [`Init`]).
//!
//! Users depend on `init-candle`, which re-exports this crate as `init_candle::init` and its
//! most used items at its root (`init_candle::Init`, `Generator`, `FanMode`, `Nonlinearity`,
//! `InitError`, `calculate_gain`, `calculate_fan_in_and_fan_out`); the examples here are written
//! with those paths, so that they compile as pasted into a crate that depends on init-candle
//! (they are tested that way: init-candle is a dev-dependency of this crate).
//!
//! ```
//! use candle_core::{DType, Device, Var};
//! use init_candle::{Generator, FanMode, Nonlinearity};
//!
//! let mut rng = Generator::new(42);
//! let w = Var::zeros((128, 64), DType::F32, &Device::Cpu)?;
//! init_candle::init::kaiming_normal(&w, 0.0, FanMode::FanOut, Nonlinearity::Relu, &mut rng)?;
//! let b = Var::zeros(128, DType::F32, &Device::Cpu)?;
//! init_candle::init::zeros(&b)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cargo features
//!
//! - `cuda` (off by default): the initializers also write tensors on Candle's CUDA device. The
//!   kernels are compiled to PTX by nvcc at build time (`$NVCC`, `$CUDA_HOME/bin/nvcc` or `nvcc`
//!   on the `PATH`), as Candle's own are. Without it, a tensor on a CUDA device is an
//!   [`InitError::UnsupportedDevice`] error. The feature adds no public items; these docs are
//!   built without it.

#![cfg_attr(docsrs, feature(doc_cfg))]

// Layers, each using only the ones before it: error, fan, gain, variance -> isa -> philox -> real,
// ziggurat -> dist, generator, layout -> accept, cpu, cuda -> ops -> structured -> init ->
// functions.
mod accept;
mod cpu;
#[cfg(feature = "cuda")]
mod cuda;
mod dist;
mod error;
mod fan;
mod functions;
mod gain;
mod generator;
mod init;
mod isa;
mod layout;
mod ops;
mod philox;
mod real;
mod shard;
mod structured;
mod variance;
mod ziggurat;

pub use error::{InitError, Result};
pub use fan::{calculate_correct_fan, calculate_fan_in_and_fan_out, FanMode};
pub use functions::{
    constant, delta_orthogonal, dirac, eye, kaiming_normal, kaiming_uniform, normal, ones,
    orthogonal, sparse, trunc_normal, uniform, variance_scaling, xavier_normal, xavier_uniform,
    zeros,
};
pub use gain::{calculate_gain, Nonlinearity, DEFAULT_NEGATIVE_SLOPE};
pub use generator::{Generator, STREAM_FORMAT_VERSION};
pub use init::Init;
/// An argument of [`Init::from_args`]: a number or a name (`0.02.into()`, `"relu".into()`).
pub use init_spec::Arg;
/// The problems [`Init::from_args`] found ([`InitError::InvalidArgs`]).
#[doc(no_inline)]
pub use init_spec::ArgErrors;
/// An axis or a list of axes: JAX's `in_axis`, `out_axis` and `batch_axis` of
/// [`Init::VarianceScaling`].
#[doc(no_inline)]
pub use init_spec::Axes;
/// Rows of the table of initializers, fan modes, nonlinearities, variance modes and
/// distributions ([`Init::kind`], [`FanMode::kind`], [`Nonlinearity::kind`],
/// [`VarianceMode::kind`], [`Distribution::kind`]).
#[doc(no_inline)]
pub use init_spec::{DistributionKind, FanModeKind, InitKind, NonlinearityKind, VarianceModeKind};
pub use philox::philox4x32_10;
pub use shard::Region;
pub use variance::{Distribution, VarianceMode};
