//! [`Opaque`]: a model the builder initializes by its rules and preset alone.

use std::ops::{Deref, DerefMut};

use crate::module::InitWeights;

/// A model that does not implement [`InitWeights`] (a candle-transformers model, say), for
/// [`ModelBuilder::build`](super::ModelBuilder::build): its tensors are decided by the
/// checkpoint, the builder's rules and its preset, each as the constructor asks for it, since
/// the builder cannot see the model's modules.
///
/// A model that implements [`InitWeights`] (derived, a candle-nn layer, a tuple or `Vec` of
/// them) is passed as it is, and its `#[init]` attributes and layer defaults apply; wrapping
/// it in `Opaque` is the one way to build it without them.
///
/// It dereferences to the model; [`into_inner`](Opaque::into_inner) or `.0` takes it out.
///
/// ```
/// use candle_core::{DType, Device};
/// use candle_transformers::models::llama::{Llama, LlamaConfig};
/// use init_candle::build::{ModelBuilder, Opaque, Preset};
///
/// # fn main() -> init_candle::Result<()> {
/// let cfg: LlamaConfig = serde_json::from_str(r#"{"hidden_size": 32, "intermediate_size": 64,
///     "vocab_size": 100, "num_hidden_layers": 1, "num_attention_heads": 4,
///     "num_key_value_heads": 4, "rms_norm_eps": 1e-5, "max_position_embeddings": 16}"#)
///     .expect("config");
/// let cfg = cfg.into_config(false);
/// let built = ModelBuilder::new(0)
///     .preset(Preset::hf(0.02))
///     .build(DType::F32, &Device::Cpu, |vb| Ok(Opaque(Llama::load(vb, &cfg)?)))?;
/// let llama: Llama = built.model.into_inner();
/// assert_eq!(built.report.tensors.len(), 12);
/// # let _ = llama;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Opaque<M>(pub M);

impl<M> Opaque<M> {
    /// The model.
    pub fn into_inner(self) -> M {
        self.0
    }
}

impl<M> Deref for Opaque<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.0
    }
}

impl<M> DerefMut for Opaque<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.0
    }
}

impl<M: 'static> InitWeights for Opaque<M> {
    fn class_name(&self) -> &'static str {
        "Opaque"
    }

    fn builder_reads_modules() -> bool {
        false
    }
}

/// `()`: a constructor that keeps nothing (it asks for tensors and drops them, as a
/// [`build_flat`](super::ModelBuilder::build_flat) constructor may): no modules, like
/// [`Opaque`].
impl InitWeights for () {
    fn class_name(&self) -> &'static str {
        "()"
    }

    fn builder_reads_modules() -> bool {
        false
    }
}
