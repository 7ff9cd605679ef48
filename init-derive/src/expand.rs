//! Generates the `InitWeights` impl.

use init_spec::Args;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::DeriveInput;

use crate::ast::{FieldKind, Input};
use crate::ctxt::Ctxt;
use crate::valid::{self, Planned, RuntimeArg};
use crate::{fallback, generics};

/// The derive's entry point: the impl, or every error plus the fallback impl.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let parsed = Input::from_syn(&cx, input);
    let plans = parsed.as_ref().map(|p| valid::check(&cx, p));
    match (cx.check(), parsed, plans) {
        (Ok(()), Some(parsed), Some(plans)) => impl_struct(&parsed, &plans),
        (result, _, _) => {
            let errors = result.err().map(|e| e.to_compile_error());
            let fallback = fallback::expand(input);
            quote! {
                #errors
                #fallback
            }
        }
    }
}

fn impl_struct(input: &Input, declarations: &[valid::FieldPlan]) -> TokenStream {
    let ident = input.ident;
    let class_name = ident.to_string();
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let bounds = generics::inferred_bounds(input);
    let where_clause = generics::where_clause(input.generics, &bounds);

    let mut children = Vec::new();
    let mut parameters = Vec::new();
    let mut field_inits = Vec::new();
    for (field, declared) in input.fields.iter().zip(declarations) {
        let member = &field.member;
        let name = &field.name;
        // Spanned at the field's type: "`usize: InitWeights` is not satisfied" lands on the field.
        let span = field.ty.span();
        match field.kind {
            FieldKind::Skip => {}
            FieldKind::Module => {
                children.push(quote_spanned! {span=>
                    ::init_candle::__private::visit_field(&self.#member, #name, __visit);
                });
                if declared.weight.is_some()
                    || declared.bias.is_some()
                    || declared.padding_idx.is_some()
                {
                    let weight = declared_init(member, name, "weight", declared.weight.as_ref());
                    let bias = declared_init(member, name, "bias", declared.bias.as_ref());
                    let padding_idx = match &declared.padding_idx {
                        None => quote!(::core::option::Option::None),
                        Some(row) => {
                            let span = row.span();
                            quote_spanned! {span=>
                                ::core::option::Option::Some(::init_candle::__private::padding_idx(#name, #row)?)
                            }
                        }
                    };
                    field_inits.push(quote! {
                        (#name, ::init_candle::__private::FieldInit { weight: #weight, bias: #bias, padding_idx: #padding_idx })
                    });
                }
            }
            FieldKind::Parameter => {
                // A bare tensor's `#[init]` is its default; without one its values are kept.
                let call = match &declared.weight {
                    None => quote_spanned! {span=>
                        ::init_candle::__private::tensor_field(&self.#member, #name, ::core::option::Option::None)
                    },
                    Some(Planned::Const(init)) => {
                        let init = init_tokens(init);
                        quote_spanned! {span=>
                            ::init_candle::__private::tensor_field(&self.#member, #name, ::core::option::Option::Some(#init))
                        }
                    }
                    Some(planned) => {
                        let init = runtime_tokens(planned);
                        quote_spanned! {span=>
                            ::init_candle::__private::tensor_field_computed(&self.#member, #name, #init)
                        }
                    }
                };
                parameters.push(quote! { __visit(#call); });
            }
        }
    }

    let visit_children = (!children.is_empty()).then(|| {
        quote! {
            fn visit_children<'__m>(
                &'__m self,
                __visit: &mut dyn ::core::ops::FnMut(&str, &'__m dyn ::init_candle::__private::InitWeights),
            ) {
                #(#children)*
            }
        }
    });
    let visit_parameters = (!parameters.is_empty()).then(|| {
        quote! {
            fn visit_parameters<'__m>(
                &'__m self,
                __visit: &mut dyn ::core::ops::FnMut(::init_candle::__private::Parameter<'__m>),
            ) {
                #(#parameters)*
            }
        }
    });
    let declared_inits = (!field_inits.is_empty()).then(|| {
        quote! {
            fn declared_inits(&self) -> ::init_candle::__private::Result<::init_candle::__private::Vec<(&'static str, ::init_candle::__private::FieldInit)>> {
                ::core::result::Result::Ok(::init_candle::__private::vec![#(#field_inits),*])
            }
        }
    });

    quote! {
        #[automatically_derived]
        impl #impl_generics ::init_candle::__private::InitWeights for #ident #ty_generics #where_clause {
            fn class_name(&self) -> &'static str {
                #class_name
            }
            #visit_children
            #visit_parameters
            #declared_inits
        }
    }
}

/// A field's declared `weight` or `bias` initializer as an `Option<Declared>` expression inside
/// `declared_inits` (which returns early, `?`, when a value computed at run time is refused).
/// A `with` function is of the struct (one initializer) or of the struct and each tensor.
fn declared_init(
    member: &syn::Member,
    field: &str,
    role: &str,
    init: Option<&Planned>,
) -> TokenStream {
    let declared = quote!(::init_candle::__private::Declared);
    match init {
        None => quote!(::core::option::Option::None),
        Some(Planned::Const(init)) => {
            let tokens = init_tokens(init);
            quote!(::core::option::Option::Some(#declared::Init(#tokens)))
        }
        Some(Planned::With(func)) => {
            let span = func.span();
            quote_spanned! {span=>
                ::core::option::Option::Some(::init_candle::__private::with_declared(
                    self,
                    #field,
                    #role,
                    ::init_candle::__private::InitWeights::as_field(&self.#member),
                    #func,
                )?)
            }
        }
        Some(planned) => {
            let tokens = runtime_tokens(planned);
            quote!(::core::option::Option::Some(#declared::Init(
                ::init_candle::__private::declared(#field, #role, #tokens)?
            )))
        }
    }
}

/// An initializer computed at run time, as an expression of type
/// `Result<Init, init_candle::Error>`: `Init::from_args` on the values (the table's checks), or
/// the user's `with` function called on `self`.
fn runtime_tokens(planned: &Planned) -> TokenStream {
    match planned {
        Planned::Const(init) => {
            let init = init_tokens(init);
            quote!(::core::result::Result::Ok(#init))
        }
        Planned::With(func) => {
            let span = func.span();
            quote_spanned! {span=>
                ::init_candle::__private::with_output((#func)(self))
            }
        }
        Planned::Runtime { name, args } => {
            let arg = quote!(::init_candle::__private::Arg);
            let args = args.iter().map(|(key, value)| {
                let value = match value {
                    RuntimeArg::Float(v) => {
                        let v = f(*v);
                        quote!(#arg::Float(#v))
                    }
                    RuntimeArg::Int(n) => {
                        let n = Literal::i64_suffixed(*n);
                        quote!(#arg::Int(#n))
                    }
                    RuntimeArg::Name(name) => quote!(#arg::Name(#name)),
                    RuntimeArg::Axes(list) => {
                        let list = list.iter().map(|a| Literal::i64_suffixed(*a));
                        quote!(::init_candle::__private::axes(&[#(#list),*]))
                    }
                    RuntimeArg::Expr(expr) => {
                        // Spanned at the expression: a value of the wrong type is reported there.
                        let span = expr.span();
                        quote_spanned!(span=> ::init_candle::__private::arg(#expr))
                    }
                };
                quote!((#key, #value))
            });
            quote! {
                ::init_candle::__private::Init::from_args(#name, &[#(#args),*])
                    .map_err(::init_candle::__private::Error::from)
            }
        }
    }
}

fn f(v: f64) -> Literal {
    Literal::f64_suffixed(v)
}

/// The variant of `init_core`'s enums for a table name (`kaiming_normal` -> `KaimingNormal`).
fn variant(name: &str) -> Ident {
    Ident::new(&init_spec::variant_name(name), Span::call_site())
}

/// `::init_candle::__private::Init::...` for a checked initializer: the variant named after
/// the table's row, with one field per parameter of the row (the table's parameter names are
/// `Init`'s field names).
pub fn init_tokens(init: &Args) -> TokenStream {
    // A named instance (`lecun_normal`) is its general row's variant.
    let Some(init) = init.canonical() else {
        return quote!(::core::compile_error!(
            "internal: an initializer of the table is an instance of no row"
        ));
    };
    let init = &init;
    let path = quote!(::init_candle::__private::Init);
    let name = variant(init.def().name);
    if init.def().params.is_empty() {
        return quote!(#path::#name);
    }
    let fields = init.iter().map(|(param, value)| {
        let field = Ident::new(param.name, Span::call_site());
        let value = value_tokens(value);
        quote!(#field: #value)
    });
    quote!(#path::#name { #(#fields),* })
}

/// A checked parameter value as an expression.
fn value_tokens(value: &init_spec::Value) -> TokenStream {
    match *value {
        init_spec::Value::Float(v) => f(v).into_token_stream(),
        init_spec::Value::Count(n) => Literal::usize_suffixed(n).into_token_stream(),
        init_spec::Value::FanMode(mode) => {
            let mode = variant(mode.name());
            quote!(::init_candle::__private::FanMode::#mode)
        }
        init_spec::Value::VarianceMode(mode) => {
            let mode = variant(mode.name());
            quote!(::init_candle::__private::VarianceMode::#mode)
        }
        init_spec::Value::Distribution(distribution) => {
            let distribution = variant(distribution.name());
            quote!(::init_candle::__private::Distribution::#distribution)
        }
        init_spec::Value::Axis(axis) => Literal::i64_suffixed(axis).into_token_stream(),
        init_spec::Value::Axes(axes) => {
            let list = axes.as_slice().iter().map(|a| Literal::i8_suffixed(*a));
            quote!(::init_candle::__private::Axes::from_array([#(#list),*]))
        }
        // `Planned::Const` holds no deferred value (those are `Planned::Runtime`).
        init_spec::Value::Deferred => {
            quote!(::core::compile_error!(
                "internal: a value known only at run time in a constant initializer"
            ))
        }
        init_spec::Value::Nonlinearity { kind, param } => {
            let nl = variant(kind.name());
            match (kind.def().param, param) {
                (Some(own), Some(v)) => {
                    let field = Ident::new(own.name, Span::call_site());
                    let v = f(v);
                    quote!(::init_candle::__private::Nonlinearity::#nl { #field: #v })
                }
                _ => quote!(::init_candle::__private::Nonlinearity::#nl),
            }
        }
    }
}
