//! What an [`Init`] means, next to the initializer itself: its text in `torch.nn.init` call
//! syntax (`Display`), the gain it applies and the standard deviation of the values it writes
//! into a tensor of a given shape.

use std::fmt;

use init_spec::{resolve_axis, DefaultValue, InitKind};

use super::Init;
use crate::fan::{calculate_fan_in_and_fan_out, FanMode};
use crate::gain::{calculate_gain, Nonlinearity};
use crate::variance;
use crate::Arg;

/// `init` in `torch.nn.init` call syntax, without the tensor, with the table's parameter names
/// in the table's order (so that the text is what the derive's grammar and
/// [`Init::from_args`] read back): `normal(mean=0, std=0.02)`.
///
/// ```
/// use init_core::Init;
/// assert_eq!(Init::Normal { mean: 0.0, std: 0.02 }.to_string(), "normal(mean=0, std=0.02)");
/// assert_eq!(Init::xavier_uniform().to_string(), "xavier_uniform(gain=1)");
/// assert_eq!(Init::Constant { value: 0.5 }.to_string(), "constant(value=0.5)");
/// assert_eq!(Init::Zeros.to_string(), "zeros");
/// ```
impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().name())?;
        let args = self.args();
        if args.is_empty() {
            return Ok(());
        }
        f.write_str("(")?;
        for (i, (name, value)) in args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match value {
                Arg::Float(v) => write!(f, "{name}={v}")?,
                Arg::Int(v) => write!(f, "{name}={v}")?,
                Arg::Name(v) | Arg::Other(v) => write!(f, "{name}={v}")?,
                Arg::Axes(v) => write!(f, "{name}={v}")?,
                Arg::Deferred => write!(f, "{name}=?")?,
            }
        }
        f.write_str(")")
    }
}

impl Init {
    /// Its arguments by the table's parameter names, in the table's order: what
    /// [`Init::from_args`] takes to make it again.
    ///
    /// ```
    /// use init_core::Init;
    /// let init = Init::TruncNormal { mean: 0.0, std: 0.02, a: -0.04, b: 0.04 };
    /// assert_eq!(Init::from_args(init.kind().name(), &init.args())?, init);
    /// # Ok::<(), init_core::InitError>(())
    /// ```
    pub fn args(&self) -> Vec<(&'static str, Arg<'static>)> {
        let own = self.kind().def().params;
        self.variant_args()
            .into_iter()
            .filter(|(name, _)| own.iter().any(|p| p.name == *name))
            .collect()
    }

    /// The named instance of its row this is (`he_normal` for `variance_scaling` with scale 2,
    /// fan_in and truncated_normal), if any.
    pub(super) fn instance(&self) -> Option<InitKind> {
        let general = self.variant_kind().name();
        let instances = || {
            InitKind::ALL.iter().copied().filter(move |kind| {
                kind.def()
                    .instance_of
                    .is_some_and(|instance| instance.of == general)
            })
        };
        // Most rows have no named instance: nothing to compare.
        instances().next()?;
        let args = self.variant_args();
        let same = |name: &str, value: &DefaultValue| {
            args.iter().any(|(n, arg)| {
                *n == name
                    && match (arg, value) {
                        (Arg::Float(a), DefaultValue::Float(b)) => a == b,
                        (Arg::Name(a), DefaultValue::Name(b)) => a == b,
                        _ => false,
                    }
            })
        };
        instances().find(|kind| {
            kind.def().instance_of.is_some_and(|instance| {
                instance.fixed.iter().all(|(name, value)| same(name, value))
            })
        })
    }

    /// Every argument of its variant's row, in the row's order.
    fn variant_args(&self) -> Vec<(&'static str, Arg<'static>)> {
        let values: Vec<Arg<'static>> = match self {
            Init::Uniform { low, high } => vec![Arg::Float(*low), Arg::Float(*high)],
            Init::Normal { mean, std } => vec![Arg::Float(*mean), Arg::Float(*std)],
            Init::TruncNormal { mean, std, a, b } => {
                vec![
                    Arg::Float(*mean),
                    Arg::Float(*std),
                    Arg::Float(*a),
                    Arg::Float(*b),
                ]
            }
            Init::Constant { value } => vec![Arg::Float(*value)],
            Init::Zeros | Init::Ones | Init::Eye => Vec::new(),
            Init::Dirac { groups } => vec![Arg::Int(i64::try_from(*groups).unwrap_or(i64::MAX))],
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => {
                vec![Arg::Float(*gain)]
            }
            Init::Orthogonal { gain, column_axis } => {
                vec![Arg::Float(*gain), Arg::Int(*column_axis)]
            }
            Init::DeltaOrthogonal { scale } => vec![Arg::Float(*scale)],
            Init::VarianceScaling {
                scale,
                mode,
                distribution,
                in_axis,
                out_axis,
                batch_axis,
            } => vec![
                Arg::Float(*scale),
                Arg::Name(mode.name()),
                Arg::Name(distribution.name()),
                Arg::Axes(*in_axis),
                Arg::Axes(*out_axis),
                Arg::Axes(*batch_axis),
            ],
            Init::KaimingUniform {
                a,
                mode,
                nonlinearity,
            }
            | Init::KaimingNormal {
                a,
                mode,
                nonlinearity,
            } => vec![
                Arg::Float(*a),
                Arg::Name(mode.name()),
                Arg::Name(nonlinearity.name()),
            ],
            Init::Sparse { sparsity, std } => vec![Arg::Float(*sparsity), Arg::Float(*std)],
        };
        self.variant_kind()
            .def()
            .params
            .iter()
            .map(|p| p.name)
            .zip(values)
            .collect()
    }
}

