//! The meaning of `#[init(...)]`: known initializers, their parameters, value types and ranges.
//! Produces [`Resolved`] initializers for `expand.rs`; every problem goes to the `Ctxt`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::Ident;

use crate::ast::{FieldKind, Input};
use crate::attr::{InitSpec, Value};
use crate::ctxt::Ctxt;
use crate::suggest;

/// Fan mode of the Kaiming initializers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    FanIn,
    FanOut,
}

/// Nonlinearities accepted by `nonlinearity = ...` (PyTorch's names).
pub const NONLINEARITIES: &[&str] = &[
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
];

/// A checked initializer with every parameter filled in (PyTorch's defaults where omitted).
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mean: f64,
        std: f64,
    },
    TruncNormal {
        mean: f64,
        std: f64,
        a: f64,
        b: f64,
    },
    Constant {
        value: f64,
    },
    Zeros,
    Ones,
    Eye,
    Dirac {
        groups: usize,
    },
    XavierUniform {
        gain: f64,
    },
    XavierNormal {
        gain: f64,
    },
    KaimingUniform {
        a: f64,
        mode: Mode,
        nonlinearity: String,
    },
    KaimingNormal {
        a: f64,
        mode: Mode,
        nonlinearity: String,
    },
    Orthogonal {
        gain: f64,
    },
    Sparse {
        sparsity: f64,
        std: f64,
    },
}

/// What a parameter accepts.
#[derive(Clone, Copy)]
enum Kind {
    /// Any finite number.
    Real,
    /// A finite number >= 0.
    NonNegative,
    /// A number in [0, 1].
    Fraction,
    /// An integer >= 1.
    Count,
    /// `fan_in` or `fan_out`.
    Mode,
    /// One of [`NONLINEARITIES`].
    Nonlinearity,
}

struct Param {
    name: &'static str,
    kind: Kind,
    /// `None`: required.
    default: Option<Default>,
}

#[derive(Clone, Copy)]
enum Default {
    Num(f64),
    Ident(&'static str),
}

struct Def {
    name: &'static str,
    params: &'static [Param],
    example: &'static str,
}

const fn p(name: &'static str, kind: Kind, default: f64) -> Param {
    Param {
        name,
        kind,
        default: Some(Default::Num(default)),
    }
}

const fn required(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        kind,
        default: None,
    }
}

const KAIMING: &[Param] = &[
    p("a", Kind::Real, 0.0),
    Param {
        name: "mode",
        kind: Kind::Mode,
        default: Some(Default::Ident("fan_in")),
    },
    Param {
        name: "nonlinearity",
        kind: Kind::Nonlinearity,
        default: Some(Default::Ident("leaky_relu")),
    },
];

const DEFS: &[Def] = &[
    Def {
        name: "uniform",
        params: &[p("low", Kind::Real, 0.0), p("high", Kind::Real, 1.0)],
        example: "uniform(low = -0.1, high = 0.1)",
    },
    Def {
        name: "normal",
        params: &[p("mean", Kind::Real, 0.0), p("std", Kind::NonNegative, 1.0)],
        example: "normal(mean = 0.0, std = 0.01)",
    },
    Def {
        name: "trunc_normal",
        params: &[
            p("mean", Kind::Real, 0.0),
            p("std", Kind::NonNegative, 1.0),
            p("a", Kind::Real, -2.0),
            p("b", Kind::Real, 2.0),
        ],
        example: "trunc_normal(std = 0.02, a = -0.04, b = 0.04)",
    },
    Def {
        name: "constant",
        params: &[required("value", Kind::Real)],
        example: "constant(value = 0.1)",
    },
    Def {
        name: "zeros",
        params: &[],
        example: "zeros",
    },
    Def {
        name: "ones",
        params: &[],
        example: "ones",
    },
    Def {
        name: "eye",
        params: &[],
        example: "eye",
    },
    Def {
        name: "dirac",
        params: &[p("groups", Kind::Count, 1.0)],
        example: "dirac(groups = 2)",
    },
    Def {
        name: "xavier_uniform",
        params: &[p("gain", Kind::NonNegative, 1.0)],
        example: "xavier_uniform(gain = 1.0)",
    },
    Def {
        name: "xavier_normal",
        params: &[p("gain", Kind::NonNegative, 1.0)],
        example: "xavier_normal(gain = 1.0)",
    },
    Def {
        name: "kaiming_uniform",
        params: KAIMING,
        example: "kaiming_uniform(mode = fan_in, nonlinearity = relu)",
    },
    Def {
        name: "kaiming_normal",
        params: KAIMING,
        example: "kaiming_normal(mode = fan_out, nonlinearity = relu)",
    },
    Def {
        name: "orthogonal",
        params: &[p("gain", Kind::NonNegative, 1.0)],
        example: "orthogonal(gain = 1.0)",
    },
    Def {
        name: "sparse",
        params: &[
            required("sparsity", Kind::Fraction),
            p("std", Kind::NonNegative, 0.01),
        ],
        example: "sparse(sparsity = 0.1, std = 0.01)",
    },
];

