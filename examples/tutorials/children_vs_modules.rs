//! The models of the tutorial on parameter initialization that compares `children()` with
//! `modules()`, shared by `examples/children_vs_modules.rs` and `tests/tutorials.rs` (which
//! compares the prints with PyTorch's).
//!
//! ```python
//! net1 = nn.Sequential(
//!     nn.Linear(30, 40),
//!     nn.ReLU(),
//!     nn.Linear(40, 50),
//!     nn.ReLU(),
//!     nn.Linear(50, 10)
//! )
//!
//! class sim_net(nn.Module):
//!     def __init__(self):
//!         super(sim_net, self).__init__()
//!         self.l1 = nn.Sequential(nn.Linear(30, 40), nn.ReLU())
//!         self.l1[0].weight.data = torch.randn(40, 30)
//!         self.l2 = nn.Sequential(nn.Linear(40, 50), nn.ReLU())
//!         self.l3 = nn.Sequential(nn.Linear(50, 10), nn.ReLU())
//!
//!     def forward(self, x):
//!         x = self.l1(x)
//!         x = self.l2(x)
//!         x = self.l3(x)
//!         return x
//! ```

use candle_core::Tensor;
use candle_nn::{Linear, VarBuilder};
use init_candle::nn::{ReLU, Sequential};
use init_candle::{InitWeights, InitWeightsExt};

/// `net1`; layer `i` under `vb.pp(i)`, as PyTorch names it.
pub fn net1(vb: &VarBuilder) -> init_candle::Result<Sequential> {
    Ok(Sequential::new()
        .add(candle_nn::linear(30, 40, vb.pp(0))?)
        .add(ReLU)
        .add(candle_nn::linear(40, 50, vb.pp(2))?)
        .add(ReLU)
        .add(candle_nn::linear(50, 10, vb.pp(4))?))
}

/// The tutorial's class name, printed as `sim_net(...)`.
#[allow(non_camel_case_types)]
#[derive(InitWeights)]
pub struct sim_net {
    pub l1: Sequential,
    pub l2: Sequential,
    pub l3: Sequential,
}

fn block(i: usize, o: usize, vb: VarBuilder) -> init_candle::Result<Sequential> {
    Ok(Sequential::new()
        .add(candle_nn::linear(i, o, vb.pp(0))?)
        .add(ReLU))
}

impl sim_net {
    /// `sim_net()`, including `self.l1[0].weight.data = torch.randn(40, 30)`: the values are
    /// written into the parameter in place (`set_parameter`), so the VarMap sees them too.
    pub fn new(vb: VarBuilder) -> init_candle::Result<Self> {
        let net = Self {
            l1: block(30, 40, vb.pp("l1"))?,
            l2: block(40, 50, vb.pp("l2"))?,
            l3: block(50, 10, vb.pp("l3"))?,
        };
        let w = net.l1.get::<Linear>(0)?.weight();
        let randn = Tensor::randn(0f32, 1.0, (40, 30), w.device())?.to_dtype(w.dtype())?;
        net.set_parameter("l1.0.weight", &randn)?;
        Ok(net)
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.l1.forward(x)?;
        let x = self.l2.forward(&x)?;
        self.l3.forward(&x)
    }
}
