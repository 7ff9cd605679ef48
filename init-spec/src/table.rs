//! The tables: every initializer, nonlinearity and fan mode, one row each.
//!
//! Each `table!` below writes a kind enum and its table from one list, so a row and its kind
//! cannot drift apart; `Kind::def` finds the row by the kind's position.

use crate::def::{
    ChoiceDef, DefaultValue, FanModeDef, InitDef, Instance, NonlinearityDef, NonlinearityParam,
    Param, ParamKind, Relation,
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

/// JAX's input axis, in PyTorch's layout.
const IN_AXIS: Param = param(
    "in_axis",
    ParamKind::Axes,
    DefaultValue::Axes(&[1]),
    "the input axis or axes: 1 in PyTorch's layout (out, in, kernel...), where fan_in is PyTorch's; JAX's default -2 is the input axis of its own layout (kernel..., in, out)",
);

/// JAX's output axis, in PyTorch's layout.
const OUT_AXIS: Param = param(
    "out_axis",
    ParamKind::Axes,
    DefaultValue::Axes(&[0]),
    "the output axis or axes: 0 in PyTorch's layout, where fan_out is PyTorch's; JAX's default -1 is the output axis of its own layout",
);

const BATCH_AXIS: Param = param(
    "batch_axis",
    ParamKind::Axes,
    DefaultValue::Axes(&[]),
    "axes counted in neither fan nor the receptive field",
);

/// The parameters of JAX's named `variance_scaling` instances.
const AXES: &[Param] = &[IN_AXIS, OUT_AXIS, BATCH_AXIS];

/// The [`Instance`] of `variance_scaling` that fixes its scale, mode and distribution.
macro_rules! variance_scaling {
    ($scale:literal, $mode:literal, $distribution:literal) => {
        Instance {
            of: "variance_scaling",
            fixed: &[
                ("scale", DefaultValue::Float($scale)),
                ("mode", DefaultValue::Name($mode)),
                ("distribution", DefaultValue::Name($distribution)),
            ],
        }
    };
}

table! {
    /// The initializers of `torch.nn.init` and JAX/Flax's `nn.initializers`, one per row of
    /// [`INITS`].
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
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
        instance_of: None,
    },
    /// A (semi-)orthogonal matrix.
    Orthogonal {
        name: "orthogonal",
        doc: "a (semi-)orthogonal matrix scaled by `gain` (Saxe et al., 2013); the matrix's columns are the slices along `column_axis`, its rows the other axes flattened",
        random: true,
        params: &[
            GAIN,
            param(
                "column_axis",
                ParamKind::Axis,
                DefaultValue::Axis(0),
                "the axis whose slices are the matrix's columns (Flax's `column_axis`): 0, PyTorch's flattening (size(0), numel / size(0)); Flax's default -1 names the output axis of its own layout, which is 0 in PyTorch's",
            ),
        ],
        relations: &[],
        example: "orthogonal(gain = 1.0, column_axis = 0)",
        ranks: (2, None),
        instance_of: None,
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
        instance_of: None,
    },
    /// JAX/Flax's `variance_scaling`.
    VarianceScaling {
        name: "variance_scaling",
        doc: "JAX/Flax's variance_scaling: values of variance scale / n, n the fan of `mode` counted on the axes given, from a normal cut at 2 of its std and widened so that the values' std is sqrt(scale / n), a normal, or a uniform",
        random: true,
        params: &[
            float("scale", ParamKind::Positive, 1.0, "the variance's scale"),
            param("mode", ParamKind::VarianceMode, DefaultValue::Required, "which fan divides the scale"),
            param("distribution", ParamKind::Distribution, DefaultValue::Required, "the distribution of the values"),
            IN_AXIS,
            OUT_AXIS,
            BATCH_AXIS,
        ],
        relations: &[],
        example: "variance_scaling(scale = 2.0, mode = fan_in, distribution = truncated_normal)",
        ranks: (2, None),
        instance_of: None,
    },
    /// JAX/Flax's `lecun_normal` (Flax's `Dense` and `Conv` default).
    LecunNormal {
        name: "lecun_normal",
        doc: "JAX/Flax's lecun_normal: variance_scaling(1.0, fan_in, truncated_normal), Flax's Dense and Conv default",
        random: true,
        params: AXES,
        relations: &[],
        example: "lecun_normal",
        ranks: (2, None),
        instance_of: Some(variance_scaling!(1.0, "fan_in", "truncated_normal")),
    },
    /// JAX/Flax's `lecun_uniform`.
    LecunUniform {
        name: "lecun_uniform",
        doc: "JAX/Flax's lecun_uniform: variance_scaling(1.0, fan_in, uniform)",
        random: true,
        params: AXES,
        relations: &[],
        example: "lecun_uniform",
        ranks: (2, None),
        instance_of: Some(variance_scaling!(1.0, "fan_in", "uniform")),
    },
    /// JAX/Flax's `he_normal`.
    HeNormal {
        name: "he_normal",
        doc: "JAX/Flax's he_normal: variance_scaling(2.0, fan_in, truncated_normal) (PyTorch's kaiming_normal draws from an untruncated normal)",
        random: true,
        params: AXES,
        relations: &[],
        example: "he_normal",
        ranks: (2, None),
        instance_of: Some(variance_scaling!(2.0, "fan_in", "truncated_normal")),
    },
    /// JAX/Flax's `he_uniform`.
    HeUniform {
        name: "he_uniform",
        doc: "JAX/Flax's he_uniform: variance_scaling(2.0, fan_in, uniform), the law of PyTorch's kaiming_uniform with relu",
        random: true,
        params: AXES,
        relations: &[],
        example: "he_uniform",
        ranks: (2, None),
        instance_of: Some(variance_scaling!(2.0, "fan_in", "uniform")),
    },
    /// JAX/Flax's `glorot_normal`.
    GlorotNormal {
        name: "glorot_normal",
        doc: "JAX/Flax's glorot_normal: variance_scaling(1.0, fan_avg, truncated_normal) (PyTorch's xavier_normal draws from an untruncated normal)",
        random: true,
        params: AXES,
        relations: &[],
        example: "glorot_normal",
        ranks: (2, None),
        instance_of: Some(variance_scaling!(1.0, "fan_avg", "truncated_normal")),
    },
    /// JAX/Flax's `glorot_uniform`.
    GlorotUniform {
        name: "glorot_uniform",
        doc: "JAX/Flax's glorot_uniform: variance_scaling(1.0, fan_avg, uniform), the law of PyTorch's xavier_uniform",
        random: true,
        params: AXES,
        relations: &[],
        example: "glorot_uniform",
        ranks: (2, None),
        instance_of: Some(variance_scaling!(1.0, "fan_avg", "uniform")),
    },
    /// JAX/Flax's `delta_orthogonal`.
    DeltaOrthogonal {
        name: "delta_orthogonal",
        doc: "JAX/Flax's delta_orthogonal: zeros but the kernel's centre tap ((k - 1) / 2 on each spatial axis), an orthogonal (out, in) matrix times `scale`; needs in <= out (Xiao et al., 2018)",
        random: true,
        params: &[float("scale", ParamKind::NonNegative, 1.0, "scaling factor of the matrix")],
        relations: &[],
        example: "delta_orthogonal(scale = 1.0)",
        ranks: (3, Some(5)),
        instance_of: None,
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

table! {
    /// The modes of JAX's `variance_scaling`, one per row of [`VARIANCE_MODES`].
    ///
    /// ```
    /// use init_spec::VarianceModeKind;
    /// assert_eq!(VarianceModeKind::FanAvg.name(), "fan_avg");
    /// ```
    pub enum VarianceModeKind;

    /// Every mode of JAX's `variance_scaling`: the fan that divides its scale.
    ///
    /// ```
    /// assert_eq!(init_spec::VARIANCE_MODES.len(), 4);
    /// ```
    pub const VARIANCE_MODES: [ChoiceDef];

    /// JAX's name of each row of [`VARIANCE_MODES`], in order.
    ///
    /// ```
    /// assert_eq!(init_spec::VARIANCE_MODE_NAMES, ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"]);
    /// ```
    pub const VARIANCE_MODE_NAMES;

    /// The input fan.
    FanIn { name: "fan_in", doc: "the number of inputs: in_axis sizes times the receptive field" },
    /// The output fan.
    FanOut { name: "fan_out", doc: "the number of outputs: out_axis sizes times the receptive field" },
    /// Their arithmetic mean.
    FanAvg { name: "fan_avg", doc: "(fan_in + fan_out) / 2" },
    /// Their geometric mean.
    FanGeoAvg { name: "fan_geo_avg", doc: "sqrt(fan_in * fan_out)" },
}

table! {
    /// The distributions of JAX's `variance_scaling`, one per row of [`DISTRIBUTIONS`].
    ///
    /// ```
    /// use init_spec::DistributionKind;
    /// assert_eq!(DistributionKind::TruncatedNormal.name(), "truncated_normal");
    /// ```
    pub enum DistributionKind;

    /// Every distribution of JAX's `variance_scaling`; each has mean 0 and the variance asked
    /// for.
    ///
    /// ```
    /// assert_eq!(init_spec::DISTRIBUTIONS.len(), 3);
    /// ```
    pub const DISTRIBUTIONS: [ChoiceDef];

    /// JAX's name of each row of [`DISTRIBUTIONS`], in order.
    ///
    /// ```
    /// assert_eq!(init_spec::DISTRIBUTION_NAMES, ["truncated_normal", "normal", "uniform"]);
    /// ```
    pub const DISTRIBUTION_NAMES;

    /// JAX's truncated normal.
    TruncatedNormal {
        name: "truncated_normal",
        doc: "N(0, s^2) conditioned on (-2 s, 2 s), s = sqrt(variance) / 0.87962566103423978 (the std of a standard normal cut at +-2), so that the values' std is sqrt(variance)",
    },
    /// The normal.
    Normal { name: "normal", doc: "N(0, variance)" },
    /// The uniform.
    Uniform { name: "uniform", doc: "U(-sqrt(3 variance), sqrt(3 variance))" },
}
