//! The row types of the tables in `table.rs`, and lookups by PyTorch name.

#[cfg(doc)]
use crate::table::{DISTRIBUTIONS, FAN_MODES, INITS, NONLINEARITIES, VARIANCE_MODES};

/// One initializer of `torch.nn.init`: a row of [`INITS`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InitDef {
    /// PyTorch's name, without the trailing underscore (`kaiming_normal` for `kaiming_normal_`).
    pub name: &'static str,
    /// What it writes, in one line.
    pub doc: &'static str,
    /// Whether it draws random numbers (and so advances a generator).
    pub random: bool,
    /// Its parameters, in PyTorch's order.
    pub params: &'static [Param],
    /// Constraints between two parameters (`low <= high`).
    pub relations: &'static [Relation],
    /// A typical call in the derive's attribute syntax, shown in messages.
    pub example: &'static str,
    /// The numbers of dimensions a tensor it writes may have, `(min, max)` (`max` `None`: any):
    /// `(2, None)` where it needs PyTorch's fans, `(2, Some(2))` for a matrix, `(0, None)` for
    /// element-wise ones.
    pub ranks: (usize, Option<usize>),
    /// `Some` for a named instance of another row (Flax's `lecun_normal` is
    /// `variance_scaling(1.0, fan_in, truncated_normal)`): the row and the values it fixes.
    pub instance_of: Option<Instance>,
}

/// A row that is another row with some parameters fixed: its own parameters are the others.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instance {
    /// The general row's name.
    pub of: &'static str,
    /// The general row's parameters this one fixes, with their values.
    pub fixed: &'static [(&'static str, DefaultValue)],
}

impl InitDef {
    /// Whether it can write a tensor of `rank` dimensions.
    ///
    /// ```
    /// use init_spec::InitKind;
    /// assert!(!InitKind::XavierNormal.def().takes_rank(1));
    /// assert!(InitKind::XavierNormal.def().takes_rank(4));
    /// assert!(InitKind::Ones.def().takes_rank(1));
    /// assert!(!InitKind::Dirac.def().takes_rank(2));
    /// ```
    pub fn takes_rank(&self, rank: usize) -> bool {
        rank >= self.ranks.0 && self.ranks.1.is_none_or(|max| rank <= max)
    }
}

/// A parameter of an initializer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    /// PyTorch's keyword (also the field name of `init_core::Init`'s variant).
    pub name: &'static str,
    /// What values it accepts.
    pub kind: ParamKind,
    /// Its value when omitted.
    pub default: DefaultValue,
    /// What it means, in one line.
    pub doc: &'static str,
}

/// What a parameter accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// Any finite number.
    Real,
    /// Any number or an infinite bound (not NaN): trunc_normal's interval may be open-ended.
    Bound,
    /// A finite number >= 0.
    NonNegative,
    /// A finite number > 0.
    Positive,
    /// A number in [0, 1].
    Fraction,
    /// An integer >= 1.
    Count,
    /// One of [`FAN_MODES`].
    FanMode,
    /// One of [`VARIANCE_MODES`] (JAX's `variance_scaling` modes).
    VarianceMode,
    /// One of [`DISTRIBUTIONS`] (JAX's `variance_scaling` distributions).
    Distribution,
    /// One axis of the tensor, an integer (negative: from the end).
    Axis,
    /// An axis or a list of axes ([`Axes`](crate::Axes)): `1`, `[0, 2]`, `[]`.
    Axes,
    /// One of [`NONLINEARITIES`]. `param_from` names the initializer's parameter that gives
    /// the nonlinearity its own parameter (kaiming's `a` is leaky_relu's negative slope).
    Nonlinearity { param_from: Option<&'static str> },
}

impl ParamKind {
    /// Whether `value` is in the domain of a numeric kind; `None` for the named kinds.
    ///
    /// ```
    /// use init_spec::ParamKind;
    /// assert_eq!(ParamKind::NonNegative.contains(0.0), Some(true));
    /// assert_eq!(ParamKind::Real.contains(f64::NAN), Some(false));
    /// assert_eq!(ParamKind::FanMode.contains(1.0), None);
    /// ```
    pub fn contains(self, value: f64) -> Option<bool> {
        let finite = value.is_finite();
        Some(match self {
            ParamKind::Real => finite,
            ParamKind::Bound => !value.is_nan(),
            ParamKind::NonNegative => finite && value >= 0.0,
            ParamKind::Positive => finite && value > 0.0,
            ParamKind::Fraction => (0.0..=1.0).contains(&value),
            ParamKind::Count => finite && value >= 1.0 && value.fract() == 0.0,
            ParamKind::FanMode
            | ParamKind::VarianceMode
            | ParamKind::Distribution
            | ParamKind::Axis
            | ParamKind::Axes
            | ParamKind::Nonlinearity { .. } => return None,
        })
    }
}

/// A parameter's value when it is omitted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DefaultValue {
    /// The parameter must be given.
    Required,
    /// A number.
    Float(f64),
    /// An integer.
    Count(usize),
    /// A fan mode, nonlinearity, variance mode or distribution, by name.
    Name(&'static str),
    /// An axis.
    Axis(i64),
    /// A list of axes.
    Axes(&'static [i64]),
}

/// `low <= high` (or `<` when `strict`) between two parameters of an initializer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relation {
    /// The parameter that must be the smaller.
    pub low: &'static str,
    /// The parameter that must be the larger.
    pub high: &'static str,
    /// `low < high` rather than `low <= high`.
    pub strict: bool,
    /// Appended to the message after the relation, e.g. " (the truncation interval)".
    pub note: &'static str,
}

/// A nonlinearity of `torch.nn.init.calculate_gain`: a row of [`NONLINEARITIES`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NonlinearityDef {
    /// PyTorch's name.
    pub name: &'static str,
    /// Its recommended gain, in words.
    pub doc: &'static str,
    /// Its own parameter, if it takes one (leaky_relu's negative slope).
    pub param: Option<NonlinearityParam>,
}

/// The parameter of a nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NonlinearityParam {
    /// Its name (the field name of `init_core::Nonlinearity`'s variant).
    pub name: &'static str,
    /// PyTorch's default.
    pub default: f64,
}

/// A named choice of a parameter other than a fan mode or nonlinearity: a row of
/// [`VARIANCE_MODES`] or [`DISTRIBUTIONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChoiceDef {
    /// Its name, as the reference library spells it.
    pub name: &'static str,
    /// What it means, in one line.
    pub doc: &'static str,
}

/// A fan mode of the Kaiming initializers: a row of [`FAN_MODES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FanModeDef {
    /// PyTorch's name.
    pub name: &'static str,
    /// What it preserves, in one line.
    pub doc: &'static str,
}

/// The Rust variant name for a snake_case name (`kaiming_normal` -> `KaimingNormal`): the
/// convention `init_core`'s enums follow (their serde form is `rename_all = "snake_case"`).
///
/// ```
/// assert_eq!(init_spec::variant_name("conv_transpose2d"), "ConvTranspose2d");
/// assert_eq!(init_spec::variant_name("fan_in"), "FanIn");
/// ```
pub fn variant_name(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}
