//! Document 002 (`../shared/seeds/002_df0d8a0dede4cd44.txt`), "two ways to initialize
//! parameters": one layer by hand, then a multi-layer `Net` initialized by `model.apply(
//! weight_init)` (method 1) or by a `self.modules()` loop in `__init__` (method 2), then the
//! Xavier, Kaiming, orthogonal and constant loops over a conv net's modules. Shared by
//! `examples/apply_or_modules.rs` and `tests/tutorials.rs` (which compares the prints and the
//! refusal with PyTorch's and the values by distribution).
//!
//! ```python
//! conv = torch.nn.Conv2d(3, 64, kernel_size = 3, stride = 1, padding = 1)
//! torch.nn.init.xavier_uniform_(conv.weight)
//! torch.nn.init.xavier_uniform_(conv.bias, 0)   # PyTorch raises: a 1-D tensor has no fans
//!
//! class Net(nn.Module):   # method 1
//!     def __init__(self, in_dim, n_hidden_1, n_hidden_2, out_dim):
//!         super().__init__()
//!         self.layer = nn.Sequential(
//!             nn.Linear(in_dim, n_hidden_1),
//!             nn.ReLU(True),
//!             nn.Linear(n_hidden_1, n_hidden_2),
//!             nn.ReLU(True),
//!             nn.Linear(n_hidden_2, out_dim)
//!              )
//!     def forward(self, x):   # names self.layer1/2/3, which do not exist: self.layer is meant
//!         ...
//!
//! def weight_init(m):
//!     if isinstance(m, nn.Linear):
//!         nn.init.xavier_normal_(m.weight)
//!         nn.init.constant_(m.bias, 0)
//!     elif isinstance(m, nn.Conv2d):
//!         nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
//!     elif isinstance(m, nn.BatchNorm2d):
//!         nn.init.constant_(m.weight, 1)
//!         nn.init.constant_(m.bias, 0)
//!
//! model = Net(in_dim, n_hidden_1, n_hidden_2, out_dim)
//! model.apply(weight_init)
//!
//! class Net(nn.Module):   # method 2: the same layers, then in __init__
//!        for m in self.modules():
//!              if isinstance(m, nn.Conv2d):
//!                  nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
//!              elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
//!                  nn.init.constant_(m.weight, 1)
//!                  nn.init.constant_(m.bias, 0)
//!
//! for m in net.modules():
//!      if isinstance(m, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d)):
//!          torch.nn.init.xavier_uniform_(m.weight)
//! for m in net.modules():
//!      if isinstance(m, torch.nn.Conv2d):
//!          torch.nn.init.xavier_uniform_(m.weight, gain = torch.nn.init.calculate_gain('relu'))
//! for m in net.modules():
//!      if isinstance(m, torch.nn.Conv2d):
//!           torch.nn.kaiming_normal_(m.weight, mode = 'fan_in')
//! for m in modules():
//!      if isinstance(m, torch.nn.Conv2d):
//!            torch.nn.init.orthogonal(m.weight)
//! for m in modules():
//!     if isinstance(m, torch.nn.Conv2d):
//!           torch.nn.init.constant(m.weight, 0.5)
//!           torch.nn.init.constant(m.bias, 0)
//! ```

use candle_core::Tensor;
use candle_nn::{Conv1d, Conv2d, Conv2dConfig, Linear, VarBuilder};
use init_candle::init::InitError;
use init_candle::nn::{BatchNorm2d, Flatten, GroupNorm, ReLU, Sequential};
use init_candle::{
    calculate_gain, init, FanMode, Generator, Init, InitWeights, InitWeightsExt, ModuleInit,
    Nonlinearity,
};

/// `Conv2d(3, 64, kernel_size=3, stride=1, padding=1)` with `xavier_uniform_` on its weight,
/// and what `xavier_uniform_(conv.bias, 0)` gives: PyTorch raises, so this is an `Err` (the
/// bias is left as it was).
pub fn single_layer(
    vb: VarBuilder,
    rng: &mut Generator,
) -> init_candle::Result<(Conv2d, Result<(), InitError>)> {
    let cfg = Conv2dConfig {
        stride: 1,
        padding: 1,
        ..Default::default()
    };
    let conv = candle_nn::conv2d(3, 64, 3, cfg, vb.pp("conv"))?;
    init::xavier_uniform(conv.weight(), 1.0, rng)?;
    let bias = conv
        .bias()
        .ok_or_else(|| candle_core::Error::Msg("candle_nn::conv2d makes a bias".into()))?;
    let refused = init::xavier_uniform(bias, 0.0, rng);
    Ok((conv, refused))
}

