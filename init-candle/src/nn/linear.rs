//! `candle_nn::Linear` as a module: parameters `weight` (out, in) and `bias` (out).
//!
//! PyTorch's default: weight and bias `U(-1/sqrt(in), 1/sqrt(in))` (candle's own `linear`
//! draws the weight from N(0, 2/in) instead).
//!
//! ```
//! # use candle_core::{DType, Device};
//! # use candle_nn::{VarBuilder, VarMap};
//! use init_candle::{InitWeights, InitWeightsExt};
//! # let varmap = VarMap::new();
//! # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let fc = candle_nn::linear(400, 120, vb.pp("fc1"))?;
//! assert_eq!(fc.class_name(), "Linear");
//! assert_eq!(fc.extra_repr(), "in_features=400, out_features=120, bias=True");
//! fc.reset_parameters(0)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_nn::Linear;

use crate::module::{DefaultInit, InitWeights, Parameter};

impl InitWeights for Linear {
    fn class_name(&self) -> &'static str {
        "Linear"
    }
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        let default = DefaultInit::UniformFanIn(self.weight());
        visit(Parameter::new("weight", self.weight(), default.clone()));
        if let Some(bias) = self.bias() {
            visit(Parameter::new("bias", bias, default));
        }
    }
    fn extra_repr(&self) -> String {
        let dims = self.weight().dims();
        let (out_f, in_f) = match dims {
            [o, i] => (*o, *i),
            _ => (0, 0),
        };
        format!(
            "in_features={in_f}, out_features={out_f}, bias={}",
            if self.bias().is_some() {
                "True"
            } else {
                "False"
            }
        )
    }
}
