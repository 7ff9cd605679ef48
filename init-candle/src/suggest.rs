//! "Did you mean" hints for paths that name no parameter.

use std::collections::HashSet;

use init_spec::suggest::edit_distance;

/// `"; did you mean `c`?"` for a candidate one edit away, else the list of candidates (or
/// their count when there are many).
pub(crate) fn hint(word: &str, candidates: &[&str]) -> String {
    let close: HashSet<&str> = candidates
        .iter()
        .copied()
        .filter(|c| one_edit_away(word, c))
        .collect();
    match close.into_iter().next() {
        Some(c) => format!("; did you mean `{c}`?"),
        None if candidates.len() <= 12 => format!("; it has: {}", candidates.join(", ")),
        None => format!(
            "; it has {} parameters (see `named_parameters()`)",
            candidates.len()
        ),
    }
}

/// The candidate a mistyped or mis-prefixed path most likely meant: one that differs only by a
/// leading prefix (`transformer.h.0.ln_1.weight` for `h.0.ln_1.weight`, or the other way), else
/// the nearest by edit distance when it is within a quarter of the path's length (at least 2).
pub(crate) fn nearest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let prefixed = c.ends_with(&format!(".{word}")) || word.ends_with(&format!(".{c}"));
        let d = if prefixed { 0 } else { edit_distance(word, c) };
        if best.is_none_or(|(bd, bc)| (d, c) < (bd, bc)) {
            best = Some((d, c));
        }
    }
    let limit = (word.chars().count() / 4).max(2);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

/// At most one edit away, an adjacent transposition counting as one edit (`wieght`/`weight`),
/// by the distance the derive's and init-core's suggestions use.
fn one_edit_away(a: &str, b: &str) -> bool {
    a.chars().count().abs_diff(b.chars().count()) <= 1 && edit_distance(a, b) <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_prefers_a_prefix_difference_then_few_edits() {
        let keys = [
            "transformer.h.0.ln_1.weight",
            "transformer.wte.weight",
            "fc2.weight",
        ];
        assert_eq!(
            nearest("h.0.ln_1.weight", keys),
            Some("transformer.h.0.ln_1.weight")
        );
        assert_eq!(nearest("fc.weight", keys), Some("fc2.weight"));
        assert_eq!(nearest("decoder.bias", keys), None);
        assert_eq!(edit_distance("wieght", "weight"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
