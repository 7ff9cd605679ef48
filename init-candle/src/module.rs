//! The [`InitWeights`] trait: the few hooks a module implements (its class name, children,
//! parameters with their default initializers, buffers, `extra_repr`). Everything built on them
//! (`named_modules`, `apply`, `init_weights`, ...) is in [`InitWeightsExt`](crate::InitWeightsExt).

use std::any::Any;
use std::sync::Arc;

use candle_core::Tensor;
use init_core::Init;

use crate::defaults::fan_in_uniform;
use crate::error::{Error, Result};

/// `as_any` and `as_module` for every module (blanket impl; you never implement it).
///
/// It is a separate trait so that a `&dyn InitWeights` (or `&dyn Layer`) can be turned into
/// `&dyn Any` for downcasting without trait upcasting.
pub trait ModuleBase: Any {
    /// `self` as `&dyn Any`, for `downcast_ref`.
    fn as_any(&self) -> &dyn Any;
    /// `self` as `&dyn InitWeights`.
    fn as_module(&self) -> &dyn InitWeights;
}

impl<T: InitWeights> ModuleBase for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_module(&self) -> &dyn InitWeights {
        self
    }
}

/// What `init_weights` and `reset_parameters` write into a parameter unless a declaration
/// overrides it: PyTorch's `reset_parameters` for the layer.
#[derive(Clone, Debug)]
pub enum DefaultInit<'m> {
    /// This initializer.
    Init(Init),
    /// PyTorch's Linear and convolution rule: `U(-b, b)` with `b = 1/sqrt(fan_in)` of the given
    /// weight (zeros when `fan_in == 0`), for the weight and the bias alike.
    UniformFanIn(&'m Tensor),
    /// No default: the values are left as they are (a bare tensor field without `#[init]`).
    Keep,
    /// An `#[init(...)]` whose value is computed at run time and was refused (a negative
    /// `std` from an expression, a `with` function's error): resolving it is that error, so
    /// the plan fails, naming the path, before anything is written.
    Refused(Arc<Error>),
}

impl DefaultInit<'_> {
    /// The initializer, `None` for [`Keep`](Self::Keep).
    ///
    /// # Errors
    /// [`UniformFanIn`](Self::UniformFanIn) of a weight with fewer than 2 dimensions (no fan);
    /// [`Refused`](Self::Refused): its error, as [`Error::Declaration`].
    pub fn resolve(&self) -> Result<Option<Init>> {
        match self {
            DefaultInit::Init(init) => Ok(Some(init.clone())),
            DefaultInit::UniformFanIn(weight) => fan_in_uniform(weight).map(Some),
            DefaultInit::Keep => Ok(None),
            DefaultInit::Refused(source) => Err(Error::Declaration {
                path: String::new(),
                role: "tensor",
                source: source.clone(),
            }),
        }
    }
}

impl From<Init> for DefaultInit<'_> {
    fn from(init: Init) -> Self {
        DefaultInit::Init(init)
    }
}

/// One parameter (or buffer) as its module lists it: its own name, the tensor (sharing the
/// module's storage) and its default initializer.
#[derive(Clone, Debug)]
pub struct Parameter<'m> {
    /// The name in its module (`weight`, `bias_ih_l0`, `running_mean`).
    pub name: &'m str,
    /// The tensor the module computes with.
    pub tensor: &'m Tensor,
    /// What it gets by default.
    pub default: DefaultInit<'m>,
}

impl<'m> Parameter<'m> {
    /// A parameter with its default initializer (an [`Init`] or a [`DefaultInit`]).
    pub fn new(name: &'m str, tensor: &'m Tensor, default: impl Into<DefaultInit<'m>>) -> Self {
        Self {
            name,
            tensor,
            default: default.into(),
        }
    }
}

/// Initializers declared for one submodule field by `#[init(...)]`: `weight` for parameters
/// whose own name starts with `weight` (`weight`, `weight_ih_l0`, ...), `bias` for those
/// starting with `bias`, within the reach described on [`InitWeights`] ("What an attribute
/// reaches").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldInit {
    /// For parameters named `weight*`.
    pub weight: Option<Declared>,
    /// For parameters named `bias*`.
    pub bias: Option<Declared>,
    /// An `Embedding` field's padding row: zeroed after its weight's initializer.
    pub padding_idx: Option<usize>,
}

/// A field's declared initializer for one role: one for every parameter it reaches, or one per
/// parameter (a `with` function of the tensor, `fn(&Self, &TensorInfo) -> Option<Init>`).
#[derive(Clone, Debug, PartialEq)]
pub enum Declared {
    /// The same initializer for each parameter the declaration reaches.
    Init(Init),
    /// By each parameter's path below the field (`0.c_proj.weight`): its initializer, or
    /// `None` where the function declined (an outer declaration or the default decides).
    Each(Vec<(String, Option<Init>)>),
}

impl Declared {
    /// The initializer for the parameter at `path` below the field.
    pub fn for_parameter(&self, path: &str) -> Option<&Init> {
        match self {
            Declared::Init(init) => Some(init),
            Declared::Each(each) => each
                .iter()
                .find(|(p, _)| p == path)
                .and_then(|(_, init)| init.as_ref()),
        }
    }
}

impl From<Init> for Declared {
    fn from(init: Init) -> Self {
        Declared::Init(init)
    }
}

impl std::fmt::Display for Declared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Declared::Init(init) => write!(f, "{init}"),
            Declared::Each(_) => f.write_str("with(..) of each tensor"),
        }
    }
}

