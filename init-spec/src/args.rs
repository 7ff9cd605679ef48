//! `name(key = value, ...)` checked against the table, with the defaults filled in: one
//! implementation for the derive's compile-time checks and `init_core::Init::from_args`.

use std::fmt;

use crate::axes::Axes;
use crate::def::{DefaultValue, InitDef, Param, ParamKind};
use crate::suggest::{hint, one_of};
use crate::table::{
    DistributionKind, FanModeKind, InitKind, NonlinearityKind, VarianceModeKind,
    DISTRIBUTION_NAMES, FAN_MODE_NAMES, INIT_NAMES, NONLINEARITIES, NONLINEARITY_NAMES,
    VARIANCE_MODE_NAMES,
};

/// A parameter's value as written by the caller.
///
/// ```
/// use init_spec::Arg;
/// assert_eq!(Arg::from(0.5), Arg::Float(0.5));
/// assert_eq!(Arg::from(2), Arg::Int(2));
/// assert_eq!(Arg::from("relu"), Arg::Name("relu"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg<'a> {
    /// A number.
    Float(f64),
    /// An integer.
    Int(i64),
    /// A name: a fan mode, a nonlinearity, a variance mode or a distribution.
    Name(&'a str),
    /// A list of axes (`[0, 1]`); a single axis is an [`Arg::Int`].
    Axes(Axes),
    /// A value of a type no parameter takes, described for the message ("a string literal").
    Other(&'a str),
    /// A number known only at run time (an expression in the derive's attribute): accepted
    /// where a number is, as [`Value::Deferred`], and checked when it is known. Names (fan
    /// modes, nonlinearities) and axes are never deferred.
    Deferred,
}

impl From<f64> for Arg<'_> {
    fn from(v: f64) -> Self {
        Arg::Float(v)
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<i32> for Arg<'_> {
    fn from(v: i32) -> Self {
        Arg::Int(v.into())
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Name(v)
    }
}

/// A checked parameter value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A number within its parameter's domain.
    Float(f64),
    /// An integer >= 1.
    Count(usize),
    /// A fan mode.
    FanMode(FanModeKind),
    /// A mode of JAX's `variance_scaling`.
    VarianceMode(VarianceModeKind),
    /// A distribution of JAX's `variance_scaling`.
    Distribution(DistributionKind),
    /// An axis (negative: from the end).
    Axis(i64),
    /// An axis or a list of axes.
    Axes(Axes),
    /// A nonlinearity, with its own parameter when it takes one (leaky_relu's negative slope,
    /// taken from the initializer's parameter named by [`ParamKind::Nonlinearity`]).
    Nonlinearity {
        kind: NonlinearityKind,
        param: Option<f64>,
    },
    /// A number given as [`Arg::Deferred`]: not known yet, so neither its domain nor the
    /// relations it takes part in were checked.
    Deferred,
}

/// An initializer with every parameter checked and the omitted ones set to their defaults.
///
/// ```
/// use init_spec::{Arg, InitKind, Value};
/// let args = init_spec::resolve("kaiming_normal", &[("mode", Arg::Name("fan_out"))])?;
/// assert_eq!(args.kind(), InitKind::KaimingNormal);
/// assert_eq!(args.float("a"), Some(0.0));
/// let names: Vec<&str> = args.iter().map(|(p, _)| p.name).collect();
/// assert_eq!(names, ["a", "mode", "nonlinearity"]);
/// # Ok::<(), init_spec::ArgErrors>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    kind: InitKind,
    /// One per parameter of the row, in table order.
    values: Vec<Value>,
}

impl Args {
    /// Which initializer.
    pub fn kind(&self) -> InitKind {
        self.kind
    }

