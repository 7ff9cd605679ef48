//! Max pooling layers: [`MaxPool2d`] (with padding, which candle's op lacks) and [`MaxPool3d`]
//! (which candle lacks), floor mode as PyTorch's default. Padding is `-inf`, so it never wins.
//!
//! Each size (kernel, stride, padding) is a [`PoolSize`]: an int for every dimension or a tuple,
//! kept as given so that the layer prints as PyTorch prints it (`kernel_size=2` for
//! `nn.MaxPool2d(2)`, `kernel_size=(1, 2, 2)` for a tuple).
//!
//! ```
//! # use candle_core::{DType, Device, Module, Tensor};
//! use init_candle::nn::MaxPool3d;
//! use init_candle::InitWeightsExt;
//! // C3D's pool5: kernel 2, stride 2, padding (0, 1, 1).
//! let pool = MaxPool3d::new((2, 2, 2), (2, 2, 2), (0, 1, 1))?;
//! let y = pool.forward(&Tensor::zeros((1, 512, 2, 7, 7), DType::F32, &Device::Cpu)?)?;
//! assert_eq!(y.dims(), &[1, 512, 1, 4, 4]);
//! assert_eq!(
//!     pool.module_repr(),
//!     "MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 1, 1), dilation=1, ceil_mode=False)"
//! );
//! // An input shorter than the kernel is an error, not an empty tensor.
//! assert!(pool.forward(&Tensor::zeros((1, 512, 1, 7, 7), DType::F32, &Device::Cpu)?).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_core::{Module, Tensor};

use crate::error::{Error, Result};
use crate::module::InitWeights;
use crate::repr::py_tuple;

fn pad_neg_inf(xs: &Tensor, dim: usize, pad: usize) -> candle_core::Result<Tensor> {
    if pad == 0 {
        return Ok(xs.clone());
    }
    let mut shape = xs.dims().to_vec();
    shape[dim] = pad;
    let side = Tensor::zeros(shape, xs.dtype(), xs.device())?.affine(1.0, f64::NEG_INFINITY)?;
    Tensor::cat(&[&side, xs, &side], dim)
}

/// A pooling size as PyTorch's layers take it: one int for every dimension, or one value per
/// dimension. Printed as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolSize<const N: usize> {
    /// The same value along every dimension (`kernel_size=2`).
    Int(usize),
    /// One value per dimension (`kernel_size=(1, 2, 2)`).
    Tuple([usize; N]),
}

impl<const N: usize> PoolSize<N> {
    /// The value along each dimension.
    pub fn values(&self) -> [usize; N] {
        match *self {
            PoolSize::Int(v) => [v; N],
            PoolSize::Tuple(t) => t,
        }
    }

    fn repr(&self) -> String {
        match self {
            PoolSize::Int(v) => v.to_string(),
            PoolSize::Tuple(t) => py_tuple(t),
        }
    }
}

impl<const N: usize> From<usize> for PoolSize<N> {
    fn from(v: usize) -> Self {
        PoolSize::Int(v)
    }
}

impl<const N: usize> From<[usize; N]> for PoolSize<N> {
    fn from(t: [usize; N]) -> Self {
        PoolSize::Tuple(t)
    }
}

impl From<(usize, usize)> for PoolSize<2> {
    fn from((a, b): (usize, usize)) -> Self {
        PoolSize::Tuple([a, b])
    }
}

impl From<(usize, usize, usize)> for PoolSize<3> {
    fn from((a, b, c): (usize, usize, usize)) -> Self {
        PoolSize::Tuple([a, b, c])
    }
}

fn pool_repr<const N: usize>(
    kernel: &PoolSize<N>,
    stride: &PoolSize<N>,
    padding: &PoolSize<N>,
) -> String {
    format!(
        "kernel_size={}, stride={}, padding={}, dilation=1, ceil_mode=False",
        kernel.repr(),
        stride.repr(),
        padding.repr()
    )
}

/// Checks that each pooled dimension (`dims[first..]`) padded is at least the kernel, so the
/// output is not empty (PyTorch: "Output size is too small").
fn check_input(
    layer: &str,
    dims: &[usize],
    first: usize,
    kernel: &[usize],
    padding: &[usize],
) -> candle_core::Result<()> {
    for (i, (&k, &p)) in kernel.iter().zip(padding).enumerate() {
        let size = dims[first + i];
        if size + 2 * p < k {
            candle_core::bail!(
                "{layer}: input shape {dims:?}: dimension {} has size {size}, {} with padding {p}, \
                 smaller than the kernel {k}; the output would be empty (each pooled dimension \
                 must be at least kernel - 2 * padding)",
                first + i,
                size + 2 * p
            );
        }
    }
    Ok(())
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
    kernel: PoolSize<2>,
    stride: PoolSize<2>,
    padding: PoolSize<2>,
}

