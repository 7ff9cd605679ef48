//! [`Rule`]: "tensors whose path matches this pattern (and rank, shape) get this initializer",
//! or get what a function of the tensor ([`TensorInfo`]) decides.

use std::fmt;
use std::sync::Arc;

use candle_core::DType;
use init_core::{calculate_fan_in_and_fan_out, Init};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// What a rule's function sees of a tensor ([`Rule::with`]): its path and what the pattern's
/// `{name}` segments captured, its full shape and dtype, PyTorch's fans, and the class of the
/// module that holds it when the builder knows it (a module built by
/// [`build`](super::ModelBuilder::build), not an [`Opaque`](super::Opaque) one).
///
/// ```
/// use candle_core::DType;
/// use init_candle::build::{Rule, TensorInfo};
///
/// let info = TensorInfo::new("model.layers.3.mlp.down_proj.weight", &[64, 172], DType::F32);
/// assert_eq!(info.name(), "weight");
/// assert_eq!((info.fan_in(), info.fan_out()), (Some(172), Some(64)));
/// let rule = Rule::with("model.layers.{layer}.mlp.down_proj.weight", |t| {
///     assert_eq!(t.capture("layer"), Some("3"));
///     t.number("layer").map(|l| init_candle::Init::Normal { mean: 0.0, std: 0.02 / (l + 1) as f64 })
/// });
/// assert_eq!(
///     rule.decide(&info),
///     Some(init_candle::Init::Normal { mean: 0.0, std: 0.005 })
/// );
/// ```
#[derive(Clone, Debug)]
pub struct TensorInfo<'a> {
    path: &'a str,
    dims: &'a [usize],
    dtype: DType,
    module: Option<&'a str>,
    captures: Vec<(String, &'a str)>,
}

impl<'a> TensorInfo<'a> {
    /// A tensor at `path` of full shape `dims` (no captures until a pattern matches it, no
    /// module class).
    pub fn new(path: &'a str, dims: &'a [usize], dtype: DType) -> Self {
        TensorInfo {
            path,
            dims,
            dtype,
            module: None,
            captures: Vec::new(),
        }
    }

    /// The same tensor, held by a module of class `class` (`"Linear"`, `"LayerNorm"`).
    pub fn in_module(mut self, class: &'a str) -> Self {
        self.module = Some(class);
        self
    }

    /// The dotted path (`model.layers.3.mlp.down_proj.weight`).
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The last segment of the path: the parameter's name in its module (`weight`).
    pub fn name(&self) -> &'a str {
        self.path.rsplit('.').next().unwrap_or(self.path)
    }

    /// The full shape (of the whole tensor, also when a rank holds a shard of it).
    pub fn dims(&self) -> &'a [usize] {
        self.dims
    }

    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.dims.len()
    }

    /// The dtype the tensor is built in.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The class of the module holding the tensor, when known (not for an
    /// [`Opaque`](super::Opaque) model, whose modules the builder cannot see).
    pub fn module(&self) -> Option<&'a str> {
        self.module
    }

    /// What the pattern's `{name}` segment matched.
    pub fn capture(&self, name: &str) -> Option<&'a str> {
        self.captures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// The capture `name` as a number (a layer index), `None` when it is not one.
    pub fn number(&self, name: &str) -> Option<usize> {
        self.capture(name).and_then(|v| v.parse().ok())
    }

    /// PyTorch's fan_in (`None` below 2 dimensions).
    pub fn fan_in(&self) -> Option<usize> {
        calculate_fan_in_and_fan_out(self.dims).ok().map(|f| f.0)
    }

    /// PyTorch's fan_out (`None` below 2 dimensions).
    pub fn fan_out(&self) -> Option<usize> {
        calculate_fan_in_and_fan_out(self.dims).ok().map(|f| f.1)
    }
}