impl Init {
    /// The gain it applies (Xavier, Kaiming with its nonlinearity and slope `a`, orthogonal,
    /// delta_orthogonal's scale); `None` for the others.
    ///
    /// ```
    /// use init_core::{FanMode, Init, Nonlinearity};
    /// let relu = Init::KaimingNormal { a: 0.0, mode: FanMode::FanIn, nonlinearity: Nonlinearity::Relu };
    /// assert_eq!(relu.gain(), Some(2f64.sqrt()));
    /// assert_eq!(Init::Zeros.gain(), None);
    /// ```
    pub fn gain(&self) -> Option<f64> {
        match self {
            Init::XavierUniform { gain }
            | Init::XavierNormal { gain }
            | Init::Orthogonal { gain, .. } => Some(*gain),
            Init::DeltaOrthogonal { scale } => Some(*scale),
            Init::KaimingUniform {
                a, nonlinearity, ..
            }
            | Init::KaimingNormal {
                a, nonlinearity, ..
            } => {
                let nonlinearity = match nonlinearity {
                    Nonlinearity::LeakyRelu { .. } => {
                        Nonlinearity::LeakyRelu { negative_slope: *a }
                    }
                    other => *other,
                };
                calculate_gain(nonlinearity).ok()
            }
            _ => None,
        }
    }

    /// The standard deviation of the values it writes into a tensor of shape `dims` (0 for a
    /// constant; the truncated normal's own std; orthogonal's `gain / sqrt(max(rows, cols))`;
    /// sparse's with its zeros), `None` where it has no closed form (`eye`, `dirac`) or the
    /// shape has no fans.
    ///
    /// ```
    /// use init_core::Init;
    /// assert_eq!(Init::xavier_normal().expected_std(&[20, 30]), Some((2.0f64 / 50.0).sqrt()));
    /// assert_eq!(Init::xavier_normal().expected_std(&[20]), None);
    /// let t = Init::TruncNormal { mean: 0.0, std: 1.0, a: -2.0, b: 2.0 }.expected_std(&[4]).unwrap();
    /// assert!((t - 0.8796).abs() < 1e-4);
    /// ```
    pub fn expected_std(&self, dims: &[usize]) -> Option<f64> {
        let fans = calculate_fan_in_and_fan_out(dims).ok();
        let sqrt12 = 12f64.sqrt();
        match self {
            Init::Uniform { low, high } => Some((high - low) / sqrt12),
            Init::Normal { std, .. } => Some(*std),
            Init::TruncNormal { mean, std, a, b } => Some(trunc_normal_std(*mean, *std, *a, *b)),
            Init::Constant { .. } | Init::Zeros | Init::Ones => Some(0.0),
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => {
                let (fan_in, fan_out) = fans?;
                Some(gain * (2.0 / (fan_in + fan_out) as f64).sqrt())
            }
            Init::KaimingUniform { mode, .. } | Init::KaimingNormal { mode, .. } => {
                let (fan_in, fan_out) = fans?;
                let fan = match mode {
                    FanMode::FanIn => fan_in,
                    FanMode::FanOut => fan_out,
                };
                Some(self.gain()? / (fan as f64).sqrt())
            }
            Init::Orthogonal { gain, column_axis } => {
                let rows = dims[resolve_axis(*column_axis, dims.len())?];
                let cols = dims.iter().product::<usize>() / rows.max(1);
                Some(gain / (rows.max(cols) as f64).sqrt())
            }
            Init::DeltaOrthogonal { scale } => {
                // out * in entries of a matrix with `in` orthonormal columns, among them zeros.
                let taps: usize = dims.get(2..)?.iter().product();
                Some(scale / ((dims[0] * taps) as f64).sqrt())
            }
            Init::VarianceScaling {
                scale,
                mode,
                in_axis,
                out_axis,
                batch_axis,
                ..
            } => {
                let (fan_in, fan_out) =
                    variance::fans("variance_scaling", dims, *in_axis, *out_axis, *batch_axis)
                        .ok()?;
                Some((scale / mode.denominator(fan_in, fan_out)).sqrt())
            }
            Init::Sparse { sparsity, std } => {
                let rows = *dims.first()? as f64;
                let zeros = (sparsity * rows).ceil();
                Some(std * ((rows - zeros).max(0.0) / rows).sqrt())
            }
            Init::Eye | Init::Dirac { .. } => None,
        }
    }
}

/// The standard deviation of N(mean, std^2) conditioned on (a, b).
fn trunc_normal_std(mean: f64, std: f64, a: f64, b: f64) -> f64 {
    let (alpha, beta) = ((a - mean) / std, (b - mean) / std);
    let pdf = |x: f64| {
        if x.is_infinite() {
            0.0
        } else {
            (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
        }
    };
    let xpdf = |x: f64| if x.is_infinite() { 0.0 } else { x * pdf(x) };
    let z = normal_mass(alpha, beta);
    let m = (pdf(alpha) - pdf(beta)) / z;
    let var = 1.0 + (xpdf(alpha) - xpdf(beta)) / z - m * m;
    std * var.max(0.0).sqrt()
}

/// P(alpha < Z < beta) for a standard normal Z, accurate in both tails.
fn normal_mass(alpha: f64, beta: f64) -> f64 {
    let sf = |x: f64| 0.5 * erfc(x / std::f64::consts::SQRT_2);
    if alpha >= 0.0 {
        sf(alpha) - sf(beta)
    } else if beta <= 0.0 {
        sf(-beta) - sf(-alpha)
    } else {
        1.0 - sf(-alpha) - sf(beta)
    }
}

/// erfc to ~1e-7 relative (Numerical Recipes' Chebyshev fit), enough for a report.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}
