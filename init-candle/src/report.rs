//! [`TensorReport`]: what happened to one tensor of a model (loaded or initialized, how, and
//! the statistics that follow from it), shared by [`InitReport`] and
//! [`BuildReport`](crate::build::BuildReport); [`MeasuredReport`]: those expectations next to
//! the statistics of the tensors as they are ([`InitReport::measured`]).

use std::fmt;

use candle_core::{DType, Tensor};
use init_core::{calculate_fan_in_and_fan_out, Init};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::module::InitWeights;
#[cfg(doc)]
use crate::plan::InitReport;
use crate::suggest::hint;
use crate::traversal;

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
    Attribute {
        /// The dotted path of the field that carries it (`h.0.c_proj`; `""` for the root).
        field: String,
    },
    /// The layer's PyTorch default (`reset_parameters`).
    LayerDefault,
    /// A choice made in code (`init_with`, `InitPlan::set`).
    User,
}

impl ValueSource {
    /// The source of a tensor a builder rule decided.
    pub(crate) fn rule(rule: &crate::build::Rule) -> ValueSource {
        ValueSource::Rule {
            pattern: rule.pattern().to_owned(),
        }
    }
}

impl fmt::Display for ValueSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueSource::Checkpoint { file } => write!(f, "checkpoint {file}"),
            ValueSource::Rule { pattern } => write!(f, "rule `{pattern}`"),
            ValueSource::Preset { preset } => write!(f, "preset {preset}"),
            ValueSource::CandleHint => f.write_str("candle hint (unrecognized)"),
            ValueSource::Attribute { field } => write!(f, "attribute on `{field}`"),
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
    /// The declarations this tensor's source took precedence over (`attribute on `h`
    /// (normal(mean=0, std=0.02))`, overridden by a more specific attribute or by a rule).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overridden: Vec<String>,
    /// Rows written over the tensor's own initializer by row rules (`rows [1]: zeros (rule
    /// `*embed_tokens.weight`)`, a padding row).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<String>,
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
        let gain = init.gain();
        let expected_std = init.expected_std(shape);
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
            overridden: Vec::new(),
            rows: Vec::new(),
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
            overridden: Vec::new(),
            rows: Vec::new(),
        }
    }
}

impl TensorReport {
    /// The statistics of `tensor` (the values this report describes, as they are now) next to
    /// this report's expectation.
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use candle_nn::{VarBuilder, VarMap};
    /// use init_candle::InitWeightsExt;
    ///
    /// let varmap = VarMap::new();
    /// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    /// let fc = candle_nn::linear(400, 300, vb.pp("fc"))?;
    /// let report = fc.init_weights(0)?;
    /// // PyTorch's Linear default: U(-1/20, 1/20), std 1/20/sqrt(3) = 0.0289.
    /// let m = report.tensors[0].measured(fc.weight())?;
    /// assert_eq!(m.path, "weight");
    /// assert!((m.std.unwrap() / m.expected_std.unwrap() - 1.0).abs() < 0.01);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A tensor whose shape differs from the report's (it is not the tensor described), or a
    /// Candle error while reducing it.
    pub fn measured(&self, tensor: &Tensor) -> Result<MeasuredTensor> {
        if tensor.dims() != self.shape.as_slice() {
            return Err(Error::ShapeMismatch {
                path: self.path.clone(),
                expected: self.shape.clone(),
                got: tensor.dims().to_vec(),
            });
        }
        let (mean, std) = mean_std(tensor)?;
        Ok(MeasuredTensor {
            path: self.path.clone(),
            shape: self.shape.clone(),
            init: self.init.clone(),
            expected_std: self.expected_std,
            mean,
            std,
        })
    }
}

