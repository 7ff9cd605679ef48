//! Document 000 (`../shared/seeds/000_aa2b69f0b30de700.txt`): the LeNet-style `Net` and its
//! `initialize_weights` method, which walks `self.modules()` and picks an initializer by
//! `isinstance`. Shared by `examples/initialize_weights.rs` and `tests/tutorials.rs` (which
//! compares `print(net)` with PyTorch's and tests the values by distribution).
//!
//! ```python
//! class Net(nn.Module):
//!     def __init__(self):
//!         super(Net, self).__init__()
//!         self.conv1 = nn.Conv2d(3, 6, 5)
//!         self.pool1 = nn.MaxPool2d(2, 2)
//!         self.conv2 = nn.Conv2d(6, 16, 5)
//!         self.pool2 = nn.MaxPool2d(2, 2)
//!         self.fc1 = nn.Linear(16 * 5 * 5, 120)
//!         self.fc2 = nn.Linear(120, 84)
//!         self.fc3 = nn.Linear(84, 10)
//!
//!     def forward(self, x):
//!         x = self.pool1(F.relu(self.conv1(x)))
//!         x = self.pool2(F.relu(self.conv2(x)))
//!         x = x.view(-1, 16 * 5 * 5)
//!         x = F.relu(self.fc1(x))
//!         x = F.relu(self.fc2(x))
//!         x = self.fc3(x)
//!         return x
//!
//!     def initialize_weights(self):
//!         for m in self.modules():
//!             if isinstance(m, nn.Conv2d):
//!                 torch.nn.init.xavier_normal_(m.weight.data)
//!                 if m.bias is not None:
//!                     m.bias.data.zero_()
//!             elif isinstance(m, nn.BatchNorm2d):
//!                 m.weight.data.fill_(1)
//!                 m.bias.data.zero_()
//!             elif isinstance(m, nn.Linear):
//!                 torch.nn.init.normal_(m.weight.data, 0, 0.01)
//!                 m.bias.data.zero_()
//! ```

use candle_core::{Module, Tensor};
use candle_nn::{Conv2d, Linear, VarBuilder};
use init_candle::nn::{BatchNorm2d, MaxPool2d};
use init_candle::{Generator, InitWeights, InitWeightsExt};

/// The attributes declare what `initialize_weights` does, so `init_weights(seed)` gives the
/// same bytes as the loop (each parameter draws from the stream of its path).
#[derive(InitWeights)]
pub struct Net {
    #[init(xavier_normal, bias = zeros)]
    pub conv1: Conv2d,
    pub pool1: MaxPool2d,
    #[init(xavier_normal, bias = zeros)]
    pub conv2: Conv2d,
    pub pool2: MaxPool2d,
    #[init(normal(std = 0.01), bias = zeros)]
    pub fc1: Linear,
    #[init(normal(std = 0.01), bias = zeros)]
    pub fc2: Linear,
    #[init(normal(std = 0.01), bias = zeros)]
    pub fc3: Linear,
}

impl Net {
    /// `Net()`: the layers, as candle-nn's constructors fill them (`initialize_weights` is the
    /// document's second step, called on the built model).
    pub fn new(vb: VarBuilder) -> init_candle::Result<Self> {
        Ok(Self {
            conv1: candle_nn::conv2d(3, 6, 5, Default::default(), vb.pp("conv1"))?,
            pool1: MaxPool2d::new(2, 2, 0)?,
            conv2: candle_nn::conv2d(6, 16, 5, Default::default(), vb.pp("conv2"))?,
            pool2: MaxPool2d::new(2, 2, 0)?,
            fc1: candle_nn::linear(16 * 5 * 5, 120, vb.pp("fc1"))?,
            fc2: candle_nn::linear(120, 84, vb.pp("fc2"))?,
            fc3: candle_nn::linear(84, 10, vb.pp("fc3"))?,
        })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.pool1.forward(&self.conv1.forward(x)?.relu()?)?;
        let x = self.pool2.forward(&self.conv2.forward(&x)?.relu()?)?;
        let x = x.reshape(((), 16 * 5 * 5))?;
        let x = self.fc1.forward(&x)?.relu()?;
        let x = self.fc2.forward(&x)?.relu()?;
        self.fc3.forward(&x)
    }