    /// Its row of the table.
    pub fn def(&self) -> &'static InitDef {
        self.kind.def()
    }

    /// Every parameter with its value, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Param, &Value)> {
        self.def().params.iter().zip(&self.values)
    }

    /// Whether some value is [`Value::Deferred`] (known only at run time).
    ///
    /// ```
    /// use init_spec::Arg;
    /// let args = init_spec::resolve("normal", &[("std", Arg::Deferred)])?;
    /// assert!(args.has_deferred());
    /// assert!(!init_spec::resolve("normal", &[])?.has_deferred());
    /// # Ok::<(), init_spec::ArgErrors>(())
    /// ```
    pub fn has_deferred(&self) -> bool {
        self.values.contains(&Value::Deferred)
    }

    /// The value of the parameter `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.iter().find(|(p, _)| p.name == name).map(|(_, v)| v)
    }

    /// The number `name`, when it is a number parameter.
    pub fn float(&self, name: &str) -> Option<f64> {
        match self.get(name)? {
            Value::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The integer `name`, when it is a count parameter.
    pub fn count(&self, name: &str) -> Option<usize> {
        match self.get(name)? {
            Value::Count(n) => Some(*n),
            _ => None,
        }
    }

    /// The fan mode `name`, when it is a fan mode parameter.
    pub fn fan_mode(&self, name: &str) -> Option<FanModeKind> {
        match self.get(name)? {
            Value::FanMode(kind) => Some(*kind),
            _ => None,
        }
    }

    /// The variance mode `name`, when it is one.
    pub fn variance_mode(&self, name: &str) -> Option<VarianceModeKind> {
        match self.get(name)? {
            Value::VarianceMode(kind) => Some(*kind),
            _ => None,
        }
    }

    /// The distribution `name`, when it is one.
    pub fn distribution(&self, name: &str) -> Option<DistributionKind> {
        match self.get(name)? {
            Value::Distribution(kind) => Some(*kind),
            _ => None,
        }
    }

    /// The axis `name`, when it is an axis parameter.
    pub fn axis(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Axis(axis) => Some(*axis),
            _ => None,
        }
    }

    /// The axes `name`, when it is an axes parameter.
    pub fn axes(&self, name: &str) -> Option<Axes> {
        match self.get(name)? {
            Value::Axes(axes) => Some(*axes),
            _ => None,
        }
    }

    /// The general row's arguments for a named instance (`lecun_normal` is
    /// `variance_scaling(scale = 1.0, mode = fan_in, distribution = truncated_normal)` with
    /// its axes); any other row's, unchanged. `None` only for a broken table (an instance whose
    /// general row or fixed values do not exist).
    ///
    /// ```
    /// use init_spec::{Axes, DistributionKind, InitKind};
    /// let he = init_spec::resolve("he_normal", &[])?.canonical().unwrap();
    /// assert_eq!(he.kind(), InitKind::VarianceScaling);
    /// assert_eq!(he.float("scale"), Some(2.0));
    /// assert_eq!(he.distribution("distribution"), Some(DistributionKind::TruncatedNormal));
    /// assert_eq!(he.axes("in_axis"), Some(Axes::one(1)));
    /// # Ok::<(), init_spec::ArgErrors>(())
    /// ```
    pub fn canonical(&self) -> Option<Args> {
        let Some(instance) = self.def().instance_of else {
            return Some(self.clone());
        };
        let kind = InitKind::from_name(instance.of)?;
        let def = kind.def();
        let values = def
            .params
            .iter()
            .map(
                |param| match instance.fixed.iter().find(|(name, _)| *name == param.name) {
                    Some((_, value)) => fixed(def, param, *value),
                    None => self.get(param.name).copied(),
                },
            )
            .collect::<Option<Vec<Value>>>()?;
        Some(Args { kind, values })
    }

    /// The nonlinearity `name` and its parameter, when it is a nonlinearity parameter.
    pub fn nonlinearity(&self, name: &str) -> Option<(NonlinearityKind, Option<f64>)> {
        match self.get(name)? {
            Value::Nonlinearity { kind, param } => Some((*kind, *param)),
            _ => None,
        }
    }
}

/// Which part of `name(key = value, ...)` an [`ArgError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// The initializer's name (unknown, or a required parameter is missing).
    Name,
    /// The key of the argument at this index.
    Key(usize),
    /// The value of the argument at this index.
    Value(usize),
}

/// One problem with an initializer's arguments, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgError {
    /// The smallest part the message is about.
    pub at: At,
    /// What is wrong and what is allowed, e.g. "`normal` has no parameter `stdev`; did you mean
    /// `std`?".
    pub message: String,
}

/// Every problem found in one initializer's arguments (at least one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgErrors {
    errors: Vec<ArgError>,
}

impl ArgErrors {
    /// The problems, in the order of the arguments.
    pub fn errors(&self) -> &[ArgError] {
        &self.errors
    }

    /// Whether the initializer's name itself is unknown.
    pub fn is_unknown_init(&self) -> bool {
        self.errors
            .iter()
            .any(|e| e.at == At::Name && e.message.starts_with("unknown initializer"))
    }
}