/// The mean and the population standard deviation (divided by n, not n - 1) of the values, in
/// f64; `None` for an empty tensor.
fn mean_std(tensor: &Tensor) -> Result<(Option<f64>, Option<f64>)> {
    if tensor.elem_count() == 0 {
        return Ok((None, None));
    }
    let values = tensor.flatten_all()?.to_dtype(DType::F64)?;
    let mean = values.mean_all()?;
    let var = values.broadcast_sub(&mean)?.sqr()?.mean_all()?;
    Ok((
        Some(mean.to_scalar::<f64>()?),
        Some(var.to_scalar::<f64>()?.sqrt()),
    ))
}

/// Tensors found by path, for [`InitReport::measured`]: a model (its parameters and buffers
/// under their dotted paths) or a candle-nn `VarMap` (its variables under their names, the
/// VarBuilder paths).
pub trait NamedTensors {
    /// Every tensor with its path.
    ///
    /// # Errors
    /// A `VarMap` whose lock is poisoned.
    fn named_tensors(&self) -> Result<Vec<(String, Tensor)>>;
}

impl<T: InitWeights + ?Sized> NamedTensors for T {
    fn named_tensors(&self) -> Result<Vec<(String, Tensor)>> {
        let mut all = traversal::named_parameters(self.as_module());
        all.extend(traversal::named_buffers(self.as_module()));
        Ok(all)
    }
}

impl NamedTensors for candle_nn::VarMap {
    fn named_tensors(&self) -> Result<Vec<(String, Tensor)>> {
        let data = self.data().lock().map_err(|_| Error::VarMapPoisoned)?;
        Ok(data
            .iter()
            .map(|(name, var)| (name.clone(), var.as_tensor().clone()))
            .collect())
    }
}

/// The measured statistics of each reported tensor, found by path in `tensors`.
pub(crate) fn measure<S: NamedTensors + ?Sized>(
    reports: &[TensorReport],
    tensors: &S,
) -> Result<MeasuredReport> {
    let all = tensors.named_tensors()?;
    let by_path: std::collections::HashMap<&str, &Tensor> =
        all.iter().map(|(p, t)| (p.as_str(), t)).collect();
    let rows = reports
        .iter()
        .map(|report| match by_path.get(report.path.as_str()) {
            Some(tensor) => report.measured(tensor),
            None => {
                let paths: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
                Err(Error::NoSuchParameter {
                    path: report.path.clone(),
                    hint: hint(&report.path, &paths),
                })
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MeasuredReport { tensors: rows })
}

/// One tensor's expected std next to its measured statistics ([`TensorReport::measured`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasuredTensor {
    /// The dotted path.
    pub path: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// The initializer written; `None` for a tensor loaded from a checkpoint.
    pub init: Option<Init>,
    /// The std the initializer promises, where it has a closed form (0 for constants).
    pub expected_std: Option<f64>,
    /// The mean of the values; `None` for an empty tensor.
    pub mean: Option<f64>,
    /// The population standard deviation of the values (divided by n); `None` for an empty
    /// tensor.
    pub std: Option<f64>,
}

/// What [`InitReport::measured`] returns: per tensor, the expected std and the measured std
/// and mean. `Display` prints an aligned table with the columns `path`, `shape`, `init`,
/// `expected std`, `std`, `mean`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MeasuredReport {
    /// The tensors, in the report's order.
    pub tensors: Vec<MeasuredTensor>,
}

impl fmt::Display for MeasuredReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = ["path", "shape", "init", "expected std", "std", "mean"];
        let cells: Vec<[String; 6]> = self
            .tensors
            .iter()
            .map(|m| {
                [
                    m.path.clone(),
                    format!("{:?}", m.shape),
                    m.init
                        .as_ref()
                        .map_or_else(|| "loaded".to_owned(), Init::to_string),
                    number(m.expected_std),
                    number(m.std),
                    number(m.mean),
                ]
            })
            .collect();
        write_aligned(f, &header, &cells, 3)
    }
}

