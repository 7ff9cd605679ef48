//! The error type of every initializer.

use candle_core::DType;
use init_spec::suggest::hint;
use init_spec::{ArgErrors, FAN_MODE_NAMES, INIT_NAMES, NONLINEARITY_NAMES};

/// `Result` with [`InitError`].
pub type Result<T> = std::result::Result<T, InitError>;

/// What was wrong with a call, and what would have been accepted.
///
/// Every initializer checks its arguments, the tensor's shape, dtype and device before it writes
/// anything, so an `Err` means the tensor is unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The tensor has a rank the initializer does not support.
    #[error("{op}: only tensors with {allowed} are supported, got shape {dims:?}")]
    Rank {
        op: &'static str,
        allowed: &'static str,
        dims: Vec<usize>,
    },
    /// Fan-in and fan-out need a weight of shape (out, in, *kernel).
    #[error(
        "fan in and fan out can not be computed for tensor with fewer than 2 dimensions \
         (got shape {dims:?}); expected a weight of shape (out_features, in_features) or \
         (out_channels, in_channels/groups, *kernel)"
    )]
    FanRank { dims: Vec<usize> },
    /// A variance scaling initializer would divide by a fan of zero.
    #[error("{op}: {fan} is 0 for shape {dims:?}, so the std would be infinite; the tensor needs a nonzero {fan}")]
    ZeroFan {
        op: &'static str,
        fan: &'static str,
        dims: Vec<usize>,
    },
    /// A numeric argument outside its domain.
    #[error("{op}: invalid {param} = {value}; {allowed}")]
    InvalidParam {
        op: &'static str,
        param: &'static str,
        value: String,
        allowed: String,
    },
    /// A nonlinearity name PyTorch's `calculate_gain` does not know.
    #[error("unsupported nonlinearity `{0}`{hint}", hint = hint(.0, &NONLINEARITY_NAMES))]
    UnknownNonlinearity(String),
    /// A fan mode other than fan_in / fan_out.
    #[error("mode `{0}` not supported{hint}", hint = hint(.0, &FAN_MODE_NAMES))]
    UnknownMode(String),
    /// An initializer name that is not one of the supported ones.
    #[error("unknown initializer `{0}`{hint}", hint = hint(.0, &INIT_NAMES))]
    UnknownInit(String),
    /// Arguments of [`Init::from_args`](crate::Init::from_args) that do not fit the
    /// initializer: unknown or duplicate keys, values of the wrong kind or outside their
    /// domain, missing required parameters.
    #[error(transparent)]
    InvalidArgs(ArgErrors),
    /// An argument of [`Init::from_args`](crate::Init::from_args) given as
    /// [`Arg::Deferred`](crate::Arg::Deferred), the placeholder of a value not known yet.
    #[error("`{init}`: `{key}` is `Arg::Deferred`, a placeholder for a value not known yet; pass the value itself")]
    DeferredArg { init: String, key: String },
    /// dirac's groups must divide the output channels.
    #[error("dirac: dim 0 (size {dim0}) must be divisible by groups = {groups}; groups must be a positive divisor of the number of output channels")]
    DiracGroups { groups: usize, dim0: usize },
    /// The initializer cannot write this dtype.
    #[error("{op}: dtype {dtype:?} is not supported; supported dtypes: {allowed}")]
    UnsupportedDtype {
        op: &'static str,
        dtype: DType,
        allowed: &'static str,
    },
    /// A value the tensor's dtype cannot hold.
    #[error("{what}: {value} is not representable in {dtype:?} (it would overflow or be rounded)")]
    NotRepresentable {
        what: &'static str,
        value: f64,
        dtype: DType,
    },
    /// The tensor lives on a device this build cannot write.
    #[error("{op}: tensors on {device} are not supported by this build; supported: cpu")]
    UnsupportedDevice { op: &'static str, device: String },
    /// A shard region that does not lie inside the full tensor, or a shard tensor whose shape
    /// is not the region's.
    #[error("{op}: {message}")]
    InvalidRegion { op: &'static str, message: String },
    /// An error, with the path of the parameter it concerns (e.g. `features.0.weight`).
    #[error("{path}: {source}")]
    AtPath {
        path: String,
        #[source]
        source: Box<InitError>,
    },
    /// An error from candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A broken internal invariant; please report it.
    #[error("internal error: {0}")]
    Internal(String),
}

impl InitError {
    /// Attaches the path of the parameter the error concerns.
    ///
    /// ```
    /// use init_candle::InitError;
    /// let e = InitError::UnknownMode("fan_avg".into()).at_path("fc1.weight");
    /// assert!(e.to_string().starts_with("fc1.weight: mode `fan_avg`"));
    /// ```
    pub fn at_path(self, path: impl Into<String>) -> InitError {
        InitError::AtPath {
            path: path.into(),
            source: Box::new(self),
        }
    }

    pub(crate) fn param(
        op: &'static str,
        param: &'static str,
        value: impl std::fmt::Display,
        allowed: impl Into<String>,
    ) -> InitError {
        InitError::InvalidParam {
            op,
            param,
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}
