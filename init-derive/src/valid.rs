//! The meaning of `#[init(...)]`: the initializers, their parameters, value kinds, domains and
//! defaults all come from `init_spec`'s table, which produces the checked [`Args`] that
//! `expand.rs` turns into tokens; every problem goes to the `Ctxt`.

use std::collections::BTreeMap;

use init_spec::{Arg, Args, At};
use quote::ToTokens;
use syn::Ident;

use crate::ast::{FieldKind, Input};
use crate::attr::{InitSpec, Value};
use crate::ctxt::Ctxt;

/// The checked initializers of one field.
#[derive(Default)]
pub struct FieldPlan {
    pub weight: Option<Args>,
    pub bias: Option<Args>,
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

/// Checks one `name(key = value, ...)` against the table; every problem goes to `cx`, at the
/// smallest token it is about.
pub fn resolve(cx: &Ctxt, spec: &InitSpec) -> Option<Args> {
    let name = spec.name.to_string();
    if name == "skip" {
        cx.error_spanned_by(&spec.name, "`skip` must be alone: `#[init(skip)]`");
        return None;
    }
    let keys: Vec<String> = spec.args.iter().map(|a| a.key.to_string()).collect();
    let names: Vec<String> = spec
        .args
        .iter()
        .map(|a| match &a.value {
            Value::Ident(ident) => ident.to_string(),
            _ => String::new(),
        })
        .collect();
    let args: Vec<(&str, Arg<'_>)> = spec
        .args
        .iter()
        .zip(keys.iter().zip(&names))
        .map(|(arg, (key, name))| (key.as_str(), to_arg(&arg.value, name)))
        .collect();
    match init_spec::resolve(&name, &args) {
        Ok(args) => Some(args),
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
        Value::Other { what, .. } => Arg::Other(what),
    }
}