/// A statistic with four significant digits ("-" when there is none).
fn number(v: Option<f64>) -> String {
    match v {
        None => "-".to_owned(),
        Some(0.0) => "0".to_owned(),
        Some(v) if (1e-3..1e5).contains(&v.abs()) => {
            let decimals = (3 - v.abs().log10().floor() as i32).max(0) as usize;
            format!("{v:.decimals$}")
        }
        Some(v) => format!("{v:.3e}"),
    }
}

/// Writes `rows` as an aligned table: path, shape, dtype, initializer, source, fans, gain, std.
/// The table of `rows`. `{}` prints a summary: rows that differ only in the numbers of their
/// paths (the layers of a stack) are one row, `model.layers.{0..15}.mlp.down_proj.weight`
/// (`{0..15}`: 0 to 15, both included; `{0,2,5}` when not consecutive), and numbers are rounded
/// to 4 significant digits; `{:#}` prints every tensor with full precision.
pub(crate) fn write_table(f: &mut fmt::Formatter<'_>, rows: &[TensorReport]) -> fmt::Result {
    let full = f.alternate();
    let opt = |v: Option<usize>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let optf = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
    let header = [
        "path", "shape", "dtype", "init", "source", "fan_in", "fan_out", "gain", "std",
    ];
    let cells = |path: String, r: &TensorReport| -> [String; 9] {
        let init = r
            .init
            .as_ref()
            .map_or_else(|| "loaded".to_owned(), Init::to_string);
        [
            path,
            format!("{:?}", r.shape),
            r.dtype.clone(),
            if full { init } else { round_numbers(&init) },
            r.source.to_string(),
            opt(r.fan_in),
            opt(r.fan_out),
            optf(r.gain),
            optf(r.expected_std),
        ]
    };
    let table: Vec<[String; 9]> = if full {
        rows.iter().map(|r| cells(r.path.clone(), r)).collect()
    } else {
        group_rows(rows)
            .into_iter()
            .map(|(path, r)| cells(path, r))
            .collect()
    };
    write_aligned(f, &header, &table, 5)?;
    let overrides: Vec<(String, &TensorReport)> = if full {
        rows.iter().map(|r| (r.path.clone(), r)).collect()
    } else {
        group_rows(rows)
    };
    for (path, r) in overrides {
        for over in &r.overridden {
            writeln!(f, "`{path}`: {} took precedence over {over}", r.source)?;
        }
        for rows in &r.rows {
            writeln!(f, "`{path}`: {rows}")?;
        }
    }
    Ok(())
}

/// Rows that differ only in the numeric segments of their paths, merged when they cover every
/// combination of those numbers; each with the path that names them all, in first-seen order.
fn group_rows(rows: &[TensorReport]) -> Vec<(String, &TensorReport)> {
    let template = |path: &str| -> (String, Vec<usize>) {
        let mut numbers = Vec::new();
        let segments: Vec<&str> = path
            .split('.')
            .map(|s| match s.parse::<usize>() {
                Ok(n) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                    numbers.push(n);
                    "{}"
                }
                _ => s,
            })
            .collect();
        (segments.join("."), numbers)
    };
    let same = |a: &TensorReport, b: &TensorReport| {
        a.shape == b.shape
            && a.dtype == b.dtype
            && a.init == b.init
            && a.source == b.source
            && a.fan_in == b.fan_in
            && a.fan_out == b.fan_out
            && a.gain == b.gain
            && a.expected_std == b.expected_std
            && a.overridden == b.overridden
            && a.rows == b.rows
    };
    // Groups of row indices: same template and same report.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let (t, _) = template(&row.path);
        match groups
            .iter_mut()
            .find(|(gt, members)| *gt == t && same(&rows[members[0]], row))
        {
            Some((_, members)) => members.push(i),
            None => groups.push((t, vec![i])),
        }
    }
    let mut out = Vec::new();
    for (t, members) in groups {
        let numbers: Vec<Vec<usize>> = members.iter().map(|&i| template(&rows[i].path).1).collect();
        let positions = numbers[0].len();
        let sets: Vec<Vec<usize>> = (0..positions)
            .map(|p| {
                let mut set: Vec<usize> = numbers.iter().map(|n| n[p]).collect();
                set.sort_unstable();
                set.dedup();
                set
            })
            .collect();
        let combinations: usize = sets.iter().map(Vec::len).product();
        if members.len() == 1 || combinations != members.len() {
            out.extend(members.iter().map(|&i| (rows[i].path.clone(), &rows[i])));
            continue;
        }
        let mut path = String::new();
        let mut sets = sets.iter();
        for (k, piece) in t.split("{}").enumerate() {
            if k > 0 {
                path.push_str(&numbers_text(sets.next().map_or(&[][..], Vec::as_slice)));
            }
            path.push_str(piece);
        }
        out.push((path, &rows[members[0]]));
    }
    out
}

