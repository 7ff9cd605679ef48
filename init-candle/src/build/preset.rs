//! [`Preset`]: what a tensor gets when no rule names it, recognized from what a constructor
//! asks candle-nn's `VarBuilder` for (the path, the shape, candle-nn's hint).

use std::fmt;

use candle_nn::init::NormalOrUniform;
use init_core::Init;
use serde::Serialize;

use super::hf::{FamilyChoice, HfPreset};
use crate::defaults::{fan_in_uniform_dims, uniform_bound};

/// The initializers for tensors no [`Rule`](super::Rule) names.
///
/// # `Preset::PyTorch`: each candle-nn constructor's PyTorch `reset_parameters`
///
/// | request (what candle-nn 0.11 asks for) | constructors | initializer |
/// |---|---|---|
/// | hint `Const(v)`, `v` not 0 | `layer_norm`, `rms_norm`, `batch_norm` (weight 1, running_var 1), `group_norm`, `prelu` (0.25) | `constant(v)`, as PyTorch |
/// | hint `Const(0)`: a deliberate zero, or `vb.get(shape, name)` without a hint (candle sends `Const(0)` for both), read by name and shape: | | |
/// | - a 1-D `weight` (`gamma`, `scale`) of a norm module (its name contains `norm`, or has the word `ln`, `ln1`..: `input_layernorm`, `LayerNorm`, `ln_f`, `attn_ln`) | `layer_norm` by hand, falcon, gpt_bigcode, t5, whisper, gemma | `ones` |
/// | - a `bias` (`beta`) whose `weight` has its shape | `layer_norm`, `group_norm`, `batch_norm` | `constant(value=0)` |
/// | - a 1-D `bias` beside a `weight` of 2-D and up | a Linear/Conv written with `vb.get` | U(-1/sqrt(fan_in), 1/sqrt(fan_in)) of that weight |
/// | - a `bias` with no `weight` | | `constant(value=0)` |
/// | - `running_mean` | `batch_norm` | `constant(value=0)` |
/// | - a `weight` of 2-D and up | a Linear/Conv written with `vb.get` | U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (as a sharded build reads it) |
/// | - anything else (a class token, a position table, Mamba's `A_log`, `D`) | | not recognized |
/// | `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` (`_reverse` too) | `lstm`, `gru` | U(-1/sqrt(H), 1/sqrt(H)), H = `weight_hh_l{k}`'s second dimension |
/// | 2-D and up, hint `Kaiming { .. }` or `Uniform { .. }` | `linear`, `linear_no_bias`, `conv1d`/`conv2d` (and `_no_bias`), `conv_transpose1d`/`2d` | U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's `kaiming_uniform_(a=sqrt(5))`; fans from the full shape, ConvTranspose's `(in, out/groups, k..)` layout as in PyTorch) |
/// | `bias`, 1-D, beside a `weight` of 2-D and up | the layers above | U(-1/sqrt(fan_in), 1/sqrt(fan_in)) of that weight (candle-nn's own hint uses `in_channels` without the kernel and groups) |
/// | hint `Randn { mean, stdev }` | `embedding` (N(0, 1)) | `normal(mean, stdev)` |
///
/// A request none of these rows recognize (a `Const(0)` request of the last kind, say, or a
/// 1-D tensor that is not a `bias`, asked for with `Init::Uniform` or `Init::Kaiming` by a
/// constructor of another crate) is written with candle-nn's own hint, seeded, and reported
/// as [`ValueSource::CandleHint`](crate::ValueSource::CandleHint); in a
/// [`strict`](super::ModelBuilder::strict) build it is an error. A constant 0 that a
/// constructor meant (a zero-initialized gate, say) is therefore named by a rule:
/// `.rule("*.gate", Init::Zeros)`.
///
/// A sharded build ([`build_sharded`](super::ModelBuilder::build_sharded)) gets candle's
/// `Shard` hints, which say nothing about initialization: there the rows above that need a
/// hint apply by name and shape only (a tensor of 2-D and up is a Linear/Conv weight; a 1-D
/// `bias` beside one its bias; RNN names), and what they do not recognize is an error that asks
/// for a rule (norm weights, for instance: `.rule("*norm.weight", Init::Ones)`).
///
/// # `Preset::Hf { initializer_range }`: Hugging Face's common `_init_weights`
///
/// | request | initializer |
/// |---|---|
/// | hint `Const(v)`, `v` not 0 | `constant(v)` (candle-nn's norm weights: 1) |
/// | hint `Const(0)` (or no hint: `vb.get`), a 1-D norm weight by name, as above | `ones` |
/// | hint `Const(0)`, a `bias` (`beta`), `running_mean` | `constant(value=0)` |
/// | hint `Const(0)`, a `weight` of 2-D and up | N(0, initializer_range) |
/// | hint `Const(0)`, anything else | not recognized |
/// | any other hint, 2-D and up (Linear, Embedding, convolutions) | N(0, initializer_range) |
/// | any other hint, a 1-D `bias` | `zeros` |
///
/// Anything else: the candle hint, reported, as above. A family's own rules (padding rows,
/// scaled projections, Gemma's zero-centred norms, ...) come from its `config.json`:
/// [`HfConfig`](super::HfConfig).
///
/// # `Preset::Candle`: candle-nn's hints, seeded
///
/// What candle's `VarMap` would draw (the same distributions, with candle's fans: 1 for
/// fan_in of a 1-D tensor), from this crate's generator: reproducible and multi-threaded.
///
/// # `Preset::Zeros`
///
/// Every tensor 0.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Preset {
    /// PyTorch's `reset_parameters` of each candle-nn constructor.
    PyTorch,
    /// Hugging Face's `_init_weights`: N(0, initializer_range) weights, zero biases.
    Hf {
        /// transformers' `config.initializer_range` (0.02 for most models).
        initializer_range: f64,
    },
    /// Hugging Face's `_init_weights` of one family, read from its `config.json`
    /// ([`HfConfig::preset`](super::HfConfig::preset)): the family's own initializers, then
    /// the common ones of [`Preset::Hf`].
    HfFamily(HfPreset),
    /// candle-nn's own hints, seeded.
    Candle,
    /// Every tensor 0.
    Zeros,
}

