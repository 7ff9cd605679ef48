//! `apply` / `apply_named`: a function on every module, children first (post-order, as
//! PyTorch's `Module.apply`).

use crate::error::Result;
use crate::module::InitWeights;
use crate::path::join;

/// Calls `f` on each submodule of `module` (recursively) and then on `module`, with dotted
/// paths below `path`; stops at the first error.
pub(crate) fn apply_post_order(
    module: &dyn InitWeights,
    path: &str,
    f: &mut dyn FnMut(&str, &dyn InitWeights) -> Result<()>,
) -> Result<()> {
    let mut children = Vec::new();
    module.visit_children(&mut |name, m| children.push((join(path, name), m)));
    for (child_path, child) in children {
        apply_post_order(child, &child_path, f)?;
    }
    f(path, module)
}