/// `7`, `{0..15}` (consecutive, both ends included) or `{0,2,5}`.
fn numbers_text(set: &[usize]) -> String {
    match set {
        [one] => one.to_string(),
        [first, .., last] if last - first + 1 == set.len() => format!("{{{first}..{last}}}"),
        _ => {
            let items: Vec<String> = set.iter().map(usize::to_string).collect();
            format!("{{{}}}", items.join(","))
        }
    }
}

/// `text` with every number longer than 4 significant digits rounded to 4
/// (`std=0.014142135623730949` -> `std=0.01414`).
fn round_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            || (bytes[i] == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts_number {
            // A word (`kaiming_normal`, `x1.5`) is copied whole, numbers in it untouched.
            let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
            let mut end = i + text[i..].chars().next().map_or(1, char::len_utf8);
            if word(bytes[i]) {
                while end < bytes.len() && word(bytes[end]) {
                    end += 1;
                }
            }
            out.push_str(&text[i..end]);
            i = end;
            continue;
        }
        let mut end = i + 1;
        while end < bytes.len()
            && (bytes[end].is_ascii_digit()
                || bytes[end] == b'.'
                || matches!(bytes[end], b'e' | b'E')
                || (matches!(bytes[end], b'-' | b'+') && matches!(bytes[end - 1], b'e' | b'E')))
        {
            end += 1;
        }
        let number = &text[i..end];
        match number.parse::<f64>() {
            Ok(x) if significant_digits(number) > 4 => out.push_str(&four_digits(x)),
            _ => out.push_str(number),
        }
        i = end;
    }
    out
}

fn significant_digits(number: &str) -> usize {
    let mantissa = number.split(['e', 'E']).next().unwrap_or(number);
    mantissa
        .trim_start_matches('-')
        .trim_start_matches(['0', '.'])
        .chars()
        .filter(char::is_ascii_digit)
        .count()
}

