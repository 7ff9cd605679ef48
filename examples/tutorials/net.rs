//! The LeNet-style `Net` of the PyTorch tutorials and its `initialize_weights`, shared by
//! `examples/net.rs` and `tests/tutorials.rs` (which compares `print(net)` with PyTorch's).
//!
//! ```python
//! class Net(nn.Module):
//!     def __init__(self):
//!         super().__init__()
//!         self.conv1 = nn.Conv2d(3, 6, 5)
//!         self.pool = nn.MaxPool2d(2, 2)
//!         self.conv2 = nn.Conv2d(6, 16, 5)
//!         self.fc1 = nn.Linear(16 * 5 * 5, 120)
//!         self.fc2 = nn.Linear(120, 84)
//!         self.fc3 = nn.Linear(84, 10)
//!         self.initialize_weights()
//!
//!     def forward(self, x):
//!         x = self.pool(F.relu(self.conv1(x)))
//!         x = self.pool(F.relu(self.conv2(x)))
//!         x = torch.flatten(x, 1)
//!         x = F.relu(self.fc1(x))
//!         x = F.relu(self.fc2(x))
//!         return self.fc3(x)
//!
//!     def initialize_weights(self):
//!         for m in self.modules():
//!             if isinstance(m, nn.Conv2d):
//!                 nn.init.kaiming_uniform_(m.weight)
//!                 if m.bias is not None:
//!                     nn.init.constant_(m.bias, 0)
//!             elif isinstance(m, nn.BatchNorm2d):
//!                 nn.init.constant_(m.weight, 1)
//!                 nn.init.constant_(m.bias, 0)
//!             elif isinstance(m, nn.Linear):
//!                 nn.init.normal_(m.weight, 0, 0.01)
//!                 nn.init.constant_(m.bias, 0)
//! ```

use candle_core::{Module, Tensor};
use candle_nn::{Conv2d, Linear, VarBuilder};
use init_candle::nn::{BatchNorm2d, MaxPool2d};
use init_candle::{FanMode, Generator, InitWeights, InitWeightsExt, Nonlinearity};

/// The attributes say what `initialize_weights` does, so `init_weights(seed)` gives the same
/// bytes as the loop below (each parameter draws from the stream of its path).
#[derive(InitWeights)]
pub struct Net {
    #[init(kaiming_uniform, bias = zeros)]
    pub conv1: Conv2d,
    pub pool: MaxPool2d,
    #[init(kaiming_uniform, bias = zeros)]
    pub conv2: Conv2d,
    #[init(normal(std = 0.01), bias = zeros)]
    pub fc1: Linear,
    #[init(normal(std = 0.01), bias = zeros)]
    pub fc2: Linear,
    #[init(normal(std = 0.01), bias = zeros)]
    pub fc3: Linear,
}

impl Net {
    /// `Net()`: the layers, then `self.initialize_weights()` (the random numbers come from
    /// `rng`, Rust has no global generator).
    pub fn new(vb: VarBuilder, rng: &Generator) -> init_candle::Result<Self> {
        let net = Self {
            conv1: candle_nn::conv2d(3, 6, 5, Default::default(), vb.pp("conv1"))?,
            pool: MaxPool2d::new(2, 2, 0)?,
            conv2: candle_nn::conv2d(6, 16, 5, Default::default(), vb.pp("conv2"))?,
            fc1: candle_nn::linear(16 * 5 * 5, 120, vb.pp("fc1"))?,
            fc2: candle_nn::linear(120, 84, vb.pp("fc2"))?,
            fc3: candle_nn::linear(84, 10, vb.pp("fc3"))?,
        };
        net.initialize_weights(rng)?;
        Ok(net)
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.pool.forward(&self.conv1.forward(x)?.relu()?)?;
        let x = self.pool.forward(&self.conv2.forward(&x)?.relu()?)?;
        let x = x.flatten_from(1)?;
        let x = self.fc1.forward(&x)?.relu()?;
        let x = self.fc2.forward(&x)?.relu()?;
        self.fc3.forward(&x)
    }

    /// `initialize_weights`: walk `modules()`, test the layer type (`downcast_ref` is
    /// `isinstance`), call `init` on its tensors. Each random tensor gets the stream of its path.
    pub fn initialize_weights(&self, rng: &Generator) -> init_candle::Result<()> {
        use init_candle::init;
        for (path, m) in self.named_modules() {
            let stream = |name: &str| rng.for_path(&format!("{path}.{name}"));
            if let Some(m) = m.downcast_ref::<Conv2d>() {
                // kaiming_uniform_'s defaults: a=0, mode='fan_in', nonlinearity='leaky_relu'.
                let relu = Nonlinearity::LEAKY_RELU;
                init::kaiming_uniform(
                    m.weight(),
                    0.0,
                    FanMode::FanIn,
                    relu,
                    &mut stream("weight"),
                )?;
                if let Some(bias) = m.bias() {
                    init::constant(bias, 0.0)?;
                }
            } else if let Some(m) = m.downcast_ref::<BatchNorm2d>() {
                if let Some((weight, bias)) = m.inner().weight_and_bias() {
                    init::constant(weight, 1.0)?;
                    init::constant(bias, 0.0)?;
                }
            } else if let Some(m) = m.downcast_ref::<Linear>() {
                init::normal(m.weight(), 0.0, 0.01, &mut stream("weight"))?;
                if let Some(bias) = m.bias() {
                    init::constant(bias, 0.0)?;
                }
            }
        }
        Ok(())
    }
}
