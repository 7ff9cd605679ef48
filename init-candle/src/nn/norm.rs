//! Normalization layers: candle-nn's `BatchNorm`, `LayerNorm`, `RmsNorm` as modules, and
//! [`GroupNorm`], this crate's wrapper of candle-nn's (whose tensors are private).
//!
//! PyTorch's default: weight 1, bias 0; BatchNorm's buffers `running_mean` 0 and
//! `running_var` 1 (`reset_running_stats`).
//!
//! ```
//! # use candle_core::{DType, Device, Tensor, Module};
//! # use candle_nn::{VarBuilder, VarMap};
//! use init_candle::nn::group_norm;
//! use init_candle::InitWeightsExt;
//! # let varmap = VarMap::new();
//! # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let gn = group_norm(2, 6, 1e-5, vb.pp("gn"))?;
//! let names: Vec<String> = gn.named_parameters().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["weight", "bias"]);
//! let y = gn.forward(&Tensor::randn(0f32, 1., (2, 6, 4), &Device::Cpu)?)?;
//! assert_eq!(y.dims(), &[2, 6, 4]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_core::{Module, Tensor};
use candle_nn::{BatchNorm, LayerNorm, RmsNorm, VarBuilder};
use init_core::Init;

use crate::error::{Error, Result};
use crate::module::{InitWeights, Parameter};

impl InitWeights for BatchNorm {
    fn class_name(&self) -> &'static str {
        // candle has one BatchNorm for every rank; PyTorch's BatchNorm1d/2d/3d share it.
        "BatchNorm"
    }
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        if let Some((w, b)) = self.weight_and_bias() {
            visit(Parameter::new("weight", w, Init::Ones));
            visit(Parameter::new("bias", b, Init::Zeros));
        }
    }
    fn visit_buffers<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        visit(Parameter::new(
            "running_mean",
            self.running_mean(),
            Init::Zeros,
        ));
        visit(Parameter::new(
            "running_var",
            self.running_var(),
            Init::Ones,
        ));
    }
    fn extra_repr(&self) -> String {
        format!(
            "{}, eps={:e}, momentum={}, affine={}",
            self.running_mean().elem_count(),
            self.eps(),
            self.momentum(),
            if self.weight_and_bias().is_some() {
                "True"
            } else {
                "False"
            }
        )
    }
}

impl InitWeights for LayerNorm {
    fn class_name(&self) -> &'static str {
        "LayerNorm"
    }
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        visit(Parameter::new("weight", self.weight(), Init::Ones));
        if let Some(b) = self.bias() {
            visit(Parameter::new("bias", b, Init::Zeros));
        }
    }
    fn extra_repr(&self) -> String {
        format!("({:?},), eps={:e}", self.weight().dims(), self.eps())
    }
}

impl InitWeights for RmsNorm {
    fn class_name(&self) -> &'static str {
        "RMSNorm"
    }
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        visit(Parameter::new("weight", self.weight(), Init::Ones));
    }
    fn extra_repr(&self) -> String {
        format!("({},), eps={:e}", self.weight().elem_count(), self.eps())
    }
}

/// Group normalization with reachable parameters.
///
/// candle-nn's `GroupNorm` keeps its weight and bias private. This wrapper gets them from the
/// `VarBuilder` itself (`weight` 1, `bias` 0 hints, as candle and PyTorch) and builds candle's
/// layer from the very same tensors (`GroupNorm::new`), so the forward pass uses the storage
/// that initialization writes.
#[derive(Clone, Debug)]
pub struct GroupNorm {
    inner: candle_nn::GroupNorm,
    weight: Tensor,
    bias: Tensor,
    num_groups: usize,
    num_channels: usize,
    eps: f64,
}

/// Builds a [`GroupNorm`] (`num_groups` must divide `num_channels`).
pub fn group_norm(
    num_groups: usize,
    num_channels: usize,
    eps: f64,
    vb: VarBuilder,
) -> Result<GroupNorm> {
    let weight = vb.get_with_hints(num_channels, "weight", candle_nn::Init::Const(1.))?;
    let bias = vb.get_with_hints(num_channels, "bias", candle_nn::Init::Const(0.))?;
    GroupNorm::new(weight, bias, num_groups, num_channels, eps)
}

impl GroupNorm {
    /// From existing tensors (kept, not copied).
    pub fn new(
        weight: Tensor,
        bias: Tensor,
        num_groups: usize,
        num_channels: usize,
        eps: f64,
    ) -> Result<Self> {
        if num_groups == 0 {
            return Err(Error::invalid_layer(
                "GroupNorm",
                "num_groups must be at least 1, got 0",
            ));
        }
        let inner =
            candle_nn::GroupNorm::new(weight.clone(), bias.clone(), num_channels, num_groups, eps)?;
        Ok(Self {
            inner,
            weight,
            bias,
            num_groups,
            num_channels,
            eps,
        })
    }
    /// The scale, shape `(num_channels,)`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
    /// The shift, shape `(num_channels,)`.
    pub fn bias(&self) -> &Tensor {
        &self.bias
    }
    /// candle-nn's layer (sharing the tensors).
    pub fn inner(&self) -> &candle_nn::GroupNorm {
        &self.inner
    }
}

impl Module for GroupNorm {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        self.inner.forward(xs)
    }
}

impl InitWeights for GroupNorm {
    fn class_name(&self) -> &'static str {
        "GroupNorm"
    }
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        visit(Parameter::new("weight", &self.weight, Init::Ones));
        visit(Parameter::new("bias", &self.bias, Init::Zeros));
    }
    fn extra_repr(&self) -> String {
        format!(
            "{}, {}, eps={:e}, affine=True",
            self.num_groups, self.num_channels, self.eps
        )
    }
}
