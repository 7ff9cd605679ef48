//! PyTorch-style module traversal and declarative weight initialization for
//! [Candle](https://github.com/huggingface/candle) models.
//!
//! This is the crate users depend on:
//! - [`InitWeights`], the trait a module implements (a few hooks: its class name, children,
//!   parameters with their PyTorch defaults), and its derive of the same name (as serde does
//!   with `Serialize`);
//! - [`InitWeightsExt`], what users call on any module: `named_modules`, `apply`,
//!   `init_weights`, `init_with`, `module_repr`, ...;
//! - [`nn`], layers candle-nn lacks or keeps closed (`Sequential`, `ReLU`, `Conv3d`,
//!   `GroupNorm`, `Lstm`, ...); candle-nn's own layers implement [`InitWeights`] as they are;
//! - [`build`], models initialized where they are built: [`build::ModelBuilder`] gives any
//!   constructor that takes a `VarBuilder` (candle-nn's, candle-transformers', yours) tensors
//!   loaded from a checkpoint or written once by rules and a preset (PyTorch's, Hugging
//!   Face's, candle's), with a report of what each tensor got;
//! - [`init`], PyTorch's `torch.nn.init` on Candle tensors (init-core), with its most used
//!   items also at the root ([`Init`], [`Generator`], [`FanMode`], [`Nonlinearity`], ...);
//! - one [`Error`] and [`Result`] for all of it.
//!
//! # Example
//!
//! ```
//! use candle_core::{DType, Device, Module, Tensor};
//! use candle_nn::{Conv2d, Linear, VarBuilder, VarMap};
//! use init_candle::{Init, InitWeights, InitWeightsExt};
//!
//! #[derive(InitWeights)]
//! struct Net {
//!     #[init(kaiming_normal(mode = fan_out, nonlinearity = relu), bias = zeros)]
//!     conv: Conv2d,
//!     #[init(normal(std = 0.01), bias = zeros)]
//!     fc: Linear,
//! }
//!
//! # fn main() -> init_candle::Result<()> {
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
//! `GRU` keep their tensors private, so [`nn`] has wrappers ([`nn::GroupNorm`], [`nn::Lstm`],
//! [`nn::Gru`]) that get the tensors from the `VarBuilder` themselves and build candle's layer
//! from those same tensors. [`nn::Conv3d`], [`nn::MaxPool2d`], [`nn::MaxPool3d`] and a walkable
//! [`nn::Sequential`] fill what candle lacks. `Vec`, arrays, `Option`, `Box` and `Arc` of
//! modules are modules.

mod apply;
pub mod build;
mod containers;
mod convert;
mod defaults;
mod error;
mod ext;
mod module;
pub mod nn;
mod params;
mod plan;
mod report;
mod repr;
mod suggest;
mod traversal;
mod varmap;

pub use convert::from_candle_nn;
pub use error::{Error, Result};
pub use ext::InitWeightsExt;
pub use module::{DefaultInit, FieldInit, InitWeights, ModuleBase, Parameter};
pub use plan::{InitPlan, InitReport, InitSource, ModuleInit, PlanEntry};
pub use report::{describe, TensorReport, ValueSource};
pub use repr::{parameter_repr, tensor_repr};

/// The derive: `#[derive(InitWeights)]` (see the trait for the attributes).
pub use init_derive::InitWeights;

pub use init_core::{
    calculate_fan_in_and_fan_out, calculate_gain, FanMode, Generator, Init, InitError, Nonlinearity,
};

/// `init-core`, PyTorch's `torch.nn.init` for Candle tensors: the in-place functions
/// (`init_candle::init::xavier_normal(&w, 1.0, &mut rng)`) and everything else of it.
pub use init_core as init;

// Lets this crate's own tests and doctests use the derive, whose output names `::init_candle`.
extern crate self as init_candle;

#[doc(hidden)]
pub mod __private {
    //! Items the derive's generated code names. Not public API.
    pub use crate::module::{DefaultInit, FieldInit, InitWeights, Parameter};
    pub use candle_core::Tensor;
    pub use init_core::{FanMode, Init, Nonlinearity};
    pub use std::vec;
    pub use std::vec::Vec;

    /// A field of a derived struct, as its parent sees it (`Option`, `Box`, `Arc` see through).
    pub fn visit_field<'m, T: InitWeights + ?Sized>(
        field: &'m T,
        name: &str,
        visit: &mut dyn FnMut(&str, &'m dyn InitWeights),
    ) {
        if let Some(module) = field.as_field() {
            visit(name, module);
        }
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

    /// A bare tensor field as a parameter named `name`: its `#[init]` initializer as its
    /// default, or none (the values are kept unless a parent's declaration names it).
    pub fn tensor_field<'m, T: AsParameter + ?Sized>(
        field: &'m T,
        name: &'m str,
        init: Option<Init>,
    ) -> Parameter<'m> {
        let default = match init {
            Some(init) => DefaultInit::Init(init),
            None => DefaultInit::Keep,
        };
        Parameter::new(name, field.as_parameter(), default)
    }
}

/// The README's code blocks, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