/// `in_dim, n_hidden_1, n_hidden_2, out_dim`: the document leaves them undefined; MNIST's
/// 28 * 28 inputs through 300 and 100 hidden units to 10 classes.
pub const SIZES: (usize, usize, usize, usize) = (28 * 28, 300, 100, 10);

/// `self.layer`: `Linear, ReLU(True), Linear, ReLU(True), Linear`, layer `i` under `vb.pp(i)`.
fn layer(
    vb: VarBuilder,
    (in_dim, n1, n2, out_dim): (usize, usize, usize, usize),
) -> init_candle::Result<Sequential> {
    Ok(Sequential::new()
        .add(candle_nn::linear(in_dim, n1, vb.pp(0))?)
        .add(ReLU::new(true))
        .add(candle_nn::linear(n1, n2, vb.pp(2))?)
        .add(ReLU::new(true))
        .add(candle_nn::linear(n2, out_dim, vb.pp(4))?))
}

/// Method 1: the model, and `weight_init` applied to every module.
pub mod method1 {
    use super::*;

    #[derive(InitWeights)]
    pub struct Net {
        pub layer: Sequential,
    }

    impl Net {
        /// `Net(in_dim, n_hidden_1, n_hidden_2, out_dim)`.
        pub fn new(
            vb: VarBuilder,
            sizes: (usize, usize, usize, usize),
        ) -> init_candle::Result<Self> {
            Ok(Self {
                layer: layer(vb.pp("layer"), sizes)?,
            })
        }

        /// The document's `forward` calls `self.layer1/2/3`, which do not exist: `self.layer`.
        pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
            self.layer.forward(x)
        }
    }

    /// `weight_init(m)`, for `model.init_with(seed, &mut weight_init)`: PyTorch's
    /// `model.apply(weight_init)`, planned, so every module is checked before the first write.
    pub fn weight_init(m: &mut ModuleInit<'_>) -> init_candle::Result<()> {
        if m.is::<Linear>() {
            m.init_weight(Init::xavier_normal());
            m.init_bias(Init::Constant { value: 0.0 });
        } else if m.is::<Conv2d>() {
            m.init_weight(Init::KaimingNormal {
                a: 0.0,
                mode: FanMode::FanOut,
                nonlinearity: Nonlinearity::Relu,
            });
        } else if m.is::<BatchNorm2d>() {
            m.init_weight(Init::Constant { value: 1.0 });
            m.init_bias(Init::Constant { value: 0.0 });
        }
        Ok(())
    }
}

/// Method 2: the loop over `self.modules()` inside the constructor.
pub mod method2 {
    use super::*;

    #[derive(InitWeights)]
    pub struct Net {
        pub layer: Sequential,
    }

    impl Net {
        /// `Net(in_dim, n_hidden_1, n_hidden_2, out_dim)`. PyTorch's layers start from their
        /// `reset_parameters`, candle-nn's from other values: `reset_parameters(seed)` first,
        /// then the document's loop. It finds no Conv2d, BatchNorm2d or GroupNorm in this
        /// model, so the Linear layers keep PyTorch's default init, as in the document.
        pub fn new(
            vb: VarBuilder,
            sizes: (usize, usize, usize, usize),
            seed: u64,
        ) -> init_candle::Result<Self> {
            let net = Self {
                layer: layer(vb.pp("layer"), sizes)?,
            };
            net.reset_parameters(seed)?;
            let rng = Generator::new(seed);
            for (path, m) in net.named_modules() {
                if let Some(conv) = m.downcast_ref::<Conv2d>() {
                    let mut stream = rng.for_path(&format!("{path}.weight"));
                    let relu = Nonlinearity::Relu;
                    init::kaiming_normal(conv.weight(), 0.0, FanMode::FanOut, relu, &mut stream)?;
                } else if let Some(bn) = m.downcast_ref::<BatchNorm2d>() {
                    if let Some((weight, bias)) = bn.inner().weight_and_bias() {
                        init::constant(weight, 1.0)?;
                        init::constant(bias, 0.0)?;
                    }
                } else if let Some(gn) = m.downcast_ref::<GroupNorm>() {
                    init::constant(gn.weight(), 1.0)?;
                    init::constant(gn.bias(), 0.0)?;
                }
            }
            Ok(net)
        }

        pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
            self.layer.forward(x)
        }
    }
}

/// `net`, which the document's loops walk but never defines: a small conv net for 8x8 RGB
/// inputs with the layer types the loops test (Conv2d, Linear).
pub fn conv_net(vb: VarBuilder) -> init_candle::Result<Sequential> {
    let same = Conv2dConfig {
        stride: 1,
        padding: 1,
        ..Default::default()
    };
    Ok(Sequential::new()
        .add(candle_nn::conv2d(3, 16, 3, same, vb.pp(0))?)
        .add(ReLU::new(true))
        .add(candle_nn::conv2d(16, 32, 3, same, vb.pp(2))?)
        .add(ReLU::new(true))
        .add(Flatten::default())
        .add(candle_nn::linear(32 * 8 * 8, 10, vb.pp(5))?))
}

/// The weight of a Linear, Conv1d or Conv2d: `isinstance(m, (Linear, Conv1d, Conv2d))`.
fn linear_or_conv_weight(m: &dyn InitWeights) -> Option<&Tensor> {
    m.downcast_ref::<Linear>()
        .map(Linear::weight)
        .or_else(|| m.downcast_ref::<Conv1d>().map(Conv1d::weight))
        .or_else(|| m.downcast_ref::<Conv2d>().map(Conv2d::weight))
}

/// The document's initializer loops, in its order, each over `net.modules()`; one generator
/// serves them in turn, as PyTorch's global one. Returns, per loop, its call and each module it
/// wrote: the path and a copy of the weight as the loop left it.
#[allow(clippy::type_complexity)]
pub fn initializer_loops(
    net: &Sequential,
    rng: &mut Generator,
) -> init_candle::Result<Vec<(&'static str, Vec<(String, Tensor)>)>> {
    let mut loops = Vec::new();
    let mut written = Vec::new();
    // Xavier: xavier_uniform_ on every Linear, Conv1d and Conv2d weight.
    for (path, m) in net.named_modules() {
        if let Some(weight) = linear_or_conv_weight(m) {
            init::xavier_uniform(weight, 1.0, rng)?;
            written.push((path, weight.copy()?));
        }
    }
    loops.push(("xavier_uniform_(m.weight)", std::mem::take(&mut written)));
    let relu_gain = calculate_gain(Nonlinearity::Relu)?;
    let conv2d = || {
        net.named_modules()
            .into_iter()
            .filter_map(|(path, m)| m.downcast_ref::<Conv2d>().map(|conv| (path, conv)))
    };
    for (path, conv) in conv2d() {
        init::xavier_uniform(conv.weight(), relu_gain, rng)?;
        written.push((path, conv.weight().copy()?));
    }
    loops.push((
        "xavier_uniform_(m.weight, gain=calculate_gain('relu'))",
        std::mem::take(&mut written),
    ));
    // Kaiming: kaiming_normal_(m.weight, mode='fan_in'), nonlinearity's default 'leaky_relu'.
    for (path, conv) in conv2d() {
        let leaky = Nonlinearity::LEAKY_RELU;
        init::kaiming_normal(conv.weight(), 0.0, FanMode::FanIn, leaky, rng)?;
        written.push((path, conv.weight().copy()?));
    }
    loops.push((
        "kaiming_normal_(m.weight, mode='fan_in')",
        std::mem::take(&mut written),
    ));
    // Orthogonal (the document calls the deprecated alias `orthogonal`).
    for (path, conv) in conv2d() {
        init::orthogonal(conv.weight(), 1.0, rng)?;
        written.push((path, conv.weight().copy()?));
    }
    loops.push(("orthogonal_(m.weight)", std::mem::take(&mut written)));
    // Constant (the document calls the deprecated alias `constant`).
    for (path, conv) in conv2d() {
        init::constant(conv.weight(), 0.5)?;
        if let Some(bias) = conv.bias() {
            init::constant(bias, 0.0)?;
        }
        written.push((path, conv.weight().copy()?));
    }
    loops.push(("constant_(m.weight, 0.5); constant_(m.bias, 0)", written));
    Ok(loops)
}
