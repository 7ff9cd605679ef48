//! `module_repr`: a module printed as PyTorch prints it.

use std::fmt::Write as _;

use crate::module::InitWeights;
use crate::traversal::named_children;

/// `Net(\n  (fc): Linear(...)\n)`, children indented by two spaces per level.
pub(crate) fn module_repr(module: &dyn InitWeights) -> String {
    let mut out = String::new();
    write_repr(module, 0, &mut out);
    out
}

fn write_repr(module: &dyn InitWeights, indent: usize, out: &mut String) {
    let children = named_children(module);
    let extra = module.extra_repr();
    if children.is_empty() {
        let _ = write!(out, "{}({extra})", module.class_name());
        return;
    }
    let _ = write!(out, "{}(", module.class_name());
    if !extra.is_empty() {
        let _ = write!(out, "\n{:width$}{extra}", "", width = indent + 2);
    }
    for (name, child) in children {
        let _ = write!(out, "\n{:width$}({name}): ", "", width = indent + 2);
        write_repr(child, indent + 2, out);
    }
    let _ = write!(out, "\n{:width$})", "", width = indent);
}
