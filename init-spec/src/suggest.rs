//! "Did you mean ...?" suggestions by edit distance.

/// Edit distance counting an adjacent transposition as one edit (optimal string alignment),
/// so `bais` is one edit from `bias`.
///
/// ```
/// assert_eq!(init_spec::suggest::edit_distance("bais", "bias"), 1);
/// ```
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
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
    d[a.len()][b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
///
/// ```
/// use init_spec::suggest::closest;
/// assert_eq!(closest("rellu", &init_spec::NONLINEARITY_NAMES), Some("relu"));
/// assert_eq!(closest("banana", &init_spec::NONLINEARITY_NAMES), None);
/// ```
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, c), *c))
        .filter(|(d, c)| {
            let limit = (c.len().max(lower.len()) / 3).max(1);
            // A shortened or lengthened spelling (`stdev` for `std`) is also a plausible typo.
            let prefix = c.len() >= 3
                && lower.len() >= 3
                && (lower.starts_with(c) || c.starts_with(lower.as_str()));
            *d <= limit || prefix
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "; did you mean `x`?" or "; expected one of: `a`, `b`" (the list form when nothing is close).
///
/// ```
/// use init_spec::suggest::hint;
/// assert_eq!(hint("fan_inn", &init_spec::FAN_MODE_NAMES), "; did you mean `fan_in`?");
/// assert_eq!(hint("avg", &init_spec::FAN_MODE_NAMES), "; expected one of: `fan_in` or `fan_out`");
/// ```
pub fn hint(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(best) => format!("; did you mean `{best}`?"),
        None => format!("; expected one of: {}", one_of(candidates)),
    }
}

/// "`a`, `b` or `c`"
///
/// ```
/// assert_eq!(init_spec::suggest::one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
/// ```
pub fn one_of(candidates: &[&str]) -> String {
    let quoted: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("xavier_norml", "xavier_normal"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("bais", "bias"), 1);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggestions() {
        let names = ["xavier_normal", "xavier_uniform", "normal", "zeros"];
        assert_eq!(closest("xavier_norml", &names), Some("xavier_normal"));
        assert_eq!(closest("Zeros", &names), Some("zeros"));
        assert_eq!(closest("banana", &names), None);
        assert_eq!(closest("bais", &["weight", "bias", "rename"]), Some("bias"));
        assert_eq!(closest("stdev", &["mean", "std"]), Some("std"));
        assert_eq!(
            hint("banana", &["a", "b", "c"]),
            "; expected one of: `a`, `b` or `c`"
        );
    }
}
