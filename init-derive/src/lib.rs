//! `#[derive(InitWeights)]` for [`init-candle`](https://docs.rs/init-candle).
//!
//! Users depend on `init-candle`, which re-exports this derive next to the trait of the same
//! name; the generated code names items through `::init_candle::...` only.
//!
//! The crate is split by phase, one file each: `ast` builds a typed view of the input,
//! `attr` parses the `#[init(...)]` syntax, `valid` checks its meaning against `init_spec`'s
//! table of initializers (names, parameters, kinds, defaults), `expand` generates
//! the impl and `fallback` generates a placeholder impl when there were errors, so that one
//! typo does not turn into "method not found" errors at every call site. Every error is
//! collected (`ctxt`) and reported at the smallest offending token; the macro never panics.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod generics;
mod valid;

#[cfg(test)]
mod snapshot_tests;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

// The examples of `attributes.md` name `init_candle`, which this crate cannot depend on: they
// are run as init-candle's doctests (`AttributeDoctests`), and this crate's doctests are off.
#[doc = include_str!("attributes.md")]
#[proc_macro_derive(InitWeights, attributes(init))]
pub fn derive_init_weights(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
