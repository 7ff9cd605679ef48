//! Max pooling layers: [`MaxPool2d`] (with padding, which candle's op lacks) and [`MaxPool3d`]
//! (which candle lacks), floor mode as PyTorch's default. Padding is `-inf`, so it never wins.
//!
//! ```
//! # use candle_core::{DType, Device, Module, Tensor};
//! use init_candle::nn::MaxPool3d;
//! // C3D's pool5: kernel 2, stride 2, padding (0, 1, 1).
//! let pool = MaxPool3d::new((2, 2, 2), (2, 2, 2), (0, 1, 1))?;
//! let y = pool.forward(&Tensor::zeros((1, 512, 2, 7, 7), DType::F32, &Device::Cpu)?)?;
//! assert_eq!(y.dims(), &[1, 512, 1, 4, 4]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_core::{Module, Tensor};

use crate::error::{Error, Result};
use crate::module::InitWeights;

fn pad_neg_inf(xs: &Tensor, dim: usize, pad: usize) -> candle_core::Result<Tensor> {
    if pad == 0 {
        return Ok(xs.clone());
    }
    let mut shape = xs.dims().to_vec();
    shape[dim] = pad;
    let side = Tensor::zeros(shape, xs.dtype(), xs.device())?.affine(1.0, f64::NEG_INFINITY)?;
    Tensor::cat(&[&side, xs, &side], dim)
}

fn check(kernel: &[usize], stride: &[usize], padding: &[usize], layer: &'static str) -> Result<()> {
    for i in 0..kernel.len() {
        if kernel[i] == 0 || stride[i] == 0 {
            return Err(Error::invalid_layer(
                layer,
                format!("kernel and stride must be at least 1, got kernel {kernel:?}, stride {stride:?}"),
            ));
        }
        if 2 * padding[i] > kernel[i] {
            return Err(Error::invalid_layer(
                layer,
                format!("padding should be at most half of the kernel size, got padding {padding:?}, kernel {kernel:?}"),
            ));
        }
    }
    Ok(())
}

/// 2-D max pooling over `(batch, channels, height, width)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2d {
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
}

impl MaxPool2d {
    /// Pooling with the given kernel, stride and padding (each `(h, w)`).
    pub fn new(
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Self> {
        check(
            &[kernel.0, kernel.1],
            &[stride.0, stride.1],
            &[padding.0, padding.1],
            "MaxPool2d",
        )?;
        Ok(Self {
            kernel,
            stride,
            padding,
        })
    }
    /// A square kernel `k` with stride `k` and no padding (`nn.MaxPool2d(k)`).
    pub fn square(k: usize) -> Result<Self> {
        Self::new((k, k), (k, k), (0, 0))
    }
}

impl Module for MaxPool2d {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let xs = pad_neg_inf(xs, 2, self.padding.0)?;
        let xs = pad_neg_inf(&xs, 3, self.padding.1)?;
        xs.max_pool2d_with_stride(self.kernel, self.stride)
    }
}

impl InitWeights for MaxPool2d {
    fn class_name(&self) -> &'static str {
        "MaxPool2d"
    }
    fn extra_repr(&self) -> String {
        format!(
            "kernel_size={:?}, stride={:?}, padding={:?}, dilation=1, ceil_mode=False",
            self.kernel, self.stride, self.padding
        )
    }
}

/// 3-D max pooling over `(batch, channels, depth, height, width)`.
///
/// Computed as a 2-D pooling over height and width (depth folded into channels) followed by a
/// `(kd, 1)` pooling over depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool3d {
    kernel: (usize, usize, usize),
    stride: (usize, usize, usize),
    padding: (usize, usize, usize),
}

impl MaxPool3d {
    /// Pooling with the given kernel, stride and padding (each `(d, h, w)`).
    pub fn new(
        kernel: (usize, usize, usize),
        stride: (usize, usize, usize),
        padding: (usize, usize, usize),
    ) -> Result<Self> {
        check(
            &[kernel.0, kernel.1, kernel.2],
            &[stride.0, stride.1, stride.2],
            &[padding.0, padding.1, padding.2],
            "MaxPool3d",
        )?;
        Ok(Self {
            kernel,
            stride,
            padding,
        })
    }
}

impl Module for MaxPool3d {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let xs = pad_neg_inf(xs, 2, self.padding.0)?;
        let xs = pad_neg_inf(&xs, 3, self.padding.1)?;
        let xs = pad_neg_inf(&xs, 4, self.padding.2)?;
        let (n, c, d, h, w) = xs.dims5()?;
        let (kd, kh, kw) = self.kernel;
        let (sd, sh, sw) = self.stride;
        let ys = xs
            .reshape((n, c * d, h, w))?
            .max_pool2d_with_stride((kh, kw), (sh, sw))?;
        let (_, _, h_out, w_out) = ys.dims4()?;
        let ys = ys
            .reshape((n, c, d, h_out * w_out))?
            .max_pool2d_with_stride((kd, 1), (sd, 1))?;
        let d_out = ys.dim(2)?;
        ys.reshape((n, c, d_out, h_out, w_out))
    }
}

impl InitWeights for MaxPool3d {
    fn class_name(&self) -> &'static str {
        "MaxPool3d"
    }
    fn extra_repr(&self) -> String {
        format!(
            "kernel_size={:?}, stride={:?}, padding={:?}, dilation=1, ceil_mode=False",
            self.kernel, self.stride, self.padding
        )
    }
}
