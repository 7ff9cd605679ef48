//! Expansion snapshots: the expander is run on `parse_quote!` input, pretty-printed and compared
//! with a checked-in file under `tests/snapshots/` (macrotest would need nightly).
//! Run with `UPDATE_SNAPSHOTS=1` to rewrite the files, then review the diff like code.

use std::path::PathBuf;

use syn::{parse_quote, DeriveInput};

fn snapshot(name: &str, input: DeriveInput) {
    let tokens = crate::expand::derive(&input);
    let file: syn::File = match syn::parse2(tokens.clone()) {
        Ok(file) => file,
        Err(err) => panic!("expansion of `{name}` is not valid Rust: {err}\n{tokens}"),
    };
    let pretty = prettyplease::unparse(&file);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.expanded.rs"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &pretty).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "missing snapshot {} ({e}); run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert_eq!(
        pretty, expected,
        "expansion of `{name}` changed; review and run with UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn named_struct_with_attributes() {
    snapshot(
        "named",
        parse_quote! {
            struct Net {
                #[init(xavier_normal, bias = zeros)]
                conv1: Conv2d,
                #[init(kaiming_normal(mode = fan_out, nonlinearity = relu), bias = constant(value = 0.1))]
                conv2: Conv2d,
                #[init(normal(std = 0.01))]
                fc: Linear,
                bn: BatchNorm,
                #[init(rename = "features")]
                layers: Vec<Linear>,
                #[init(trunc_normal(std = 0.02, a = -0.04, b = 0.04))]
                pos_embedding: Tensor,
                #[init(skip)]
                dropout: f32,
            }
        },
    );
}

/// Values computed at run time: a const, a config field through `self`, arithmetic, a
/// `with` function; literals next to them stay literals.
#[test]
fn runtime_values() {
    snapshot(
        "runtime",
        parse_quote! {
            struct Block {
                #[init(normal(std = STD), bias = constant(value = consts::BIAS))]
                c_fc: Linear,
                #[init(normal(mean = 0.0, std = 0.02 / (2.0 * self.cfg.n_layer as f64).sqrt()), bias = zeros)]
                c_proj: Linear,
                #[init(kaiming_uniform(a = self.slope, mode = fan_out, nonlinearity = leaky_relu))]
                conv: Conv2d,
                #[init(with = Block::head_init, bias = with(zero_bias))]
                head: Linear,
                #[init(trunc_normal(std = self.cfg.std, a = -2.0 * self.cfg.std, b = 2.0 * self.cfg.std))]
                pos: Tensor,
                #[init(variance_scaling(scale = self.cfg.scale, mode = fan_avg, distribution = truncated_normal, in_axis = -2, out_axis = -1, batch_axis = [0]))]
                kernels: Tensor,
                #[init(skip)]
                cfg: Config,
            }
        },
    );
}

/// One field per row of init-spec's table, initialized by the row's example: what each
/// initializer expands to.
#[test]
fn every_initializer_of_the_table() {
    let fields = init_spec::INITS.iter().map(|def| {
        let field = syn::Ident::new(def.name, proc_macro2::Span::call_site());
        let example: proc_macro2::TokenStream = match def.example.parse() {
            Ok(tokens) => tokens,
            Err(err) => panic!("example of `{}` is not tokens: {err}", def.name),
        };
        quote::quote! {
            #[init(#example)]
            #field: Tensor
        }
    });
    snapshot(
        "every_initializer",
        parse_quote! {
            struct Every {
                #(#fields),*
            }
        },
    );
}

#[test]
fn tuple_generic_struct() {
    snapshot(
        "tuple_generic",
        parse_quote! {
            struct Pair<A, B: Clone, C>(A, Option<Box<B>>, #[init(skip)] C)
            where
                C: Default;
        },
    );
}

#[test]
fn unit_struct() {
    snapshot("unit", parse_quote! { struct Identity; });
}

#[test]
fn errors_expand_to_compile_errors_and_fallback() {
    snapshot(
        "errors",
        parse_quote! {
            struct Bad<'a, T> {
                #[init(xavier_norml)]
                a: Linear,
                #[init(normal(stdev = 1.0), bais = zeros)]
                b: Linear,
                c: &'a T,
            }
        },
    );
}

#[test]
fn enum_is_rejected_with_fallback() {
    snapshot("enum", parse_quote! { enum Layer { A(Linear), B(Conv2d) } });
}

#[test]
fn generic_bounds_only_for_mentioned_params() {
    let params = ["A", "B"]
        .iter()
        .map(|s| syn::Ident::new(s, proc_macro2::Span::call_site()))
        .collect();
    let ty: syn::Type = parse_quote!(Vec<Option<A>>);
    let found = crate::generics::mentions_of(&ty, &params);
    assert_eq!(found.len(), 1);
    assert!(found.iter().any(|i| i == "A"));
}
