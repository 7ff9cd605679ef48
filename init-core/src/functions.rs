//! The `torch.nn.init` functions, one for one. Each is [`Init::apply`] of its variant: checked
//! completely before the first write, in place, one draw of `rng` when random.

use candle_core::Tensor;

use crate::error::Result;
use crate::fan::FanMode;
use crate::gain::Nonlinearity;
use crate::generator::Generator;
use crate::init::Init;
use crate::variance::{Distribution, VarianceMode};

/// Fills `t` with U(low, high) (`nn.init.uniform_(t, a=low, b=high)`).
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::zeros((3, 4), DType::F32, &Device::Cpu)?;
/// init_candle::init::uniform(&w, -0.5, 0.5, &mut init_candle::Generator::new(0))?;
/// assert!(w.flatten_all()?.to_vec1::<f32>()?.iter().all(|v| (-0.5..0.5).contains(v)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn uniform(t: &Tensor, low: f64, high: f64, rng: &mut Generator) -> Result<()> {
    Init::Uniform { low, high }.apply(t, rng)
}

/// Fills `t` with N(mean, std^2) (`nn.init.normal_`).
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::zeros(1000, DType::F64, &Device::Cpu)?;
/// init_candle::init::normal(&w, 3.0, 0.0, &mut init_candle::Generator::new(0))?;
/// assert!(w.to_vec1::<f64>()?.iter().all(|&v| v == 3.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn normal(t: &Tensor, mean: f64, std: f64, rng: &mut Generator) -> Result<()> {
    Init::Normal { mean, std }.apply(t, rng)
}

/// Fills `t` with N(mean, std^2) conditioned on the open interval (a, b), exactly
/// (`nn.init.trunc_normal_`, PyTorch >= 2.12 semantics): no value equals a bound, also after
/// rounding to f16/bf16, and far tails (a = 2, b = 3) are as fast as the centre.
///
/// Values are drawn by exact rejection from a proposal chosen by the interval: standard
/// normals, a uniform, Robert's exponential for one-sided tails, and, in f32 arithmetic (f32,
/// f16, bf16 tensors) on bounded one-sided intervals at most half as wide as the power of two
/// below their distance from the mean (in standard deviations, e.g. (2, 3)), a ziggurat that
/// decides ~99% of values from one random word.
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::zeros(10_000, DType::BF16, &Device::Cpu)?;
/// init_candle::init::trunc_normal(&w, 0.0, 1.0, 2.0, 3.0, &mut init_candle::Generator::new(0))?;
/// let v = w.to_dtype(DType::F32)?.to_vec1::<f32>()?;
/// assert!(v.iter().all(|&x| 2.0 < x && x < 3.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn trunc_normal(
    t: &Tensor,
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
    rng: &mut Generator,
) -> Result<()> {
    Init::TruncNormal { mean, std, a, b }.apply(t, rng)
}

/// Fills `t` with `value` (`nn.init.constant_`); integer tensors too, when `value` fits.
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::zeros(3, DType::I64, &Device::Cpu)?;
/// init_candle::init::constant(&w, 7.0)?;
/// assert_eq!(w.to_vec1::<i64>()?, [7, 7, 7]);
/// assert!(init_candle::init::constant(&w, 0.5).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn constant(t: &Tensor, value: f64) -> Result<()> {
    Init::Constant { value }.apply(t, &mut Generator::new(0))
}

/// Fills `t` with ones (`nn.init.ones_`).
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::zeros(2, DType::F16, &Device::Cpu)?;
/// init_candle::init::ones(&w)?;
/// assert_eq!(w.to_dtype(DType::F32)?.to_vec1::<f32>()?, [1.0, 1.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn ones(t: &Tensor) -> Result<()> {
    Init::Ones.apply(t, &mut Generator::new(0))
}

/// Fills `t` with zeros (`nn.init.zeros_`).
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::ones(2, DType::F32, &Device::Cpu)?;
/// init_candle::init::zeros(&w)?;
/// assert_eq!(w.to_vec1::<f32>()?, [0.0, 0.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn zeros(t: &Tensor) -> Result<()> {
    Init::Zeros.apply(t, &mut Generator::new(0))
}