impl MaxPool2d {
    /// Pooling with the given kernel, stride and padding, each an int or an `(h, w)` tuple
    /// (`nn.MaxPool2d(kernel_size, stride, padding)`).
    pub fn new(
        kernel: impl Into<PoolSize<2>>,
        stride: impl Into<PoolSize<2>>,
        padding: impl Into<PoolSize<2>>,
    ) -> Result<Self> {
        let (kernel, stride, padding) = (kernel.into(), stride.into(), padding.into());
        check(
            &kernel.values(),
            &stride.values(),
            &padding.values(),
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
        Self::new(k, k, 0)
    }
    /// The kernel size as given.
    pub fn kernel_size(&self) -> PoolSize<2> {
        self.kernel
    }
    /// The stride as given.
    pub fn stride(&self) -> PoolSize<2> {
        self.stride
    }
    /// The padding as given.
    pub fn padding(&self) -> PoolSize<2> {
        self.padding
    }
}

impl Module for MaxPool2d {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let [kh, kw] = self.kernel.values();
        let [sh, sw] = self.stride.values();
        let [ph, pw] = self.padding.values();
        if xs.rank() != 4 {
            candle_core::bail!(
                "MaxPool2d: expected a (batch, channels, height, width) input, got shape {:?}",
                xs.dims()
            );
        }
        check_input("MaxPool2d", xs.dims(), 2, &[kh, kw], &[ph, pw])?;
        let xs = pad_neg_inf(xs, 2, ph)?;
        let xs = pad_neg_inf(&xs, 3, pw)?;
        xs.max_pool2d_with_stride((kh, kw), (sh, sw))
    }
}

impl InitWeights for MaxPool2d {
    fn class_name(&self) -> &'static str {
        "MaxPool2d"
    }
    fn extra_repr(&self) -> String {
        pool_repr(&self.kernel, &self.stride, &self.padding)
    }
}

/// 3-D max pooling over `(batch, channels, depth, height, width)`.
///
/// Computed as a 2-D pooling over height and width (depth folded into channels) followed by a
/// `(kd, 1)` pooling over depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool3d {
    kernel: PoolSize<3>,
    stride: PoolSize<3>,
    padding: PoolSize<3>,
}

impl MaxPool3d {
    /// Pooling with the given kernel, stride and padding, each an int or a `(d, h, w)` tuple
    /// (`nn.MaxPool3d(kernel_size, stride, padding)`).
    pub fn new(
        kernel: impl Into<PoolSize<3>>,
        stride: impl Into<PoolSize<3>>,
        padding: impl Into<PoolSize<3>>,
    ) -> Result<Self> {
        let (kernel, stride, padding) = (kernel.into(), stride.into(), padding.into());
        check(
            &kernel.values(),
            &stride.values(),
            &padding.values(),
            "MaxPool3d",
        )?;
        Ok(Self {
            kernel,
            stride,
            padding,
        })
    }
    /// A cubic kernel `k` with stride `k` and no padding (`nn.MaxPool3d(k)`).
    pub fn cube(k: usize) -> Result<Self> {
        Self::new(k, k, 0)
    }
    /// The kernel size as given.
    pub fn kernel_size(&self) -> PoolSize<3> {
        self.kernel
    }
    /// The stride as given.
    pub fn stride(&self) -> PoolSize<3> {
        self.stride
    }
    /// The padding as given.
    pub fn padding(&self) -> PoolSize<3> {
        self.padding
    }
}

impl Module for MaxPool3d {
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let [kd, kh, kw] = self.kernel.values();
        let [sd, sh, sw] = self.stride.values();
        let [pd, ph, pw] = self.padding.values();
        if xs.rank() != 5 {
            candle_core::bail!(
                "MaxPool3d: expected a (batch, channels, depth, height, width) input, got shape {:?}",
                xs.dims()
            );
        }
        check_input("MaxPool3d", xs.dims(), 2, &[kd, kh, kw], &[pd, ph, pw])?;
        let xs = pad_neg_inf(xs, 2, pd)?;
        let xs = pad_neg_inf(&xs, 3, ph)?;
        let xs = pad_neg_inf(&xs, 4, pw)?;
        let (n, c, d, h, w) = xs.dims5()?;
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
        pool_repr(&self.kernel, &self.stride, &self.padding)
    }
}