impl Preset {
    /// `Preset::Hf { initializer_range }`.
    pub fn hf(initializer_range: f64) -> Preset {
        Preset::Hf { initializer_range }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Preset::PyTorch => f.write_str("pytorch"),
            Preset::Hf { initializer_range } => write!(f, "hf({initializer_range})"),
            Preset::HfFamily(family) => family.fmt(f),
            Preset::Candle => f.write_str("candle"),
            Preset::Zeros => f.write_str("zeros"),
        }
    }
}

/// What a preset makes of a request.
#[derive(Debug)]
pub(crate) enum Choice {
    /// This initializer.
    Init(Init),
    /// It depends on a sibling tensor not requested yet (the `weight` of a `bias`, an RNN's
    /// `weight_hh_l{k}`): ask again when construction is over.
    Wait,
    /// Not recognized: candle's hint (seeded), reported as such; `None` when the request
    /// carried no hint (a sharded build).
    Unrecognized(Option<Init>),
}

/// The request: path, shape, candle's hint, and the shapes of the tensors already requested.
pub(crate) struct Request<'a> {
    pub path: &'a str,
    pub dims: &'a [usize],
    /// candle-nn's hint; `None` from a sharded `VarBuilder`, whose hints are `Shard`s.
    pub hint: Option<candle_nn::Init>,
    pub sibling: &'a dyn Fn(&str) -> Option<Vec<usize>>,
}

impl Request<'_> {
    /// The last segment of the path and the prefix before it (`("fc", "weight")`).
    fn split(&self) -> (&str, &str) {
        match self.path.rfind('.') {
            Some(i) => (&self.path[..i], &self.path[i + 1..]),
            None => ("", self.path),
        }
    }

    /// Not recognized: candle's hint if there is one.
    fn fallback(&self) -> Choice {
        Choice::Unrecognized(self.hint.map(|h| candle_exact(h, self.dims)))
    }

    fn sibling_dims(&self, name: &str) -> Option<Vec<usize>> {
        let (prefix, _) = self.split();
        let path = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        };
        (self.sibling)(&path)
    }
}

impl Preset {
    /// The initializer for `req`; `final_pass` is set once construction is over (nothing more
    /// will be requested, so a missing sibling will not come).
    pub(crate) fn choose(&self, req: &Request<'_>, final_pass: bool) -> Choice {
        match self {
            Preset::Zeros => Choice::Init(Init::Zeros),
            Preset::Candle => match req.hint {
                Some(hint) => Choice::Init(candle_exact(hint, req.dims)),
                None => Choice::Unrecognized(None),
            },
            Preset::Hf { initializer_range } => hf(req, *initializer_range),
            Preset::HfFamily(family) => match family.decide(req.path, req.dims) {
                FamilyChoice::Init(init) => Choice::Init(init),
                FamilyChoice::Unsupported => req.fallback(),
                FamilyChoice::Common => hf(req, family.initializer_range),
            },
            Preset::PyTorch => pytorch(req, final_pass),
        }
    }
}

