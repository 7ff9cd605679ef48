//! # init-spec: the vocabulary of `torch.nn.init` (and JAX/Flax's initializers), as data
//!
//! One table defines every initializer (PyTorch's name, or JAX's for JAX/Flax's initializers,
//! its parameters with their kind and default, whether it is random, a one-line doc, an
//! example; JAX's `lecun_normal` and its kin are named instances of `variance_scaling`), every
//! nonlinearity of `calculate_gain`, the fan modes and `variance_scaling`'s modes and
//! distributions. `init-core` builds and names its `Init` values from it and
//! `init-derive` checks and expands `#[init(...)]` attributes from it, so a new initializer is a
//! new row here plus its sampler in `init-core`; neither the derive nor the error messages list
//! names of their own.
//!
//! The crate has no dependencies and knows nothing of tensors: it holds the table, the checks
//! that need no tensor ([`resolve`]: names, keys, kinds, domains of the values, relations) and
//! "did you mean" suggestions ([`suggest`]).
//!
//! ```
//! use init_spec::{Arg, InitKind, NonlinearityKind, Value};
//!
//! let args = init_spec::resolve(
//!     "kaiming_uniform",
//!     &[("a", Arg::Float(0.2)), ("nonlinearity", Arg::Name("leaky_relu"))],
//! )?;
//! assert_eq!(args.kind(), InitKind::KaimingUniform);
//! // leaky_relu takes its negative slope from `a`, as in PyTorch.
//! assert_eq!(args.nonlinearity("nonlinearity"), Some((NonlinearityKind::LeakyRelu, Some(0.2))));
//!
//! let err = init_spec::resolve("xavier_norml", &[]).unwrap_err();
//! assert_eq!(err.to_string(), "unknown initializer `xavier_norml`; did you mean `xavier_normal`?");
//! # Ok::<(), init_spec::ArgErrors>(())
//! ```

mod args;
mod axes;
mod def;
pub mod suggest;
mod table;

pub use args::{resolve, Arg, ArgError, ArgErrors, Args, At, Value};
pub use axes::{resolve_axis, Axes, MAX_AXES};
pub use def::{
    variant_name, ChoiceDef, DefaultValue, FanModeDef, InitDef, Instance, NonlinearityDef,
    NonlinearityParam, Param, ParamKind, Relation,
};
pub use table::{
    DistributionKind, FanModeKind, InitKind, NonlinearityKind, VarianceModeKind, DISTRIBUTIONS,
    DISTRIBUTION_NAMES, FAN_MODES, FAN_MODE_NAMES, INITS, INIT_NAMES, NONLINEARITIES,
    NONLINEARITY_NAMES, VARIANCE_MODES, VARIANCE_MODE_NAMES,
};
