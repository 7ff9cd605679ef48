//! [`Conv3d`]: the 3-D convolution candle lacks (weight `(out, in/groups, kd, kh, kw)`, stride,
//! padding, dilation, groups), e.g. for C3D video models.
//!
//! The forward pass is `kd` calls of candle's `conv2d` (im2col + matmul): for each kernel depth
//! offset `k`, the input depth slices `k*dilation + j*stride` of every output depth `j` are
//! stacked into the batch, convolved with the weight's slice `[:, :, k]`, and the `kd` results
//! are summed. Depth padding is explicit zeros; height/width padding is `conv2d`'s.
//!
//! ```
//! # use candle_core::{DType, Device, Module, Tensor};
//! # use candle_nn::{VarBuilder, VarMap};
//! use init_candle::nn::{conv3d, Conv3dConfig};
//! use init_candle::InitWeights;
//! # let varmap = VarMap::new();
//! # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let conv = conv3d(3, 8, 3, Conv3dConfig { padding: 1, ..Default::default() }, vb.pp("conv1"))?;
//! let y = conv.forward(&Tensor::zeros((1, 3, 4, 10, 10), DType::F32, &Device::Cpu)?)?;
//! assert_eq!(y.dims(), &[1, 8, 4, 10, 10]);
//! assert_eq!(conv.class_name(), "Conv3d");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_core::{Module, Tensor};
use candle_nn::VarBuilder;

use crate::error::{Error, Result};
use crate::module::{InitWeights, Parameter};
use crate::nn::conv::visit_conv_parameters;

/// Stride, padding and dilation (the same along depth, height and width) and groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv3dConfig {
    /// Zeros added on both sides of each spatial dimension.
    pub padding: usize,
    /// Step between output positions (at least 1).
    pub stride: usize,
    /// Spacing between kernel taps (at least 1).
    pub dilation: usize,
    /// Channel groups; must divide both channel counts (at least 1).
    pub groups: usize,
}

impl Default for Conv3dConfig {
    fn default() -> Self {
        Self {
            padding: 0,
            stride: 1,
            dilation: 1,
            groups: 1,
        }
    }
}

/// A 3-D convolution over `(batch, channels, depth, height, width)`.
#[derive(Clone, Debug)]
pub struct Conv3d {
    weight: Tensor,
    bias: Option<Tensor>,
    config: Conv3dConfig,
}

impl Conv3d {
    /// From existing tensors (kept, not copied): weight `(out, in/groups, kd, kh, kw)`, bias `(out,)`.
    pub fn new(weight: Tensor, bias: Option<Tensor>, config: Conv3dConfig) -> Result<Self> {
        let (out_c, _, _, _, _) = weight.dims5()?;
        if config.stride == 0 || config.dilation == 0 || config.groups == 0 {
            return Err(Error::invalid_layer(
                "Conv3d",
                format!("stride, dilation and groups must be at least 1, got {config:?}"),
            ));
        }
        if !out_c.is_multiple_of(config.groups) {
            return Err(Error::invalid_layer(
                "Conv3d",
                format!(
                    "groups = {} must divide out_channels = {out_c}",
                    config.groups
                ),
            ));
        }
        if let Some(b) = &bias {
            if b.dims() != [out_c] {
                return Err(Error::invalid_layer(
                    "Conv3d",
                    format!("bias must have shape [{out_c}], got {:?}", b.dims()),
                ));
            }
        }
        Ok(Self {
            weight,
            bias,
            config,
        })
    }
    /// `(out, in/groups, kd, kh, kw)`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
    /// `(out,)`, if the layer has one.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
    /// The configuration.
    pub fn config(&self) -> &Conv3dConfig {
        &self.config
    }
}

fn weight_for(
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    config: Conv3dConfig,
    vb: &VarBuilder,
) -> Result<(Tensor, f64)> {
    if config.groups == 0 || !in_channels.is_multiple_of(config.groups) {
        return Err(Error::invalid_layer(
            "Conv3d",
            format!(
                "groups = {} must divide in_channels = {in_channels}",
                config.groups
            ),
        ));
    }
    let fan_in = in_channels / config.groups * kernel * kernel * kernel;
    let bound = if fan_in > 0 {
        1.0 / (fan_in as f64).sqrt()
    } else {
        0.0
    };
    let hint = candle_nn::Init::Uniform {
        lo: -bound,
        up: bound,
    };
    let weight = vb.get_with_hints(
        (
            out_channels,
            in_channels / config.groups,
            kernel,
            kernel,
            kernel,
        ),
        "weight",
        hint,
    )?;
    Ok((weight, bound))
}