/// What a request with the hint `Const(0)` is, by its name and shape: candle's hint-less
/// `vb.get(shape, name)` sends `Const(0)` too, so the hint says nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ZeroHint {
    /// A 1-D `weight` (`gamma`, `scale`) of a normalization layer, by its module's name
    /// ([`is_norm_module`]): 1.
    NormWeight,
    /// A `bias` (`beta`): 0 in Hugging Face's init; PyTorch's depends on its `weight`.
    Bias,
    /// `running_mean`: 0.
    RunningMean,
    /// A `weight` of 2 dimensions and up: a Linear, Conv or Embedding weight.
    Weight,
    /// Anything else (a class token, a position table, a 1-D vector that is not a norm's).
    Unknown,
}

fn zero_hint(req: &Request<'_>) -> ZeroHint {
    let (module, name) = req.split();
    let module = module.rsplit('.').next().unwrap_or(module);
    match name {
        "weight" | "gamma" | "scale" if req.dims.len() == 1 && is_norm_module(module) => {
            ZeroHint::NormWeight
        }
        "bias" | "beta" => ZeroHint::Bias,
        "running_mean" if req.dims.len() == 1 => ZeroHint::RunningMean,
        "weight" if req.dims.len() >= 2 => ZeroHint::Weight,
        _ => ZeroHint::Unknown,
    }
}

/// Whether a module's name (the path segment before the parameter's) says normalization:
/// it contains `norm` (`norm`, `norm1`, `layernorm`, `input_layernorm`, `layer_norm`,
/// `final_layer_norm`, `LayerNorm`), or one of its `_`-separated words is `ln` followed by
/// digits or nothing (`ln`, `ln_1`, `ln_f`, `ln1`, `attn_ln`, `ln_post`).
fn is_norm_module(module: &str) -> bool {
    let lower = module.to_ascii_lowercase();
    lower.contains("norm")
        || lower.split('_').any(|word| {
            word.strip_prefix("ln")
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
        })
}

fn hf(req: &Request<'_>, initializer_range: f64) -> Choice {
    let (_, name) = req.split();
    let normal = Init::Normal {
        mean: 0.0,
        std: initializer_range,
    };
    match req.hint {
        Some(candle_nn::Init::Const(value)) if value != 0.0 => {
            Choice::Init(Init::Constant { value })
        }
        Some(candle_nn::Init::Const(value)) => match zero_hint(req) {
            ZeroHint::NormWeight => Choice::Init(Init::Ones),
            // The constant as asked (reported as `constant(value=0)`, as a non-zero one is).
            ZeroHint::Bias | ZeroHint::RunningMean => Choice::Init(Init::Constant { value }),
            ZeroHint::Weight => Choice::Init(normal),
            ZeroHint::Unknown => req.fallback(),
        },
        _ if req.dims.len() >= 2 => Choice::Init(normal),
        _ if req.dims.len() == 1 && name.starts_with("bias") => Choice::Init(Init::Zeros),
        _ => req.fallback(),
    }
}

fn pytorch(req: &Request<'_>, final_pass: bool) -> Choice {
    let (_, name) = req.split();
    if let Some(layer) = rnn_layer(name) {
        // PyTorch's RNNBase.reset_parameters: every weight and bias U(-1/sqrt(H), 1/sqrt(H)).
        return match req.sibling_dims(&format!("weight_hh_{layer}")) {
            Some(dims) if dims.len() == 2 => {
                Choice::Init(uniform_bound(1.0 / (dims[1] as f64).sqrt()))
            }
            _ if !final_pass => Choice::Wait,
            _ => req.fallback(),
        };
    }
    match req.hint {
        Some(candle_nn::Init::Const(value)) if value != 0.0 => {
            return Choice::Init(Init::Constant { value })
        }
        Some(candle_nn::Init::Const(value)) => return pytorch_zero_hint(req, value, final_pass),
        // Without a hint (sharded), a weight of 2-D and up is taken for a Linear/Conv weight.
        Some(candle_nn::Init::Kaiming { .. } | candle_nn::Init::Uniform { .. }) | None
            if req.dims.len() >= 2 =>
        {
            return Choice::Init(fan_in_uniform_dims(req.dims));
        }
        _ => {}
    }
    if name == "bias" && req.dims.len() == 1 {
        return match req.sibling_dims("weight") {
            Some(w) if w.len() >= 2 => Choice::Init(fan_in_uniform_dims(&w)),
            None if !final_pass => Choice::Wait,
            _ => req.fallback(),
        };
    }
    match req.hint {
        Some(candle_nn::Init::Randn { mean, stdev }) => {
            Choice::Init(Init::Normal { mean, std: stdev })
        }
        _ => req.fallback(),
    }
}

