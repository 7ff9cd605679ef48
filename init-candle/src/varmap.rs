//! Checks that a model's tensors are a `VarMap`'s own variables (the same storage, not copies),
//! so that what initialization writes reaches the VarMap, `save` and optimizers.

use candle_core::Tensor;
use candle_nn::VarMap;

use crate::error::{Error, Result};
use crate::module::InitWeights;
use crate::traversal::{join, named_buffers, named_parameters};

/// Every parameter and buffer of `root` is the VarMap's variable of the same path.
pub(crate) fn check_model(root: &dyn InitWeights, varmap: &VarMap) -> Result<()> {
    let mut all = named_parameters(root);
    all.extend(named_buffers(root));
    check_tensors(varmap, all.iter().map(|(path, t)| (path.as_str(), t)), "")
}

/// Each `(name, tensor)` is the VarMap's variable at `prefix.name`.
pub(crate) fn check_tensors<'t>(
    varmap: &VarMap,
    tensors: impl IntoIterator<Item = (&'t str, &'t Tensor)>,
    prefix: &str,
) -> Result<()> {
    let vars = varmap.data().lock().map_err(|_| Error::VarMapPoisoned)?;
    for (name, t) in tensors {
        let path = join(prefix, name);
        let Some(var) = vars.get(&path) else {
            return Err(Error::MissingFromVarMap { path });
        };
        let (a, _) = t.storage_and_layout();
        let (b, _) = var.as_tensor().storage_and_layout();
        if !std::ptr::eq(&*a, &*b) {
            return Err(Error::NotVarMapStorage { path });
        }
    }
    Ok(())
}
