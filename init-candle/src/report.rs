//! [`TensorReport`]: what happened to one tensor of a model (loaded or initialized, how, and
//! the statistics that follow from it), shared by [`InitReport`](crate::InitReport) and
//! [`BuildReport`](crate::build::BuildReport).

use std::fmt;

use init_core::{calculate_fan_in_and_fan_out, calculate_gain, FanMode, Init, Nonlinearity};
use serde::Serialize;

/// Where a tensor's values come from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValueSource {
    /// Loaded from a checkpoint file.
    Checkpoint {
        /// The file it was read from.
        file: String,
    },
    /// A builder rule whose pattern matched the path.
    Rule {
        /// The rule's pattern.
        pattern: String,
    },
    /// A builder preset recognized the tensor (`pytorch`, `hf(0.02)`, `candle`, `zeros`).
    Preset {
        /// The preset's name.
        preset: String,
    },
    /// No rule or preset recognized the tensor: candle-nn's own hint, seeded.
    CandleHint,
    /// An `#[init(...)]` declaration of the model.
    Attribute,
    /// The layer's PyTorch default (`reset_parameters`).
    LayerDefault,
    /// A choice made in code (`init_with`, `InitPlan::set`).
    User,
}

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueSource::Checkpoint { file } => write!(f, "checkpoint {file}"),
            ValueSource::Rule { pattern } => write!(f, "rule `{pattern}`"),
            ValueSource::Preset { preset } => write!(f, "preset {preset}"),
            ValueSource::CandleHint => f.write_str("candle hint (unrecognized)"),
            ValueSource::Attribute => f.write_str("attribute"),
            ValueSource::LayerDefault => f.write_str("layer default"),
            ValueSource::User => f.write_str("user"),
        }
    }
}

/// One tensor of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TensorReport {
    /// The dotted path (also the name of its random stream).
    pub path: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its dtype (`"f32"`, `"bf16"`, ...).
    pub dtype: String,
    /// The initializer written; `None` for a tensor loaded from a checkpoint.
    pub init: Option<Init>,
    /// Where the values come from.
    pub source: ValueSource,
    /// PyTorch's fan_in of the shape (2-D and up).
    pub fan_in: Option<usize>,
    /// PyTorch's fan_out of the shape (2-D and up).
    pub fan_out: Option<usize>,
    /// The gain the initializer applies (Xavier, Kaiming, orthogonal).
    pub gain: Option<f64>,
    /// The standard deviation of the values the initializer draws (0 for constants), where it
    /// has a closed form.
    pub expected_std: Option<f64>,
}

impl TensorReport {
    /// The report of `init` written to a tensor of `shape` and `dtype`.
    pub(crate) fn initialized(
        path: String,
        shape: &[usize],
        dtype: candle_core::DType,
        init: Init,
        source: ValueSource,
    ) -> TensorReport {
        let fans = calculate_fan_in_and_fan_out(shape).ok();
        let gain = gain_of(&init);
        let expected_std = fans_std(&init, shape, fans);
        TensorReport {
            path,
            shape: shape.to_vec(),
            dtype: dtype.as_str().to_owned(),
            init: Some(init),
            source,
            fan_in: fans.map(|f| f.0),
            fan_out: fans.map(|f| f.1),
            gain,
            expected_std,
        }
    }

    /// The report of a tensor loaded from `file`.
    pub(crate) fn loaded(
        path: String,
        shape: &[usize],
        dtype: candle_core::DType,
        file: String,
    ) -> TensorReport {
        let fans = calculate_fan_in_and_fan_out(shape).ok();
        TensorReport {
            path,
            shape: shape.to_vec(),
            dtype: dtype.as_str().to_owned(),
            init: None,
            source: ValueSource::Checkpoint { file },
            fan_in: fans.map(|f| f.0),
            fan_out: fans.map(|f| f.1),
            gain: None,
            expected_std: None,
        }
    }
}

