//! `candle_nn::Embedding` as a module: parameter `weight` (num_embeddings, dim), PyTorch
//! default N(0, 1). (candle's `Embedding` has no `padding_idx`, so no row is zeroed.)
//!
//! ```
//! # use candle_core::{DType, Device};
//! # use candle_nn::{VarBuilder, VarMap};
//! use init_candle::{Init, InitWeightsExt};
//! # let varmap = VarMap::new();
//! # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let emb = candle_nn::embedding(10, 3, vb.pp("emb"))?;
//! assert_eq!(emb.init_plan()?.entries()[0].init, Init::Normal { mean: 0.0, std: 1.0 });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_nn::{Embedding, PReLU};
use init_core::Init;

use crate::module::{InitWeights, Parameter};

impl InitWeights for Embedding {
    fn class_name(&self) -> &'static str {
        "Embedding"
    }
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        let default = Init::Normal {
            mean: 0.0,
            std: 1.0,
        };
        visit(Parameter::new("weight", self.embeddings(), default));
    }
    fn extra_repr(&self) -> String {
        match self.embeddings().dims() {
            [n, d] => format!("{n}, {d}"),
            other => format!("{other:?}"),
        }
    }
}

/// PReLU: parameter `weight` (channels,), PyTorch default 0.25.
impl InitWeights for PReLU {
    fn class_name(&self) -> &'static str {
        "PReLU"
    }
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        visit(Parameter::new(
            "weight",
            self.weight(),
            Init::Constant { value: 0.25 },
        ));
    }
    fn extra_repr(&self) -> String {
        format!("num_parameters={}", self.weight().elem_count())
    }
}