/// The identity matrix (`nn.init.eye_`): 2-D only.
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::ones((2, 3), DType::F32, &Device::Cpu)?;
/// init_candle::init::eye(&w)?;
/// assert_eq!(w.to_vec2::<f32>()?, [[1., 0., 0.], [0., 1., 0.]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn eye(t: &Tensor) -> Result<()> {
    Init::Eye.apply(t, &mut Generator::new(0))
}

/// The Dirac delta (`nn.init.dirac_`): a 3-D, 4-D or 5-D convolution weight that preserves
/// its input, per group. `groups` must be positive and divide `size(0)`.
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::zeros((2, 2, 3), DType::F32, &Device::Cpu)?;
/// init_candle::init::dirac(&w, 1)?;
/// assert_eq!(w.to_vec3::<f32>()?, [[[0., 1., 0.], [0., 0., 0.]], [[0., 0., 0.], [0., 1., 0.]]]);
/// assert!(init_candle::init::dirac(&w, 0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dirac(t: &Tensor, groups: usize) -> Result<()> {
    Init::Dirac { groups }.apply(t, &mut Generator::new(0))
}

/// Xavier/Glorot uniform (`nn.init.xavier_uniform_`): U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)).
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::zeros((30, 20), DType::F32, &Device::Cpu)?;
/// init_candle::init::xavier_uniform(&w, 1.0, &mut init_candle::Generator::new(0))?;
/// let a = (6.0f32 / 50.0).sqrt();
/// assert!(w.flatten_all()?.to_vec1::<f32>()?.iter().all(|v| v.abs() <= a));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn xavier_uniform(t: &Tensor, gain: f64, rng: &mut Generator) -> Result<()> {
    Init::XavierUniform { gain }.apply(t, rng)
}

/// Xavier/Glorot normal (`nn.init.xavier_normal_`): N(0, std^2), std = gain sqrt(2 / (fan_in + fan_out)).
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::zeros((6, 3, 5, 5), DType::F32, &Device::Cpu)?;
/// init_candle::init::xavier_normal(&w, 1.0, &mut init_candle::Generator::new(0))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn xavier_normal(t: &Tensor, gain: f64, rng: &mut Generator) -> Result<()> {
    Init::XavierNormal { gain }.apply(t, rng)
}

/// Kaiming/He uniform (`nn.init.kaiming_uniform_`): U(-b, b), b = gain sqrt(3 / fan). As in
/// PyTorch, `a` is the negative slope used when `nonlinearity` is leaky_relu (the default
/// `a = 0` then gives gain sqrt(2)); warns and writes nothing on a zero-element tensor.
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// use init_candle::{FanMode, Nonlinearity};
/// let w = Tensor::zeros((64, 3, 3, 3), DType::F32, &Device::Cpu)?;
/// init_candle::init::kaiming_uniform(&w, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut init_candle::Generator::new(0))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn kaiming_uniform(
    t: &Tensor,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Generator,
) -> Result<()> {
    Init::KaimingUniform {
        a,
        mode,
        nonlinearity,
    }
    .apply(t, rng)
}

/// Kaiming/He normal (`nn.init.kaiming_normal_`): N(0, std^2), std = gain / sqrt(fan); `a` as
/// in [`kaiming_uniform`].
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// use init_candle::{FanMode, Nonlinearity};
/// let w = Tensor::zeros((64, 32), DType::BF16, &Device::Cpu)?;
/// init_candle::init::kaiming_normal(&w, 0.0, FanMode::FanOut, Nonlinearity::Relu, &mut init_candle::Generator::new(0))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn kaiming_normal(
    t: &Tensor,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Generator,
) -> Result<()> {
    Init::KaimingNormal {
        a,
        mode,
        nonlinearity,
    }
    .apply(t, rng)
}

