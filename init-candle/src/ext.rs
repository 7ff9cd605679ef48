//! [`InitWeightsExt`]: what users call on a module (PyTorch's `named_modules`, `apply`, ... and
//! planned initialization), implemented once for every [`InitWeights`].

use std::any::Any;

use candle_core::Tensor;
use init_core::Generator;

use crate::error::Result;
use crate::module::InitWeights;
use crate::plan::{InitPlan, InitReport, ModuleInit};
use crate::{apply, params, repr, traversal, varmap};

/// The methods of a module, like PyTorch's `nn.Module`: traversal (`named_modules`,
/// `named_parameters`, ...), `apply`, planned initialization (`init_weights`, `init_with`,
/// `reset_parameters`), `module_repr` and downcasts. Implemented for every [`InitWeights`]
/// (including `dyn InitWeights`); bring it into scope with `use init_candle::InitWeightsExt`.
///
/// Order: [`named_children`](Self::named_children) and [`named_modules`](Self::named_modules)
/// are in declaration order, parents before their children (pre-order, as PyTorch);
/// [`apply`](Self::apply) calls its function on the children first and on the module last
/// (post-order, as PyTorch's `Module.apply`).
///
/// ```
/// use candle_core::{DType, Device};
/// use candle_nn::{Linear, VarBuilder, VarMap};
/// use init_candle::nn::{ReLU, Sequential};
/// use init_candle::{Init, InitWeightsExt};
///
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let mlp = Sequential::new()
///     .add(candle_nn::linear(4, 8, vb.pp("0"))?)
///     .add(ReLU)
///     .add(candle_nn::linear(8, 2, vb.pp("2"))?);
/// let names: Vec<String> = mlp.named_modules().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["", "0", "1", "2"]);
/// // PyTorch's `model.apply(weights_init)`, checked in full before anything is written:
/// mlp.init_with(0, &mut |m| {
///     if m.is::<Linear>() {
///         m.init_weight(Init::xavier_normal());
///         m.init_bias(Init::Zeros);
///     }
///     Ok(())
/// })?;
/// assert_eq!(mlp.parameter("2.bias").unwrap().sum_all()?.to_scalar::<f32>()?, 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait InitWeightsExt: InitWeights {
    /// Direct submodules with their names, like PyTorch's `named_children()`.
    fn named_children(&self) -> Vec<(String, &dyn InitWeights)> {
        traversal::named_children(self.as_module())
    }

    /// Direct submodules, like PyTorch's `children()`.
    fn children(&self) -> Vec<&dyn InitWeights> {
        self.named_children().into_iter().map(|(_, m)| m).collect()
    }

    /// This module (named `""`) and every submodule, recursively, pre-order, like PyTorch's
    /// `named_modules()`.
    fn named_modules(&self) -> Vec<(String, &dyn InitWeights)> {
        traversal::named_modules(self.as_module())
    }

    /// This module and every submodule, like PyTorch's `modules()`.
    fn modules(&self) -> Vec<&dyn InitWeights> {
        self.named_modules().into_iter().map(|(_, m)| m).collect()
    }

    /// Every parameter with its dotted path, like PyTorch's `named_parameters()`. Each tensor
    /// shares the module's storage; a parameter reachable twice (tied) is listed once, under
    /// its first path.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        traversal::named_parameters(self.as_module())
    }

    /// Every parameter, like PyTorch's `parameters()`.
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters()
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// Every buffer with its dotted path (`bn.running_mean`), like PyTorch's `named_buffers()`.
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        traversal::named_buffers(self.as_module())
    }

    /// The parameter at a dotted path, e.g. `"features.0.weight"`.
    fn parameter(&self, path: &str) -> Option<Tensor> {
        params::parameter(self.as_module(), path)
    }

    /// The total number of parameter elements (tied parameters counted once).
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(|t| t.elem_count()).sum()
    }

    /// Calls `f` on every submodule and then on this module (post-order, as PyTorch's
    /// `Module.apply`); stops at the first error.
    ///
    /// `f` runs as it goes: what it writes is written even if a later call fails. For an
    /// initialization that is checked in full before anything is written, and whose random
    /// values do not depend on the order, use [`init_with`](Self::init_with).
    fn apply(&self, f: &mut dyn FnMut(&dyn InitWeights) -> Result<()>) -> Result<()> {
        self.apply_named(&mut |_, m| f(m))
    }

    /// [`apply`](Self::apply) with each module's dotted path (`""` for this module).
    fn apply_named(&self, f: &mut dyn FnMut(&str, &dyn InitWeights) -> Result<()>) -> Result<()> {
        apply::apply_post_order(self.as_module(), "", f)
    }

    /// What [`init_weights`](Self::init_weights) would write: each parameter's path and
    /// initializer (declared with `#[init]`, else the layer's PyTorch default). Nothing is written.
    fn init_plan(&self) -> Result<InitPlan> {
        InitPlan::declared(self.as_module())
    }

    /// Initializes every parameter: the `#[init(...)]` declarations, and the PyTorch default of
    /// each layer elsewhere. Parameter `P` draws from `Generator::new(seed).for_path(P)`, so the
    /// values depend on the seed and the path only. Every initializer is checked against its
    /// parameter before anything is written; tied parameters are written once.
    fn init_weights(&self, seed: u64) -> Result<InitReport> {
        self.init_weights_with(&Generator::new(seed))
    }

    /// [`init_weights`](Self::init_weights) after [`check_varmap`](Self::check_varmap): the
    /// model's paths are checked against the `VarMap` it was built from (a field named `fc`
    /// built with `vb.pp("fc2")` is an error naming both), then everything is initialized.
    /// Nothing is written when either check fails.
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use candle_nn::{Linear, VarBuilder, VarMap};
    /// use init_candle::{Error, InitWeights, InitWeightsExt};
    ///
    /// #[derive(InitWeights)]
    /// struct Net {
    ///     fc: Linear,
    /// }
    ///
    /// let varmap = VarMap::new();
    /// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    /// let good = Net { fc: candle_nn::linear(4, 2, vb.pp("fc"))? };
    /// good.init_weights_checked(0, &varmap)?;
    ///
    /// let bad = Net { fc: candle_nn::linear(4, 2, vb.pp("fc2"))? };
    /// let err = bad.init_weights_checked(0, &varmap).unwrap_err();
    /// assert!(matches!(err, Error::VarMapPathMismatch { ref path, ref found }
    ///     if path == "fc.weight" && found == "fc2.weight"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn init_weights_checked(&self, seed: u64, varmap: &candle_nn::VarMap) -> Result<InitReport> {
        self.check_varmap(varmap)?;
        self.init_weights(seed)
    }

    /// [`init_weights`](Self::init_weights) with a given generator (its seed and stream).
    fn init_weights_with(&self, rng: &Generator) -> Result<InitReport> {
        self.init_plan()?.execute(rng)
    }

    /// PyTorch's default initialization of every layer, ignoring `#[init]` declarations.
    fn reset_parameters(&self, seed: u64) -> Result<InitReport> {
        InitPlan::defaults(self.as_module())?.execute(&Generator::new(seed))
    }

    /// A PyTorch-style `model.apply(weights_init)` that is planned: `f` is called on every
    /// module (post-order) and says which of its parameters get which initializer
    /// ([`ModuleInit::init_weight`], [`ModuleInit::init`]); then every choice is checked and
    /// only then written, each parameter from its own stream `for_path(path)`. Parameters `f`
    /// does not mention are left as they are.
    fn init_with(
        &self,
        seed: u64,
        f: &mut dyn FnMut(&mut ModuleInit<'_>) -> Result<()>,
    ) -> Result<InitReport> {
        InitPlan::from_fn(self.as_module(), f)?.execute(&Generator::new(seed))
    }

    /// Checks that every parameter and buffer is the very storage of the `VarMap` variable of
    /// the same path (not a copy), so writes reach the VarMap, `save` and optimizers.
    ///
    /// A tensor reached by two paths (tied: `lm_head.weight` and `wte.weight`) needs a
    /// variable under one of them. Errors name what the VarMap holds instead:
    /// [`Error::VarMapPathMismatch`](crate::Error::VarMapPathMismatch) when it holds the very
    /// tensor under another name, [`Error::MissingFromVarMap`](crate::Error::MissingFromVarMap)
    /// with its nearest name otherwise, [`Error::NotVarMapStorage`](crate::Error::NotVarMapStorage)
    /// for a copy.
    fn check_varmap(&self, varmap: &candle_nn::VarMap) -> Result<()> {
        varmap::check_model(self.as_module(), varmap)
    }

    /// Overwrites the parameter at `path` with `values` (same shape and dtype), in place.
    fn set_parameter(&self, path: &str, values: &Tensor) -> Result<()> {
        params::set_parameter(self.as_module(), path, values)
    }

    /// The module printed as PyTorch prints it (`Net(\n  (fc): Linear(...)\n)`).
    fn module_repr(&self) -> String {
        repr::module_repr(self.as_module())
    }

    /// The module as a `T`, if it is one: Rust's `isinstance(m, T)`.
    fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.as_any().downcast_ref::<T>()
    }

    /// Whether the module is a `T`.
    fn is<T: Any>(&self) -> bool {
        self.as_any().is::<T>()
    }
}

impl<T: InitWeights + ?Sized> InitWeightsExt for T {}
