//! Generates the `InitWeights` impl.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::DeriveInput;

use crate::ast::{FieldKind, Input};
use crate::ctxt::Ctxt;
use crate::valid::{self, Mode, Resolved};
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
                if declared.weight.is_some() || declared.bias.is_some() {
                    let weight = option_init(declared.weight.as_ref());
                    let bias = option_init(declared.bias.as_ref());
                    field_inits.push(quote! {
                        (#name, ::init_candle::__private::FieldInit { weight: #weight, bias: #bias })
                    });
                }
            }
            FieldKind::Parameter => {
                // A bare tensor's `#[init]` is its default; without one its values are kept.
                let init = option_init(declared.weight.as_ref());
                parameters.push(quote_spanned! {span=>
                    __visit(::init_candle::__private::tensor_field(&self.#member, #name, #init));
                });
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
            fn declared_inits(&self) -> ::init_candle::__private::Vec<(&'static str, ::init_candle::__private::FieldInit)> {
                ::init_candle::__private::vec![#(#field_inits),*]
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

fn option_init(init: Option<&Resolved>) -> TokenStream {
    match init {
        Some(init) => {
            let tokens = init_tokens(init);
            quote!(::core::option::Option::Some(#tokens))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn f(v: f64) -> Literal {
    Literal::f64_suffixed(v)
}

/// `::init_candle::__private::Init::...` for a checked initializer.
pub fn init_tokens(init: &Resolved) -> TokenStream {
    let path = quote!(::init_candle::__private::Init);
    match init {
        Resolved::Uniform { low, high } => {
            let (low, high) = (f(*low), f(*high));
            quote!(#path::Uniform { low: #low, high: #high })
        }
        Resolved::Normal { mean, std } => {
            let (mean, std) = (f(*mean), f(*std));
            quote!(#path::Normal { mean: #mean, std: #std })
        }
        Resolved::TruncNormal { mean, std, a, b } => {
            let (mean, std, a, b) = (f(*mean), f(*std), f(*a), f(*b));
            quote!(#path::TruncNormal { mean: #mean, std: #std, a: #a, b: #b })
        }
        Resolved::Constant { value } => {
            let value = f(*value);
            quote!(#path::Constant { value: #value })
        }
        Resolved::Zeros => quote!(#path::Zeros),
        Resolved::Ones => quote!(#path::Ones),
        Resolved::Eye => quote!(#path::Eye),
        Resolved::Dirac { groups } => {
            let groups = Literal::usize_suffixed(*groups);
            quote!(#path::Dirac { groups: #groups })
        }
        Resolved::XavierUniform { gain } => {
            let gain = f(*gain);
            quote!(#path::XavierUniform { gain: #gain })
        }
        Resolved::XavierNormal { gain } => {
            let gain = f(*gain);
            quote!(#path::XavierNormal { gain: #gain })
        }
        Resolved::KaimingUniform {
            a,
            mode,
            nonlinearity,
        } => {
            let fields = kaiming_fields(*a, *mode, nonlinearity);
            quote!(#path::KaimingUniform { #fields })
        }
        Resolved::KaimingNormal {
            a,
            mode,
            nonlinearity,
        } => {
            let fields = kaiming_fields(*a, *mode, nonlinearity);
            quote!(#path::KaimingNormal { #fields })
        }
        Resolved::Orthogonal { gain } => {
            let gain = f(*gain);
            quote!(#path::Orthogonal { gain: #gain })
        }
        Resolved::Sparse { sparsity, std } => {
            let (sparsity, std) = (f(*sparsity), f(*std));
            quote!(#path::Sparse { sparsity: #sparsity, std: #std })
        }
    }
}

fn kaiming_fields(a: f64, mode: Mode, nonlinearity: &str) -> TokenStream {
    let mode = match mode {
        Mode::FanIn => quote!(::init_candle::__private::FanMode::FanIn),
        Mode::FanOut => quote!(::init_candle::__private::FanMode::FanOut),
    };
    let nl = quote!(::init_candle::__private::Nonlinearity);
    let nonlinearity = match nonlinearity {
        "linear" => quote!(#nl::Linear),
        "conv1d" => quote!(#nl::Conv1d),
        "conv2d" => quote!(#nl::Conv2d),
        "conv3d" => quote!(#nl::Conv3d),
        "conv_transpose1d" => quote!(#nl::ConvTranspose1d),
        "conv_transpose2d" => quote!(#nl::ConvTranspose2d),
        "conv_transpose3d" => quote!(#nl::ConvTranspose3d),
        "sigmoid" => quote!(#nl::Sigmoid),
        "tanh" => quote!(#nl::Tanh),
        "relu" => quote!(#nl::Relu),
        "selu" => quote!(#nl::Selu),
        // `leaky_relu` (the default): PyTorch takes the slope from `a`.
        _ => {
            let slope = f(a);
            quote!(#nl::LeakyRelu { negative_slope: #slope })
        }
    };
    let a = f(a);
    quote!(a: #a, mode: #mode, nonlinearity: #nonlinearity)
}
