//! `candle_nn::Linear` as a module: parameters `weight` (out, in) and `bias` (out).
//!
//! PyTorch's default: weight and bias `U(-1/sqrt(in), 1/sqrt(in))` (candle's own `linear`
//! draws the weight from N(0, 2/in) instead).
//!
//! ```
//! # use candle_core::{DType, Device};
//! # use candle_nn::{VarBuilder, VarMap};
//! use init_candle::InitWeights;
//! # let varmap = VarMap::new();
//! # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let fc = candle_nn::linear(400, 120, vb.pp("fc1"))?;
//! assert_eq!(fc.class_name(), "Linear");
//! assert_eq!(fc.extra_repr(), "in_features=400, out_features=120, bias=True");
//! fc.reset_parameters(0)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_core::Tensor;
use candle_nn::Linear;

use crate::defaults::fan_in_uniform;
use crate::error::ModuleResult;
use crate::module::{InitWeights, ParamInit};

impl InitWeights for Linear {
    fn class_name(&self) -> &'static str {
        "Linear"
    }
    fn visit_own_parameters<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m Tensor)) {
        visit("weight", self.weight());
        if let Some(bias) = self.bias() {
            visit("bias", bias);
        }
    }
    fn own_inits(&self) -> ModuleResult<Vec<ParamInit>> {
        let init = fan_in_uniform(self.weight())?;
        let mut out = vec![ParamInit::new("weight", self.weight(), init.clone())];
        if let Some(bias) = self.bias() {
            out.push(ParamInit::new("bias", bias, init));
        }
        Ok(out)
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
