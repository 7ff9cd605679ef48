//! Text as PyTorch prints it: modules (`print(model)`), tensors (`print(t)`) and parameters
//! (`print(model.fc.weight)`).
//!
//! The tensor layout is PyTorch's default print options: 4 decimals, fixed or scientific
//! notation chosen from the shown values, columns padded to one width, at most 80 characters a
//! line, and tensors of more than 1000 elements summarized to their first and last 3 items
//! along each dimension.

use std::fmt::Write as _;

use candle_core::{DType, Tensor};

use crate::error::Result;
use crate::module::InitWeights;
use crate::traversal::named_children;

/// A module prints as PyTorch prints it (`print(module)`): what
/// [`module_repr`](crate::InitWeightsExt::module_repr) returns.
///
/// ```
/// use init_candle::nn::{ReLU, Sequential};
/// use init_candle::{InitWeights, InitWeightsExt};
/// let seq = Sequential::new().add(ReLU);
/// for child in seq.children() {
///     assert_eq!(child.to_string(), "ReLU()");
/// }
/// let module: &dyn InitWeights = &seq;
/// assert_eq!(format!("{module}"), "Sequential(\n  (0): ReLU()\n)");
/// ```
impl std::fmt::Display for dyn InitWeights + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&module_repr(self))
    }
}

/// `Net(\n  (fc): Linear(...)\n)`, children indented by two spaces per level.
pub(crate) fn module_repr(module: &dyn InitWeights) -> String {
    let mut out = String::new();
    write_repr(module, 0, &mut out);
    out
}

fn write_repr(module: &dyn InitWeights, indent: usize, out: &mut String) {
    let children = named_children(module);
    let extra = module.extra_repr();
    if children.is_empty() {
        let _ = write!(out, "{}({extra})", module.class_name());
        return;
    }
    let _ = write!(out, "{}(", module.class_name());
    if !extra.is_empty() {
        let _ = write!(out, "\n{:width$}{extra}", "", width = indent + 2);
    }
    for (name, child) in children {
        let _ = write!(out, "\n{:width$}({name}): ", "", width = indent + 2);
        write_repr(child, indent + 2, out);
    }
    let _ = write!(out, "\n{:width$})", "", width = indent);
}

/// A float as Python's `repr` writes it (`0.1`, `1.0`, `1e-05`, `1.5e+20`), from Rust's
/// shortest round-trip digits in scientific form (`{:e}`), so `f32` values keep their short
/// form (`0.1f32` gives `0.1`, not `0.10000000149011612`).
pub(crate) fn py_float_from_sci(sci: &str) -> String {
    match sci {
        "NaN" => return "nan".into(),
        "inf" => return "inf".into(),
        "-inf" => return "-inf".into(),
        _ => {}
    }
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci.to_owned();
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return sci.to_owned();
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        // Fixed notation: place the decimal point `exp + 1` digits after the first digit.
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if (point as usize) >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.abs())
    }
}

/// Python's `repr` of an `f64`.
pub(crate) fn py_float(v: f64) -> String {
    py_float_from_sci(&format!("{v:e}"))
}

/// Python's `repr` of a value stored as `f32` (its shortest `f32` digits).
pub(crate) fn py_float32(v: f32) -> String {
    py_float_from_sci(&format!("{v:e}"))
}

