//! [`Error`] and [`Result`]: the one error type of this crate.
//!
//! Every fallible function of `init-candle` returns [`Result<T>`](Result): walking and
//! initializing models, the layers' constructors, [`from_candle_nn`](crate::from_candle_nn).
//! Forward passes are candle's (`Module::forward`) and return candle's `Result`.
//! [`Error`] wraps init-core's [`InitError`] and candle's errors, and converts into a
//! `candle_core::Error`, so `?` works in either direction:
//!
//! ```
//! use candle_core::{DType, Device};
//! use candle_nn::{VarBuilder, VarMap};
//! use init_candle::nn::MaxPool2d;
//!
//! // A constructor of this crate inside a function that returns candle's `Result`...
//! fn build(vb: VarBuilder) -> candle_core::Result<(candle_nn::Linear, MaxPool2d)> {
//!     Ok((candle_nn::linear(4, 2, vb.pp("fc"))?, MaxPool2d::square(2)?))
//! }
//! // ...and candle's calls inside one that returns this crate's.
//! fn main() -> init_candle::Result<()> {
//!     let varmap = VarMap::new();
//!     let (fc, _pool) = build(VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu))?;
//!     assert_eq!(fc.weight().dims(), &[2, 4]);
//!     Ok(())
//! }
//! ```

use std::sync::Arc;

use init_core::InitError;