/// `init` in `torch.nn.init` call syntax, without the tensor: `normal(mean=0, std=0.02)`.
pub fn describe(init: &Init) -> String {
    match init {
        Init::Uniform { low, high } => format!("uniform(a={low}, b={high})"),
        Init::Normal { mean, std } => format!("normal(mean={mean}, std={std})"),
        Init::TruncNormal { mean, std, a, b } => {
            format!("trunc_normal(mean={mean}, std={std}, a={a}, b={b})")
        }
        Init::Constant { value } => format!("constant({value})"),
        Init::Zeros => "zeros".into(),
        Init::Ones => "ones".into(),
        Init::Eye => "eye".into(),
        Init::Dirac { groups } => format!("dirac(groups={groups})"),
        Init::XavierUniform { gain } => format!("xavier_uniform(gain={gain})"),
        Init::XavierNormal { gain } => format!("xavier_normal(gain={gain})"),
        Init::KaimingUniform {
            a,
            mode,
            nonlinearity,
        } => format!(
            "kaiming_uniform(a={a}, mode={}, nonlinearity={})",
            mode.name(),
            nonlinearity.name()
        ),
        Init::KaimingNormal {
            a,
            mode,
            nonlinearity,
        } => format!(
            "kaiming_normal(a={a}, mode={}, nonlinearity={})",
            mode.name(),
            nonlinearity.name()
        ),
        Init::Orthogonal { gain } => format!("orthogonal(gain={gain})"),
        Init::Sparse { sparsity, std } => format!("sparse(sparsity={sparsity}, std={std})"),
    }
}

fn gain_of(init: &Init) -> Option<f64> {
    match init {
        Init::XavierUniform { gain } | Init::XavierNormal { gain } | Init::Orthogonal { gain } => {
            Some(*gain)
        }
        Init::KaimingUniform {
            a, nonlinearity, ..
        }
        | Init::KaimingNormal {
            a, nonlinearity, ..
        } => {
            let nonlinearity = match nonlinearity {
                Nonlinearity::LeakyRelu { .. } => Nonlinearity::LeakyRelu { negative_slope: *a },
                other => *other,
            };
            calculate_gain(nonlinearity).ok()
        }
        _ => None,
    }
}

fn fans_std(init: &Init, shape: &[usize], fans: Option<(usize, usize)>) -> Option<f64> {
    let sqrt12 = 12f64.sqrt();
    match init {
        Init::Uniform { low, high } => Some((high - low) / sqrt12),
        Init::Normal { std, .. } => Some(*std),
        Init::TruncNormal { mean, std, a, b } => Some(trunc_normal_std(*mean, *std, *a, *b)),
        Init::Constant { .. } | Init::Zeros | Init::Ones => Some(0.0),
        Init::XavierUniform { gain } | Init::XavierNormal { gain } => {
            let (fan_in, fan_out) = fans?;
            Some(gain * (2.0 / (fan_in + fan_out) as f64).sqrt())
        }
        Init::KaimingUniform { mode, .. } | Init::KaimingNormal { mode, .. } => {
            let (fan_in, fan_out) = fans?;
            let fan = match mode {
                FanMode::FanIn => fan_in,
                FanMode::FanOut => fan_out,
            };
            Some(gain_of(init)? / (fan as f64).sqrt())
        }
        Init::Orthogonal { gain } => {
            let rows = *shape.first()?;
            let cols: usize = shape.iter().skip(1).product();
            Some(gain / (rows.max(cols) as f64).sqrt())
        }
        Init::Sparse { sparsity, std } => {
            let rows = *shape.first()? as f64;
            let zeros = (sparsity * rows).ceil();
            Some(std * ((rows - zeros).max(0.0) / rows).sqrt())
        }
        Init::Eye | Init::Dirac { .. } => None,
    }
}

