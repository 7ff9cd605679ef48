//! The placeholder impl emitted next to the errors, so that one mistake in the attributes does
//! not also produce "`Net: InitWeights` is not satisfied" at every call site.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::generics;

pub fn expand(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let name = ident.to_string();
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let bounds = generics::static_bounds(&input.generics);
    let where_clause = generics::where_clause(&input.generics, &bounds);
    quote! {
        #[automatically_derived]
        impl #impl_generics ::init_candle::__private::InitWeights for #ident #ty_generics #where_clause {
            fn class_name(&self) -> &'static str {
                #name
            }
        }
    }
}