    /// `initialize_weights`: walk `modules()`, test the layer type (`downcast_ref` is
    /// `isinstance`), write its tensors. Rust has no global generator: the random numbers come
    /// from `rng`, each tensor from the stream of its path.
    pub fn initialize_weights(&self, rng: &Generator) -> init_candle::Result<()> {
        use init_candle::init;
        for (path, m) in self.named_modules() {
            let stream = |name: &str| rng.for_path(&format!("{path}.{name}"));
            if let Some(m) = m.downcast_ref::<Conv2d>() {
                init::xavier_normal(m.weight(), 1.0, &mut stream("weight"))?;
                if let Some(bias) = m.bias() {
                    init::zeros(bias)?;
                }
            } else if let Some(m) = m.downcast_ref::<BatchNorm2d>() {
                if let Some((weight, bias)) = m.inner().weight_and_bias() {
                    init::ones(weight)?;
                    init::zeros(bias)?;
                }
            } else if let Some(m) = m.downcast_ref::<Linear>() {
                init::normal(m.weight(), 0.0, 0.01, &mut stream("weight"))?;
                // The document zeroes the bias without a check (every Linear here has one).
                if let Some(bias) = m.bias() {
                    init::zeros(bias)?;
                }
            }
        }
        Ok(())
    }
}

/// The document's list of `torch.nn.init` functions, each with the defaults its signature
/// shows, as `(signature, the init_candle call, the initializer)`; `sparse_` has no default
/// `sparsity`, 0.1 is used.
pub fn listed_functions() -> Vec<(&'static str, &'static str, init_candle::Init)> {
    use init_candle::{FanMode, Init, Nonlinearity};
    let leaky = Nonlinearity::LEAKY_RELU;
    vec![
        (
            "torch.nn.init.xavier_uniform_(tensor, gain=1)",
            "init::xavier_uniform(&t, 1.0, &mut rng)",
            Init::XavierUniform { gain: 1.0 },
        ),
        (
            "torch.nn.init.xavier_normal_(tensor, gain=1)",
            "init::xavier_normal(&t, 1.0, &mut rng)",
            Init::XavierNormal { gain: 1.0 },
        ),
        (
            "torch.nn.init.kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')",
            "init::kaiming_uniform(&t, 0.0, FanMode::FanIn, Nonlinearity::LEAKY_RELU, &mut rng)",
            Init::KaimingUniform {
                a: 0.0,
                mode: FanMode::FanIn,
                nonlinearity: leaky,
            },
        ),
        (
            "torch.nn.init.kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')",
            "init::kaiming_normal(&t, 0.0, FanMode::FanIn, Nonlinearity::LEAKY_RELU, &mut rng)",
            Init::KaimingNormal {
                a: 0.0,
                mode: FanMode::FanIn,
                nonlinearity: leaky,
            },
        ),
        (
            "torch.nn.init.uniform_(tensor, a=0, b=1)",
            "init::uniform(&t, 0.0, 1.0, &mut rng)",
            Init::Uniform {
                low: 0.0,
                high: 1.0,
            },
        ),
        (
            "torch.nn.init.normal_(tensor, mean=0, std=1)",
            "init::normal(&t, 0.0, 1.0, &mut rng)",
            Init::Normal {
                mean: 0.0,
                std: 1.0,
            },
        ),
        (
            "torch.nn.init.constant_(tensor, val)",
            "init::constant(&t, val)",
            Init::Constant { value: 0.3 },
        ),
        ("torch.nn.init.eye_(tensor)", "init::eye(&t)", Init::Eye),
        (
            "torch.nn.init.orthogonal_(tensor, gain=1)",
            "init::orthogonal(&t, 1.0, &mut rng)",
            Init::orthogonal(),
        ),
        (
            "torch.nn.init.sparse_(tensor, sparsity, std=0.01)",
            "init::sparse(&t, sparsity, 0.01, &mut rng)",
            Init::Sparse {
                sparsity: 0.1,
                std: 0.01,
            },
        ),
    ]
}