/// Python's `True`/`False`.
pub(crate) fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// A tuple as Python writes it: `(3,)`, `(1, 2, 2)`.
pub(crate) fn py_tuple(items: &[usize]) -> String {
    let parts: Vec<String> = items.iter().map(|v| v.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

const PRECISION: usize = 4;
const THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;
const LINE_WIDTH: usize = 80;

/// The tensor as `print(t)` shows it in PyTorch (default print options):
/// `tensor([[ 0.1000, -2.0000]])`, with `dtype=torch.float64` and the like for dtypes other
/// than PyTorch's defaults (`float32`, `int64`), and `device='cuda:0'` off the CPU.
///
/// ```
/// use candle_core::{Device, Tensor};
/// let t = Tensor::new(&[[0.5f32, -1.25], [3.0, 0.0]], &Device::Cpu)?;
/// assert_eq!(init_candle::tensor_repr(&t)?, "tensor([[ 0.5000, -1.2500],\n        [ 3.0000,  0.0000]])");
/// let ones = Tensor::ones(3, candle_core::DType::F64, &Device::Cpu)?;
/// assert_eq!(init_candle::tensor_repr(&ones)?, "tensor([1., 1., 1.], dtype=torch.float64)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// A tensor whose values candle cannot read back as `f64` or `i64` (candle's error).
pub fn tensor_repr(t: &Tensor) -> Result<String> {
    tensor_repr_with(t, false)
}

/// A parameter as `print(model.fc.weight)` shows it in PyTorch:
/// `Parameter containing:\ntensor([...], requires_grad=True)`.
///
/// ```
/// use candle_core::{Device, Tensor};
/// let w = Tensor::new(&[[0.25f32, -0.5, 0.125]], &Device::Cpu)?;
/// assert_eq!(
///     init_candle::parameter_repr(&w)?,
///     "Parameter containing:\ntensor([[ 0.2500, -0.5000,  0.1250]], requires_grad=True)"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`tensor_repr`].
pub fn parameter_repr(t: &Tensor) -> Result<String> {
    Ok(format!(
        "Parameter containing:\n{}",
        tensor_repr_with(t, true)?
    ))
}

fn torch_dtype(dtype: DType) -> Option<&'static str> {
    Some(match dtype {
        DType::F32 | DType::I64 => return None,
        DType::F64 => "torch.float64",
        DType::F16 => "torch.float16",
        DType::BF16 => "torch.bfloat16",
        DType::U8 => "torch.uint8",
        DType::U32 => "torch.uint32",
        DType::I16 => "torch.int16",
        DType::I32 => "torch.int32",
        DType::F8E4M3 => "torch.float8_e4m3fn",
        DType::F8E8M0 => "torch.float8_e8m0fnu",
        DType::F6E2M3 => "torch.float6_e2m3fn",
        DType::F6E3M2 => "torch.float6_e3m2fn",
        DType::F4 => "torch.float4_e2m1fn_x2",
        _ => "unknown",
    })
}

fn tensor_repr_with(t: &Tensor, requires_grad: bool) -> Result<String> {
    let prefix = "tensor(";
    let indent = prefix.len();
    let mut suffixes = Vec::new();
    if let candle_core::DeviceLocation::Cuda { gpu_id } = t.device().location() {
        suffixes.push(format!("device='cuda:{gpu_id}'"));
    }
    if let candle_core::DeviceLocation::Metal { gpu_id } = t.device().location() {
        suffixes.push(format!("device='mps:{gpu_id}'"));
    }
    let dims = t.dims().to_vec();
    let body = if t.elem_count() == 0 {
        if dims.len() != 1 {
            suffixes.push(format!("size={}", py_tuple_or_empty(&dims)));
        }
        if t.dtype() != DType::F32 {
            suffixes.push(format!(
                "dtype={}",
                torch_dtype(t.dtype()).unwrap_or("torch.int64")
            ));
        }
        "[]".to_owned()
    } else {
        if let Some(name) = torch_dtype(t.dtype()) {
            suffixes.push(format!("dtype={name}"));
        }
        let values = Values::read(t)?;
        Printer::new(&dims, values).render(indent)
    };
    if requires_grad {
        suffixes.push("requires_grad=True".into());
    }
    let mut out = format!("{prefix}{body}");
    // PyTorch's count, `len(s) - s.rfind("\n") + 1` (so `len(s) + 2` without a newline).
    let mut last_line_len = match out.rfind('\n') {
        Some(i) => out.len() - i + 1,
        None => out.len() + 2,
    };
    for suffix in suffixes {
        if last_line_len + suffix.len() + 2 > LINE_WIDTH {
            let _ = write!(out, ",\n{:indent$}{suffix}", "");
            last_line_len = indent + suffix.len();
        } else {
            let _ = write!(out, ", {suffix}");
            last_line_len += suffix.len() + 2;
        }
    }
    out.push(')');
    Ok(out)
}

fn py_tuple_or_empty(dims: &[usize]) -> String {
    if dims.is_empty() {
        "()".into()
    } else {
        py_tuple(dims)
    }
}

/// A tensor's values in row-major order, as Python floats or ints.
enum Values {
    Float(Vec<f64>),
    Int(Vec<i64>),
}

impl Values {
    fn read(t: &Tensor) -> Result<Self> {
        let flat = t.flatten_all()?;
        Ok(match t.dtype() {
            DType::U8 | DType::U32 | DType::I16 | DType::I32 | DType::I64 => {
                Values::Int(flat.to_dtype(DType::I64)?.to_vec1::<i64>()?)
            }
            DType::F64 => Values::Float(flat.to_vec1::<f64>()?),
            _ => Values::Float(
                flat.to_dtype(DType::F32)?
                    .to_vec1::<f32>()?
                    .into_iter()
                    .map(f64::from)
                    .collect(),
            ),
        })
    }
}

/// PyTorch's `_Formatter`: one width and one notation for every shown value.
struct Formatter {
    float: bool,
    int_mode: bool,
    sci_mode: bool,
    width: usize,
}

/// Python's `"{:.4e}"`: at least two exponent digits, with a sign.
fn py_sci(v: f64) -> String {
    let s = format!("{v:.PRECISION$e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Python's `"{:.Nf}"` of a float, `nan`/`inf` as Python writes them.
fn py_fixed(v: f64, precision: usize) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v:.precision$}")
    }
}

