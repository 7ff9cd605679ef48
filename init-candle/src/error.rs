//! [`ModuleError`]: what can go wrong while walking or initializing a model.

use init_core::InitError;

/// `Result` with [`ModuleError`].
pub type ModuleResult<T> = std::result::Result<T, ModuleError>;

/// An error from the traversal or the initialization of a model. Every variant that concerns a
/// parameter names its dotted path (`features.0.weight`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModuleError {
    /// An initializer rejected a parameter (its `InitError` carries the path).
    #[error(transparent)]
    Init(#[from] InitError),
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// `ModuleInit::init` named a parameter the module does not hold.
    #[error("module `{module}` ({class}) has no parameter `{name}`; its own parameters are: {available}")]
    UnknownParameter {
        module: String,
        class: &'static str,
        name: String,
        available: String,
    },
    /// A dotted path that names no parameter of the model.
    #[error("the model has no parameter `{path}`{hint}")]
    NoSuchParameter { path: String, hint: String },
    /// Values whose shape differs from the parameter's.
    #[error("{path}: the parameter has shape {expected:?}, the values have shape {got:?}; the shapes must be equal")]
    ShapeMismatch {
        path: String,
        expected: Vec<usize>,
        got: Vec<usize>,
    },
    /// Values whose dtype differs from the parameter's.
    #[error("{path}: the parameter is {expected:?}, the values are {got:?}; convert them with `to_dtype` first")]
    DtypeMismatch {
        path: String,
        expected: candle_core::DType,
        got: candle_core::DType,
    },
    /// The model's tensor and the VarMap's variable of the same path are different storage.
    #[error(
        "{path}: the model's tensor is not the VarMap's variable of that name (it is a copy, so \
         writing one would not change the other); build the layer with `VarBuilder::from_varmap`"
    )]
    NotVarMapStorage { path: String },
    /// A parameter of the model that the VarMap does not hold.
    #[error("{path}: the VarMap has no variable of that name; the model's paths must equal the VarBuilder paths it was built with")]
    MissingFromVarMap { path: String },
}