/// A `Const(0)` request (or a hint-less `vb.get`) under [`Preset::PyTorch`].
fn pytorch_zero_hint(req: &Request<'_>, value: f64, final_pass: bool) -> Choice {
    // The constant as asked, where it is kept (reported as `constant(value=0)`).
    let zero = Init::Constant { value };
    match zero_hint(req) {
        ZeroHint::NormWeight => Choice::Init(Init::Ones),
        ZeroHint::RunningMean => Choice::Init(zero),
        // As a sharded build reads a hint-less request: a Linear/Conv weight.
        ZeroHint::Weight => Choice::Init(fan_in_uniform_dims(req.dims)),
        ZeroHint::Bias => match req.sibling_dims("weight") {
            // A norm's bias (candle-nn's `layer_norm`, `group_norm`, `batch_norm` pass
            // `Const(0)`): its weight has its shape.
            Some(w) if w == req.dims => Choice::Init(zero),
            Some(w) if w.len() >= 2 && req.dims.len() == 1 => Choice::Init(fan_in_uniform_dims(&w)),
            None if !final_pass => Choice::Wait,
            None => Choice::Init(zero),
            Some(_) => req.fallback(),
        },
        ZeroHint::Unknown => req.fallback(),
    }
}

/// `l0`, `l1_reverse`, ... for an RNN parameter name (`weight_ih_l0_reverse`).
fn rnn_layer(name: &str) -> Option<&str> {
    let rest = ["weight_ih_", "weight_hh_", "bias_ih_", "bias_hh_"]
        .iter()
        .find_map(|p| name.strip_prefix(p))?;
    let digits = rest.strip_prefix('l')?;
    let (num, tail) = digits.split_at(
        digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len()),
    );
    (!num.is_empty() && (tail.is_empty() || tail == "_reverse")).then_some(rest)
}

/// candle-nn's hint as it would fill the tensor (`Init::var`), with candle's fans.
pub(crate) fn candle_exact(hint: candle_nn::Init, dims: &[usize]) -> Init {
    match hint {
        candle_nn::Init::Kaiming {
            dist,
            fan,
            non_linearity,
        } => {
            let fan = fan.for_shape(&candle_core::Shape::from(dims));
            let std = non_linearity.gain() / (fan as f64).sqrt();
            match dist {
                NormalOrUniform::Normal => Init::Normal { mean: 0.0, std },
                NormalOrUniform::Uniform => uniform_bound(3f64.sqrt() * std),
            }
        }
        candle_nn::Init::Const(value) => Init::Constant { value },
        candle_nn::Init::Randn { mean, stdev } => Init::Normal { mean, std: stdev },
        candle_nn::Init::Uniform { lo, up } => Init::Uniform { low: lo, high: up },
    }
}

#[cfg(test)]
mod tests {
    use super::{is_norm_module, rnn_layer};

    #[test]
    fn norm_modules() {
        for yes in [
            "norm",
            "norm1",
            "input_layernorm",
            "LayerNorm",
            "layer_norm",
            "final_layer_norm",
            "ln",
            "ln_1",
            "ln_f",
            "ln2",
            "attn_ln",
            "ln_post",
            "ln_attn",
            "rms_norm",
        ] {
            assert!(is_norm_module(yes), "{yes}");
        }
        for no in [
            "fc",
            "lm_head",
            "lnx",
            "kiln",
            "linear",
            "embed_tokens",
            "attn",
        ] {
            assert!(!is_norm_module(no), "{no}");
        }
    }

    #[test]
    fn rnn_names() {
        assert_eq!(rnn_layer("weight_ih_l0"), Some("l0"));
        assert_eq!(rnn_layer("bias_hh_l12_reverse"), Some("l12_reverse"));
        assert_eq!(rnn_layer("weight_ih_lx"), None);
        assert_eq!(rnn_layer("weight_ih_l0_other"), None);
        assert_eq!(rnn_layer("weight"), None);
    }
}
