//! Document 001 (`../shared/seeds/001_68c039f6c632a741.txt`): `weights_init(m)`, which tests
//! `m.__class__.__name__`, applied with `model = C3D(); model.apply(weights_init)`. The document
//! never defines `C3D`; this is the common PyTorch port of Tran et al. 2015. Shared by
//! `examples/c3d.rs` and `tests/tutorials.rs` (which compares `print(model)` with PyTorch's).
//!
//! ```python
//! def weights_init(m):
//!     classname = m.__class__.__name__
//!     # print(classname)
//!     if classname.find('Conv3d') != -1:
//!         init.xavier_normal_(m.weight.data)
//!         init.constant_(m.bias.data, 0.0)
//!     elif classname.find('Linear') != -1:
//!         init.xavier_normal_(m.weight.data)
//!         init.constant_(m.bias.data, 0.0)
//!
//! model = C3D()
//! model.apply(weights_init)
//!
//! class C3D(nn.Module):  # the port
//!     def __init__(self):
//!         super(C3D, self).__init__()
//!         self.conv1 = nn.Conv3d(3, 64, kernel_size=(3, 3, 3), padding=(1, 1, 1))
//!         self.pool1 = nn.MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2))
//!         ...
//!         self.pool5 = nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 1, 1))
//!         self.fc6 = nn.Linear(8192, 4096)
//!         self.fc7 = nn.Linear(4096, 4096)
//!         self.fc8 = nn.Linear(4096, 487)
//!         self.dropout = nn.Dropout(p=0.5)
//!         self.relu = nn.ReLU()
//!         self.softmax = nn.Softmax()
//! ```

use candle_core::{Module, ModuleT, Tensor};
use candle_nn::{Linear, VarBuilder};
use init_candle::nn::{conv3d, Conv3d, Conv3dConfig, Dropout, MaxPool3d, ReLU, Softmax};
use init_candle::{Init, InitWeights, ModuleInit};

/// The port's class name, so that it prints as `C3D(...)`.
#[allow(clippy::upper_case_acronyms)]
#[derive(InitWeights)]
pub struct C3D {
    pub conv1: Conv3d,
    pub pool1: MaxPool3d,
    pub conv2: Conv3d,
    pub pool2: MaxPool3d,
    pub conv3a: Conv3d,
    pub conv3b: Conv3d,
    pub pool3: MaxPool3d,
    pub conv4a: Conv3d,
    pub conv4b: Conv3d,
    pub pool4: MaxPool3d,
    pub conv5a: Conv3d,
    pub conv5b: Conv3d,
    pub pool5: MaxPool3d,
    pub fc6: Linear,
    pub fc7: Linear,
    pub fc8: Linear,
    pub dropout: Dropout,
    pub relu: ReLU,
    pub softmax: Softmax,
}

impl C3D {
    pub fn new(vb: VarBuilder) -> init_candle::Result<Self> {
        // kernel_size=(3, 3, 3), padding=(1, 1, 1): Conv3dConfig takes one value for all three.
        let same = Conv3dConfig {
            padding: 1,
            ..Default::default()
        };
        let conv = |i: usize, o: usize, name: &str| conv3d(i, o, 3, same, vb.pp(name));
        Ok(Self {
            conv1: conv(3, 64, "conv1")?,
            pool1: MaxPool3d::new((1, 2, 2), (1, 2, 2), 0)?,
            conv2: conv(64, 128, "conv2")?,
            pool2: MaxPool3d::new((2, 2, 2), (2, 2, 2), 0)?,
            conv3a: conv(128, 256, "conv3a")?,
            conv3b: conv(256, 256, "conv3b")?,
            pool3: MaxPool3d::new((2, 2, 2), (2, 2, 2), 0)?,
            conv4a: conv(256, 512, "conv4a")?,
            conv4b: conv(512, 512, "conv4b")?,
            pool4: MaxPool3d::new((2, 2, 2), (2, 2, 2), 0)?,
            conv5a: conv(512, 512, "conv5a")?,
            conv5b: conv(512, 512, "conv5b")?,
            pool5: MaxPool3d::new((2, 2, 2), (2, 2, 2), (0, 1, 1))?,
            fc6: candle_nn::linear(8192, 4096, vb.pp("fc6"))?,
            fc7: candle_nn::linear(4096, 4096, vb.pp("fc7"))?,
            fc8: candle_nn::linear(4096, 487, vb.pp("fc8"))?,
            dropout: Dropout::new(0.5)?,
            relu: ReLU,
            softmax: Softmax::implicit(),
        })
    }

    /// The convolutions and poolings (the port's `forward` up to `h.view(-1, 8192)`).
    pub fn features(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let relu = |t: Tensor| self.relu.forward(&t);
        let h = relu(self.conv1.forward(x)?)?;
        let h = self.pool1.forward(&h)?;
        let h = relu(self.conv2.forward(&h)?)?;
        let h = self.pool2.forward(&h)?;
        let h = relu(self.conv3a.forward(&h)?)?;
        let h = relu(self.conv3b.forward(&h)?)?;
        let h = self.pool3.forward(&h)?;
        let h = relu(self.conv4a.forward(&h)?)?;
        let h = relu(self.conv4b.forward(&h)?)?;
        let h = self.pool4.forward(&h)?;
        let h = relu(self.conv5a.forward(&h)?)?;
        let h = relu(self.conv5b.forward(&h)?)?;
        self.pool5.forward(&h)
    }

    /// The port's `forward`: features, `h.view(-1, 8192)`, fc6/fc7 with ReLU and dropout, fc8,
    /// softmax (`train` turns dropout on, PyTorch's `model.train()`).
    pub fn forward_t(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let h = self.features(x)?;
        let h = h.reshape(((), 8192))?;
        let h = self.relu.forward(&self.fc6.forward(&h)?)?;
        let h = self.dropout.forward_t(&h, train)?;
        let h = self.relu.forward(&self.fc7.forward(&h)?)?;
        let h = self.dropout.forward_t(&h, train)?;
        let logits = self.fc8.forward(&h)?;
        self.softmax.forward(&logits)
    }
}

/// `weights_init(m)`, by class name, for `model.init_with(seed, &mut weights_init)` (PyTorch's
/// `model.apply(weights_init)`, planned and checked before anything is written).
#[allow(clippy::if_same_then_else)] // the document's two branches, as it writes them
pub fn weights_init(m: &mut ModuleInit<'_>) -> init_candle::Result<()> {
    let classname = m.class_name();
    if classname.contains("Conv3d") {
        m.init_weight(Init::xavier_normal());
        m.init_bias(Init::Constant { value: 0.0 });
    } else if classname.contains("Linear") {
        m.init_weight(Init::xavier_normal());
        m.init_bias(Init::Constant { value: 0.0 });
    }
    Ok(())
}