use crate::path::join;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// An error of `init-candle`. Every variant that concerns a parameter names its dotted path
/// (`features.0.weight`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An initializer rejected a parameter (its `InitError` carries the path).
    #[error(transparent)]
    Init(#[from] InitError),
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A layer's constructor got arguments it cannot build from.
    #[error("{layer}: {message}")]
    InvalidLayer {
        /// The layer's class name (`Conv3d`).
        layer: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// `Sequential::get` with an index past the end or a type the layer is not.
    #[error("Sequential: {message}")]
    NoSuchLayer {
        /// The index asked for.
        index: usize,
        /// What is wrong (the length, or the layer's class and the type asked for).
        message: String,
    },
    /// A candle-nn initializer with no `torch.nn.init` equivalent.
    #[error("candle-nn's `{0}` has no torch.nn.init equivalent")]
    NoInitEquivalent(String),
    /// `ModuleInit::init` named a parameter the module does not hold.
    #[error("module `{module}` ({class}) has no parameter `{name}`; its own parameters are: {available}")]
    UnknownParameter {
        /// The module's dotted path (`<root>` for the root).
        module: String,
        /// The module's class name.
        class: &'static str,
        /// The name asked for.
        name: String,
        /// The module's own parameter names, comma separated.
        available: String,
    },
    /// A dotted path that names no parameter of the model.
    #[error("the model has no parameter `{path}`{hint}")]
    NoSuchParameter {
        /// The path asked for.
        path: String,
        /// A suggestion or the list of paths, starting with `"; "`.
        hint: String,
    },
    /// Values whose shape differs from the parameter's.
    #[error("{path}: the parameter has shape {expected:?}, the values have shape {got:?}; the shapes must be equal")]
    ShapeMismatch {
        /// The parameter's path.
        path: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The values' shape.
        got: Vec<usize>,
    },
    /// Values whose dtype differs from the parameter's.
    #[error("{path}: the parameter is {expected:?}, the values are {got:?}; convert them with `to_dtype` first")]
    DtypeMismatch {
        /// The parameter's path.
        path: String,
        /// The parameter's dtype.
        expected: candle_core::DType,
        /// The values' dtype.
        got: candle_core::DType,
    },
    /// The model's tensor and the VarMap's variable of the same path are different storage.
    #[error(
        "{path}: the model's tensor is not the VarMap's variable of that name (it is a copy, so \
         writing one would not change the other); build the layer with `VarBuilder::from_varmap`"
    )]
    NotVarMapStorage {
        /// The parameter's path.
        path: String,
    },
    /// A parameter of the model that the VarMap does not hold (neither under its path nor,
    /// for a tensor reachable by two paths, under the other one).
    #[error("{path}: the VarMap has no variable of that name{hint}; the model's paths must equal the VarBuilder paths it was built with")]
    MissingFromVarMap {
        /// The parameter's path.
        path: String,
        /// The VarMap's nearest name (`"; its nearest name is `...`"`), or empty.
        hint: String,
    },
    /// An `#[init(...)]` value computed at run time (an expression such as
    /// `std = 0.02 / (2.0 * self.n_layer as f64).sqrt()`, or a `with` function) that was
    /// refused, found when the plan is made, before anything is written.
    #[error("{path}: the {role} initializer of `#[init(...)]`, computed at run time, is refused: {source}")]
    Declaration {
        /// The dotted path of the first parameter it is for (`h.0.c_proj.weight`), or of the
        /// field that declares it when the field holds no such parameter.
        path: String,
        /// `weight`, `bias` or `tensor` (a bare tensor field).
        role: &'static str,
        /// Why: the initializer's check of the value, or the `with` function's error.
        source: Arc<Error>,
    },
    /// Two paths reach the same tensor (tied parameters) and ask for different initializers,
    /// neither being a layer default that a declaration overrides.
    #[error("`{first}` and `{second}` are the same tensor (tied) but ask for different initializers: {initializers}; declare one initializer for both (an `#[init]` on one field wins over the other's layer default)")]
    TiedConflict {
        /// The first path, in traversal order.
        first: String,
        /// The later path.
        second: String,
        /// Both initializers and where each was chosen, as PyTorch would write them:
        /// `normal(mean=0, std=0.02) (attribute on `wte`) and uniform(low=-0.1, high=0.1) (layer default)`.
        initializers: String,
    },
    /// An `#[init(...)]` on a field that reaches none of the field's parameters (`bias = ...`
    /// on a layer without bias, a weight initializer on a block whose weights are all 1-D).
    #[error("{path}: `{role} = {init}` of `#[init(...)]` reaches no parameter: {why}")]
    Unreached {
        /// The field's dotted path.
        path: String,
        /// `weight` or `bias`.
        role: &'static str,
        /// The initializer, as PyTorch would call it.
        init: String,
        /// What the field holds instead, and what to do.
        why: String,
    },
    /// A model path whose tensor the VarMap holds under another name: the field's path and the
    /// `VarBuilder` path it was built with differ.
    #[error("{path}: the VarMap holds this tensor as `{found}`, not `{path}`; the model's paths must equal the VarBuilder paths it was built with (rename the field, use `#[init(rename = \"...\")]`, or build it with the matching `vb.pp(...)`)")]
    VarMapPathMismatch {
        /// The model's path.
        path: String,
        /// The VarMap's name for the same tensor.
        found: String,
    },
    /// A checkpoint file that cannot be read, parsed or combined with the others.
    #[error("checkpoint {file}: {message}")]
    Checkpoint {
        /// The file (empty when the problem is not one file's).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A checkpoint tensor whose shape is not the one the model asks for.
    #[error("{path}: the model asks for shape {model:?}, the checkpoint holds {checkpoint:?}; a checkpoint tensor is loaded only with the model's shape")]
    CheckpointShape {
        /// The tensor's path.
        path: String,
        /// The shape the constructor asked for.
        model: Vec<usize>,
        /// The shape in the checkpoint.
        checkpoint: Vec<usize>,
    },
    /// A path asked for twice with different shapes.
    #[error("{path}: asked for with shape {first:?}, then again with shape {again:?}; a path names one tensor (tied weights must have one shape)")]
    TiedShape {
        /// The path.
        path: String,
        /// The first shape asked for.
        first: Vec<usize>,
        /// The later one.
        again: Vec<usize>,
    },
    /// A tensor asked for without a shape (`VarBuilder::get_unchecked`) that the checkpoint
    /// does not hold, so there is nothing to load and no shape to initialize.
    #[error("{path}: asked for without a shape (`get_unchecked`) and not in the checkpoint; only tensors with a known shape can be initialized")]
    UnknownShape {
        /// The path.
        path: String,
    },
    /// A tensor of a sharded build that no rule names and the preset does not recognize from
    /// its path and shape (a sharded `VarBuilder` passes no candle hint to fall back on).
    #[error("`{path}` {dims:?}: no rule names it and preset {preset} does not recognize it from its name and shape, and a sharded build has no candle hint to fall back on; add a rule for it (e.g. `.rule(\"{path}\", Init::Ones)`)")]
    Unrecognized {
        /// The tensor's path.
        path: String,
        /// Its full shape.
        dims: Vec<usize>,
        /// The preset's name.
        preset: String,
    },
    /// What a strict build refuses (each problem on its own line).
    #[error("strict build: {}", problems.join("; "))]
    Strict {
        /// Each problem, naming its path or rule.
        problems: Vec<String>,
    },
    /// Two different tensors of a model have the same path (two layers flattened into one
    /// place, as the elements of a tuple are).
    #[error("two different tensors of the model are both named `{path}`: give each a path of its own (a struct field per layer, or `#[init(rename = \"..\")]`); one of them would not be initialized")]
    DuplicatePath {
        /// The path both have.
        path: String,
    },
    /// A derived model names a parameter by another path than the `VarBuilder` it was built
    /// with, and not by that path's end (`ModelBuilder::build`).
    #[error("the model calls `{model}` what its VarBuilder calls `{varbuilder}`; make the paths agree (name the field as the `vb.pp(..)` segment, or use `#[init(rename = \"..\")]` or `#[init(flatten)]`): random streams, rules and the report go by path")]
    PathMismatch {
        /// The path from the model's fields.
        model: String,
        /// The path the tensor was requested with.
        varbuilder: String,
    },
    /// A builder rule's pattern cannot be used (checked before anything is built).
    #[error("rule `{pattern}`: {reason}")]
    RulePattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong and how it is written.
        reason: String,
    },
    /// A builder rule gave a tensor an initializer the tensor cannot take.
    #[error("{rule} gave `{path}` {dims:?} an initializer it cannot take: {source}{fix}")]
    RuleInit {
        /// The rule (`rule `*.weight``).
        rule: String,
        /// The tensor's path.
        path: String,
        /// Its full shape.
        dims: Vec<usize>,
        /// What the initializer said.
        source: Box<InitError>,
        /// How to narrow the rule, when the shape tells (`; narrow it with .rank(2) ...`).
        fix: String,
    },
    /// Another thread panicked while holding the VarMap's lock.
    #[error("the VarMap's lock is poisoned (a thread panicked while holding it)")]
    VarMapPoisoned,
    /// A Hugging Face `config.json` that cannot be read, or whose key has a value the family's
    /// initialization cannot use ([`HfConfig`](crate::build::HfConfig)).
    #[error("Hugging Face config{}: {message}", file.as_ref().map(|f| format!(" {f}")).unwrap_or_default())]
    HfConfig {
        /// The file, when it came from one.
        file: Option<String>,
        /// What is wrong: the key and its value, and what was expected.
        message: String,
    },
    /// A seed checkpoint that cannot be written as asked
    /// ([`SeedCheckpoint`](crate::build::SeedCheckpoint)): a shard size of 0, a flat rank
    /// outside its world or with shards.
    #[error("seed checkpoint: {message}")]
    SeedCheckpoint {
        /// What is wrong, and what to do.
        message: String,
    },
    /// A file or directory that cannot be written.
    #[error("writing {file}: {message}")]
    Write {
        /// The file or directory.
        file: String,
        /// The operating system's reason.
        message: String,
    },
}

impl Error {
    /// The error with its path placed below `prefix`: an [`InitError`]'s path is set, a
    /// [`Declaration`](Self::Declaration)'s relative path is joined to it.
    pub(crate) fn within(self, prefix: &str) -> Self {
        match self {
            Error::Init(e) => Error::Init(e.at_path(prefix.to_owned())),
            Error::Declaration { path, role, source } => Error::Declaration {
                path: if path.is_empty() {
                    prefix.to_owned()
                } else {
                    join(prefix, &path)
                },
                role,
                source,
            },
            other => other,
        }
    }

    /// A layer constructor's error.
    pub(crate) fn invalid_layer(layer: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidLayer {
            layer,
            message: message.into(),
        }
    }
}

/// Into candle's error, so that this crate's calls compose with `candle_core::Result` code:
/// candle's own errors come back as they were, the others are wrapped.
impl From<Error> for candle_core::Error {
    fn from(err: Error) -> Self {
        match err {
            Error::Candle(err) => err,
            other => candle_core::Error::wrap(other),
        }
    }
}
