//! Inferred bounds for generic structs (as thiserror's `generics.rs` does): a type parameter
//! that appears in a traversed field's type must itself be a module, and every type parameter
//! must be `'static` because `InitWeights` extends `Any` (downcasting).

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit::{self, Visit};
use syn::{Generics, Ident, TypePath};

use crate::ast::{FieldKind, Input};

struct Mentions<'a> {
    params: &'a BTreeSet<Ident>,
    found: BTreeSet<Ident>,
}

impl<'ast> Visit<'ast> for Mentions<'_> {
    fn visit_type_path(&mut self, ty: &'ast TypePath) {
        if ty.qself.is_none() {
            if let Some(first) = ty.path.segments.first() {
                if self.params.contains(&first.ident) {
                    self.found.insert(first.ident.clone());
                }
            }
        }
        visit::visit_type_path(self, ty);
    }
}

/// The where-clause predicates the impl needs (beyond those the user wrote).
pub fn inferred_bounds(input: &Input) -> Vec<TokenStream> {
    let params: BTreeSet<Ident> = input
        .generics
        .type_params()
        .map(|p| p.ident.clone())
        .collect();
    let mut mentions = Mentions {
        params: &params,
        found: BTreeSet::new(),
    };
    for field in input.fields.iter().filter(|f| f.kind == FieldKind::Module) {
        mentions.visit_type(field.ty);
    }
    let mut bounds = Vec::new();
    for param in input.generics.type_params() {
        let ident = &param.ident;
        if mentions.found.contains(ident) {
            bounds.push(quote!(#ident: ::init_candle::__private::InitWeights));
        } else {
            bounds.push(quote!(#ident: 'static));
        }
    }
    bounds
}

/// `'static` bounds only (used by the fallback impl, which must compile whatever the fields are).
pub fn static_bounds(generics: &Generics) -> Vec<TokenStream> {
    let mut bounds: Vec<TokenStream> = generics
        .type_params()
        .map(|p| {
            let ident = &p.ident;
            quote!(#ident: 'static)
        })
        .collect();
    bounds.extend(generics.lifetimes().map(|l| {
        let lifetime = &l.lifetime;
        quote!(#lifetime: 'static)
    }));
    bounds
}

/// The user's where predicates followed by `extra`.
pub fn where_clause(generics: &Generics, extra: &[TokenStream]) -> TokenStream {
    let existing = generics
        .where_clause
        .as_ref()
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect::<Vec<_>>())
        .unwrap_or_default();
    let all: Vec<&TokenStream> = existing.iter().chain(extra.iter()).collect();
    if all.is_empty() {
        quote!()
    } else {
        quote!(where #(#all,)*)
    }
}

/// Unused-type check helper for tests.
#[cfg(test)]
pub fn mentions_of(ty: &syn::Type, params: &BTreeSet<Ident>) -> BTreeSet<Ident> {
    let mut m = Mentions {
        params,
        found: BTreeSet::new(),
    };
    m.visit_type(ty);
    m.found
}
