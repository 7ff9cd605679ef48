//! Syntax of the `#[init(...)]` field attribute (meaning is checked in `valid.rs`).
//!
//! ```text
//! #[init(skip)]
//! #[init(INIT)]                          // the field's weights
//! #[init(INIT, bias = INIT)]
//! #[init(weight = INIT, bias = INIT)]
//! #[init(with = EXPR)]                   // the weights' initializer from a function of `&Self`
//! #[init(rename = "features")]           // path segment when it differs from the field name
//! #[init(flatten)]                       // no path segment: the field's layers keep their keys
//! #[init(normal, padding_idx = 0)]       // an Embedding's padding row, zeroed after its init
//! INIT  := ident | ident(key = value, ...) | with(EXPR)
//! value := number | -number | ident | [integer, ...] | string, bool, char (rejected in valid.rs)
//!          | EXPR
//! ```
//!
//! A value that is not a literal is a Rust expression, evaluated at run time (`valid.rs`
//! decides, per parameter, whether a bare identifier is a name such as `fan_out` or a const).

use init_spec::suggest;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, Lit, LitStr, Token, UnOp};

use crate::ctxt::Ctxt;

/// Everything the `#[init]` attributes of one field say, syntax only.
#[derive(Default)]
pub struct FieldAttrs {
    /// The `skip` keyword, when present.
    pub skip: Option<Ident>,
    /// The weight initializer (positional or `weight = ...`).
    pub weight: Option<InitSpec>,
    /// `bias = ...`.
    pub bias: Option<InitSpec>,
    /// `rename = "..."`.
    pub rename: Option<LitStr>,
    /// `padding_idx = EXPR`: the key and the row (an `Embedding`'s padding row, zeroed).
    pub padding_idx: Option<(Ident, Expr)>,
    /// The first token of each item, to point at when `skip` is combined with something.
    pub others: Vec<Span>,
}

/// `name`, `name(key = value, ...)` or `with(function)`.
pub struct InitSpec {
    /// The initializer's name (`with` for a function).
    pub name: Ident,
    pub args: Vec<Arg>,
    /// `with(f)` / `with = f`: the function that returns the initializer.
    pub with: Option<Expr>,
}

/// `key = value` inside an initializer's parentheses.
pub struct Arg {
    pub key: Ident,
    pub value: Value,
}

/// A parameter value, classified by what it looks like.
#[derive(Clone)]
pub enum Value {
    /// A float or integer literal, possibly negated; `text` is how it was written.
    Number {
        value: f64,
        is_int: bool,
        tokens: TokenStream,
    },
    /// A bare identifier such as `fan_out` or `relu`.
    Ident(Ident),
    /// A list of integer literals, possibly negated (`[0, -1]`, `[]`): axes.
    Axes {
        values: Vec<i64>,
        tokens: TokenStream,
    },
    /// A literal no parameter takes: a string, a bool, a char. `what` describes it for the
    /// message.
    Other { tokens: TokenStream, what: String },
    /// Any other expression (a const, `self.cfg.n_layer`, arithmetic, a call): evaluated at
    /// run time.
    Expr(Box<Expr>),
}

impl Value {
    /// The tokens to point at in an error.
    pub fn tokens(&self) -> TokenStream {
        match self {
            Value::Number { tokens, .. }
            | Value::Other { tokens, .. }
            | Value::Axes { tokens, .. } => tokens.clone(),
            Value::Ident(ident) => ident.to_token_stream(),
            Value::Expr(expr) => expr.to_token_stream(),
        }
    }
}

/// Parses every `#[init(...)]` among `attrs`; errors go to `cx`, parsing goes on after them.
pub fn field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("init")) {
        let list = match attr.meta.require_list() {
            Ok(list) => list,
            Err(_) => {
                cx.error_spanned_by(
                    attr.path(),
                    "expected `#[init(...)]`, e.g. `#[init(xavier_normal)]` or `#[init(skip)]`",
                );
                continue;
            }
        };
        if list.tokens.is_empty() {
            cx.error_spanned_by(
                &list.path,
                "empty `#[init()]`; write an initializer such as `#[init(xavier_normal)]`, or `#[init(skip)]`",
            );
            continue;
        }
        let parser = |input: ParseStream| parse_items(cx, input, &mut out);
        if let Err(err) = parser.parse2(list.tokens.clone()) {
            cx.syn_error(err);
        }
    }
    out
}

