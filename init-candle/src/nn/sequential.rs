//! [`Sequential`]: a chain of layers that can be indexed, iterated, walked and downcast, as
//! PyTorch's `nn.Sequential` (candle-nn's `Sequential` holds `Box<dyn Module>`s that can do none
//! of that).
//!
//! ```
//! # use candle_core::{DType, Device, Tensor};
//! # use candle_nn::{VarBuilder, VarMap, Linear};
//! use init_candle::nn::{ReLU, Sequential};
//! use init_candle::InitWeightsExt;
//! # let varmap = VarMap::new();
//! # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let net1 = Sequential::new()
//!     .add(candle_nn::linear(4, 8, vb.pp("0"))?)
//!     .add(ReLU)
//!     .add(candle_nn::linear(8, 2, vb.pp("2"))?);
//! assert_eq!(net1.len(), 3);
//! // net1[0]: the layer as a module (class name, printing, downcasts).
//! assert_eq!(net1[0].class_name(), "Linear");
//! assert_eq!(net1[1].to_string(), "ReLU()");
//! // net1[0].weight: the typed getter, an error rather than a panic on a wrong index or type.
//! let w1 = net1.get::<Linear>(0)?.weight();
//! assert_eq!(w1.dims(), &[8, 4]);
//! assert!(net1.get::<Linear>(1).is_err());
//! assert!(net1.get::<Linear>(3).is_err());
//! // for layer in net1:
//! let linears = (&net1).into_iter().filter(|layer| layer.is::<Linear>()).count();
//! assert_eq!(linears, 2);
//! let y = net1.forward(&Tensor::zeros((5, 4), DType::F32, &Device::Cpu)?)?;
//! assert_eq!(y.dims(), &[5, 2]);
//! net1.check_varmap(&varmap)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::any::Any;
use std::fmt;

use candle_core::{ModuleT, Tensor};

use crate::error::{Error, Result};
use crate::ext::InitWeightsExt;
use crate::module::InitWeights;

/// A layer of a [`Sequential`]: a module with a forward pass (`ModuleT`, so that `Module`s,
/// `BatchNorm` and `Dropout` all fit) that can be walked. Blanket-implemented.
///
/// A `&dyn Layer` has the methods of [`InitWeightsExt`] (`class_name`, `module_repr`,
/// `downcast_ref`, `named_parameters`, ...) and prints as PyTorch prints the layer
/// (`Display`).
pub trait Layer: ModuleT + InitWeights + Send + Sync {}

impl<T: ModuleT + InitWeights + Send + Sync> Layer for T {}

impl fmt::Display for dyn Layer + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.module_repr())
    }
}

impl fmt::Debug for dyn Layer + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.module_repr())
    }
}

/// Layers applied one after the other; child `i` is named `i` (as PyTorch's `nn.Sequential`,
/// so build layer `i` with `vb.pp(i)`).
///
/// `seq[i]` is layer `i` as a `dyn Layer` (it panics past the end, as a `Vec` does;
/// [`layer`](Self::layer) and [`get`](Self::get) return an `Option` and a `Result`),
/// `for layer in &seq` walks the layers in order, and `Display` prints it as PyTorch does.
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Layer>>,
}

impl fmt::Debug for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.module_repr())
    }
}

impl fmt::Display for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

    /// Layer `i`, `None` past the end.
    pub fn layer(&self, i: usize) -> Option<&dyn Layer> {
        self.layers.get(i).map(|l| &**l)
    }

    /// Layer `i` as a `T` (PyTorch's `net1[i]` when you know its type: `net1.get::<Linear>(0)?
    /// .weight()` for `net1[0].weight`).
    ///
    /// # Errors
    /// [`Error::NoSuchLayer`] when `i` is past the end (naming the length) or layer `i` is not a
    /// `T` (naming its class).
    pub fn get<T: Any>(&self, i: usize) -> Result<&T> {
        let Some(layer) = self.layer(i) else {
            return Err(self.no_layer(i));
        };
        layer.downcast_ref::<T>().ok_or_else(|| Error::NoSuchLayer {
            index: i,
            message: format!(
                "layer {i} is a {} ({}), not a `{}`",
                layer.class_name(),
                layer.module_repr(),
                std::any::type_name::<T>()
            ),
        })
    }

    /// Puts `layer` in place `i` and returns the layer that was there: PyTorch's
    /// `seq[i] = layer`, e.g. a `Linear` holding a new weight tensor where PyTorch would assign
    /// `seq[i].weight.data` (the layer's variables are its own: put a new one in the `VarMap`
    /// too if the model is saved from it).
    ///
    /// ```
    /// # use candle_core::{DType, Device};
    /// use init_candle::nn::{ReLU, Sequential, Tanh};
    /// use init_candle::InitWeightsExt;
    /// let mut seq = Sequential::new().add(ReLU).add(ReLU);
    /// let old = seq.set(1, Tanh)?;
    /// assert_eq!(old.to_string(), "ReLU()");
    /// assert_eq!(seq.to_string(), "Sequential(\n  (0): ReLU()\n  (1): Tanh()\n)");
    /// assert!(seq.set(2, Tanh).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NoSuchLayer`] when `i` is past the end (naming the length); the chain is then
    /// unchanged.
    pub fn set<L: Layer + 'static>(&mut self, i: usize, layer: L) -> Result<Box<dyn Layer>> {
        if i >= self.len() {
            return Err(self.no_layer(i));
        }
        Ok(std::mem::replace(&mut self.layers[i], Box::new(layer)))
    }

    fn no_layer(&self, i: usize) -> Error {
        Error::NoSuchLayer {
            index: i,
            message: match self.len() {
                0 => format!("no layer {i}: the Sequential is empty"),
                n => format!(
                    "no layer {i}: the Sequential has {n} layers (indices 0 to {})",
                    n - 1
                ),
            },
        }
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

impl std::ops::Index<usize> for Sequential {
    type Output = dyn Layer;

    /// Layer `i`.
    ///
    /// # Panics
    /// When `i` is past the end, naming the length (use [`Sequential::layer`] or
    /// [`Sequential::get`] for an `Option` or a `Result`).
    fn index(&self, i: usize) -> &Self::Output {
        match self.layers.get(i) {
            Some(layer) => &**layer,
            None => panic!(
                "Sequential index {i} is out of range: it has {} layers",
                self.layers.len()
            ),
        }
    }
}

/// The layers of a [`Sequential`], in order (`for layer in &seq`).
pub struct Iter<'a> {
    inner: std::slice::Iter<'a, Box<dyn Layer>>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a dyn Layer;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|l| &**l)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Sequential {
    type Item = &'a dyn Layer;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        Iter {
            inner: self.layers.iter(),
        }
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
