//! candle-nn's convolutions as modules: `Conv1d`, `Conv2d`, `ConvTranspose1d`,
//! `ConvTranspose2d`, each with parameters `weight` and `bias`.
//!
//! PyTorch's default: weight and bias `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` where `fan_in` is
//! computed from the weight: `in/groups * k...` for a convolution, and from the transposed layout
//! `(in, out/groups, k...)`, i.e. `out/groups * k...`, for a transposed one (candle's own `conv2d`
//! uses `1/sqrt(in)` for the bias, ignoring the kernel size).
//!
//! ```
//! # use candle_core::{DType, Device};
//! # use candle_nn::{VarBuilder, VarMap};
//! use init_candle::{Init, InitWeightsExt};
//! # let varmap = VarMap::new();
//! # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let conv = candle_nn::conv2d(6, 3, 5, Default::default(), vb.pp("conv"))?;
//! let plan = conv.init_plan()?;
//! let bound = 1.0 / (6.0f64 * 25.0).sqrt();
//! assert_eq!(plan.entries()[1].init, Init::Uniform { low: -bound, high: bound });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_core::Tensor;
use candle_nn::{Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d};

use crate::module::{DefaultInit, InitWeights, Parameter};

/// A convolution's `weight` and `bias`, both with PyTorch's `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`.
pub(crate) fn visit_conv_parameters<'m>(
    weight: &'m Tensor,
    bias: Option<&'m Tensor>,
    visit: &mut dyn FnMut(Parameter<'m>),
) {
    let default = DefaultInit::UniformFanIn(weight);
    visit(Parameter::new("weight", weight, default.clone()));
    if let Some(bias) = bias {
        visit(Parameter::new("bias", bias, default));
    }
}

fn bias_str(bias: Option<&Tensor>) -> &'static str {
    if bias.is_some() {
        ""
    } else {
        ", bias=False"
    }
}

fn kernel(dims: &[usize]) -> String {
    let k: Vec<String> = dims.iter().skip(2).map(|d| d.to_string()).collect();
    if k.len() == 1 {
        format!("({},)", k[0])
    } else {
        format!("({})", k.join(", "))
    }
}

fn tuple(v: usize, n: usize) -> String {
    if n == 1 {
        format!("({v},)")
    } else {
        format!("({})", vec![v.to_string(); n].join(", "))
    }
}

/// candle's `ConvTranspose2dConfig` has no `groups` (always 1).
trait Groups {
    fn groups(&self) -> usize;
}

impl Groups for candle_nn::Conv1dConfig {
    fn groups(&self) -> usize {
        self.groups
    }
}

impl Groups for candle_nn::Conv2dConfig {
    fn groups(&self) -> usize {
        self.groups
    }
}

impl Groups for candle_nn::ConvTranspose1dConfig {
    fn groups(&self) -> usize {
        self.groups
    }
}

impl Groups for candle_nn::ConvTranspose2dConfig {
    fn groups(&self) -> usize {
        1
    }
}

macro_rules! conv_module {
    ($ty:ty, $name:literal, $transposed:literal, $nd:literal) => {
        impl InitWeights for $ty {
            fn class_name(&self) -> &'static str {
                $name
            }
            fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
                visit_conv_parameters(self.weight(), self.bias(), visit);
            }
            fn extra_repr(&self) -> String {
                let dims = self.weight().dims();
                let cfg = self.config();
                let groups = Groups::groups(cfg);
                let (cin, cout) = if $transposed {
                    (dims[0], dims[1] * groups)
                } else {
                    (dims[1] * groups, dims[0])
                };
                let mut s = format!(
                    "{cin}, {cout}, kernel_size={}, stride={}",
                    kernel(dims),
                    tuple(cfg.stride, $nd)
                );
                if cfg.padding != 0 {
                    s.push_str(&format!(", padding={}", tuple(cfg.padding, $nd)));
                }
                if cfg.dilation != 1 {
                    s.push_str(&format!(", dilation={}", tuple(cfg.dilation, $nd)));
                }
                if groups != 1 {
                    s.push_str(&format!(", groups={groups}"));
                }
                s.push_str(bias_str(self.bias()));
                s
            }
        }
    };
}

conv_module!(Conv1d, "Conv1d", false, 1);
conv_module!(Conv2d, "Conv2d", false, 2);
conv_module!(ConvTranspose1d, "ConvTranspose1d", true, 1);
conv_module!(ConvTranspose2d, "ConvTranspose2d", true, 2);
