//! A typed view of the derive input: the struct, its fields and what each field is.

use syn::{Data, DeriveInput, Fields, Generics, Ident, Index, Member, Type};

use crate::attr::{self, FieldAttrs};
use crate::ctxt::Ctxt;

/// The struct the derive is on.
pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub fields: Vec<Field<'a>>,
}

/// What the traversal does with a field.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FieldKind {
    /// A submodule (anything implementing `InitWeights`, including `Vec`, `Option`, `Box`, arrays).
    Module,
    /// A bare `Tensor` or `Var`: a parameter of this struct itself.
    Parameter,
    /// `#[init(skip)]`: not traversed.
    Skip,
}

pub struct Field<'a> {
    pub member: Member,
    /// The path segment (field name, tuple index or `rename`).
    pub name: String,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    pub kind: FieldKind,
}

impl<'a> Input<'a> {
    /// `None` when the input is not a struct (the error is in `cx`).
    pub fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("init")) {
            cx.error_at(
                attr::init_attr_path_span(attr),
                "`#[init(...)]` goes on fields, not on the struct: put it on each field it initializes",
            );
        }
        let fields = match &input.data {
            Data::Struct(data) => &data.fields,
            Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "`InitWeights` can only be derived for structs: an enum's variants do not all hold the same modules; \
                     wrap the layers in a struct, or implement `InitWeights` by hand",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "`InitWeights` can only be derived for structs, not unions",
                );
                return None;
            }
        };
        let fields = match fields {
            Fields::Named(named) => named.named.iter().collect::<Vec<_>>(),
            Fields::Unnamed(unnamed) => unnamed.unnamed.iter().collect(),
            Fields::Unit => Vec::new(),
        };
        let fields = fields
            .into_iter()
            .enumerate()
            .map(|(index, field)| {
                let member = match &field.ident {
                    Some(ident) => Member::Named(ident.clone()),
                    None => Member::Unnamed(Index::from(index)),
                };
                let attrs = attr::field_attrs(cx, &field.attrs);
                let name = match (&attrs.rename, &field.ident) {
                    (Some(lit), _) => lit.value(),
                    (None, Some(ident)) => unraw(ident),
                    (None, None) => index.to_string(),
                };
                let kind = if attrs.skip.is_some() {
                    FieldKind::Skip
                } else if is_parameter_type(&field.ty) {
                    FieldKind::Parameter
                } else {
                    FieldKind::Module
                };
                Field {
                    member,
                    name,
                    ty: &field.ty,
                    attrs,
                    kind,
                }
            })
            .collect();
        Some(Input {
            ident: &input.ident,
            generics: &input.generics,
            fields,
        })
    }
}

/// `r#type` -> `type`
fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// A field typed `Tensor` or `Var` (any path ending so, e.g. `candle_core::Tensor`) is a
/// parameter of the struct itself. Type aliases are not seen through (a macro only has syntax).
fn is_parameter_type(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().is_some_and(|seg| {
            seg.arguments.is_none() && (seg.ident == "Tensor" || seg.ident == "Var")
        }),
        Type::Group(group) => is_parameter_type(&group.elem),
        Type::Paren(paren) => is_parameter_type(&paren.elem),
        _ => false,
    }
}
