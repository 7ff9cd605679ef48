//! A `Sequential` MLP initialized the two ways of the tutorial, shared by `examples/mlp.rs` and
//! `tests/tutorials.rs` (which compares both prints with PyTorch's).
//!
//! ```python
//! # Method 1: the model initializes itself in __init__, looping over its modules.
//! class MLP(nn.Module):
//!     def __init__(self):
//!         super().__init__()
//!         self.layers = nn.Sequential(
//!             nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
//!         for m in self.modules():
//!             if isinstance(m, nn.Linear):
//!                 torch.nn.init.xavier_normal_(m.weight)
//!                 m.bias.data.fill_(0)
//!
//! # Method 2: a function applied to every module.
//! def init_weights(m):
//!     if isinstance(m, nn.Linear):
//!         torch.nn.init.xavier_normal_(m.weight)
//!         m.bias.data.fill_(0)
//!
//! net = nn.Sequential(
//!     nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
//! net.apply(init_weights)
//! ```

use candle_core::Tensor;
use candle_nn::{Linear, VarBuilder};
use init_candle::nn::{ReLU, Sequential};
use init_candle::{Generator, Init, InitWeights, InitWeightsExt, ModuleInit};

/// `nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
/// nn.Linear(128, 10))`; layer `i` under `vb.pp(i)`, as PyTorch names it.
pub fn sequential(vb: &VarBuilder) -> init_candle::Result<Sequential> {
    Ok(Sequential::new()
        .add(candle_nn::linear(784, 256, vb.pp(0))?)
        .add(ReLU)
        .add(candle_nn::linear(256, 128, vb.pp(2))?)
        .add(ReLU)
        .add(candle_nn::linear(128, 10, vb.pp(4))?))
}

/// Method 1.
#[allow(clippy::upper_case_acronyms)] // PyTorch's class name, printed as `MLP(...)`
#[derive(InitWeights)]
pub struct MLP {
    pub layers: Sequential,
}

impl MLP {
    /// `MLP()`: the layers, then the loop over `self.modules()` (random numbers from `rng`,
    /// each weight from the stream of its path: Rust has no global generator).
    pub fn new(vb: VarBuilder, rng: &Generator) -> init_candle::Result<Self> {
        let mlp = Self {
            layers: sequential(&vb.pp("layers"))?,
        };
        for (path, m) in mlp.named_modules() {
            if let Some(m) = m.downcast_ref::<Linear>() {
                let mut stream = rng.for_path(&format!("{path}.weight"));
                init_candle::init::xavier_normal(m.weight(), 1.0, &mut stream)?;
                if let Some(bias) = m.bias() {
                    init_candle::init::constant(bias, 0.0)?;
                }
            }
        }
        Ok(mlp)
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.layers.forward(x)
    }
}

/// Method 2's `init_weights(m)`, for `net.init_with(seed, &mut init_weights)` (PyTorch's
/// `net.apply(init_weights)`, planned: checked for every module before anything is written).
pub fn init_weights(m: &mut ModuleInit<'_>) -> init_candle::Result<()> {
    if m.is::<Linear>() {
        m.init_weight(Init::xavier_normal());
        m.init_bias(Init::Constant { value: 0.0 });
    }
    Ok(())
}