fn four_digits(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if (-4..6).contains(&magnitude) {
        let decimals = (3 - magnitude).max(0) as usize;
        let s = format!("{x:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    } else {
        format!("{x:.3e}")
    }
}

/// Writes a table: columns before `first_number` left-aligned (text), the others
/// right-aligned (numbers), two spaces between columns.
fn write_aligned<const N: usize>(
    f: &mut fmt::Formatter<'_>,
    header: &[&str; N],
    cells: &[[String; N]],
    first_number: usize,
) -> fmt::Result {
    let mut widths = header.map(str::len);
    for row in cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |f: &mut fmt::Formatter<'_>, row: &[&str]| -> fmt::Result {
        let mut out = String::new();
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            if i >= first_number {
                out.push_str(&format!("{c:>w$}  "));
            } else {
                out.push_str(&format!("{c:<w$}  "));
            }
        }
        writeln!(f, "{}", out.trim_end())
    };
    line(f, header)?;
    for row in cells {
        line(f, &row.each_ref().map(String::as_str))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::InitWeightsExt;
    use crate::plan::InitReport;

    #[test]
    fn numbers_round_to_four_significant_digits() {
        assert_eq!(
            round_numbers("normal(mean=0, std=0.014142135623730949)"),
            "normal(mean=0, std=0.01414)"
        );
        assert_eq!(
            round_numbers("uniform(low=-0.3535533905932738, high=0.3535533905932738)"),
            "uniform(low=-0.3536, high=0.3536)"
        );
        assert_eq!(round_numbers("constant(value=0.5)"), "constant(value=0.5)");
        assert_eq!(
            round_numbers("trunc_normal(mean=0, std=0.02, a=-2, b=2)"),
            "trunc_normal(mean=0, std=0.02, a=-2, b=2)"
        );
        assert_eq!(
            round_numbers("normal(mean=0, std=1.23456789e-7)"),
            "normal(mean=0, std=1.235e-7)"
        );
        assert_eq!(round_numbers("x1.2345678"), "x1.2345678");
        assert_eq!(round_numbers("é=0.123456"), "é=0.1235");
        assert_eq!(
            round_numbers("kaiming_normal(a=2.2360679774997896, mode=fan_in)"),
            "kaiming_normal(a=2.236, mode=fan_in)"
        );
    }

    fn row(path: &str, std: f64) -> TensorReport {
        TensorReport::initialized(
            path.to_owned(),
            &[4, 4],
            DType::F32,
            Init::Normal { mean: 0.0, std },
            ValueSource::User,
        )
    }

    #[test]
    fn rows_of_a_stack_print_as_one() {
        let rows: Vec<TensorReport> = (0..16)
            .map(|l| row(&format!("model.layers.{l}.mlp.down_proj.weight"), 0.02))
            .chain([row("lm_head.weight", 0.02)])
            .collect();
        let paths: Vec<String> = group_rows(&rows).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "model.layers.{0..15}.mlp.down_proj.weight",
                "lm_head.weight"
            ]
        );
        // Different stds (a depth-scaled init) stay apart, one row each.
        let rows: Vec<TensorReport> = (0..3)
            .map(|l| row(&format!("h.{l}.c_proj.weight"), 0.02 / (l + 1) as f64))
            .collect();
        assert_eq!(group_rows(&rows).len(), 3);
        // Not every combination: not merged.
        let rows = vec![row("a.0.b.0.w", 0.1), row("a.1.b.1.w", 0.1)];
        assert_eq!(group_rows(&rows).len(), 2);
        let rows = vec![row("a.0.w", 0.1), row("a.2.w", 0.1), row("a.5.w", 0.1)];
        assert_eq!(group_rows(&rows)[0].0, "a.{0,2,5}.w");
    }
    use candle_core::Device;
    use candle_nn::{Linear, VarBuilder, VarMap};

    fn linear(varmap: &VarMap, path: &str, fan_in: usize, fan_out: usize) -> Linear {
        let vb = VarBuilder::from_varmap(varmap, DType::F32, &Device::Cpu);
        candle_nn::linear(fan_in, fan_out, vb.pp(path)).unwrap()
    }

    /// `init` for the weight and `bias` for the bias of every Linear.
    fn init_linear(m: &impl InitWeights, init: Init, bias: Init) -> InitReport {
        m.init_with(3, &mut |m| {
            if m.is::<Linear>() {
                m.init_weight(init.clone());
                m.init_bias(bias.clone());
            }
            Ok(())
        })
        .unwrap()
    }

    #[test]
    fn measured_std_of_a_large_normal_linear_is_its_std() {
        let varmap = VarMap::new();
        let fc = linear(&varmap, "fc", 1000, 1000);
        let report = init_linear(
            &fc,
            Init::Normal {
                mean: 0.0,
                std: 0.02,
            },
            Init::Constant { value: 0.5 },
        );
        let measured = report.measured(&fc).unwrap();
        assert_eq!(measured.tensors.len(), 2);
        let w = &measured.tensors[0];
        assert_eq!(w.path, "weight");
        assert_eq!(w.shape, [1000, 1000]);
        assert_eq!(w.expected_std, Some(0.02));
        // 10^6 draws: the sample std's own std is 0.02 / sqrt(2e6) = 1.4e-5 (0.07%), the mean's
        // 0.02 / 1000 = 2e-5; the bounds are 4 and 5 of those.
        let std = w.std.unwrap();
        assert!((std / 0.02 - 1.0).abs() < 0.003, "{std}");
        assert!(w.mean.unwrap().abs() < 1e-4, "{:?}", w.mean);
        // A constant has std 0 exactly, and its value as mean.
        let b = &measured.tensors[1];
        assert_eq!(b.path, "bias");
        assert_eq!(b.expected_std, Some(0.0));
        assert_eq!(b.std, Some(0.0));
        assert_eq!(b.mean, Some(0.5));
    }

    #[derive(crate::InitWeights)]
    struct Head {
        fc: Linear,
    }

    #[test]
    fn measured_from_the_varmap_equals_measured_from_the_model() {
        let varmap = VarMap::new();
        let head = Head {
            fc: linear(&varmap, "fc", 64, 32),
        };
        let report = init_linear(&head, Init::xavier_uniform(), Init::Zeros);
        let from_model = report.measured(&head).unwrap();
        assert_eq!(from_model.tensors[0].path, "fc.weight");
        assert_eq!(report.measured(&varmap).unwrap(), from_model);
        // xavier_uniform on (32, 64): U(-a, a), a = sqrt(6 / 96) = 0.25, std a / sqrt(3).
        let expected = 0.25 / 3f64.sqrt();
        assert!((from_model.tensors[0].expected_std.unwrap() - expected).abs() < 1e-12);
        let std = from_model.tensors[0].std.unwrap();
        assert!((std / expected - 1.0).abs() < 0.03, "{std}");
        assert_eq!(from_model.tensors[1].std, Some(0.0));
    }

    #[test]
    fn measured_table_has_the_columns() {
        let varmap = VarMap::new();
        let fc = linear(&varmap, "fc", 8, 4);
        let report = init_linear(&fc, Init::Zeros, Init::Ones);
        let text = report.measured(&fc).unwrap().to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let header: Vec<&str> = lines[0]
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            header,
            ["path", "shape", "init", "expected std", "std", "mean"],
            "{text}"
        );
        let weight: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            weight,
            ["weight", "[4,", "8]", "zeros", "0", "0", "0"],
            "{text}"
        );
        let bias: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(bias, ["bias", "[4]", "ones", "0", "0", "1.000"], "{text}");
    }

    #[test]
    fn measured_against_another_model_names_the_missing_path() {
        let varmap = VarMap::new();
        let fc = linear(&varmap, "fc", 8, 4);
        let report = init_linear(&fc, Init::Zeros, Init::Zeros);
        let other = VarMap::new();
        let _ = linear(&other, "head", 8, 4);
        let err = report.measured(&other).unwrap_err().to_string();
        assert!(err.contains("no parameter `weight`"), "{err}");
        assert!(err.contains("head.weight"), "{err}");
        // The right path with another shape is not the tensor described.
        let big = Head {
            fc: linear(&VarMap::new(), "fc", 8, 4),
        };
        let small = Head {
            fc: linear(&VarMap::new(), "fc", 2, 4),
        };
        let report = init_linear(&big, Init::Zeros, Init::Zeros);
        let err = report.measured(&small).unwrap_err().to_string();
        assert!(err.starts_with("fc.weight:"), "{err}");
        assert!(err.contains("[4, 8]") && err.contains("[4, 2]"), "{err}");
    }

    #[test]
    fn number_keeps_four_significant_digits() {
        assert_eq!(number(None), "-");
        assert_eq!(number(Some(0.0)), "0");
        assert_eq!(number(Some(0.0625)), "0.06250");
        assert_eq!(number(Some(1.0)), "1.000");
        assert_eq!(number(Some(-12.345)), "-12.35");
        assert_eq!(number(Some(2.5e-5)), "2.500e-5");
        assert_eq!(number(Some(3.0e7)), "3.000e7");
    }

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
