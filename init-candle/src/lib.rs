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
//! # The derive's attributes
//!
//! ```text
//! #[init(INIT)]                          the field's weights
//! #[init(INIT, bias = INIT)]             its weights and its biases
//! #[init(weight = INIT, bias = INIT)]    the same, both named
//! #[init(with = FUNCTION)]               its weights, from FUNCTION(&self)
//! #[init(rename = "features")]           its path segment, when it is not the field's name
//! #[init(skip)]                          not a module: not traversed
//!
//! INIT     := NAME | NAME(KEY = VALUE, ...) | with(FUNCTION)
//! VALUE    := a number literal (checked at compile time)
//!           | a bare name for `mode` and `nonlinearity` (fan_out, relu, ...)
//!           | a Rust expression of a number type: `STD`, `self.cfg.std`,
//!             `0.02 / (2.0 * self.cfg.n_layer as f64).sqrt()` (checked when the plan is made,
//!             before any write)
//! FUNCTION := fn(&Self) -> Init  or  fn(&Self) -> init_candle::Result<Init>
//! ```
//!
//! Every form, with examples, is on [the derive's page](derive@InitWeights), with the two
//! rules that decide what gets which initializer:
//!
//! - **What an attribute reaches**: on a layer field, its own weights and biases; on a
//!   composite field (a block, a `Vec` of blocks, a `Sequential`), only the weights with 2+
//!   dimensions (Linear, Conv, Embedding, RNN) and their layers' biases, so norms keep their
//!   defaults. Where an outer and an inner field's declarations both reach a parameter, the
//!   inner (most specific) one decides and the outer one is reported as overridden; a
//!   declaration that reaches nothing (`bias = zeros` on a layer without bias) is an error
//!   naming the field.
//! - **Tied weights**: a tensor reached by two paths is written once; a declaration wins
//!   over the other path's layer default whatever the field order, and two different
//!   declarations or defaults are an error naming both paths.
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
//!
//! # Cargo features
//!
//! - `cuda` (off by default): initialization on Candle's CUDA device (init-core's `cuda`
//!   feature, with candle-core's and candle-nn's); building it needs nvcc. The feature adds no
//!   public items; these docs are built without it.

#![cfg_attr(docsrs, feature(doc_cfg))]

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
mod path;
mod plan;
pub mod recipes;
mod report;
mod repr;
mod suggest;
mod traversal;
mod varmap;

