//! Parameters by dotted path: reading one, overwriting one with given values.

use candle_core::Tensor;

use crate::error::{Error, Result};
use crate::module::InitWeights;
use crate::suggest::hint;
use crate::traversal::named_parameters;

/// The parameter at `path`, if any.
pub(crate) fn parameter(root: &dyn InitWeights, path: &str) -> Option<Tensor> {
    named_parameters(root)
        .into_iter()
        .find(|(name, _)| name == path)
        .map(|(_, t)| t)
}

/// Writes `values` into the parameter at `path`, in place, after checking shape and dtype.
pub(crate) fn set_parameter(root: &dyn InitWeights, path: &str, values: &Tensor) -> Result<()> {
    let all = named_parameters(root);
    let Some((_, t)) = all.iter().find(|(p, _)| p == path) else {
        let paths: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
        return Err(Error::NoSuchParameter {
            path: path.to_owned(),
            hint: hint(path, &paths),
        });
    };
    if t.dims() != values.dims() {
        return Err(Error::ShapeMismatch {
            path: path.to_owned(),
            expected: t.dims().to_vec(),
            got: values.dims().to_vec(),
        });
    }
    if t.dtype() != values.dtype() {
        return Err(Error::DtypeMismatch {
            path: path.to_owned(),
            expected: t.dtype(),
            got: values.dtype(),
        });
    }
    // `slice_set` writes in place into the parameter's own storage (contiguous parameters).
    t.slice_set(&values.to_device(t.device())?, 0, 0)?;
    Ok(())
}
