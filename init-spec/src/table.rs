//! The tables: every initializer, nonlinearity and fan mode, one row each.
//!
//! Each `table!` below writes a kind enum and its table from one list, so a row and its kind
//! cannot drift apart; `Kind::def` finds the row by the kind's position.

use crate::def::{
    DefaultValue, FanModeDef, InitDef, NonlinearityDef, NonlinearityParam, Param, ParamKind,
    Relation,
};

/// Declares a kind enum, its table and the list of its names from one list of rows.
macro_rules! table {
    (
        $(#[$kind_meta:meta])*
        pub enum $kind:ident;
        $(#[$table_meta:meta])*
        pub const $table:ident: [$def:ident];
        $(#[$names_meta:meta])*
        pub const $names:ident;
        $(
            $(#[$variant_meta:meta])*
            $variant:ident { $($field:ident: $value:expr),* $(,)? }
        ),* $(,)?
    ) => {
        $(#[$kind_meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $kind {
            $($(#[$variant_meta])* $variant,)*
        }

        impl $kind {
            /// Every kind, in table order.
            pub const ALL: &'static [$kind] = &[$($kind::$variant),*];

            /// Its row of the table.
            pub const fn def(self) -> &'static $def {
                // In bounds: the enum and the table are generated from the same list, in order.
                &$table[self as usize]
            }

            /// PyTorch's name for it.
            pub fn name(self) -> &'static str {
                self.def().name
            }

            /// The kind PyTorch names `name` (exact spelling).
            pub fn from_name(name: &str) -> Option<$kind> {
                $kind::ALL.iter().copied().find(|kind| kind.name() == name)
            }
        }

        $(#[$table_meta])*
        pub const $table: &[$def] = &[$($def { $($field: $value),* }),*];

        $(#[$names_meta])*
        pub const $names: [&str; $table.len()] = {
            let mut names = [""; $table.len()];
            let mut i = 0;
            while i < names.len() {
                names[i] = $table[i].name;
                i += 1;
            }
            names
        };
    };
}

const fn param(
    name: &'static str,
    kind: ParamKind,
    default: DefaultValue,
    doc: &'static str,
) -> Param {
    Param {
        name,
        kind,
        default,
        doc,
    }
}

const fn float(name: &'static str, kind: ParamKind, default: f64, doc: &'static str) -> Param {
    param(name, kind, DefaultValue::Float(default), doc)
}

const GAIN: Param = float(
    "gain",
    ParamKind::NonNegative,
    1.0,
    "scaling factor of the values",
);

const KAIMING: &[Param] = &[
    float(
        "a",
        ParamKind::Real,
        0.0,
        "negative slope of the rectifier after this layer (used with leaky_relu)",
    ),
    param(
        "mode",
        ParamKind::FanMode,
        DefaultValue::Name("fan_in"),
        "which fan the variance is scaled by",
    ),
    param(
        "nonlinearity",
        ParamKind::Nonlinearity {
            param_from: Some("a"),
        },
        DefaultValue::Name("leaky_relu"),
        "the nonlinearity after this layer, whose gain is used",
    ),
];

table! {
    /// The initializers of `torch.nn.init`, one per row of [`INITS`].
    ///
    /// ```
    /// use init_spec::InitKind;
    /// assert_eq!(InitKind::KaimingNormal.name(), "kaiming_normal");
    /// assert!(!InitKind::Dirac.def().random);
    /// assert_eq!(InitKind::from_name("xavier_normal"), Some(InitKind::XavierNormal));
    /// assert_eq!(InitKind::from_name("xavier"), None);
    /// ```
    pub enum InitKind;

    /// Every initializer: PyTorch's name, its parameters with their defaults, whether it is
    /// random, a one-line doc and an example. The one place that defines them.
    ///
    /// ```
    /// let names: Vec<&str> = init_spec::INITS.iter().map(|d| d.name).collect();
    /// assert!(names.contains(&"trunc_normal"));
    /// ```
    pub const INITS: [InitDef];

    /// PyTorch's name of each row of [`INITS`], in order (for suggestions).
    ///
    /// ```
    /// assert_eq!(init_spec::INIT_NAMES[0], "uniform");
    /// ```
    pub const INIT_NAMES;

    /// U(low, high).
    Uniform {
        name: "uniform",
        doc: "values drawn from the uniform distribution U(low, high)",
        random: true,
        params: &[
            float("low", ParamKind::Real, 0.0, "lower bound (PyTorch's `a`)"),
            float("high", ParamKind::Real, 1.0, "upper bound (PyTorch's `b`)"),
        ],
        relations: &[Relation { low: "low", high: "high", strict: false, note: "" }],
        example: "uniform(low = -0.1, high = 0.1)",
        ranks: (0, None),
    },
    /// N(mean, std^2).
    Normal {
        name: "normal",
        doc: "values drawn from the normal distribution N(mean, std^2)",
        random: true,
        params: &[
            float("mean", ParamKind::Real, 0.0, "mean of the distribution"),
            float("std", ParamKind::NonNegative, 1.0, "standard deviation of the distribution"),
        ],
        relations: &[],
        example: "normal(mean = 0.0, std = 0.01)",
        ranks: (0, None),
    },
    /// N(mean, std^2) conditioned on (a, b).
    TruncNormal {
        name: "trunc_normal",
        doc: "values drawn from N(mean, std^2) conditioned on the open interval (a, b)",
        random: true,
        params: &[
            float("mean", ParamKind::Real, 0.0, "mean of the normal distribution"),
            float("std", ParamKind::NonNegative, 1.0, "standard deviation of the normal distribution"),
            float("a", ParamKind::Bound, -2.0, "lower bound of the interval"),
            float("b", ParamKind::Bound, 2.0, "upper bound of the interval"),
        ],
        relations: &[Relation { low: "a", high: "b", strict: true, note: " (the truncation interval)" }],
        example: "trunc_normal(std = 0.02, a = -0.04, b = 0.04)",
        ranks: (0, None),
    },
    /// Every element `value`.
    Constant {
        name: "constant",
        doc: "every element set to `value`",
        random: false,
        params: &[param("value", ParamKind::Real, DefaultValue::Required, "the value to fill with (PyTorch's `val`)")],
        relations: &[],
        example: "constant(value = 0.1)",
        ranks: (0, None),
    },
    /// Every element 0.
    Zeros {
        name: "zeros",
        doc: "every element set to 0",
        random: false,
        params: &[],
        relations: &[],
        example: "zeros",
        ranks: (0, None),
    },
    /// Every element 1.
    Ones {
        name: "ones",
        doc: "every element set to 1",
        random: false,
        params: &[],
        relations: &[],
        example: "ones",
        ranks: (0, None),
    },
    /// The identity matrix.
    Eye {
        name: "eye",
        doc: "the identity matrix (2-D tensors)",
        random: false,
        params: &[],
        relations: &[],
        example: "eye",
        ranks: (2, Some(2)),
    },
    /// The Dirac delta.
    Dirac {
        name: "dirac",
        doc: "the Dirac delta: convolutions that preserve their input (3-D to 5-D tensors)",
        random: false,
        params: &[param("groups", ParamKind::Count, DefaultValue::Count(1), "number of groups in the convolution")],
        relations: &[],
        example: "dirac(groups = 2)",
        ranks: (3, Some(5)),
    },
    /// Xavier (Glorot) uniform.
    XavierUniform {
        name: "xavier_uniform",
        doc: "U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)",
        random: true,
        params: &[GAIN],
        relations: &[],
        example: "xavier_uniform(gain = 1.0)",
        ranks: (2, None),
    },
    /// Xavier (Glorot) normal.
    XavierNormal {
        name: "xavier_normal",
        doc: "N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010)",
        random: true,
        params: &[GAIN],
        relations: &[],
        example: "xavier_normal(gain = 1.0)",
        ranks: (2, None),
    },
    /// Kaiming (He) uniform.
    KaimingUniform {
        name: "kaiming_uniform",
        doc: "U(-b, b) with b = gain * sqrt(3 / fan) (He et al., 2015)",
        random: true,
        params: KAIMING,
        relations: &[],
        example: "kaiming_uniform(mode = fan_in, nonlinearity = relu)",
        ranks: (2, None),
    },
    /// Kaiming (He) normal.
    KaimingNormal {
        name: "kaiming_normal",
        doc: "N(0, std^2) with std = gain / sqrt(fan) (He et al., 2015)",
        random: true,
        params: KAIMING,
        relations: &[],
        example: "kaiming_normal(mode = fan_out, nonlinearity = relu)",
        ranks: (2, None),
    },
    /// A (semi-)orthogonal matrix.
    Orthogonal {
        name: "orthogonal",
        doc: "a (semi-)orthogonal matrix scaled by `gain` (Saxe et al., 2013)",
        random: true,
        params: &[GAIN],
        relations: &[],
        example: "orthogonal(gain = 1.0)",
        ranks: (2, None),
    },
    /// A sparse matrix.
    Sparse {
        name: "sparse",
        doc: "a 2-D matrix whose every column has ceil(sparsity * rows) zeros, the rest N(0, std^2)",
        random: true,
        params: &[
            param("sparsity", ParamKind::Fraction, DefaultValue::Required, "fraction of zeros in each column"),
            float("std", ParamKind::NonNegative, 0.01, "standard deviation of the nonzero values"),
        ],
        relations: &[],
        example: "sparse(sparsity = 0.1, std = 0.01)",
        ranks: (2, Some(2)),
    },
}

table! {
    /// The nonlinearities of `torch.nn.init.calculate_gain`, one per row of [`NONLINEARITIES`].
    ///
    /// ```
    /// use init_spec::NonlinearityKind;
    /// assert_eq!(NonlinearityKind::ConvTranspose2d.name(), "conv_transpose2d");
    /// ```
    pub enum NonlinearityKind;

    /// Every nonlinearity `calculate_gain` knows, with its parameter if it takes one.
    ///
    /// ```
    /// let with_param: Vec<&str> = init_spec::NONLINEARITIES
    ///     .iter()
    ///     .filter(|n| n.param.is_some())
    ///     .map(|n| n.name)
    ///     .collect();
    /// assert_eq!(with_param, ["leaky_relu"]);
    /// ```
    pub const NONLINEARITIES: [NonlinearityDef];

    /// PyTorch's name of each row of [`NONLINEARITIES`], in order.
    ///
    /// ```
    /// assert!(init_spec::NONLINEARITY_NAMES.contains(&"selu"));
    /// ```
    pub const NONLINEARITY_NAMES;

    /// The identity.
    Linear { name: "linear", doc: "gain 1", param: None },
    /// 1-D convolution.
    Conv1d { name: "conv1d", doc: "gain 1", param: None },
    /// 2-D convolution.
    Conv2d { name: "conv2d", doc: "gain 1", param: None },
    /// 3-D convolution.
    Conv3d { name: "conv3d", doc: "gain 1", param: None },
    /// 1-D transposed convolution.
    ConvTranspose1d { name: "conv_transpose1d", doc: "gain 1", param: None },
    /// 2-D transposed convolution.
    ConvTranspose2d { name: "conv_transpose2d", doc: "gain 1", param: None },
    /// 3-D transposed convolution.
    ConvTranspose3d { name: "conv_transpose3d", doc: "gain 1", param: None },
    /// The logistic sigmoid.
    Sigmoid { name: "sigmoid", doc: "gain 1", param: None },
    /// The hyperbolic tangent.
    Tanh { name: "tanh", doc: "gain 5/3", param: None },
    /// The rectifier.
    Relu { name: "relu", doc: "gain sqrt(2)", param: None },
    /// The leaky rectifier.
    LeakyRelu {
        name: "leaky_relu",
        doc: "gain sqrt(2 / (1 + negative_slope^2))",
        param: Some(NonlinearityParam { name: "negative_slope", default: 0.01 }),
    },
    /// The scaled exponential linear unit.
    Selu { name: "selu", doc: "gain 3/4", param: None },
}

table! {
    /// The fan modes of the Kaiming initializers, one per row of [`FAN_MODES`].
    ///
    /// ```
    /// use init_spec::FanModeKind;
    /// assert_eq!(FanModeKind::FanOut.name(), "fan_out");
    /// ```
    pub enum FanModeKind;

    /// Every fan mode.
    ///
    /// ```
    /// assert_eq!(init_spec::FAN_MODES.len(), 2);
    /// ```
    pub const FAN_MODES: [FanModeDef];

    /// PyTorch's name of each row of [`FAN_MODES`], in order.
    ///
    /// ```
    /// assert_eq!(init_spec::FAN_MODE_NAMES, ["fan_in", "fan_out"]);
    /// ```
    pub const FAN_MODE_NAMES;

    /// Scale by fan_in.
    FanIn {
        name: "fan_in",
        doc: "preserves the variance of the activations in the forward pass (PyTorch's default)",
    },
    /// Scale by fan_out.
    FanOut {
        name: "fan_out",
        doc: "preserves the variance of the gradients in the backward pass",
    },
}