fn parse_items(cx: &Ctxt, input: ParseStream, out: &mut FieldAttrs) -> syn::Result<()> {
    loop {
        if input.is_empty() {
            return Ok(());
        }
        parse_item(cx, input, out)?;
        if input.is_empty() {
            return Ok(());
        }
        input.parse::<Token![,]>()?;
    }
}

fn parse_item(cx: &Ctxt, input: ParseStream, out: &mut FieldAttrs) -> syn::Result<()> {
    let ident: Ident = input.call(Ident::parse_any)?;
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        let key = ident.to_string();
        match key.as_str() {
            "weight" | "bias" | "with" => {
                let spec = if key == "with" {
                    InitSpec {
                        name: ident.clone(),
                        args: Vec::new(),
                        with: Some(input.parse()?),
                    }
                } else {
                    parse_spec(input)?
                };
                let slot = if key != "bias" {
                    &mut out.weight
                } else {
                    &mut out.bias
                };
                if slot.is_some() {
                    let what = if key == "bias" { "bias" } else { "weight" };
                    cx.error_spanned_by(
                        &ident,
                        format!("duplicate `{what}` initializer for this field"),
                    );
                } else {
                    out.others.push(ident.span());
                    *slot = Some(spec);
                }
            }
            "padding_idx" => {
                let row: Expr = input.parse()?;
                if out.padding_idx.is_some() {
                    cx.error_spanned_by(&ident, "duplicate `padding_idx` for this field");
                } else {
                    out.others.push(ident.span());
                    out.padding_idx = Some((ident, row));
                }
            }
            "rename" => {
                let lit: Lit = input.parse()?;
                match lit {
                    Lit::Str(s) => {
                        if out.rename.is_some() {
                            cx.error_spanned_by(&ident, "duplicate `rename` for this field");
                        } else {
                            out.others.push(ident.span());
                            out.rename = Some(s);
                        }
                    }
                    other => cx.error_spanned_by(
                        other,
                        "`rename` expects a string literal, e.g. `rename = \"features\"`",
                    ),
                }
            }
            _ => {
                // Skip the value so that the rest of the attribute is still checked.
                let _ = input.parse::<Expr>();
                cx.error_spanned_by(
                    &ident,
                    format!(
                        "unknown key `{key}`{}",
                        suggest::hint(&key, &["weight", "bias", "with", "rename", "padding_idx"])
                    ),
                );
            }
        }
        return Ok(());
    }
    if ident == "skip" {
        if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let rest: TokenStream = content.parse()?;
            cx.error_spanned_by(rest, "`skip` takes no arguments");
        }
        if out.skip.is_some() {
            cx.error_spanned_by(&ident, "duplicate `skip`");
        }
        out.skip = Some(ident);
        return Ok(());
    }
    if ident == "flatten" {
        // serde's name: the field adds no path segment, its layers keep their own keys.
        if out.rename.is_some() {
            cx.error_spanned_by(
                &ident,
                "`flatten` names the path segment already given by `rename`; keep one",
            );
        } else {
            out.others.push(ident.span());
            out.rename = Some(LitStr::new("", ident.span()));
        }
        return Ok(());
    }
    let spec = parse_spec_after_name(ident, input)?;
    if let Some(previous) = &out.weight {
        cx.error_spanned_by(
            &spec.name,
            format!(
                "this field already has a weight initializer (`{}`); write `bias = {}` if this one is for the bias",
                previous.name, spec.name
            ),
        );
    } else {
        out.others.push(spec.name.span());
        out.weight = Some(spec);
    }
    Ok(())
}

fn parse_spec(input: ParseStream) -> syn::Result<InitSpec> {
    let name: Ident = input.call(Ident::parse_any)?;
    parse_spec_after_name(name, input)
}