impl fmt::Display for ArgErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; also, ")?;
            }
            f.write_str(&error.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ArgErrors {}

/// Checks `name(key = value, ...)` against the table and fills in the defaults: PyTorch's
/// names, each key once, values of the right kind inside their domain, required parameters
/// present, relations (`low <= high`) held. Every problem is reported, each at the smallest
/// part it is about, with a suggestion for misspelled names.
///
/// ```
/// use init_spec::{Arg, At};
/// let args = init_spec::resolve("normal", &[("std", Arg::Float(0.02))])?;
/// assert_eq!((args.float("mean"), args.float("std")), (Some(0.0), Some(0.02)));
///
/// let err = init_spec::resolve("normal", &[("stdev", Arg::Float(0.02))]).unwrap_err();
/// assert_eq!(err.errors()[0].at, At::Key(0));
/// assert_eq!(err.to_string(), "`normal` has no parameter `stdev`; did you mean `std`?");
/// # Ok::<(), init_spec::ArgErrors>(())
/// ```
pub fn resolve(name: &str, args: &[(&str, Arg<'_>)]) -> Result<Args, ArgErrors> {
    let fail = |message: String| ArgErrors {
        errors: vec![ArgError {
            at: At::Name,
            message,
        }],
    };
    let Some(kind) = InitKind::from_name(name) else {
        return Err(fail(format!(
            "unknown initializer `{name}`{}",
            hint(name, &INIT_NAMES)
        )));
    };
    let def = kind.def();
    let mut errors = Vec::new();
    // Per parameter: the index of the argument that gave it, and its value when valid.
    let mut given: Vec<Option<(usize, Option<Value>)>> = vec![None; def.params.len()];
    for (i, (key, arg)) in args.iter().enumerate() {
        let Some(p) = def.params.iter().position(|p| p.name == *key) else {
            let fixed = def
                .instance_of
                .filter(|i| i.fixed.iter().any(|(name, _)| name == key));
            let message = if let Some(instance) = fixed {
                let values: Vec<String> = instance
                    .fixed
                    .iter()
                    .map(|(name, value)| match value {
                        DefaultValue::Float(v) => format!("{name} = {v:?}"),
                        DefaultValue::Name(v) => format!("{name} = {v}"),
                        other => format!("{name} = {other:?}"),
                    })
                    .collect();
                format!(
                    "`{}` fixes `{key}`: it is `{}({})`; write `{}(...)` to choose `{key}`",
                    def.name,
                    instance.of,
                    values.join(", "),
                    instance.of
                )
            } else if def.params.is_empty() {
                format!("`{}` takes no parameters; write `{}`", def.name, def.name)
            } else {
                let allowed: Vec<&str> = def.params.iter().map(|p| p.name).collect();
                format!(
                    "`{}` has no parameter `{key}`{}",
                    def.name,
                    hint(key, &allowed)
                )
            };
            push(&mut errors, At::Key(i), message);
            continue;
        };
        if given[p].is_some() {
            push(
                &mut errors,
                At::Key(i),
                format!("duplicate parameter `{key}`"),
            );
            continue;
        }
        let value = accept(def, &def.params[p], *arg)
            .map_err(|message| push(&mut errors, At::Value(i), message))
            .ok();
        given[p] = Some((i, value));
    }
    let mut values = Vec::with_capacity(def.params.len());
    for (param, given) in def.params.iter().zip(&given) {
        let value = match given {
            Some((_, value)) => *value,
            None => default(def, param)
                .map_err(|message| push(&mut errors, At::Name, message))
                .ok(),
        };
        values.extend(value);
    }
    if !errors.is_empty() {
        return Err(ArgErrors { errors });
    }
    let mut resolved = Args { kind, values };
    fill_nonlinearity_params(&mut resolved);
    let at_arg = |name: &str| {
        def.params
            .iter()
            .position(|p| p.name == name)
            .and_then(|p| given[p])
            .map_or(At::Name, |(i, _)| At::Value(i))
    };
    for relation in def.relations {
        let (Some(low), Some(high)) = (resolved.float(relation.low), resolved.float(relation.high))
        else {
            continue;
        };
        let holds = if relation.strict {
            low < high
        } else {
            low <= high
        };
        if !holds {
            let op = if relation.strict { "<" } else { "<=" };
            push(
                &mut errors,
                at_arg(relation.high),
                format!(
                    "`{}` needs `{} {op} {}`{}, found {} = {low:?}, {} = {high:?}",
                    def.name,
                    relation.low,
                    relation.high,
                    relation.note,
                    relation.low,
                    relation.high
                ),
            );
        }
    }
    if errors.is_empty() {
        Ok(resolved)
    } else {
        Err(ArgErrors { errors })
    }
}

/// A nonlinearity that takes a parameter gets it from the initializer's parameter named by
/// `param_from`, else its own default.
fn fill_nonlinearity_params(args: &mut Args) {
    let def = args.def();
    let sources: Vec<Option<f64>> = def
        .params
        .iter()
        .map(|p| match p.kind {
            ParamKind::Nonlinearity {
                param_from: Some(from),
            } => args.float(from),
            _ => None,
        })
        .collect();
    for (value, source) in args.values.iter_mut().zip(sources) {
        if let Value::Nonlinearity { kind, param } = value {
            *param = kind.def().param.map(|own| source.unwrap_or(own.default));
        }
    }
}

/// A value the table gives (a default or an instance's fixed value), checked as an argument.
fn fixed(def: &InitDef, param: &Param, value: DefaultValue) -> Option<Value> {
    let arg = match value {
        DefaultValue::Required => return None,
        DefaultValue::Float(v) => Arg::Float(v),
        DefaultValue::Count(n) => Arg::Int(i64::try_from(n).ok()?),
        DefaultValue::Name(name) => Arg::Name(name),
        DefaultValue::Axis(axis) => Arg::Int(axis),
        DefaultValue::Axes(list) => Arg::Axes(Axes::new(list)?),
    };
    accept(def, param, arg).ok()
}

/// The default of an omitted parameter, or why there is none.
fn default(def: &InitDef, param: &Param) -> Result<Value, String> {
    let missing = || {
        format!(
            "`{}` requires `{}`, e.g. `{}`",
            def.name, param.name, def.example
        )
    };
    match param.default {
        DefaultValue::Required => Err(missing()),
        DefaultValue::Float(v) => Ok(Value::Float(v)),
        DefaultValue::Count(n) => Ok(Value::Count(n)),
        other => fixed(def, param, other).ok_or_else(|| {
            format!(
                "internal: the table's default of `{}` of `{}` is not one of its values",
                param.name, def.name
            )
        }),
    }
}

fn push(errors: &mut Vec<ArgError>, at: At, message: String) {
    errors.push(ArgError { at, message });
}

/// Checks one value against its parameter.
fn accept(def: &InitDef, param: &Param, arg: Arg<'_>) -> Result<Value, String> {
    let key = param.name;
    let init = def.name;
    match (param.kind, arg) {
        (ParamKind::FanMode, Arg::Name(s)) => FanModeKind::from_name(s)
            .map(Value::FanMode)
            .ok_or_else(|| format!("unknown mode `{s}`{}", hint(s, &FAN_MODE_NAMES))),
        (ParamKind::VarianceMode, Arg::Name(s)) => VarianceModeKind::from_name(s)
            .map(Value::VarianceMode)
            .ok_or_else(|| format!("unknown mode `{s}`{}", hint(s, &VARIANCE_MODE_NAMES))),
        (ParamKind::Distribution, Arg::Name(s)) => DistributionKind::from_name(s)
            .map(Value::Distribution)
            .ok_or_else(|| format!("unknown distribution `{s}`{}", hint(s, &DISTRIBUTION_NAMES))),
        (ParamKind::Nonlinearity { .. }, Arg::Name(s)) => NonlinearityKind::from_name(s)
            .map(|kind| Value::Nonlinearity { kind, param: None })
            .ok_or_else(|| format!("unknown nonlinearity `{s}`{}", hint(s, &NONLINEARITY_NAMES))),
        (ParamKind::Axis, Arg::Int(n)) => Ok(Value::Axis(n)),
        (ParamKind::Axes, Arg::Int(n)) => i8::try_from(n)
            .map(|n| Value::Axes(Axes::one(n)))
            .map_err(|_| format!("`{key}` of `{init}` must be an axis in -128..=127, found `{n}`")),
        (ParamKind::Axes, Arg::Axes(axes)) => Ok(Value::Axes(axes)),
        (kind, Arg::Deferred) if kind.is_literal() => Err(format!(
            "`{key}` of `{init}` expects {}, written as {} (e.g. `{key} = {}`); found an \
             expression (only numbers can be computed at run time)",
            kind.expected(),
            if kind.takes_name() {
                "a bare name"
            } else {
                "integer literals"
            },
            kind.example()
        )),
        (kind, other) if kind.is_literal() => Err(format!(
            "`{key}` of `{init}` expects {}, found {}",
            kind.expected(),
            describe(other)
        )),
        (_, Arg::Deferred) => Ok(Value::Deferred),
        (ParamKind::Count, Arg::Int(n)) => usize::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .map(Value::Count)
            .ok_or_else(|| {
                format!(
                    "`{key}` of `{init}` must be {}, found `{n}`",
                    ParamKind::Count.expected()
                )
            }),
        (ParamKind::Count, Arg::Float(v)) => Err(format!(
            "`{key}` of `{init}` must be {}, found `{v:?}`",
            ParamKind::Count.expected()
        )),
        (kind, Arg::Float(_) | Arg::Int(_)) => {
            let v = match arg {
                Arg::Int(n) => n as f64,
                Arg::Float(v) => v,
                _ => f64::NAN,
            };
            if kind.contains(v) == Some(true) {
                Ok(Value::Float(v))
            } else {
                Err(format!(
                    "`{key}` of `{init}` must be {}, found `{v:?}`",
                    kind.expected()
                ))
            }
        }
        (kind, other) => {
            let what = match kind {
                ParamKind::Count => "an integer",
                _ => "a number",
            };
            Err(format!(
                "`{key}` of `{init}` expects {what}, e.g. `{key} = {}`; found {}",
                kind.example(),
                describe(other)
            ))
        }
    }
}

fn describe(arg: Arg<'_>) -> String {
    match arg {
        Arg::Float(v) => format!("the number `{v:?}`"),
        Arg::Int(n) => format!("the number `{n}`"),
        Arg::Name(s) => format!("the name `{s}`"),
        Arg::Axes(axes) => format!("the axes `{axes}`"),
        Arg::Other(what) => what.to_owned(),
        Arg::Deferred => "a value known only at run time".to_owned(),
    }
}

impl ParamKind {
    /// Whether its values are written as literals only (names, axes), never computed at run
    /// time.
    ///
    /// ```
    /// use init_spec::ParamKind;
    /// assert!(ParamKind::FanMode.is_literal());
    /// assert!(ParamKind::Axes.is_literal());
    /// assert!(!ParamKind::Real.is_literal());
    /// ```
    pub fn is_literal(self) -> bool {
        self.contains(0.0).is_none()
    }

    /// Whether its values are names (fan modes, nonlinearities, variance modes,
    /// distributions): what a bare identifier stands for in the derive's grammar.
    ///
    /// ```
    /// use init_spec::ParamKind;
    /// assert!(ParamKind::Distribution.takes_name());
    /// assert!(!ParamKind::Axis.takes_name());
    /// ```
    pub fn takes_name(self) -> bool {
        matches!(
            self,
            ParamKind::FanMode
                | ParamKind::VarianceMode
                | ParamKind::Distribution
                | ParamKind::Nonlinearity { .. }
        )
    }

    /// A value it accepts, for messages.
    fn example(self) -> &'static str {
        match self {
            ParamKind::FanMode => "fan_out",
            ParamKind::VarianceMode => "fan_avg",
            ParamKind::Distribution => "truncated_normal",
            ParamKind::Nonlinearity { .. } => "relu",
            ParamKind::Axis => "-1",
            ParamKind::Axes => "[0, 1]",
            ParamKind::Count => "2",
            _ => "0.5",
        }
    }

    /// The values it accepts, for messages ("a non-negative number").
    ///
    /// ```
    /// use init_spec::ParamKind;
    /// assert_eq!(ParamKind::Fraction.expected(), "a number between 0 and 1");
    /// assert_eq!(ParamKind::FanMode.expected(), "`fan_in` or `fan_out`");
    /// ```
    pub fn expected(self) -> String {
        match self {
            ParamKind::Real => "a finite number".to_owned(),
            ParamKind::Bound => "a number (infinite bounds allowed)".to_owned(),
            ParamKind::NonNegative => "a non-negative number".to_owned(),
            ParamKind::Positive => "a positive number".to_owned(),
            ParamKind::Fraction => "a number between 0 and 1".to_owned(),
            ParamKind::Count => "an integer of at least 1".to_owned(),
            ParamKind::FanMode => one_of(&FAN_MODE_NAMES),
            ParamKind::VarianceMode => one_of(&VARIANCE_MODE_NAMES),
            ParamKind::Distribution => one_of(&DISTRIBUTION_NAMES),
            ParamKind::Axis => "an axis (an integer; negative counts from the end)".to_owned(),
            ParamKind::Axes => {
                "an axis or a list of axes (integers; negative count from the end)".to_owned()
            }
            ParamKind::Nonlinearity { param_from } => {
                let param = NONLINEARITIES
                    .iter()
                    .find_map(|n| Some((n.name, n.param?.name)))
                    .zip(param_from)
                    .map(|((name, param), from)| format!(" (the {param} of `{name}` is `{from}`)"))
                    .unwrap_or_default();
                format!("a nonlinearity such as `relu` or `leaky_relu`{param}")
            }
        }
    }
}
