//! [`Sequential`]: a chain of layers that can be enumerated, walked and downcast (candle-nn's
//! `Sequential` holds `Box<dyn Module>`s that can do none of that).
//!
//! ```
//! # use candle_core::{DType, Device, Tensor};
//! # use candle_nn::{VarBuilder, VarMap, Linear};
//! use init_candle::nn::{ReLU, Sequential};
//! use init_candle::InitWeightsExt;
//! # let varmap = VarMap::new();
//! # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let mlp = Sequential::new()
//!     .add(candle_nn::linear(4, 8, vb.pp("0"))?)
//!     .add(ReLU)
//!     .add(candle_nn::linear(8, 2, vb.pp("2"))?);
//! assert_eq!(mlp.len(), 3);
//! assert!(mlp.get(0).and_then(|l| l.downcast_ref::<Linear>()).is_some());
//! let y = mlp.forward(&Tensor::zeros((5, 4), DType::F32, &Device::Cpu)?)?;
//! assert_eq!(y.dims(), &[5, 2]);
//! mlp.check_varmap(&varmap)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use candle_core::{ModuleT, Tensor};

use crate::ext::InitWeightsExt;
use crate::module::InitWeights;

/// A layer of a [`Sequential`]: a module with a forward pass (`ModuleT`, so that `Module`s,
/// `BatchNorm` and `Dropout` all fit) that can be walked. Blanket-implemented.
pub trait Layer: ModuleT + InitWeights + Send + Sync {}

impl<T: ModuleT + InitWeights + Send + Sync> Layer for T {}

/// Layers applied one after the other; child `i` is named `i` (as PyTorch's `nn.Sequential`,
/// so build layer `i` with `vb.pp(i)`).
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Layer>>,
}

impl std::fmt::Debug for Sequential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.module_repr())
    }
}

impl Sequential {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a layer (builder style).
    #[allow(clippy::should_implement_trait)]
    pub fn add<L: Layer + 'static>(mut self, layer: L) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends a layer.
    pub fn push<L: Layer + 'static>(&mut self, layer: L) {
        self.layers.push(Box::new(layer));
    }

    /// The number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there is no layer.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Layer `i`.
    pub fn get(&self, i: usize) -> Option<&dyn Layer> {
        self.layers.get(i).map(|l| &**l)
    }

    /// The layers in order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Layer> {
        self.layers.iter().map(|l| &**l)
    }

    /// Runs every layer in evaluation mode.
    pub fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        self.forward_t(xs, false)
    }
}

impl ModuleT for Sequential {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut xs = xs.clone();
        for layer in &self.layers {
            xs = layer.forward_t(&xs, train)?;
        }
        Ok(xs)
    }
}

impl InitWeights for Sequential {
    fn class_name(&self) -> &'static str {
        "Sequential"
    }
    fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
        for (i, layer) in self.layers.iter().enumerate() {
            if let Some(module) = layer.as_field() {
                visit(&i.to_string(), module);
            }
        }
    }
}
