//! "Did you mean" hints for paths that name no parameter.

use std::collections::HashSet;

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

/// At most one edit away, an adjacent transposition counting as one edit (`wieght`/`weight`).
/// The same distance as `init_derive`'s `suggest::edit_distance`, which a proc-macro crate
/// cannot export to this one; keep the two in step.
fn one_edit_away(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()] <= 1
}
