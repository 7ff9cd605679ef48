//! PyTorch-style module traversal and declarative weight initialization for
//! [Candle](https://github.com/huggingface/candle) models.
//!
//! This is the crate users depend on. It re-exports:
//! - everything of `init-core` at the root (`Init`, `Generator`, `InitError`, `xavier_normal`,
//!   `kaiming_uniform`, ...: PyTorch's `torch.nn.init`, in place, seeded), and the crate itself
//!   as [`init`] (`init_candle::init::xavier_normal`);
//! - the [`InitWeights`] trait and its derive of the same name (as serde does with `Serialize`).
//!
//! # Example
//!
//! ```
//! use candle_core::{DType, Device, Module, Tensor};
//! use candle_nn::{Conv2d, Linear, VarBuilder, VarMap};
//! use init_candle::{Init, InitWeights};
//!
//! #[derive(InitWeights)]
//! struct Net {
//!     #[init(kaiming_normal(mode = fan_out, nonlinearity = relu), bias = zeros)]
//!     conv: Conv2d,
//!     #[init(normal(std = 0.01), bias = zeros)]
//!     fc: Linear,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let varmap = VarMap::new();
//! let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let net = Net {
//!     conv: candle_nn::conv2d(3, 8, 3, Default::default(), vb.pp("conv"))?,
//!     fc: candle_nn::linear(8, 10, vb.pp("fc"))?,
//! };
//! // Declared inits where given, PyTorch's defaults elsewhere; checked before writing;
//! // each parameter from its own stream, so the result only depends on (seed, path).
//! net.init_weights(0)?;
//!
//! // Or PyTorch's `model.apply(weights_init)` by class name, planned the same way:
//! net.init_with(0, &mut |m| {
//!     if m.class_name().contains("Conv") {
//!         m.init_weight(Init::xavier_normal());
//!         m.init_bias(Init::Zeros);
//!     }
//!     Ok(())
//! })?;
//! for (name, module) in net.named_modules() {
//!     println!("{name:>6}: {}", module.class_name());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Layers
//!
//! candle-nn's `Linear`, `Conv1d`, `Conv2d`, `ConvTranspose1d`, `ConvTranspose2d`, `BatchNorm`,
//! `LayerNorm`, `RmsNorm`, `Embedding`, `PReLU` and `Activation` implement [`InitWeights`]
//! directly: their accessors return the very tensors they compute with. `GroupNorm`, `LSTM` and
//! `GRU` keep their tensors private, so this crate has wrappers ([`GroupNorm`], [`Lstm`], [`Gru`])
//! that get the tensors from the `VarBuilder` themselves and build candle's layer from those same
//! tensors. [`Conv3d`], [`MaxPool2d`], [`MaxPool3d`] and a walkable [`Sequential`] fill what
//! candle lacks. `Vec`, arrays, `Option`, `Box` and `Arc` of modules are modules.

mod activation;
mod conv;
mod conv3d;
mod defaults;
mod embedding;
mod error;
mod linear;
mod module;
mod norm;
mod plan;
mod pool;
mod rnn;
mod sequential;

pub use activation::{Dropout, Flatten, LeakyReLU, ReLU, Sigmoid, Tanh};
pub use conv3d::{conv3d, conv3d_no_bias, Conv3d, Conv3dConfig};
pub use error::{ModuleError, ModuleResult};
pub use module::{FieldInit, InitWeights, ModuleBase, ParamInit};
pub use norm::{group_norm, GroupNorm};
pub use plan::{InitPlan, InitReport, ModuleInit, PlanEntry, Source};
pub use pool::{MaxPool2d, MaxPool3d};
pub use rnn::{gru, lstm, Gru, Lstm, RnnConfig};
pub use sequential::{Layer, Sequential};

/// The derive: `#[derive(InitWeights)]` (see the trait for the attributes).
pub use init_derive::InitWeights;

pub use init_core::*;

/// `init-core`, PyTorch's `torch.nn.init` for Candle tensors.
pub use init_core as init;

// Lets this crate's own tests and doctests use the derive, whose output names `::init_candle`.
extern crate self as init_candle;

#[doc(hidden)]
pub mod __private {
    //! Items the derive's generated code names. Not public API.
    pub use crate::error::ModuleResult as Result;
    pub use crate::module::{FieldInit, InitWeights, ParamInit};
    pub use candle_core::Tensor;
    pub use init_core::{FanMode, Init, Nonlinearity};
    pub use std::vec;
    pub use std::vec::Vec;

    /// A field of a derived struct, as its parent sees it.
    pub fn visit_field<'m, T: InitWeights + ?Sized>(
        field: &'m T,
        name: &str,
        visit: &mut dyn FnMut(&str, &'m dyn InitWeights),
    ) {
        field.visit_as_field(name, visit);
    }

    /// A bare tensor field (`Tensor` or `Var`) as a parameter.
    pub trait AsParameter {
        fn as_parameter(&self) -> &Tensor;
    }
    impl AsParameter for Tensor {
        fn as_parameter(&self) -> &Tensor {
            self
        }
    }
    impl AsParameter for candle_core::Var {
        fn as_parameter(&self) -> &Tensor {
            self.as_tensor()
        }
    }

    /// `field.as_parameter()`.
    pub fn as_parameter<T: AsParameter + ?Sized>(field: &T) -> &Tensor {
        field.as_parameter()
    }
}