impl Formatter {
    fn new(values: &Values, shown: &[usize]) -> Self {
        let mut f = Formatter {
            float: matches!(values, Values::Float(_)),
            int_mode: true,
            sci_mode: false,
            width: 1,
        };
        match values {
            Values::Int(v) => {
                for &i in shown {
                    f.width = f.width.max(v[i].to_string().len());
                }
            }
            Values::Float(v) => {
                let vals: Vec<f64> = shown
                    .iter()
                    .map(|&i| v[i])
                    .filter(|x| x.is_finite() && *x != 0.0)
                    .collect();
                if vals.is_empty() {
                    return f;
                }
                let min = vals.iter().map(|x| x.abs()).fold(f64::INFINITY, f64::min);
                let max = vals.iter().map(|x| x.abs()).fold(0.0, f64::max);
                f.int_mode = vals.iter().all(|x| x.ceil() == *x);
                f.sci_mode = max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4;
                for &x in &vals {
                    let len = if f.sci_mode {
                        py_sci(x).len()
                    } else if f.int_mode {
                        py_fixed(x, 0).len() + 1
                    } else {
                        py_fixed(x, PRECISION).len()
                    };
                    f.width = f.width.max(len);
                }
            }
        }
        f
    }

    fn format(&self, values: &Values, i: usize) -> String {
        let s = match values {
            Values::Int(v) => v[i].to_string(),
            Values::Float(v) => {
                let x = v[i];
                if !self.float {
                    x.to_string()
                } else if self.sci_mode {
                    if x.is_finite() {
                        py_sci(x)
                    } else {
                        py_fixed(x, 0)
                    }
                } else if self.int_mode {
                    let mut s = py_fixed(x, 0);
                    if x.is_finite() {
                        s.push('.');
                    }
                    s
                } else {
                    py_fixed(x, PRECISION)
                }
            }
        };
        format!("{s:>width$}", width = self.width)
    }
}

struct Printer<'a> {
    dims: &'a [usize],
    strides: Vec<usize>,
    values: Values,
    summarize: bool,
}

impl<'a> Printer<'a> {
    fn new(dims: &'a [usize], values: Values) -> Self {
        let mut strides = vec![1; dims.len()];
        for d in (0..dims.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * dims[d + 1];
        }
        let n: usize = dims.iter().product();
        Self {
            dims,
            strides,
            values,
            summarize: n > THRESHOLD,
        }
    }

    /// The indices shown along a dimension of `size` (`None`: the `...` between the edges).
    fn shown(&self, size: usize) -> Vec<Option<usize>> {
        if self.summarize && size > 2 * EDGE_ITEMS {
            (0..EDGE_ITEMS)
                .map(Some)
                .chain(std::iter::once(None))
                .chain((size - EDGE_ITEMS..size).map(Some))
                .collect()
        } else {
            (0..size).map(Some).collect()
        }
    }

    /// Flat indices of every shown value (PyTorch's `get_summarized_data`).
    fn collect(&self, dim: usize, offset: usize, out: &mut Vec<usize>) {
        if dim == self.dims.len() {
            out.push(offset);
            return;
        }
        for i in self.shown(self.dims[dim]).into_iter().flatten() {
            self.collect(dim + 1, offset + i * self.strides[dim], out);
        }
    }

    fn render(&self, indent: usize) -> String {
        let mut shown = Vec::new();
        self.collect(0, 0, &mut shown);
        let formatter = Formatter::new(&self.values, &shown);
        self.render_dim(&formatter, 0, 0, indent)
    }

    fn render_dim(&self, f: &Formatter, dim: usize, offset: usize, indent: usize) -> String {
        let rest = self.dims.len() - dim;
        if rest == 0 {
            return f.format(&self.values, offset);
        }
        let shown = self.shown(self.dims[dim]);
        if rest == 1 {
            let element_length = f.width + 2;
            let per_line = (LINE_WIDTH.saturating_sub(indent) / element_length).max(1);
            let data: Vec<String> = shown
                .iter()
                .map(|i| match i {
                    Some(i) => f.format(&self.values, offset + i * self.strides[dim]),
                    None => " ...".into(),
                })
                .collect();
            let lines: Vec<String> = data.chunks(per_line).map(|c| c.join(", ")).collect();
            return format!("[{}]", lines.join(&format!(",\n{:w$}", "", w = indent + 1)));
        }
        let slices: Vec<String> = shown
            .iter()
            .map(|i| match i {
                Some(i) => self.render_dim(f, dim + 1, offset + i * self.strides[dim], indent + 1),
                None => "...".into(),
            })
            .collect();
        let sep = format!(",{}{:w$}", "\n".repeat(rest - 1), "", w = indent + 1);
        format!("[{}]", slices.join(&sep))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_repr() {
        assert_eq!(py_float(1e-5), "1e-05");
        assert_eq!(py_float(0.1), "0.1");
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(0.0), "0.0");
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(123456.5), "123456.5");
        assert_eq!(py_float(1.5e16), "1.5e+16");
        assert_eq!(py_float(-2.5e-7), "-2.5e-07");
        assert_eq!(py_float32(0.1), "0.1");
        assert_eq!(py_float32(0.5), "0.5");
        assert_eq!(py_float(1e300), "1e+300");
    }

    #[test]
    fn python_sci_format() {
        assert_eq!(py_sci(1.234567e-5), "1.2346e-05");
        assert_eq!(py_sci(-3.0e8), "-3.0000e+08");
        assert_eq!(py_sci(1e100), "1.0000e+100");
    }
}
