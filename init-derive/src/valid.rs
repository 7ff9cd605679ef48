//! The meaning of `#[init(...)]`: the initializers, their parameters, value kinds, domains and
//! defaults all come from `init_spec`'s table, which produces the checked [`Args`] that
//! `expand.rs` turns into tokens; every problem goes to the `Ctxt`.
//!
//! A value that is a Rust expression (a const, `self.cfg.std`, arithmetic) is checked as far as
//! syntax allows (its key exists, its parameter takes a number) and planned as [`Planned::Runtime`]:
//! the generated code builds the initializer with `Init::from_args`, which checks the value
//! against the same table when the model's plan is made, before anything is written.

use std::collections::BTreeMap;

use init_spec::{Arg, Args, At};
use quote::ToTokens;
use syn::{Expr, Ident};

use crate::ast::{FieldKind, Input};
use crate::attr::{InitSpec, Value};
use crate::ctxt::Ctxt;

/// The checked initializers of one field.
#[derive(Default)]
pub struct FieldPlan {
    pub weight: Option<Planned>,
    pub bias: Option<Planned>,
    /// `padding_idx = EXPR` on an `Embedding` field.
    pub padding_idx: Option<syn::Expr>,
}

/// One checked initializer.
pub enum Planned {
    /// Every value a literal: checked in full, expanded to a constant `Init`.
    Const(Args),
    /// Some values are expressions: built at run time with `Init::from_args`.
    Runtime {
        name: String,
        args: Vec<(String, RuntimeArg)>,
    },
    /// `with(f)`: `f(&self)` returns the initializer.
    With(Expr),
}

/// A value of a [`Planned::Runtime`] initializer.
pub enum RuntimeArg {
    Float(f64),
    Int(i64),
    Name(String),
    Axes(Vec<i64>),
    Expr(Expr),
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
            // Flattened fields (`rename = ""`) share the empty segment; their keys differ.
            let named = !field.name.is_empty();
            if let (true, Some(rename), Some(previous)) =
                (named, &attrs.rename, seen.get(&field.name))
            {
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
            if let (Some(bias), Some(layer)) = (&attrs.bias, never_has_bias(field.ty)) {
                cx.error_spanned_by(
                    &bias.name,
                    format!("`{layer}` has no bias, so `bias = ...` would reach nothing; remove it"),
                );
            }
            // Initializers that need 2+ dimensions (fans, a matrix) cannot write a 1-D tensor:
            // every bias, and the weight of a norm layer.
            let one_d = [
                (attrs.bias.as_ref(), Some("a bias")),
                (attrs.weight.as_ref(), one_d_weight(field.ty)),
            ];
            for (spec, what) in one_d {
                let (Some(spec), Some(what)) = (spec, what) else {
                    continue;
                };
                let Some(def) = init_spec::InitKind::from_name(&spec.name.to_string()).map(|k| k.def())
                else {
                    continue;
                };
                if spec.with.is_none() && !def.takes_rank(1) {
                    cx.error_spanned_by(
                        &spec.name,
                        format!(
                            "`{}` needs a tensor of {} or more dimensions ({}), and {what} is 1-D; use `ones`, `zeros`, `constant(value = ..)`, `normal(..)` or `uniform(..)`",
                            def.name,
                            def.ranks.0,
                            match def.ranks.0 {
                                _ if def.name.starts_with("xavier") || def.name.starts_with("kaiming") => "it computes PyTorch's fans",
                                2 => "a matrix",
                                _ => "a convolution kernel",
                            }
                        ),
                    );
                }
            }
            if let Some((key, _)) = &attrs.padding_idx {
                if never_has_bias(field.ty).is_none() || field.kind != FieldKind::Module {
                    cx.error_spanned_by(
                        key,
                        "`padding_idx` is for `Embedding` fields (the row of the padding token, zeroed as `nn.Embedding(padding_idx=..)` zeroes it); for other tensors use a builder row rule, `Rule::new(pattern, Init::Zeros).rows([..])`",
                    );
                }
            }
            FieldPlan {
                weight: attrs.weight.as_ref().and_then(|spec| resolve(cx, spec)),
                bias: attrs.bias.as_ref().and_then(|spec| resolve(cx, spec)),
                padding_idx: attrs.padding_idx.as_ref().map(|(_, row)| row.clone()),
            }
        })
        .collect()
}

/// Layers (by the last segment of the field's type) that are never built with a bias.
fn never_has_bias(ty: &syn::Type) -> Option<&'static str> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    ["Embedding"]
        .into_iter()
        .find(|layer| last.ident == layer && last.arguments.is_none())
}

