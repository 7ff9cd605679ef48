//! Normalization layers: candle-nn's `BatchNorm`, `LayerNorm`, `RmsNorm` as modules,
//! [`BatchNorm1d`], [`BatchNorm2d`], [`BatchNorm3d`] (candle-nn's `BatchNorm` with PyTorch's class
//! name for the input rank), and [`GroupNorm`], this crate's wrapper of candle-nn's (whose
//! tensors are private).
//!
//! candle-nn has one `BatchNorm` for inputs of every rank, so it cannot know which of PyTorch's
//! classes it stands for: by itself it prints as `BatchNorm(...)`. Build it with
//! [`batch_norm1d`], [`batch_norm2d`] or [`batch_norm3d`] (or wrap one with `BatchNorm2d::new`)
//! to get PyTorch's class name (`BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True,
//! track_running_stats=True)`), a type to test for (`m.is::<BatchNorm2d>()`, PyTorch's
//! `isinstance(m, nn.BatchNorm2d)`) and a check of the input's rank in the forward pass.
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

use candle_core::{Module, ModuleT, Tensor};
use candle_nn::{BatchNorm, BatchNormConfig, LayerNorm, RmsNorm, VarBuilder};
use init_core::Init;

use crate::error::{Error, Result};
use crate::module::{InitWeights, Parameter};
use crate::repr::{py_bool, py_float};

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
            "{}, eps={}, momentum={}, affine={affine}, bias={affine}, track_running_stats=True",
            self.running_mean().elem_count(),
            py_float(self.eps()),
            py_float(self.momentum()),
            affine = py_bool(self.weight_and_bias().is_some())
        )
    }
}

macro_rules! batch_norm_nd {
    ($(#[$doc:meta])* $ty:ident, $ctor:ident, $name:literal, $input:literal, $($rank:literal)|+) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $ty(BatchNorm);

        impl $ty {
            #[doc = concat!("candle-nn's `BatchNorm` as a `", $name, "` (the same tensors).")]
            pub fn new(inner: BatchNorm) -> Self {
                Self(inner)
            }
            /// candle-nn's layer.
            pub fn inner(&self) -> &BatchNorm {
                &self.0
            }
        }

        #[doc = concat!("Builds a [`", $name, "`] over `num_features` channels: parameters `weight` (1) and")]
        /// `bias` (0), buffers `running_mean` (0) and `running_var` (1) under `vb`; `config` is
        /// candle-nn's (`1e-5` gives PyTorch's default eps and momentum 0.1).
        pub fn $ctor(
            num_features: usize,
            config: impl Into<BatchNormConfig>,
            vb: VarBuilder,
        ) -> Result<$ty> {
            Ok($ty(candle_nn::batch_norm(num_features, config, vb)?))
        }

        impl ModuleT for $ty {
            fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
                if !matches!(xs.rank(), $($rank)|+) {
                    candle_core::bail!(
                        "{}: expected a {} input, got shape {:?}",
                        $name,
                        $input,
                        xs.dims()
                    );
                }
                self.0.forward_t(xs, train)
            }
        }

        impl InitWeights for $ty {
            fn class_name(&self) -> &'static str {
                $name
            }
            fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
                self.0.visit_parameters(visit)
            }
            fn visit_buffers<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
                self.0.visit_buffers(visit)
            }
            fn extra_repr(&self) -> String {
                self.0.extra_repr()
            }
        }
    };
}

batch_norm_nd!(
    /// Batch normalization over `(batch, channels)` or `(batch, channels, length)` inputs:
    /// PyTorch's `nn.BatchNorm1d`.
    ///
    /// ```
    /// # use candle_core::{DType, Device, ModuleT, Tensor};
    /// # use candle_nn::{VarBuilder, VarMap};
    /// use init_candle::nn::batch_norm1d;
    /// use init_candle::InitWeightsExt;
    /// # let varmap = VarMap::new();
    /// # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    /// let bn = batch_norm1d(4, 1e-5, vb.pp("bn"))?;
    /// assert_eq!(
    ///     bn.module_repr(),
    ///     "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    /// );
    /// let y = bn.forward_t(&Tensor::zeros((2, 4), DType::F32, &Device::Cpu)?, false)?;
    /// assert_eq!(y.dims(), &[2, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    BatchNorm1d, batch_norm1d, "BatchNorm1d", "(N, C) or (N, C, L)", 2 | 3
);
batch_norm_nd!(
    /// Batch normalization over `(batch, channels, height, width)` inputs: PyTorch's
    /// `nn.BatchNorm2d`.
    ///
    /// ```
    /// # use candle_core::{DType, Device, ModuleT, Tensor};
    /// # use candle_nn::{VarBuilder, VarMap};
    /// use init_candle::nn::{batch_norm2d, BatchNorm2d};
    /// use init_candle::InitWeightsExt;
    /// # let varmap = VarMap::new();
    /// # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    /// let bn = batch_norm2d(16, 1e-5, vb.pp("bn"))?;
    /// assert!(bn.is::<BatchNorm2d>());
    /// assert_eq!(
    ///     bn.module_repr(),
    ///     "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    /// );
    /// // A 2-D input is BatchNorm1d's, not this layer's.
    /// assert!(bn.forward_t(&Tensor::zeros((2, 16), DType::F32, &Device::Cpu)?, false).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    BatchNorm2d, batch_norm2d, "BatchNorm2d", "(N, C, H, W)", 4
);
batch_norm_nd!(
    /// Batch normalization over `(batch, channels, depth, height, width)` inputs: PyTorch's
    /// `nn.BatchNorm3d`.
    ///
    /// ```
    /// # use candle_core::{DType, Device};
    /// # use candle_nn::{VarBuilder, VarMap};
    /// use init_candle::nn::batch_norm3d;
    /// use init_candle::InitWeightsExt;
    /// # let varmap = VarMap::new();
    /// # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    /// let bn = batch_norm3d(8, 1e-3, vb.pp("bn"))?;
    /// assert_eq!(
    ///     bn.module_repr(),
    ///     "BatchNorm3d(8, eps=0.001, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    BatchNorm3d, batch_norm3d, "BatchNorm3d", "(N, C, D, H, W)", 5
);

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
        format!(
            "{}, eps={}, elementwise_affine=True, bias={}",
            crate::repr::py_tuple(self.weight().dims()),
            py_float(self.eps()),
            py_bool(self.bias().is_some())
        )
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
        format!(
            "({},), eps={}, elementwise_affine=True",
            self.weight().elem_count(),
            py_float(self.eps())
        )
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
            "{}, {}, eps={}, affine=True, bias=True",
            self.num_groups,
            self.num_channels,
            py_float(self.eps)
        )
    }
}
