//! Parameterless layers, so that a `Sequential` prints and walks like PyTorch's:
//! [`ReLU`](struct@ReLU), [`Tanh`], [`Sigmoid`], [`LeakyReLU`], [`Softmax`], [`Flatten`], [`Dropout`], and candle-nn's
//! `Activation`.
//!
//! ```
//! # use candle_core::{Device, Module, Tensor};
//! use init_candle::nn::ReLU;
//! use init_candle::InitWeightsExt;
//! let y = ReLU.forward(&Tensor::new(&[-1f32, 2.], &Device::Cpu)?)?;
//! assert_eq!(y.to_vec1::<f32>()?, [0., 2.]);
//! assert_eq!(ReLU.module_repr(), "ReLU()");
//! // nn.ReLU(True): Candle never writes a layer's input, so `inplace` only shows in the print.
//! assert_eq!(ReLU::new(true).module_repr(), "ReLU(inplace=True)");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_core::{Module, ModuleT, Tensor};
use candle_nn::Activation;

use crate::error::{Error, Result};
use crate::module::InitWeights;
use crate::repr::{py_float, py_float32};

macro_rules! unit_activation {
    ($(#[$doc:meta])* $ty:ident, $name:literal, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $ty;

        impl Module for $ty {
            fn forward(&self, $x: &Tensor) -> candle_core::Result<Tensor> {
                $body
            }
        }

        impl InitWeights for $ty {
            fn class_name(&self) -> &'static str {
                $name
            }
        }
    };
}

/// `max(x, 0)`: PyTorch's `nn.ReLU`. The constant [`ReLU`](constant@ReLU) is `nn.ReLU()`,
/// [`ReLU::new(true)`](ReLU::new) is `nn.ReLU(inplace=True)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReLU {
    inplace: bool,
}

/// `nn.ReLU()`, so that a model reads as its PyTorch source: `Sequential::new().add(ReLU)`.
#[allow(non_upper_case_globals)]
pub const ReLU: ReLU = ReLU { inplace: false };

impl ReLU {
    /// `nn.ReLU(inplace)`. Candle's tensors are never overwritten by a forward pass, so
    /// `inplace` changes nothing but the print (`ReLU(inplace=True)`), which follows PyTorch's.
    pub fn new(inplace: bool) -> Self {
        Self { inplace }
    }

    /// The `inplace` flag it was made with.
    pub fn inplace(&self) -> bool {
        self.inplace
    }
}

impl Module for ReLU {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        xs.relu()
    }
}

impl InitWeights for ReLU {
    fn class_name(&self) -> &'static str {
        "ReLU"
    }
    fn extra_repr(&self) -> String {
        if self.inplace {
            "inplace=True".to_owned()
        } else {
            String::new()
        }
    }
}

unit_activation!(
    /// `tanh(x)`.
    Tanh, "Tanh", |xs| xs.tanh()
);
unit_activation!(
    /// `1 / (1 + exp(-x))`.
    Sigmoid, "Sigmoid", |xs| candle_nn::ops::sigmoid(xs)
);

/// `x` if positive, else `negative_slope * x`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyReLU {
    /// Slope for negative inputs (PyTorch's default 0.01).
    pub negative_slope: f64,
}

impl Default for LeakyReLU {
    fn default() -> Self {
        Self {
            negative_slope: 0.01,
        }
    }
}

impl Module for LeakyReLU {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::leaky_relu(xs, self.negative_slope)
    }
}

impl InitWeights for LeakyReLU {
    fn class_name(&self) -> &'static str {
        "LeakyReLU"
    }
    fn extra_repr(&self) -> String {
        format!("negative_slope={}", py_float(self.negative_slope))
    }
}

/// Softmax along one dimension: `exp(x) / sum(exp(x))`.
///
/// ```
/// # use candle_core::{Device, Module, Tensor};
/// use init_candle::nn::Softmax;
/// use init_candle::InitWeightsExt;
/// let softmax = Softmax::new(1);
/// let y = softmax.forward(&Tensor::new(&[[0f32, 0.], [1., 1.]], &Device::Cpu)?)?;
/// assert_eq!(y.to_vec2::<f32>()?, [[0.5, 0.5], [0.5, 0.5]]);
/// assert_eq!(softmax.module_repr(), "Softmax(dim=1)");
/// // `nn.Softmax()` (no dim): PyTorch's legacy choice of dimension, printed `dim=None`.
/// assert_eq!(Softmax::implicit().module_repr(), "Softmax(dim=None)");
/// assert!(Softmax::new(2).forward(&Tensor::zeros((2, 2), candle_core::DType::F32, &Device::Cpu)?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Softmax {
    dim: Option<isize>,
}