/// A (semi-)orthogonal matrix times `gain` (`nn.init.orthogonal_`), from the reduced QR
/// decomposition (faer) of a normal matrix with R's diagonal made positive; a tensor of more
/// than 2 dimensions is treated as (size(0), numel / size(0)).
///
/// ```
/// use candle_core::{Device, Tensor, DType, D};
/// let w = Tensor::zeros((8, 5), DType::F64, &Device::Cpu)?;
/// init_candle::init::orthogonal(&w, 1.0, &mut init_candle::Generator::new(0))?;
/// let wtw = w.t()?.matmul(&w)?; // 5x5 identity
/// let eye = Tensor::eye(5, DType::F64, &Device::Cpu)?;
/// assert!((wtw - eye)?.abs()?.max_all()?.to_scalar::<f64>()? < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn orthogonal(t: &Tensor, gain: f64, rng: &mut Generator) -> Result<()> {
    Init::Orthogonal {
        gain,
        column_axis: 0,
    }
    .apply(t, rng)
}

/// A sparse 2-D matrix (`nn.init.sparse_`): in each column `ceil(sparsity * rows)` distinct
/// rows are zero, the rest N(0, std^2). `sparsity` must lie in [0, 1].
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// let w = Tensor::zeros((10, 4), DType::F32, &Device::Cpu)?;
/// init_candle::init::sparse(&w, 0.3, 0.01, &mut init_candle::Generator::new(0))?;
/// let zeros = w.eq(0f32)?.to_dtype(DType::F32)?.sum(0)?.to_vec1::<f32>()?;
/// assert_eq!(zeros, [3.0; 4]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sparse(t: &Tensor, sparsity: f64, std: f64, rng: &mut Generator) -> Result<()> {
    Init::Sparse { sparsity, std }.apply(t, rng)
}

/// JAX/Flax's `variance_scaling(scale, mode, distribution)` on a tensor in PyTorch's layout
/// (`in_axis = 1`, `out_axis = 0`, as [`Init::variance_scaling`]): mean 0 and variance
/// `scale / n`, `n` the fan `mode` names. [`Init::VarianceScaling`] takes other axes.
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// use init_candle::init::{Distribution, VarianceMode};
/// // Flax's lecun_normal on a (out 256, in 128) weight: std 1 / sqrt(128), cut at 2 of the
/// // normal's own std.
/// let w = Tensor::zeros((256, 128), DType::F32, &Device::Cpu)?;
/// let mut rng = init_candle::Generator::new(0);
/// init_candle::init::variance_scaling(&w, 1.0, VarianceMode::FanIn, Distribution::TruncatedNormal, &mut rng)?;
/// let bound = 2.0 * (1.0f32 / 128.0).sqrt() / 0.879_625_7;
/// assert!(w.abs()?.max_all()?.to_scalar::<f32>()? < bound);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn variance_scaling(
    t: &Tensor,
    scale: f64,
    mode: VarianceMode,
    distribution: Distribution,
    rng: &mut Generator,
) -> Result<()> {
    Init::variance_scaling(scale, mode, distribution).apply(t, rng)
}

/// JAX/Flax's `delta_orthogonal(scale)` on a (out, in, kernel...) kernel of 3 to 5 dimensions
/// with in <= out: zeros, but at the centre tap ((k - 1) / 2 on each spatial axis) an
/// orthogonal (out, in) matrix times `scale`.
///
/// ```
/// use candle_core::{Device, Tensor, DType, IndexOp};
/// let w = Tensor::zeros((8, 4, 3, 3), DType::F64, &Device::Cpu)?;
/// init_candle::init::delta_orthogonal(&w, 1.0, &mut init_candle::Generator::new(0))?;
/// let centre = w.i((.., .., 1, 1))?; // (8, 4), orthonormal columns
/// let ctc = centre.t()?.matmul(&centre)?;
/// let eye = Tensor::eye(4, DType::F64, &Device::Cpu)?;
/// assert!((ctc - eye)?.abs()?.max_all()?.to_scalar::<f64>()? < 1e-12);
/// assert_eq!(w.abs()?.sum_all()?.to_scalar::<f64>()?, centre.abs()?.sum_all()?.to_scalar::<f64>()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn delta_orthogonal(t: &Tensor, scale: f64, rng: &mut Generator) -> Result<()> {
    Init::DeltaOrthogonal { scale }.apply(t, rng)
}