/// Every initializer name, for suggestions.
fn names() -> Vec<&'static str> {
    DEFS.iter().map(|d| d.name).collect()
}

/// The checked initializers of one field.
#[derive(Default)]
pub struct FieldPlan {
    pub weight: Option<Resolved>,
    pub bias: Option<Resolved>,
}

/// Checks the whole input; returns one plan per field (same order as `input.fields`).
pub fn check(cx: &Ctxt, input: &Input) -> Vec<FieldPlan> {
    for lifetime in input.generics.lifetimes() {
        cx.error_spanned_by(
            &lifetime.lifetime,
            "`InitWeights` models must be `'static` (layers are found by downcasting, which uses `Any`): \
             remove this lifetime parameter and own the layers (or hold an `Arc`)",
        );
    }
    let mut seen: BTreeMap<String, &Ident> = BTreeMap::new();
    input
        .fields
        .iter()
        .map(|field| {
            let attrs = &field.attrs;
            if let Some(skip) = &attrs.skip {
                if !attrs.others.is_empty() {
                    cx.error_spanned_by(
                        skip,
                        "`skip` cannot be combined with other keys: a skipped field is not traversed, so it is not initialized",
                    );
                }
                return FieldPlan::default();
            }
            if let (Some(rename), Some(previous)) = (&attrs.rename, seen.get(&field.name)) {
                cx.error_spanned_by(
                    rename,
                    format!("two fields are both named `{}` (the other is `{previous}`); paths must be unique", field.name),
                );
            }
            if let syn::Member::Named(ident) = &field.member {
                seen.entry(field.name.clone()).or_insert(ident);
            }
            if field.kind == FieldKind::Parameter {
                if let Some(bias) = &attrs.bias {
                    cx.error_spanned_by(
                        &bias.name,
                        "`bias = ...` is for submodules; this field is a bare tensor: write its initializer alone, e.g. `#[init(normal(std = 0.02))]`",
                    );
                }
            }
            FieldPlan {
                weight: attrs.weight.as_ref().and_then(|spec| resolve(cx, spec)),
                bias: attrs.bias.as_ref().and_then(|spec| resolve(cx, spec)),
            }
        })
        .collect()
}

enum Got {
    Num(f64),
    Ident(String),
}