/// A rule's decision function ([`Rule::with`]).
pub type RuleFn = dyn Fn(&TensorInfo<'_>) -> Option<Init> + Send + Sync;

#[derive(Clone)]
enum Action {
    Init(Init),
    With(Arc<RuleFn>),
}

/// One piece of a parsed pattern.
#[derive(Clone, Debug, PartialEq)]
enum Token {
    Literal(String),
    /// `*`: any run of characters, dots included.
    Star,
    /// `{name}`: one path segment (one or more characters, no dot), captured.
    Capture(String),
}

/// A rule of a [`ModelBuilder`](super::ModelBuilder): the tensors whose dotted path matches
/// its pattern (and, when given, whose rank or shape is the one asked for) get its initializer,
/// or, for [`Rule::with`], what its function returns (`None`: "not mine", the next rule or the
/// preset decides).
///
/// The pattern is matched against the whole path: `*` matches any run of characters, dots
/// included, so `*.c_proj.weight` matches `h.0.attn.c_proj.weight`; `{name}` matches one
/// segment (no dot) and captures it for the function, so `model.layers.{layer}.mlp.down_proj.weight`
/// matches every layer's and tells which; everything else matches itself.
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
///
/// torchtitan's depth-scaled init of the output projections, as one rule:
///
/// ```
/// use candle_core::DType;
/// use init_candle::build::{Rule, TensorInfo};
/// use init_candle::Init;
///
/// let depth_init = Rule::with("model.layers.{layer}.{block}.{proj}.weight", |t| {
///     let layer = t.number("layer")?;
///     matches!(t.capture("proj")?, "o_proj" | "down_proj").then(|| {
///         let std = 0.02 / (2.0 * (layer + 1) as f64).sqrt();
///         Init::TruncNormal { mean: 0.0, std, a: -2.0, b: 2.0 }
///     })
/// });
/// let info = |path| TensorInfo::new(path, &[64, 64], DType::F32);
/// let std_of = |path| match depth_init.decide(&info(path)) {
///     Some(Init::TruncNormal { std, .. }) => Some(std),
///     _ => None,
/// };
/// assert_eq!(std_of("model.layers.0.self_attn.o_proj.weight"), Some(0.02 / 2f64.sqrt()));
/// assert_eq!(std_of("model.layers.1.mlp.down_proj.weight"), Some(0.01));
/// assert_eq!(std_of("model.layers.1.mlp.up_proj.weight"), None); // not mine
/// ```
#[derive(Clone)]
pub struct Rule {
    pattern: String,
    tokens: Result<Vec<Token>, String>,
    action: Action,
    rank: Option<usize>,
    shape: Option<Vec<usize>>,
    rows: Option<Vec<usize>>,
    /// Matching no tensor is not a mistake (a recipe's rule for a part a model may lack).
    optional: bool,
}

impl Rule {
    /// Tensors whose path matches `pattern` get `init`.
    pub fn new(pattern: impl Into<String>, init: Init) -> Rule {
        Rule::make(pattern.into(), Action::Init(init))
    }

    /// Tensors whose path matches `pattern` get what `f` returns for them; `None` leaves the
    /// tensor to the next rule (or the preset). A rule whose function returned `None` for every
    /// tensor it matched counts as unused.
    pub fn with(
        pattern: impl Into<String>,
        f: impl Fn(&TensorInfo<'_>) -> Option<Init> + Send + Sync + 'static,
    ) -> Rule {
        Rule::make(pattern.into(), Action::With(Arc::new(f)))
    }

    fn make(pattern: String, action: Action) -> Rule {
        Rule {
            tokens: parse(&pattern),
            pattern,
            action,
            rank: None,
            shape: None,
            rows: None,
            optional: false,
        }
    }

    /// A rule that may match no tensor without being reported as unused (nor, in a
    /// [`strict`](super::ModelBuilder::strict) build, refused): a recipe's rule for a part
    /// some models lack (an untied output layer, say).
    pub fn optional(mut self) -> Rule {
        self.optional = true;
        self
    }

    /// Whether it is [`optional`](Self::optional).
    pub fn is_optional(&self) -> bool {
        self.optional
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

    /// Only these rows (indices along the first dimension), written after the tensor's own
    /// initializer, whatever decided it (a rule, an attribute, the preset): PyTorch's
    /// `padding_idx` row of an `Embedding`, zeroed as `nn.Embedding` and transformers'
    /// `_init_weights` zero it. A tensor loaded from a checkpoint is left as it is. The report
    /// lists the rows on the tensor's row.
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use init_candle::build::{ModelBuilder, Preset, Rule};
    /// use init_candle::Init;
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// let pad_token_id = 1;
    /// let built = ModelBuilder::new(0)
    ///     .preset(Preset::hf(0.02))
    ///     .with_rule(Rule::new("*embed_tokens.weight", Init::Zeros).rows([pad_token_id]))
    ///     .build(DType::F32, &Device::Cpu, |vb| candle_nn::embedding(10, 4, vb.pp("embed_tokens")))?;
    /// let rows = built.model.embeddings().to_vec2::<f32>()?;
    /// assert_eq!(rows[1], [0.0; 4]);
    /// assert!(rows[0].iter().all(|&x| x != 0.0));
    /// assert_eq!(built.report.tensors[0].rows, ["rows [1]: zeros (rule `*embed_tokens.weight`)"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn rows(mut self, rows: impl Into<Vec<usize>>) -> Rule {
        self.rows = Some(rows.into());
        self
    }

    /// The rows a row rule writes ([`Rule::rows`]); `None` for a rule of whole tensors.
    pub fn row_indices(&self) -> Option<&[usize]> {
        self.rows.as_deref()
    }

    /// The pattern.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The initializer it gives, `None` for a rule whose function decides ([`Rule::with`]).
    pub fn init(&self) -> Option<&Init> {
        match &self.action {
            Action::Init(init) => Some(init),
            Action::With(_) => None,
        }
    }

    /// Why the pattern cannot be used (an unclosed `{`, an empty or repeated capture name),
    /// `None` when it can. The builder refuses such a rule before it writes anything.
    pub fn pattern_error(&self) -> Option<&str> {
        self.tokens.as_ref().err().map(String::as_str)
    }

    /// Whether the pattern (and rank, shape) applies to a tensor at `path` of shape `dims`
    /// (for [`Rule::with`], whether its function is asked).
    pub fn matches(&self, path: &str, dims: &[usize]) -> bool {
        self.captures(path, dims).is_some()
    }

    /// What the rule gives the tensor: its initializer when the pattern (and rank, shape)
    /// match, or what its function returns; `None`: not this rule's.
    pub fn decide(&self, tensor: &TensorInfo<'_>) -> Option<Init> {
        let captures = self.captures(tensor.path, tensor.dims)?;
        match &self.action {
            Action::Init(init) => Some(init.clone()),
            Action::With(f) => {
                let info = TensorInfo {
                    captures,
                    ..tensor.clone()
                };
                f(&info)
            }
        }
    }

    fn captures<'t>(&self, path: &'t str, dims: &[usize]) -> Option<Vec<(String, &'t str)>> {
        if !(self.rank.is_none_or(|r| r == dims.len())
            && self.shape.as_deref().is_none_or(|s| s == dims))
        {
            return None;
        }
        let tokens = self.tokens.as_ref().ok()?;
        if tokens.iter().all(|t| !matches!(t, Token::Capture(_))) {
            return glob(self.pattern.as_bytes(), path.as_bytes()).then(Vec::new);
        }
        let mut captures = Vec::new();
        match_tokens(tokens, path, &mut captures).then_some(captures)
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Rule");
        d.field("pattern", &self.pattern);
        match &self.action {
            Action::Init(init) => d.field("init", init),
            Action::With(_) => d.field("init", &"a function of the tensor"),
        };
        d.field("rank", &self.rank)
            .field("shape", &self.shape)
            .finish()
    }
}

/// `rule `pattern``, with ` (function)` for [`Rule::with`]: how reports name it.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule `{}`", self.pattern)?;
        if let Some(rank) = self.rank {
            write!(f, ".rank({rank})")?;
        }
        if let Some(shape) = &self.shape {
            write!(f, ".shape({shape:?})")?;
        }
        if let Some(rows) = &self.rows {
            write!(f, ".rows({rows:?})")?;
        }
        if matches!(self.action, Action::With(_)) {
            f.write_str(" (function)")?;
        }
        Ok(())
    }
}