/// A module of a Candle model that can be walked and initialized, like PyTorch's `nn.Module`.
///
/// Derive it with `#[derive(InitWeights)]` on your model structs; the layers of this crate and
/// candle-nn's layers already implement it. A hand-written layer implements
/// [`class_name`](Self::class_name) and lists its parameters once, each with its default
/// initializer, in [`visit_parameters`](Self::visit_parameters); the other hooks have defaults.
/// What users call (`named_modules`, `apply`, `init_weights`, ...) is on
/// [`InitWeightsExt`](crate::InitWeightsExt), implemented for every module.
///
/// Names are dotted paths equal to the `VarBuilder` paths a model is normally built with
/// (`features.0.weight`): a field's name (or its `#[init(rename = "...")]`) is one segment,
/// `Vec`/array elements are numbered from `0`, and `Option`/`Box`/`Arc` add no segment.
///
/// # The derive's attributes
///
/// `#[init(xavier_normal, bias = zeros)]`, `#[init(normal(std = self.cfg.std))]`,
/// `#[init(with = my_init)]`, `#[init(rename = "features")]`, `#[init(skip)]`, ...: the
/// grammar, what an attribute on a composite field reaches, and how tied weights are
/// initialized are on [the derive's page](derive@crate::InitWeights). A field without an attribute
/// gets each layer's PyTorch default (`reset_parameters`).
///
/// ```
/// use candle_core::{DType, Device};
/// use candle_nn::{Conv2d, Linear, VarBuilder, VarMap};
/// use init_candle::{InitWeights, InitWeightsExt};
///
/// #[derive(InitWeights)]
/// struct Net {
///     #[init(xavier_normal, bias = zeros)]
///     conv: Conv2d,
///     #[init(normal(std = 0.01), bias = zeros)]
///     fc: Linear,
///     #[init(skip)]
///     dropout: f64,
/// }
///
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let net = Net {
///     conv: candle_nn::conv2d(3, 6, 5, Default::default(), vb.pp("conv"))?,
///     fc: candle_nn::linear(6, 10, vb.pp("fc"))?,
///     dropout: 0.5,
/// };
/// let report = net.init_weights(42)?;
/// assert_eq!(report.parameters, 4);
/// let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["conv.weight", "conv.bias", "fc.weight", "fc.bias"]);
/// // The same storage as the VarMap's variables:
/// net.check_varmap(&varmap)?;
/// assert_eq!(net.fc.bias().unwrap().sum_all()?.to_scalar::<f32>()?, 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A layer by hand:
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use init_candle::{Init, InitWeights, InitWeightsExt, Parameter};
///
/// struct Scale {
///     gamma: Tensor,
/// }
///
/// impl InitWeights for Scale {
///     fn class_name(&self) -> &'static str {
///         "Scale"
///     }
///     fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
///         visit(Parameter::new("gamma", &self.gamma, Init::Ones));
///     }
/// }
///
/// let scale = Scale { gamma: Tensor::zeros(3, DType::F32, &Device::Cpu)? };
/// scale.init_weights(0)?;
/// assert_eq!(scale.gamma.to_vec1::<f32>()?, [1.0, 1.0, 1.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a module (it does not implement `InitWeights`)",
    label = "not a module",
    note = "mark fields that are not modules with `#[init(skip)]`, derive `InitWeights` for your own structs, or wrap the layer in a type that implements it; `ModelBuilder::build` takes a model that is not a module as `init_candle::build::Opaque(model)`"
)]
pub trait InitWeights: ModuleBase {
    /// The layer's class name as PyTorch prints it (`"Conv2d"`, `"Linear"`, `"Sequential"`),
    /// or the struct's name for derived models: what `m.__class__.__name__` is in PyTorch.
    fn class_name(&self) -> &'static str;

    /// Calls `visit` on each direct submodule with its path segment, in declaration order.
    fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
        let _ = visit;
    }

    /// Calls `visit` on each parameter this module holds itself (not its children's), with its
    /// default initializer (PyTorch's `reset_parameters`).
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        let _ = visit;
    }

    /// Calls `visit` on each buffer (state that is not trained, e.g. BatchNorm's running
    /// statistics), with its default value (PyTorch's `reset_running_stats`).
    fn visit_buffers<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        let _ = visit;
    }

    /// Initializers declared on submodule fields (`#[init(...)]`), by path segment. The derive
    /// writes it.
    ///
    /// # Errors
    /// A value computed at run time (an expression, a `with` function) that its initializer
    /// refuses: [`Error::Declaration`] naming the field.
    fn declared_inits(&self) -> Result<Vec<(&'static str, FieldInit)>> {
        Ok(Vec::new())
    }

    /// The part between the parentheses when the module is printed, as PyTorch's `extra_repr`
    /// (`in_features=400, out_features=120, bias=True`).
    fn extra_repr(&self) -> String {
        String::new()
    }

    /// The module a field of this type stands for in its parent: itself. Wrappers without a
    /// path segment of their own (`Option`, `Box`, `Arc`) give their content (`None`: no module).
    fn as_field(&self) -> Option<&dyn InitWeights> {
        Some(self.as_module())
    }

    /// Whether [`ModelBuilder::build`](crate::build::ModelBuilder::build) reads the model's
    /// modules (its `#[init]` attributes and layer defaults) after construction: `false` only
    /// for [`Opaque`](crate::build::Opaque), a model whose tensors the builder's rules and
    /// preset decide as they are asked for.
    #[doc(hidden)]
    fn builder_reads_modules() -> bool
    where
        Self: Sized,
    {
        true
    }
}