fn parse_spec_after_name(name: Ident, input: ParseStream) -> syn::Result<InitSpec> {
    if name == "with" && input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let with: Expr = content.parse()?;
        if !content.is_empty() {
            return Err(content.error(
                "`with` takes one function, e.g. `with(my_init)` for `fn my_init(&Self) -> init_candle::Result<Init>`",
            ));
        }
        return Ok(InitSpec {
            name,
            args: Vec::new(),
            with: Some(with),
        });
    }
    let mut args = Vec::new();
    if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let items = Punctuated::<RawArg, Token![,]>::parse_terminated(&content)?;
        args = items.into_iter().map(|a| a.0).collect();
    }
    Ok(InitSpec {
        name,
        args,
        with: None,
    })
}

struct RawArg(Arg);

impl syn::parse::Parse for RawArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !(input.peek(Ident::peek_any) && input.peek2(Token![=])) {
            let span = input.span();
            return Err(syn::Error::new(
                span,
                "expected `name = value`, e.g. `std = 0.01` (parameters are named, as in PyTorch's keyword arguments)",
            ));
        }
        let key: Ident = input.call(Ident::parse_any)?;
        input.parse::<Token![=]>()?;
        let expr: Expr = input.parse()?;
        Ok(RawArg(Arg {
            key,
            value: classify(&expr),
        }))
    }
}

fn classify(expr: &Expr) -> Value {
    let tokens = expr.to_token_stream();
    match expr {
        Expr::Lit(lit) => classify_lit(&lit.lit, false, tokens),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => match &*unary.expr {
            Expr::Lit(lit) if matches!(lit.lit, Lit::Float(_) | Lit::Int(_)) => {
                classify_lit(&lit.lit, true, tokens)
            }
            _ => Value::Expr(Box::new(expr.clone())),
        },
        Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
            match path.path.get_ident() {
                Some(ident) => Value::Ident(ident.clone()),
                None => Value::Expr(Box::new(expr.clone())),
            }
        }
        Expr::Array(array) => {
            let values: Option<Vec<i64>> = array.elems.iter().map(integer).collect();
            match values {
                Some(values) => Value::Axes { values, tokens },
                None => Value::Other {
                    tokens,
                    what: "a list of something other than integer literals".into(),
                },
            }
        }
        Expr::Paren(inner) if matches!(&*inner.expr, Expr::Lit(_)) => classify(&inner.expr),
        Expr::Group(inner) => classify(&inner.expr),
        other => Value::Expr(Box::new(other.clone())),
    }
}

/// An integer literal, possibly negated, that fits an i64.
fn integer(expr: &Expr) -> Option<i64> {
    let (lit, negative) = match expr {
        Expr::Lit(lit) => (&lit.lit, false),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => match &*unary.expr {
            Expr::Lit(lit) => (&lit.lit, true),
            _ => return None,
        },
        _ => return None,
    };
    let Lit::Int(int) = lit else { return None };
    let n = int.base10_parse::<i64>().ok()?;
    Some(if negative { -n } else { n })
}

fn classify_lit(lit: &Lit, negative: bool, tokens: TokenStream) -> Value {
    let sign = if negative { -1.0 } else { 1.0 };
    match lit {
        Lit::Float(f) => match f.base10_parse::<f64>() {
            Ok(v) => Value::Number {
                value: sign * v,
                is_int: false,
                tokens,
            },
            Err(_) => Value::Other {
                tokens,
                what: "a float literal that does not fit an f64".into(),
            },
        },
        Lit::Int(i) => match i.base10_parse::<u64>() {
            // Integers above 2^53 lose precision as f64; the validation of each parameter
            // decides whether that matters (it never does for init parameters).
            Ok(v) => Value::Number {
                value: sign * v as f64,
                is_int: true,
                tokens,
            },
            Err(_) => Value::Other {
                tokens,
                what: "an integer literal that does not fit a u64".into(),
            },
        },
        Lit::Str(_) => Value::Other {
            tokens,
            what: "a string literal".into(),
        },
        Lit::Bool(_) => Value::Other {
            tokens,
            what: "a bool".into(),
        },
        Lit::Char(_) => Value::Other {
            tokens,
            what: "a char literal".into(),
        },
        _ => Value::Other {
            tokens,
            what: "a literal of another kind".into(),
        },
    }
}

/// The span of an attribute's `init` path, for errors about misplaced attributes.
pub fn init_attr_path_span(attr: &Attribute) -> Span {
    attr.path().span()
}
