//! Layers: the parts of a PyTorch model that candle-nn lacks or keeps closed, each a module
//! ([`InitWeights`](crate::InitWeights)) with PyTorch's class name, parameter names, default
//! initialization and `extra_repr`. Several share a name with a candle-nn item (`Sequential`,
//! `GroupNorm`, `group_norm`, `Dropout`, `lstm`, `gru`), so they live here rather than at the
//! crate root, where `use candle_nn::*` and `use init_candle::*` would clash: write
//! `init_candle::nn::Sequential`, or import them by name.
//!
//! candle-nn's own `Linear`, `Conv1d`, `Conv2d`, `ConvTranspose1d`, `ConvTranspose2d`,
//! `BatchNorm`, `LayerNorm`, `RmsNorm`, `Embedding`, `PReLU` and `Activation` are modules as
//! they are; their impls are in this module too.
//!
//! Every layer prints as PyTorch 2.15 prints it (`print(model)`, checked against PyTorch's text
//! by the repository's `tests/tutorials.rs`): [`BatchNorm1d`], [`BatchNorm2d`] and
//! [`BatchNorm3d`] wrap candle-nn's `BatchNorm` to carry PyTorch's class name, the pools keep
//! each size as given ([`PoolSize`]: `kernel_size=2` or `kernel_size=(2, 2)`), and [`Softmax`]
//! prints its `dim` (`dim=None` for PyTorch's implicit choice).

mod activation;
mod conv;
mod conv3d;
mod embedding;
mod linear;
mod norm;
mod pool;
mod rnn;
mod sequential;

pub use activation::{Dropout, Flatten, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh};
pub use conv3d::{conv3d, conv3d_no_bias, Conv3d, Conv3dConfig};
pub use norm::{
    batch_norm1d, batch_norm2d, batch_norm3d, group_norm, BatchNorm1d, BatchNorm2d, BatchNorm3d,
    GroupNorm,
};
pub use pool::{MaxPool2d, MaxPool3d, PoolSize};
pub use rnn::{gru, lstm, Gru, Lstm, RnnConfig};
pub use sequential::{Iter, Layer, Sequential};
