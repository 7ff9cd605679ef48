//! Checks that a model's tensors are a `VarMap`'s own variables (the same storage, not copies),
//! so that what initialization writes reaches the VarMap, `save` and optimizers.

use std::collections::{HashMap, HashSet};

use candle_core::Tensor;
use candle_nn::VarMap;

use crate::error::{Error, Result};
use crate::module::InitWeights;
use crate::path::join;
use crate::suggest::nearest;
use crate::traversal::{named_buffers, named_modules, StorageKey};

/// Every parameter and buffer of `root`, under every path that reaches it (tied parameters
/// twice), is a VarMap variable: the one of its own path, or, for a tensor reached by several
/// paths, the one of another of those paths.
pub(crate) fn check_model(root: &dyn InitWeights, varmap: &VarMap) -> Result<()> {
    let mut all = Vec::new();
    for (prefix, module) in named_modules(root) {
        module.visit_parameters(&mut |p| all.push((join(&prefix, p.name), p.tensor.clone())));
    }
    all.extend(named_buffers(root));
    check_tensors(varmap, all.iter().map(|(path, t)| (path.as_str(), t)), "")
}

/// Each `(name, tensor)` is the VarMap's variable at `prefix.name`, or (tied) the same tensor
/// as another listed path that is.
pub(crate) fn check_tensors<'t>(
    varmap: &VarMap,
    tensors: impl IntoIterator<Item = (&'t str, &'t Tensor)>,
    prefix: &str,
) -> Result<()> {
    let vars = varmap.data().lock().map_err(|_| Error::VarMapPoisoned)?;
    let by_storage: HashMap<StorageKey, &str> = vars
        .iter()
        .map(|(name, var)| (StorageKey::of(var.as_tensor()), name.as_str()))
        .collect();
    let tensors: Vec<(String, &Tensor)> = tensors
        .into_iter()
        .map(|(name, t)| (join(prefix, name), t))
        .collect();
    let paths: HashSet<&str> = tensors.iter().map(|(p, _)| p.as_str()).collect();
    for (path, t) in &tensors {
        if let Some(var) = vars.get(path) {
            let (a, _) = t.storage_and_layout();
            let (b, _) = var.as_tensor().storage_and_layout();
            if std::ptr::eq(&*a, &*b) {
                continue;
            }
            return Err(match by_storage.get(&StorageKey::of(t)) {
                Some(found) => Error::VarMapPathMismatch {
                    path: path.clone(),
                    found: (*found).to_owned(),
                },
                None => Error::NotVarMapStorage { path: path.clone() },
            });
        }
        match by_storage.get(&StorageKey::of(t)) {
            // Tied: another path of the model reaches the same variable under its own name.
            Some(found) if paths.contains(found) => {}
            Some(found) => {
                return Err(Error::VarMapPathMismatch {
                    path: path.clone(),
                    found: (*found).to_owned(),
                })
            }
            None => {
                let hint = nearest(path, vars.keys().map(String::as_str))
                    .map(|k| format!("; its nearest name is `{k}`"))
                    .unwrap_or_default();
                return Err(Error::MissingFromVarMap {
                    path: path.clone(),
                    hint,
                });
            }
        }
    }
    Ok(())
}