/// Two rules are equal when they say the same: the same pattern, conditions and initializer,
/// or the very same function.
impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        let same_action = match (&self.action, &other.action) {
            (Action::Init(a), Action::Init(b)) => a == b,
            (Action::With(a), Action::With(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        same_action
            && self.pattern == other.pattern
            && self.rank == other.rank
            && self.shape == other.shape
            && self.rows == other.rows
            && self.optional == other.optional
    }
}

/// The pattern, the conditions and the initializer (`"function"` for [`Rule::with`]).
impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Rule", 5)?;
        s.serialize_field("pattern", &self.pattern)?;
        match &self.action {
            Action::Init(init) => s.serialize_field("init", init)?,
            Action::With(_) => s.serialize_field("init", "function")?,
        }
        s.serialize_field("rank", &self.rank)?;
        s.serialize_field("shape", &self.shape)?;
        s.serialize_field("rows", &self.rows)?;
        s.end()
    }
}

/// Splits a pattern into literals, `*` and `{name}` captures.
fn parse(pattern: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' | '{' if !literal.is_empty() => {
                tokens.push(Token::Literal(std::mem::take(&mut literal)));
            }
            _ => {}
        }
        match c {
            '*' => tokens.push(Token::Star),
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                let valid = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_alphanumeric() || c == '_');
                if !closed || !valid {
                    return Err(format!(
                        "`{{{name}` is not a capture: write `{{name}}` with a name of letters, \
                         digits and `_` (it matches one path segment)"
                    ));
                }
                if tokens.contains(&Token::Capture(name.clone())) {
                    return Err(format!("the capture `{{{name}}}` appears twice"));
                }
                tokens.push(Token::Capture(name));
            }
            '}' => return Err("a `}` without its `{`: captures are written `{name}`".to_owned()),
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal));
    }
    Ok(tokens)
}