/// A [`Conv3d`] with a cubic kernel and a bias, parameters `weight` and `bias` under `vb`
/// (PyTorch's default `U(±1/sqrt(fan_in))` as the `VarBuilder` hint).
pub fn conv3d(
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    config: Conv3dConfig,
    vb: VarBuilder,
) -> Result<Conv3d> {
    let (weight, bound) = weight_for(in_channels, out_channels, kernel, config, &vb)?;
    let bias = vb.get_with_hints(
        out_channels,
        "bias",
        candle_nn::Init::Uniform {
            lo: -bound,
            up: bound,
        },
    )?;
    Conv3d::new(weight, Some(bias), config)
}

/// A [`Conv3d`] without bias.
pub fn conv3d_no_bias(
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    config: Conv3dConfig,
    vb: VarBuilder,
) -> Result<Conv3d> {
    let (weight, _) = weight_for(in_channels, out_channels, kernel, config, &vb)?;
    Conv3d::new(weight, None, config)
}

impl Module for Conv3d {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (n, c, d, h, w) = xs.dims5()?;
        let (out_c, in_per_group, kd, _, _) = self.weight.dims5()?;
        let Conv3dConfig {
            padding,
            stride,
            dilation,
            groups,
        } = self.config;
        if c != in_per_group * groups {
            candle_core::bail!(
                "Conv3d: input has {c} channels, the weight expects {} ({in_per_group} x {groups} groups)",
                in_per_group * groups
            );
        }
        let xs = if padding > 0 {
            xs.pad_with_zeros(2, padding, padding)?
        } else {
            xs.clone()
        };
        let depth = d + 2 * padding;
        let span = dilation * (kd - 1) + 1;
        if depth < span {
            candle_core::bail!(
                "Conv3d: padded input depth {depth} is smaller than the dilated kernel depth {span}"
            );
        }
        let d_out = (depth - span) / stride + 1;
        let mut acc: Option<Tensor> = None;
        for k in 0..kd {
            let first = k * dilation;
            let slices = if stride == 1 {
                xs.narrow(2, first, d_out)?
            } else {
                let idx: Vec<u32> = (0..d_out).map(|j| (first + j * stride) as u32).collect();
                xs.index_select(&Tensor::new(idx.as_slice(), xs.device())?, 2)?
            };
            // (n, c, d_out, h, w) -> (n * d_out, c, h, w)
            let batch = slices
                .transpose(1, 2)?
                .contiguous()?
                .reshape((n * d_out, c, h, w))?;
            let kernel = self.weight.narrow(2, k, 1)?.squeeze(2)?.contiguous()?;
            let y = batch.conv2d(&kernel, padding, stride, dilation, groups)?;
            acc = Some(match acc {
                None => y,
                Some(a) => (a + y)?,
            });
        }
        let Some(mut y) = acc else {
            candle_core::bail!("Conv3d: the weight has a kernel depth of 0");
        };
        if let Some(bias) = &self.bias {
            y = y.broadcast_add(&bias.reshape((1, out_c, 1, 1))?)?;
        }
        let (_, _, h_out, w_out) = y.dims4()?;
        // (n * d_out, out, h', w') -> (n, out, d_out, h', w')
        y.reshape((n, d_out, out_c, h_out, w_out))?.transpose(1, 2)
    }
}

impl InitWeights for Conv3d {
    fn class_name(&self) -> &'static str {
        "Conv3d"
    }
    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        visit_conv_parameters(&self.weight, self.bias.as_ref(), visit);
    }
    fn extra_repr(&self) -> String {
        let dims = self.weight.dims();
        let g = self.config.groups;
        let k: Vec<String> = dims.iter().skip(2).map(|d| d.to_string()).collect();
        let t = |v: usize| format!("({v}, {v}, {v})");
        let mut s = format!(
            "{}, {}, kernel_size=({}), stride={}",
            dims[1] * g,
            dims[0],
            k.join(", "),
            t(self.config.stride)
        );
        if self.config.padding != 0 {
            s.push_str(&format!(", padding={}", t(self.config.padding)));
        }
        if self.config.dilation != 1 {
            s.push_str(&format!(", dilation={}", t(self.config.dilation)));
        }
        if g != 1 {
            s.push_str(&format!(", groups={g}"));
        }
        if self.bias.is_none() {
            s.push_str(", bias=False");
        }
        s
    }
}
