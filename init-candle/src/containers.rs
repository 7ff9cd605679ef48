//! Containers of modules are modules: `Vec` and arrays are PyTorch's `ModuleList` (children
//! `0`, `1`, ...); `Option`, `Box` and `Arc` are transparent (no path segment of their own).

use std::sync::Arc;

use crate::module::{FieldInit, InitWeights, Parameter};

/// A `Vec` of modules is PyTorch's `ModuleList`: one child per element, named `0`, `1`, ...
impl<T: InitWeights> InitWeights for Vec<T> {
    fn class_name(&self) -> &'static str {
        "ModuleList"
    }
    fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
        visit_list(self, visit);
    }
}

/// An array of modules is a `ModuleList` too.
impl<T: InitWeights, const N: usize> InitWeights for [T; N] {
    fn class_name(&self) -> &'static str {
        "ModuleList"
    }
    fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
        visit_list(self, visit);
    }
}

fn visit_list<'m, T: InitWeights>(
    items: &'m [T],
    visit: &mut dyn FnMut(&str, &'m dyn InitWeights),
) {
    for (i, item) in items.iter().enumerate() {
        if let Some(module) = item.as_field() {
            visit(&i.to_string(), module);
        }
    }
}

/// Every hook of a transparent wrapper, forwarded to its content (`$inner(self)`, if any).
macro_rules! forward_hooks {
    ($inner:path) => {
        fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
            if let Some(inner) = $inner(self) {
                inner.visit_children(visit)
            }
        }
        fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
            if let Some(inner) = $inner(self) {
                inner.visit_parameters(visit)
            }
        }
        fn visit_buffers<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
            if let Some(inner) = $inner(self) {
                inner.visit_buffers(visit)
            }
        }
        fn declared_inits(&self) -> crate::Result<Vec<(&'static str, FieldInit)>> {
            match $inner(self) {
                Some(inner) => inner.declared_inits(),
                None => Ok(Vec::new()),
            }
        }
        fn extra_repr(&self) -> String {
            $inner(self)
                .map(|inner| inner.extra_repr())
                .unwrap_or_default()
        }
        fn as_field(&self) -> Option<&dyn InitWeights> {
            $inner(self).and_then(|inner| inner.as_field())
        }
    };
}

fn option_inner<T: InitWeights>(s: &Option<T>) -> Option<&dyn InitWeights> {
    s.as_ref().map(|m| m as &dyn InitWeights)
}

#[allow(clippy::borrowed_box)] // the same signature shape as the other forwarders
fn box_inner<T: InitWeights + ?Sized>(s: &Box<T>) -> Option<&dyn InitWeights> {
    Some((**s).as_module())
}

fn arc_inner<T: InitWeights + ?Sized>(s: &Arc<T>) -> Option<&dyn InitWeights> {
    Some((**s).as_module())
}

/// `None` holds no module; `Some(m)` is `m` under the field's name.
impl<T: InitWeights> InitWeights for Option<T> {
    fn class_name(&self) -> &'static str {
        match self {
            Some(inner) => inner.class_name(),
            None => "None",
        }
    }
    forward_hooks!(option_inner);
}

/// A box is transparent: `Box<dyn Layer>` fields and `Box<T>` are walked as their content.
impl<T: InitWeights + ?Sized> InitWeights for Box<T> {
    fn class_name(&self) -> &'static str {
        (**self).class_name()
    }
    forward_hooks!(box_inner);
}

/// A shared module (`Arc`) is transparent; its parameters, reachable twice, are tied and
/// initialized once.
impl<T: InitWeights + ?Sized> InitWeights for Arc<T> {
    fn class_name(&self) -> &'static str {
        (**self).class_name()
    }
    forward_hooks!(arc_inner);
}
