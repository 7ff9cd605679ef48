//! The tree walk behind `named_children`, `named_modules`, `named_parameters` and
//! `named_buffers`: dotted paths, pre-order, tied parameters listed once.

use std::collections::HashSet;

use candle_core::{Storage, Tensor};

use crate::module::InitWeights;
use crate::path::join;

/// Identity of a tensor's memory: its storage allocation and the region of it the layout
/// covers. Two tensors with equal keys are the same parameter (tied, or the same `Arc`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct StorageKey {
    storage: usize,
    start: usize,
    dims: Vec<usize>,
    stride: Vec<usize>,
}

impl StorageKey {
    pub(crate) fn of(t: &Tensor) -> Self {
        let (storage, layout) = t.storage_and_layout();
        let ptr = &*storage as *const Storage as usize;
        StorageKey {
            storage: ptr,
            start: layout.start_offset(),
            dims: layout.dims().to_vec(),
            stride: layout.stride().to_vec(),
        }
    }
}

/// The direct submodules with their path segments, in declaration order.
pub(crate) fn named_children(module: &dyn InitWeights) -> Vec<(String, &dyn InitWeights)> {
    let mut out = Vec::new();
    module.visit_children(&mut |name, m| out.push((name.to_owned(), m)));
    out
}

/// `root` (named `""`) and every submodule, pre-order, with dotted paths.
pub(crate) fn named_modules(root: &dyn InitWeights) -> Vec<(String, &dyn InitWeights)> {
    let mut out = Vec::new();
    collect_modules(root, String::new(), &mut out);
    out
}

fn collect_modules<'m>(
    module: &'m dyn InitWeights,
    path: String,
    out: &mut Vec<(String, &'m dyn InitWeights)>,
) {
    let mut children = Vec::new();
    module.visit_children(&mut |name, m| children.push((join(&path, name), m)));
    out.push((path, module));
    for (path, child) in children {
        collect_modules(child, path, out);
    }
}

/// Every parameter with its dotted path; a tensor reachable twice is listed under its first path.
pub(crate) fn named_parameters(root: &dyn InitWeights) -> Vec<(String, Tensor)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (prefix, module) in named_modules(root) {
        module.visit_parameters(&mut |p| {
            if seen.insert(StorageKey::of(p.tensor)) {
                out.push((join(&prefix, p.name), p.tensor.clone()));
            }
        });
    }
    out
}

/// Every buffer with its dotted path.
pub(crate) fn named_buffers(root: &dyn InitWeights) -> Vec<(String, Tensor)> {
    let mut out = Vec::new();
    for (prefix, module) in named_modules(root) {
        module.visit_buffers(&mut |b| out.push((join(&prefix, b.name), b.tensor.clone())));
    }
    out
}