/// Checks one `name(key = value, ...)` against the table.
pub fn resolve(cx: &Ctxt, spec: &InitSpec) -> Option<Resolved> {
    let name = spec.name.to_string();
    let Some(def) = DEFS.iter().find(|d| d.name == name) else {
        let message = if name == "skip" {
            "`skip` must be alone: `#[init(skip)]`".to_owned()
        } else {
            format!(
                "unknown initializer `{name}`{}",
                suggest::hint(&name, &names())
            )
        };
        cx.error_spanned_by(&spec.name, message);
        return None;
    };
    let mut values: BTreeMap<&'static str, Got> = BTreeMap::new();
    let mut ok = true;
    for arg in &spec.args {
        let key = arg.key.to_string();
        let Some(param) = def.params.iter().find(|p| p.name == key) else {
            let message = if def.params.is_empty() {
                format!("`{}` takes no parameters; write `{}`", def.name, def.name)
            } else {
                let allowed: Vec<&str> = def.params.iter().map(|p| p.name).collect();
                format!(
                    "`{}` has no parameter `{key}`{}",
                    def.name,
                    suggest::hint(&key, &allowed)
                )
            };
            cx.error_spanned_by(&arg.key, message);
            ok = false;
            continue;
        };
        if values.contains_key(param.name) {
            cx.error_spanned_by(&arg.key, format!("duplicate parameter `{key}`"));
            ok = false;
            continue;
        }
        match check_value(cx, def, param, &arg.value) {
            Some(got) => {
                values.insert(param.name, got);
            }
            None => {
                // Present but invalid (already reported): not "missing" as well.
                values.insert(param.name, Got::Num(0.0));
                ok = false;
            }
        }
    }
    for param in def.params {
        if values.contains_key(param.name) {
            continue;
        }
        match param.default {
            Some(Default::Num(v)) => {
                values.insert(param.name, Got::Num(v));
            }
            Some(Default::Ident(s)) => {
                values.insert(param.name, Got::Ident(s.to_owned()));
            }
            None => {
                cx.error_spanned_by(
                    &spec.name,
                    format!(
                        "`{}` requires `{}`, e.g. `{}`",
                        def.name, param.name, def.example
                    ),
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    let num = |k: &str| match values.get(k) {
        Some(Got::Num(v)) => *v,
        _ => 0.0,
    };
    let ident = |k: &str| match values.get(k) {
        Some(Got::Ident(s)) => s.clone(),
        _ => String::new(),
    };
    let resolved = match def.name {
        "uniform" => Resolved::Uniform {
            low: num("low"),
            high: num("high"),
        },
        "normal" => Resolved::Normal {
            mean: num("mean"),
            std: num("std"),
        },
        "trunc_normal" => Resolved::TruncNormal {
            mean: num("mean"),
            std: num("std"),
            a: num("a"),
            b: num("b"),
        },
        "constant" => Resolved::Constant {
            value: num("value"),
        },
        "zeros" => Resolved::Zeros,
        "ones" => Resolved::Ones,
        "eye" => Resolved::Eye,
        "dirac" => Resolved::Dirac {
            groups: num("groups") as usize,
        },
        "xavier_uniform" => Resolved::XavierUniform { gain: num("gain") },
        "xavier_normal" => Resolved::XavierNormal { gain: num("gain") },
        "kaiming_uniform" | "kaiming_normal" => {
            let mode = if ident("mode") == "fan_out" {
                Mode::FanOut
            } else {
                Mode::FanIn
            };
            let (a, nonlinearity) = (num("a"), ident("nonlinearity"));
            if def.name == "kaiming_uniform" {
                Resolved::KaimingUniform {
                    a,
                    mode,
                    nonlinearity,
                }
            } else {
                Resolved::KaimingNormal {
                    a,
                    mode,
                    nonlinearity,
                }
            }
        }
        "orthogonal" => Resolved::Orthogonal { gain: num("gain") },
        _ => Resolved::Sparse {
            sparsity: num("sparsity"),
            std: num("std"),
        },
    };
    check_relations(cx, spec, &resolved)?;
    Some(resolved)
}

/// Constraints between parameters (`low <= high`, `a < b`).
fn check_relations(cx: &Ctxt, spec: &InitSpec, resolved: &Resolved) -> Option<()> {
    let point_at = |key: &str| -> TokenStream {
        spec.args
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value.tokens())
            .unwrap_or_else(|| spec.name.to_token_stream())
    };
    match resolved {
        Resolved::Uniform { low, high } if low > high => {
            cx.error_spanned_by(
                point_at("high"),
                format!("`uniform` needs `low <= high`, found low = {low}, high = {high}"),
            );
            None
        }
        Resolved::TruncNormal { a, b, .. } if a >= b => {
            cx.error_spanned_by(
                point_at("b"),
                format!("`trunc_normal` needs `a < b` (the truncation interval), found a = {a}, b = {b}"),
            );
            None
        }
        _ => Some(()),
    }
}

fn check_value(cx: &Ctxt, def: &Def, param: &Param, value: &Value) -> Option<Got> {
    let key = param.name;
    match (param.kind, value) {
        (Kind::Mode, Value::Ident(ident)) => {
            let s = ident.to_string();
            if s == "fan_in" || s == "fan_out" {
                Some(Got::Ident(s))
            } else {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "unknown mode `{s}`{}",
                        suggest::hint(&s, &["fan_in", "fan_out"])
                    ),
                );
                None
            }
        }
        (Kind::Nonlinearity, Value::Ident(ident)) => {
            let s = ident.to_string();
            if NONLINEARITIES.contains(&s.as_str()) {
                Some(Got::Ident(s))
            } else {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "unknown nonlinearity `{s}`{}",
                        suggest::hint(&s, NONLINEARITIES)
                    ),
                );
                None
            }
        }
        (Kind::Mode, other) => {
            cx.error_spanned_by(
                other.tokens(),
                format!(
                    "`mode` expects `fan_in` or `fan_out`, found {}",
                    describe(other)
                ),
            );
            None
        }
        (Kind::Nonlinearity, other) => {
            cx.error_spanned_by(
                other.tokens(),
                format!(
                    "`nonlinearity` expects a name such as `relu` or `leaky_relu` (slope from `a`), found {}",
                    describe(other)
                ),
            );
            None
        }
        (
            kind,
            Value::Number {
                value: v,
                is_int,
                tokens,
            },
        ) => {
            let problem = if !v.is_finite() {
                Some("a finite number".to_owned())
            } else {
                match kind {
                    Kind::NonNegative if *v < 0.0 => Some("a non-negative number".to_owned()),
                    Kind::Fraction if !(0.0..=1.0).contains(v) => {
                        Some("a number between 0 and 1".to_owned())
                    }
                    Kind::Count if !*is_int || *v < 1.0 => {
                        Some("an integer of at least 1".to_owned())
                    }
                    _ => None,
                }
            };
            match problem {
                Some(expected) => {
                    cx.error_spanned_by(
                        tokens,
                        format!("`{key}` of `{}` must be {expected}, found `{v}`", def.name),
                    );
                    None
                }
                None => Some(Got::Num(*v)),
            }
        }
        (kind, other) => {
            let example = match kind {
                Kind::Count => format!("`{key} = 2`"),
                _ => format!("`{key} = 0.5`"),
            };
            cx.error_spanned_by(
                other.tokens(),
                format!(
                    "`{key}` of `{}` expects a number, e.g. {example}; found {}",
                    def.name,
                    describe(other)
                ),
            );
            None
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Number { tokens, .. } => format!("the number `{tokens}`"),
        Value::Ident(ident) => format!("the identifier `{ident}`"),
        Value::Other { what, .. } => what.clone(),
    }
}