/// Layers whose `weight` is 1-D (by the last segment of the field's type): what their weight
/// is called in messages.
fn one_d_weight(ty: &syn::Type) -> Option<&'static str> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    [
        ("LayerNorm", "a `LayerNorm`'s weight"),
        ("RmsNorm", "an `RmsNorm`'s weight"),
        ("BatchNorm", "a `BatchNorm`'s weight"),
        ("BatchNorm1d", "a `BatchNorm1d`'s weight"),
        ("BatchNorm2d", "a `BatchNorm2d`'s weight"),
        ("BatchNorm3d", "a `BatchNorm3d`'s weight"),
        ("GroupNorm", "a `GroupNorm`'s weight"),
        ("PReLU", "a `PReLU`'s weight"),
    ]
    .into_iter()
    .find(|(layer, _)| last.ident == layer && last.arguments.is_none())
    .map(|(_, what)| what)
}

/// Checks one `name(key = value, ...)` against the table; every problem goes to `cx`, at the
/// smallest token it is about.
pub fn resolve(cx: &Ctxt, spec: &InitSpec) -> Option<Planned> {
    if let Some(with) = &spec.with {
        return Some(Planned::With(with.clone()));
    }
    let name = spec.name.to_string();
    if name == "skip" {
        cx.error_spanned_by(&spec.name, "`skip` must be alone: `#[init(skip)]`");
        return None;
    }
    let def = init_spec::InitKind::from_name(&name).map(|kind| kind.def());
    let keys: Vec<String> = spec.args.iter().map(|a| a.key.to_string()).collect();
    // A bare identifier is a name (`fan_out`, `relu`) where the parameter takes names, and a
    // const (an expression) where it takes a number.
    let takes_name = |key: &str| {
        def.and_then(|def| def.params.iter().find(|p| p.name == key))
            .is_none_or(|p| p.kind.takes_name())
    };
    let values: Vec<Value> = spec
        .args
        .iter()
        .zip(&keys)
        .map(|(a, key)| match &a.value {
            Value::Ident(ident) if !takes_name(key) => {
                Value::Expr(Box::new(syn::parse_quote!(#ident)))
            }
            other => other.clone(),
        })
        .collect();
    let names: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Ident(ident) => ident.to_string(),
            _ => String::new(),
        })
        .collect();
    let args: Vec<(&str, Arg<'_>)> = values
        .iter()
        .zip(keys.iter().zip(&names))
        .map(|(value, (key, name))| (key.as_str(), to_arg(value, name)))
        .collect();
    match init_spec::resolve(&name, &args) {
        Ok(checked) if checked.has_deferred() => Some(Planned::Runtime {
            name,
            args: keys
                .into_iter()
                .zip(values)
                .map(|(key, value)| (key, runtime_arg(value)))
                .collect(),
        }),
        Ok(args) => Some(Planned::Const(args)),
        Err(errors) => {
            for error in errors.errors() {
                let tokens = match error.at {
                    At::Name => None,
                    At::Key(i) => spec.args.get(i).map(|a| a.key.to_token_stream()),
                    At::Value(i) => spec.args.get(i).map(|a| a.value.tokens()),
                };
                let tokens = tokens.unwrap_or_else(|| spec.name.to_token_stream());
                cx.error_spanned_by(tokens, &error.message);
            }
            None
        }
    }
}

/// The table's view of a value as written; `name` is the identifier's text when it is one.
fn to_arg<'a>(value: &'a Value, name: &'a str) -> Arg<'a> {
    match value {
        // Integer literals are parsed as u64 and carry their sign; every one that fits an
        // i64 is passed as an integer (the table decides where integers are allowed).
        Value::Number {
            value,
            is_int: true,
            ..
        } if value.abs() < i64::MAX as f64 => Arg::Int(*value as i64),
        Value::Number { value, .. } => Arg::Float(*value),
        Value::Ident(_) => Arg::Name(name),
        Value::Axes { values, .. } => match init_spec::Axes::new(values) {
            Some(axes) => Arg::Axes(axes),
            None => Arg::Other("a list of more than 7 axes, or an axis outside -128..=127"),
        },
        Value::Other { what, .. } => Arg::Other(what),
        Value::Expr(_) => Arg::Deferred,
    }
}

/// A value of an initializer built at run time (the table accepted it: no `Other`).
fn runtime_arg(value: Value) -> RuntimeArg {
    match value {
        Value::Number {
            value,
            is_int: true,
            ..
        } if value.abs() < i64::MAX as f64 => RuntimeArg::Int(value as i64),
        Value::Number { value, .. } => RuntimeArg::Float(value),
        Value::Ident(ident) => RuntimeArg::Name(ident.to_string()),
        Value::Axes { values, .. } => RuntimeArg::Axes(values),
        Value::Expr(expr) => RuntimeArg::Expr(*expr),
        Value::Other { tokens, .. } => RuntimeArg::Expr(syn::parse_quote!(#tokens)),
    }
}