/// The standard deviation of N(mean, std^2) conditioned on (a, b).
fn trunc_normal_std(mean: f64, std: f64, a: f64, b: f64) -> f64 {
    let (alpha, beta) = ((a - mean) / std, (b - mean) / std);
    let pdf = |x: f64| {
        if x.is_infinite() {
            0.0
        } else {
            (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
        }
    };
    let xpdf = |x: f64| if x.is_infinite() { 0.0 } else { x * pdf(x) };
    let z = normal_mass(alpha, beta);
    let m = (pdf(alpha) - pdf(beta)) / z;
    let var = 1.0 + (xpdf(alpha) - xpdf(beta)) / z - m * m;
    std * var.max(0.0).sqrt()
}

/// P(alpha < Z < beta) for a standard normal Z, accurate in both tails.
fn normal_mass(alpha: f64, beta: f64) -> f64 {
    let sf = |x: f64| 0.5 * erfc(x / std::f64::consts::SQRT_2);
    if alpha >= 0.0 {
        sf(alpha) - sf(beta)
    } else if beta <= 0.0 {
        sf(-beta) - sf(-alpha)
    } else {
        1.0 - sf(-alpha) - sf(beta)
    }
}

/// erfc to ~1e-7 relative (Numerical Recipes' Chebyshev fit), enough for a report.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Writes `rows` as an aligned table: path, shape, dtype, initializer, source, fans, gain, std.
pub(crate) fn write_table(f: &mut fmt::Formatter<'_>, rows: &[TensorReport]) -> fmt::Result {
    let opt = |v: Option<usize>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let optf = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
    let header = [
        "path", "shape", "dtype", "init", "source", "fan_in", "fan_out", "gain", "std",
    ];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            [
                r.path.clone(),
                format!("{:?}", r.shape),
                r.dtype.clone(),
                r.init
                    .as_ref()
                    .map_or_else(|| "loaded".to_owned(), describe),
                r.source.to_string(),
                opt(r.fan_in),
                opt(r.fan_out),
                optf(r.gain),
                optf(r.expected_std),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |f: &mut fmt::Formatter<'_>, row: &[&str]| -> fmt::Result {
        let mut out = String::new();
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            // Text columns left-aligned, numbers right-aligned.
            if i >= 5 {
                out.push_str(&format!("{c:>w$}  "));
            } else {
                out.push_str(&format!("{c:<w$}  "));
            }
        }
        writeln!(f, "{}", out.trim_end())
    };
    line(f, &header)?;
    for row in &cells {
        line(f, &row.each_ref().map(String::as_str))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_stds() {
        let std = |init: Init, shape: &[usize]| {
            TensorReport::initialized(
                "w".into(),
                shape,
                candle_core::DType::F32,
                init,
                ValueSource::User,
            )
            .expected_std
            .unwrap()
        };
        assert!(
            (std(
                Init::Uniform {
                    low: -1.0,
                    high: 1.0
                },
                &[4]
            ) - 1.0 / 3f64.sqrt())
            .abs()
                < 1e-12
        );
        // xavier on (20, 30): sqrt(2 / 50)
        assert!((std(Init::xavier_normal(), &[20, 30]) - 0.2).abs() < 1e-12);
        // kaiming relu fan_in 50: sqrt(2) / sqrt(50) = 0.2
        assert!((std(Init::kaiming_normal(), &[7, 50]) - 0.2).abs() < 1e-12);
        // the standard normal truncated to (-2, 2): sqrt(1 - 4 phi(2) / (1 - 2 Q(2))) = 0.87962566
        let t = std(
            Init::TruncNormal {
                mean: 0.0,
                std: 1.0,
                a: -2.0,
                b: 2.0,
            },
            &[3],
        );
        assert!((t - 0.879_625_661).abs() < 1e-6, "{t}");
        // a one-sided tail (2, inf): m = phi(2) / Q(2), sqrt(1 + 2 m - m^2) = 0.33805192
        let t = std(
            Init::TruncNormal {
                mean: 0.0,
                std: 1.0,
                a: 2.0,
                b: f64::INFINITY,
            },
            &[3],
        );
        assert!((t - 0.338_051_92).abs() < 1e-5, "{t}");
    }
}