impl Softmax {
    /// Softmax along `dim` (`nn.Softmax(dim=...)`); a negative `dim` counts from the last
    /// dimension (`-1` is the last). Checked against the input's rank in `forward`.
    pub fn new(dim: isize) -> Self {
        Self { dim: Some(dim) }
    }

    /// `nn.Softmax()` without `dim`: PyTorch's implicit choice, dimension 0 for inputs of rank
    /// 0, 1 or 3 and dimension 1 otherwise (PyTorch warns that it is deprecated; it is kept for
    /// models that were written with it, such as the C3D port).
    pub fn implicit() -> Self {
        Self { dim: None }
    }

    /// The dimension as given (`None` for [`implicit`](Self::implicit)).
    pub fn dim(&self) -> Option<isize> {
        self.dim
    }

    fn resolve(&self, rank: usize) -> candle_core::Result<usize> {
        let dim = match self.dim {
            None => return Ok(if matches!(rank, 0 | 1 | 3) { 0 } else { 1 }),
            Some(d) => d,
        };
        let resolved = if dim < 0 { dim + rank as isize } else { dim };
        if resolved < 0 || resolved >= rank.max(1) as isize {
            candle_core::bail!(
                "Softmax: dim {dim} is out of range for an input of rank {rank} (allowed: {} to {})",
                -(rank.max(1) as isize),
                rank.max(1) as isize - 1
            );
        }
        Ok(resolved as usize)
    }
}

impl Module for Softmax {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        if xs.rank() == 0 {
            return xs.ones_like();
        }
        let dim = self.resolve(xs.rank())?;
        candle_nn::ops::softmax(xs, dim)
    }
}

impl InitWeights for Softmax {
    fn class_name(&self) -> &'static str {
        "Softmax"
    }
    fn extra_repr(&self) -> String {
        match self.dim {
            Some(d) => format!("dim={d}"),
            None => "dim=None".into(),
        }
    }
}

/// Flattens every dimension from `start_dim` on (PyTorch's default `start_dim = 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flatten {
    /// The first dimension flattened.
    pub start_dim: usize,
}

impl Default for Flatten {
    fn default() -> Self {
        Self { start_dim: 1 }
    }
}

impl Module for Flatten {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        xs.flatten_from(self.start_dim)
    }
}

impl InitWeights for Flatten {
    fn class_name(&self) -> &'static str {
        "Flatten"
    }
    fn extra_repr(&self) -> String {
        format!("start_dim={}, end_dim=-1", self.start_dim)
    }
}

/// Dropout: zeroes elements with probability `p` when training (scaling the rest by
/// `1/(1-p)`), the identity otherwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    p: f32,
}

impl Dropout {
    /// `p` must be in `[0, 1)`.
    pub fn new(p: f32) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::invalid_layer(
                "Dropout",
                format!("p must be in [0, 1), got {p}"),
            ));
        }
        Ok(Self { p })
    }
    /// The drop probability.
    pub fn p(&self) -> f32 {
        self.p
    }
}

impl ModuleT for Dropout {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        if train && self.p > 0.0 {
            candle_nn::ops::dropout(xs, self.p)
        } else {
            Ok(xs.clone())
        }
    }
}

impl InitWeights for Dropout {
    fn class_name(&self) -> &'static str {
        "Dropout"
    }
    fn extra_repr(&self) -> String {
        format!("p={}, inplace=False", py_float32(self.p))
    }
}

/// candle-nn's `Activation` enum; the class name is PyTorch's for the variant.
impl InitWeights for Activation {
    fn class_name(&self) -> &'static str {
        match self {
            Activation::Relu => "ReLU",
            Activation::Silu | Activation::Swiglu => "SiLU",
            Activation::Sigmoid => "Sigmoid",
            Activation::HardSigmoid => "Hardsigmoid",
            Activation::Elu(_) => "ELU",
            Activation::LeakyRelu(_) => "LeakyReLU",
            Activation::Relu6 => "ReLU6",
            Activation::Swish => "SiLU",
            Activation::HardSwish => "Hardswish",
            Activation::Gelu | Activation::GeluPytorchTanh | Activation::NewGelu => "GELU",
            Activation::Mish => "Mish",
            Activation::Relu2 => "ReLU2",
        }
    }
    fn extra_repr(&self) -> String {
        match self {
            Activation::Elu(alpha) => format!("alpha={}", py_float(*alpha)),
            Activation::LeakyRelu(slope) => format!("negative_slope={}", py_float(*slope)),
            Activation::Gelu => "approximate='none'".into(),
            Activation::GeluPytorchTanh | Activation::NewGelu => "approximate='tanh'".into(),
            _ => String::new(),
        }
    }
}
