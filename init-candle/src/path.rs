//! Dotted paths (`features.0.weight`), below everything that names a parameter.

/// `prefix.name`; `name` at the root, `prefix` for a flattened child (empty name).
pub(crate) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else if name.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}