/// Matches `tokens` against the whole `text`, recording captures (backtracking: patterns are
/// a few tokens, paths a few segments).
fn match_tokens<'t>(
    tokens: &[Token],
    text: &'t str,
    captures: &mut Vec<(String, &'t str)>,
) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return text.is_empty();
    };
    match first {
        Token::Literal(l) => {
            text.starts_with(l.as_str()) && match_tokens(rest, &text[l.len()..], captures)
        }
        Token::Star => (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .any(|i| match_tokens(rest, &text[i..], captures)),
        Token::Capture(name) => {
            let segment = text.find('.').unwrap_or(text.len());
            for end in (1..=segment).filter(|&i| text.is_char_boundary(i)) {
                captures.push((name.clone(), &text[..end]));
                if match_tokens(rest, &text[end..], captures) {
                    return true;
                }
                captures.pop();
            }
            false
        }
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
    use super::*;

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

    fn caps(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        let tokens = parse(pattern).unwrap();
        let mut captures = Vec::new();
        match_tokens(&tokens, path, &mut captures).then(|| {
            captures
                .into_iter()
                .map(|(n, v)| (n, v.to_owned()))
                .collect()
        })
    }

    #[test]
    fn captures_take_one_segment() {
        let c = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        assert_eq!(
            caps(
                "model.layers.{layer}.mlp.down_proj.weight",
                "model.layers.11.mlp.down_proj.weight"
            ),
            Some(vec![c("layer", "11")])
        );
        assert_eq!(caps("layers.{i}.weight", "layers.1.2.weight"), None);
        assert_eq!(caps("layers.{i}.weight", "layers..weight"), None);
        assert_eq!(
            caps("*.{block}.{proj}.weight", "h.0.attn.c_proj.weight"),
            Some(vec![c("block", "attn"), c("proj", "c_proj")])
        );
        assert_eq!(caps("{a}", "x.y"), None);
        assert_eq!(caps("{a}*", "x.y"), Some(vec![c("a", "x")]));
    }

    #[test]
    fn malformed_patterns_are_refused_with_the_fix() {
        for (pattern, says) in [
            ("layers.{layer.weight", "is not a capture"),
            ("layers.{}.weight", "is not a capture"),
            ("layers.{1x}.weight", "is not a capture"),
            ("layers.layer}.weight", "without its `{`"),
            ("{a}.{a}", "appears twice"),
        ] {
            let rule = Rule::new(pattern, Init::Zeros);
            let err = rule
                .pattern_error()
                .unwrap_or_else(|| panic!("{pattern} parsed"));
            assert!(err.contains(says), "{pattern}: {err}");
            assert!(!rule.matches("layers.1.weight", &[2, 2]));
        }
        assert_eq!(Rule::new("a.*.{b}_x", Init::Zeros).pattern_error(), None);
    }
}