pub use convert::from_candle_nn;
pub use error::{Error, Result};
pub use ext::InitWeightsExt;
pub use module::{Declared, DefaultInit, FieldInit, InitWeights, ModuleBase, Parameter};
pub use plan::{InitPlan, InitReport, ModuleInit, PlanEntry};
pub use report::{MeasuredReport, MeasuredTensor, NamedTensors, TensorReport, ValueSource};
pub use repr::{parameter_repr, tensor_repr};

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
    pub use crate::error::{Error, Result};
    pub use crate::module::{Declared, DefaultInit, FieldInit, InitWeights, Parameter};
    pub use candle_core::Tensor;
    pub use init_core::{Arg, Axes, Distribution, FanMode, Init, Nonlinearity, VarianceMode};
    pub use std::vec;
    pub use std::vec::Vec;

    use std::sync::Arc;

    /// A value of an `#[init(...)]` parameter written as an expression, as an argument of
    /// `Init::from_args`.
    #[diagnostic::on_unimplemented(
        message = "an `#[init(...)]` value computed at run time must be a number (`f64`, `f32` or an integer type), not `{Self}`",
        label = "not a number",
        note = "names such as `fan_out` or `relu` are written bare, e.g. `mode = fan_out`"
    )]
    pub trait IntoArg {
        fn into_arg(self) -> Arg<'static>;
    }
    impl IntoArg for f64 {
        fn into_arg(self) -> Arg<'static> {
            Arg::Float(self)
        }
    }
    impl IntoArg for f32 {
        fn into_arg(self) -> Arg<'static> {
            Arg::Float(self.into())
        }
    }
    macro_rules! int_args {
        ($($t:ty),*) => {$(
            impl IntoArg for $t {
                fn into_arg(self) -> Arg<'static> {
                    match i64::try_from(self) {
                        Ok(n) => Arg::Int(n),
                        // Only u64/usize/u128 above i64::MAX: no parameter takes such a count.
                        Err(_) => Arg::Float(self as f64),
                    }
                }
            }
        )*};
    }
    int_args!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

    /// Axes written in an attribute whose other values are computed at run time (the derive
    /// checked their number).
    pub fn axes(list: &[i64]) -> Arg<'static> {
        match Axes::new(list) {
            Some(axes) => Arg::Axes(axes),
            None => Arg::Other("a list of more than 7 axes, or an axis outside -128..=127"),
        }
    }

    /// See [`IntoArg`].
    pub fn arg<T: IntoArg>(value: T) -> Arg<'static> {
        value.into_arg()
    }

    /// What a `with` function may return: an `Init`, or a `Result` of one.
    #[diagnostic::on_unimplemented(
        message = "a `#[init(with = ...)]` function must return `Init` or `init_candle::Result<Init>`, not `{Self}`",
        label = "the function's return type",
        note = "its signature is `fn(&Self) -> init_candle::Result<init_candle::Init>`, where `Self` is the struct that holds the field"
    )]
    pub trait WithOutput {
        fn into_result(self) -> Result<Init>;
    }
    impl WithOutput for Init {
        fn into_result(self) -> Result<Init> {
            Ok(self)
        }
    }
    impl<E: Into<Error>> WithOutput for core::result::Result<Init, E> {
        fn into_result(self) -> Result<Init> {
            self.map_err(Into::into)
        }
    }

    /// See [`WithOutput`].
    pub fn with_output<T: WithOutput>(output: T) -> Result<Init> {
        output.into_result()
    }

    /// What a `with` function of each tensor may return: `Option<Init>` (`None`: not this
    /// tensor), an `Init`, or a `Result` of either.
    #[diagnostic::on_unimplemented(
        message = "a `#[init(with = ...)]` function of each tensor must return `Option<Init>`, `Init` or a `Result` of one, not `{Self}`",
        label = "the function's return type",
        note = "its signature is `fn(&Self, &init_candle::build::TensorInfo) -> Option<init_candle::Init>`, where `Self` is the struct that holds the field"
    )]
    pub trait EachOutput {
        fn into_option(self) -> Result<Option<Init>>;
    }
    impl EachOutput for Init {
        fn into_option(self) -> Result<Option<Init>> {
            Ok(Some(self))
        }
    }
    impl EachOutput for Option<Init> {
        fn into_option(self) -> Result<Option<Init>> {
            Ok(self)
        }
    }
    impl<T: EachOutput, E: Into<Error>> EachOutput for core::result::Result<T, E> {
        fn into_option(self) -> Result<Option<Init>> {
            self.map_err(Into::into)?.into_option()
        }
    }

    /// A `with` function: of the struct (`fn(&Self) -> Init`: one initializer for the field)
    /// or of the struct and each tensor (`fn(&Self, &TensorInfo) -> Option<Init>`).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a `#[init(with = ...)]` function of `{S}`",
        label = "not an initializer function",
        note = "a `with` function is `fn(&Self) -> Init` (or `-> init_candle::Result<Init>`): one initializer for the field, or `fn(&Self, &init_candle::build::TensorInfo) -> Option<Init>`: one for each tensor of the field; check its arguments and its return type"
    )]
    pub trait WithFn<S: ?Sized, Marker> {
        fn declared(
            &self,
            owner: &S,
            field: &str,
            role: &'static str,
            module: Option<&dyn InitWeights>,
        ) -> Result<Declared>;
    }
    /// The [`WithFn`] of the struct alone.
    pub struct OfStruct;
    /// The [`WithFn`] of the struct and each tensor.
    pub struct OfTensor;
    impl<S: ?Sized, F, R> WithFn<S, OfStruct> for F
    where
        F: Fn(&S) -> R,
        R: WithOutput,
    {
        fn declared(
            &self,
            owner: &S,
            field: &str,
            role: &'static str,
            _module: Option<&dyn InitWeights>,
        ) -> Result<Declared> {
            declared(field, role, self(owner).into_result()).map(Declared::Init)
        }
    }
    impl<S: ?Sized, F, R> WithFn<S, OfTensor> for F
    where
        F: Fn(&S, &crate::build::TensorInfo<'_>) -> R,
        R: EachOutput,
    {
        fn declared(
            &self,
            owner: &S,
            field: &str,
            role: &'static str,
            module: Option<&dyn InitWeights>,
        ) -> Result<Declared> {
            let mut each = Vec::new();
            let Some(module) = module else {
                return Ok(Declared::Each(each));
            };
            for (path, child) in crate::InitWeightsExt::named_modules(module) {
                let mut own = Vec::new();
                child.visit_parameters(&mut |p| own.push((p.name, p.tensor.clone())));
                for (name, tensor) in own.into_iter().filter(|(n, _)| n.starts_with(role)) {
                    let below = crate::path::join(&path, name);
                    let full = crate::path::join(field, &below);
                    let info = crate::build::TensorInfo::new(&full, tensor.dims(), tensor.dtype())
                        .in_module(child.class_name());
                    let init =
                        self(owner, &info)
                            .into_option()
                            .map_err(|source| Error::Declaration {
                                path: full.clone(),
                                role,
                                source: Arc::new(source),
                            })?;
                    each.push((below, init));
                }
            }
            Ok(Declared::Each(each))
        }
    }

    /// A field's `with` declaration for `role`: see [`WithFn`].
    pub fn with_declared<S: ?Sized, M, F: WithFn<S, M>>(
        owner: &S,
        field: &str,
        role: &'static str,
        module: Option<&dyn InitWeights>,
        f: F,
    ) -> Result<Declared> {
        f.declared(owner, field, role, module)
    }

    /// A field's initializer computed at run time, or the error naming the field and its role.
    pub fn declared(field: &str, role: &'static str, init: Result<Init>) -> Result<Init> {
        init.map_err(|source| Error::Declaration {
            path: field.to_owned(),
            role,
            source: Arc::new(source),
        })
    }

    /// An `Embedding` field's `padding_idx = EXPR` as a row index, or the error naming the
    /// field (a negative or non-integer row).
    pub fn padding_idx<T: TryInto<usize> + Copy + core::fmt::Debug>(
        field: &str,
        row: T,
    ) -> Result<usize> {
        row.try_into().map_err(|_| Error::Declaration {
            path: field.to_owned(),
            role: "padding_idx",
            source: Arc::new(Error::InvalidLayer {
                layer: "Embedding",
                message: format!("padding_idx {row:?} is not a row index (a non-negative integer)"),
            }),
        })
    }

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

    /// A bare tensor field whose `#[init]` is computed at run time: that initializer as its
    /// default, or its error (reported, with the path, when the plan is made).
    pub fn tensor_field_computed<'m, T: AsParameter + ?Sized>(
        field: &'m T,
        name: &'m str,
        init: Result<Init>,
    ) -> Parameter<'m> {
        let default = match init {
            Ok(init) => DefaultInit::Init(init),
            Err(e) => DefaultInit::Refused(Arc::new(e)),
        };
        Parameter::new(name, field.as_parameter(), default)
    }
}

/// The README's code blocks, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The derive's documentation (its page here), run as this crate's doctests: init-derive
/// cannot depend on init-candle, whose paths the examples use.
#[cfg(doctest)]
#[doc = include_str!("../../init-derive/src/attributes.md")]
pub struct AttributeDoctests;
