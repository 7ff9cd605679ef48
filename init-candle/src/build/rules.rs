//! [`Rule`]: "tensors whose path matches this pattern (and rank, shape) get this initializer".

use init_core::Init;
use serde::Serialize;

/// A rule of a [`ModelBuilder`](super::ModelBuilder): the tensors whose dotted path matches
/// `pattern` (and, when given, whose rank or shape is the one asked for) get `init`.
///
/// The pattern is matched against the whole path; `*` matches any run of characters, dots
/// included, so `*.c_proj.weight` matches `h.0.attn.c_proj.weight` and
/// `model.layers.*.mlp.down_proj.weight` matches every layer's. Everything else matches itself.
///
/// ```
/// use init_candle::build::Rule;
/// use init_candle::Init;
///
/// let rule = Rule::new("*.c_proj.weight", Init::Normal { mean: 0.0, std: 0.02 }).rank(2);
/// assert!(rule.matches("h.0.attn.c_proj.weight", &[768, 768]));
/// assert!(!rule.matches("h.0.attn.c_proj.bias", &[768]));
/// assert!(!rule.matches("h.0.attn.c_proj.weight", &[768]));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    pattern: String,
    init: Init,
    rank: Option<usize>,
    shape: Option<Vec<usize>>,
}

impl Rule {
    /// Tensors whose path matches `pattern` get `init`.
    pub fn new(pattern: impl Into<String>, init: Init) -> Rule {
        Rule {
            pattern: pattern.into(),
            init,
            rank: None,
            shape: None,
        }
    }

    /// Only tensors of this many dimensions.
    pub fn rank(mut self, rank: usize) -> Rule {
        self.rank = Some(rank);
        self
    }

    /// Only tensors of exactly this shape.
    pub fn shape(mut self, shape: impl Into<Vec<usize>>) -> Rule {
        self.shape = Some(shape.into());
        self
    }

    /// The pattern.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The initializer it gives.
    pub fn init(&self) -> &Init {
        &self.init
    }

    /// Whether the rule applies to a tensor at `path` of shape `dims`.
    pub fn matches(&self, path: &str, dims: &[usize]) -> bool {
        self.rank.is_none_or(|r| r == dims.len())
            && self.shape.as_deref().is_none_or(|s| s == dims)
            && glob(self.pattern.as_bytes(), path.as_bytes())
    }
}

/// `*`-only glob over the whole text, `*` matching any run (dots included). Linear time:
/// on a mismatch after a star, the star takes one more character.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_whole_paths() {
        let m = |p: &str, t: &str| glob(p.as_bytes(), t.as_bytes());
        assert!(m("*", ""));
        assert!(m("*", "a.b.c"));
        assert!(m("fc.weight", "fc.weight"));
        assert!(!m("fc.weight", "fc.weight2"));
        assert!(!m("fc.weight", "xfc.weight"));
        assert!(m("*.weight", "a.b.weight"));
        assert!(!m("*.weight", "weight"));
        assert!(m(
            "model.layers.*.mlp.down_proj.weight",
            "model.layers.11.mlp.down_proj.weight"
        ));
        assert!(!m(
            "model.layers.*.mlp.down_proj.weight",
            "model.layers.11.mlp.up_proj.weight"
        ));
        assert!(m("a*b*c", "axxbyybzc"));
        assert!(!m("a*b*c", "axxbyyb"));
        assert!(m("**", "abc"));
        assert!(m("*a*", "bab"));
        assert!(!m("*a*", "bbb"));
    }
}
