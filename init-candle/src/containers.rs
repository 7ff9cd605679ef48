//! Containers of modules are modules: `Vec` and arrays are PyTorch's `ModuleList` (children
//! `0`, `1`, ...); `Option`, `Box` and `Arc` are transparent (no path segment of their own);
//! tuples hold their elements flattened (no path segment either).

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

/// A tuple of modules: its elements flattened, each a child without a path segment of its own,
/// so that a derived model and a derived head built from the root `VarBuilder` keep their
/// paths in `ModelBuilder::build(.., |vb| Ok((model, head)))`. Elements whose paths
/// collide (two bare `Linear`s both have `weight`) are refused when the plan is made
/// ([`Error::DuplicatePath`](crate::Error::DuplicatePath)), except in `ModelBuilder::build`,
/// where each is named by the path it was asked for (`vb.pp("fc_a")`, `vb.pp("fc_b")`).
///
/// ```
/// use candle_core::{DType, Device};
/// use candle_nn::{Linear, VarBuilder, VarMap};
/// use init_candle::{InitWeights, InitWeightsExt};
///
/// #[derive(InitWeights)]
/// struct Body { fc: Linear }
/// #[derive(InitWeights)]
/// struct Head { #[init(zeros, bias = zeros)] head: Linear }
///
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let pair = (
///     Body { fc: candle_nn::linear(4, 8, vb.pp("fc"))? },
///     Head { head: candle_nn::linear(8, 2, vb.pp("head"))? },
/// );
/// let names: Vec<String> = pair.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["fc.weight", "fc.bias", "head.weight", "head.bias"]);
/// pair.init_weights_checked(0, &varmap)?;
/// // Two bare layers collide at `weight`: an error, not a lost tensor.
/// let bare = (candle_nn::linear(4, 8, vb.pp("a"))?, candle_nn::linear(8, 2, vb.pp("b"))?);
/// assert!(bare.init_weights(0).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
macro_rules! tuple_module {
    ($($t:ident $i:tt),+) => {
        impl<$($t: InitWeights),+> InitWeights for ($($t,)+) {
            fn class_name(&self) -> &'static str {
                "tuple"
            }
            fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
                $(
                    if let Some(module) = self.$i.as_field() {
                        visit("", module);
                    }
                )+
            }
        }
    };
}

tuple_module!(A 0, B 1);
tuple_module!(A 0, B 1, C 2);
tuple_module!(A 0, B 1, C 2, D 3);
