//! The [`InitWeights`] trait: PyTorch's `nn.Module` tree walk (`children`, `modules`,
//! `named_parameters`, `apply`) and declarative initialization for Candle models.

use std::any::Any;
use std::fmt::Write as _;

use candle_core::Tensor;
use init_core::{Generator, Init};

use crate::error::ModuleResult;
use crate::plan::{InitPlan, InitReport, ModuleInit};

/// `as_any` and `as_module` for every module (blanket impl; you never implement it).
///
/// It is a separate trait so that a `&dyn InitWeights` (or `&dyn Layer`) can be turned into
/// `&dyn Any` for downcasting without trait upcasting.
pub trait ModuleBase: Any {
    /// `self` as `&dyn Any`, for `downcast_ref`.
    fn as_any(&self) -> &dyn Any;
    /// `self` as `&dyn InitWeights`.
    fn as_module(&self) -> &dyn InitWeights;
}

impl<T: InitWeights> ModuleBase for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_module(&self) -> &dyn InitWeights {
        self
    }
}

/// Initializers declared for one submodule field: `weight` applies to every parameter of the
/// field's subtree whose own name starts with `weight` (`weight`, `weight_ih_l0`, ...), `bias`
/// to those starting with `bias`. Produced by `#[init(...)]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldInit {
    /// For parameters named `weight*`.
    pub weight: Option<Init>,
    /// For parameters named `bias*`.
    pub bias: Option<Init>,
}

/// One parameter (or buffer) of a module with the initializer it gets by default.
#[derive(Clone, Debug)]
pub struct ParamInit {
    /// The parameter's own name in its module (`weight`, `running_mean`, ...).
    pub name: String,
    /// The tensor, sharing the module's storage.
    pub tensor: Tensor,
    /// What `init_weights` writes into it unless a declaration overrides it.
    pub init: Init,
}

impl ParamInit {
    /// A parameter with its initializer.
    pub fn new(name: impl Into<String>, tensor: &Tensor, init: Init) -> Self {
        Self {
            name: name.into(),
            tensor: tensor.clone(),
            init,
        }
    }
}

/// The role of a parameter from its own name: `weight*` or `bias*` (else none).
pub(crate) fn role_init<'a>(name: &str, field: &'a FieldInit) -> Option<&'a Init> {
    if name.starts_with("weight") {
        field.weight.as_ref()
    } else if name.starts_with("bias") {
        field.bias.as_ref()
    } else {
        None
    }
}

/// A module of a Candle model that can be walked and initialized, like PyTorch's `nn.Module`.
///
/// Implement it with `#[derive(InitWeights)]` on your model structs; the layers of this crate and
/// candle-nn's layers already implement it. Names are dotted paths equal to the `VarBuilder`
/// paths a model is normally built with (`features.0.weight`): a field's name (or its
/// `#[init(rename = "...")]`) is one segment, `Vec`/array elements are numbered from `0`, and
/// `Option`/`Box`/`Arc` add no segment.
///
/// Order: [`named_children`](Self::named_children) and [`named_modules`](Self::named_modules)
/// are in declaration order, parents before their children (pre-order, as PyTorch);
/// [`apply`](Self::apply) calls its function on the children first and on the module last
/// (post-order, as PyTorch's `Module.apply`).
///
/// # The derive's attributes
///
/// ```text
/// #[init(xavier_normal)]                                   weights of this field
/// #[init(kaiming_normal(mode = fan_out, nonlinearity = relu), bias = zeros)]
/// #[init(weight = orthogonal(gain = 1.0), bias = constant(value = 0.1))]
/// #[init(normal(std = 0.01))]                              also for a bare `Tensor`/`Var` field
/// #[init(rename = "features")]                             path segment, when not the field name
/// #[init(skip)]                                            not a module (config, flags, ...)
/// ```
/// Initializers and their parameters are PyTorch's (`uniform(low, high)`, `normal(mean, std)`,
/// `trunc_normal(mean, std, a, b)`, `constant(value)`, `zeros`, `ones`, `eye`, `dirac(groups)`,
/// `xavier_uniform(gain)`, `xavier_normal(gain)`, `kaiming_uniform(a, mode, nonlinearity)`,
/// `kaiming_normal(a, mode, nonlinearity)`, `orthogonal(gain)`, `sparse(sparsity, std)`), with
/// PyTorch's defaults. A field without an attribute gets each layer's PyTorch default
/// (`reset_parameters`). When both an outer field and an inner one declare an initializer for
/// the same parameter, the outer one wins (the user of a block overrides the block's author).
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::{Conv2d, Linear, VarBuilder, VarMap};
/// use init_candle::InitWeights;
///
/// #[derive(InitWeights)]
/// struct Net {
///     #[init(xavier_normal, bias = zeros)]
///     conv: Conv2d,
///     #[init(normal(std = 0.01), bias = zeros)]
///     fc: Linear,
///     #[init(skip)]
///     dropout: f64,
/// }
///
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let net = Net {
///     conv: candle_nn::conv2d(3, 6, 5, Default::default(), vb.pp("conv"))?,
///     fc: candle_nn::linear(6, 10, vb.pp("fc"))?,
///     dropout: 0.5,
/// };
/// let report = net.init_weights(42)?;
/// assert_eq!(report.parameters, 4);
/// let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["conv.weight", "conv.bias", "fc.weight", "fc.bias"]);
/// // The same storage as the VarMap's variables:
/// net.check_varmap(&varmap)?;
/// assert_eq!(net.fc.bias().unwrap().sum_all()?.to_scalar::<f32>()?, 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a module (it does not implement `InitWeights`)",
    label = "not a module",
    note = "mark fields that are not modules with `#[init(skip)]`, derive `InitWeights` for your own structs, or wrap the layer in a type that implements it"
)]
pub trait InitWeights: ModuleBase {
    /// The layer's class name as PyTorch prints it (`"Conv2d"`, `"Linear"`, `"Sequential"`),
    /// or the struct's name for derived models: what `m.__class__.__name__` is in PyTorch.
    fn class_name(&self) -> &'static str;

    /// Calls `visit` on each direct submodule with its path segment, in declaration order.
    fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
        let _ = visit;
    }

    /// Calls `visit` on each parameter this module holds itself (not its children's).
    fn visit_own_parameters<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m Tensor)) {
        let _ = visit;
    }

    /// Calls `visit` on each buffer (state that is not trained, e.g. BatchNorm's running stats).
    fn visit_own_buffers<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m Tensor)) {
        let _ = visit;
    }

    /// PyTorch's default initialization (`reset_parameters`) of this module's own parameters
    /// and buffers, as values: nothing is written.
    fn own_inits(&self) -> ModuleResult<Vec<ParamInit>> {
        Ok(Vec::new())
    }

    /// Initializers declared on submodule fields (`#[init(...)]`), by path segment.
    fn child_inits(&self) -> Vec<(&'static str, FieldInit)> {
        Vec::new()
    }

    /// The part between the parentheses when the module is printed, as PyTorch's `extra_repr`
    /// (`in_features=400, out_features=120, bias=True`).
    fn extra_repr(&self) -> String {
        String::new()
    }

    /// How a field of this type shows up in its parent: itself, under `name`. `Option`, `Box`
    /// and `Arc` forward to their content (no path segment of their own).
    fn visit_as_field<'m>(&'m self, name: &str, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
        visit(name, self.as_module());
    }

    /// Direct submodules with their names, like PyTorch's `named_children()`.
    fn named_children(&self) -> Vec<(String, &dyn InitWeights)> {
        let mut out = Vec::new();
        self.visit_children(&mut |name, m| out.push((name.to_owned(), m)));
        out
    }

    /// Direct submodules, like PyTorch's `children()`.
    fn children(&self) -> Vec<&dyn InitWeights> {
        self.named_children().into_iter().map(|(_, m)| m).collect()
    }

    /// This module (named `""`) and every submodule, recursively, pre-order, like PyTorch's
    /// `named_modules()`.
    fn named_modules(&self) -> Vec<(String, &dyn InitWeights)> {
        let mut out = Vec::new();
        collect_modules(self.as_module(), String::new(), &mut out);
        out
    }

    /// This module and every submodule, like PyTorch's `modules()`.
    fn modules(&self) -> Vec<&dyn InitWeights> {
        self.named_modules().into_iter().map(|(_, m)| m).collect()
    }

    /// Every parameter with its dotted path, like PyTorch's `named_parameters()`. Each tensor
    /// shares the module's storage; a parameter reachable twice (tied) is listed once, under
    /// its first path.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (prefix, module) in self.named_modules() {
            module.visit_own_parameters(&mut |name, t| {
                if seen.insert(crate::plan::StorageKey::of(t)) {
                    out.push((join(&prefix, name), t.clone()));
                }
            });
        }
        out
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
        let mut out = Vec::new();
        for (prefix, module) in self.named_modules() {
            module.visit_own_buffers(&mut |name, t| out.push((join(&prefix, name), t.clone())));
        }
        out
    }

    /// The parameter at a dotted path, e.g. `"features.0.weight"`.
    fn parameter(&self, path: &str) -> Option<Tensor> {
        self.named_parameters()
            .into_iter()
            .find(|(name, _)| name == path)
            .map(|(_, t)| t)
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
    fn apply(&self, f: &mut dyn FnMut(&dyn InitWeights) -> ModuleResult<()>) -> ModuleResult<()> {
        self.apply_named(&mut |_, m| f(m))
    }

    /// [`apply`](Self::apply) with each module's dotted path (`""` for this module).
    fn apply_named(
        &self,
        f: &mut dyn FnMut(&str, &dyn InitWeights) -> ModuleResult<()>,
    ) -> ModuleResult<()> {
        apply_post_order(self.as_module(), "", f)
    }

    /// What [`init_weights`](Self::init_weights) would write: each parameter's path and
    /// initializer (declared with `#[init]`, else the layer's PyTorch default). Nothing is written.
    fn init_plan(&self) -> ModuleResult<InitPlan> {
        InitPlan::declared(self.as_module())
    }

    /// Initializes every parameter: the `#[init(...)]` declarations, and the PyTorch default of
    /// each layer elsewhere. Parameter `P` draws from `Generator::new(seed).for_path(P)`, so the
    /// values depend on the seed and the path only. Every initializer is checked against its
    /// parameter before anything is written; tied parameters are written once.
    fn init_weights(&self, seed: u64) -> ModuleResult<InitReport> {
        self.init_weights_with(&Generator::new(seed))
    }

    /// [`init_weights`](Self::init_weights) with a given generator (its seed and stream).
    fn init_weights_with(&self, rng: &Generator) -> ModuleResult<InitReport> {
        self.init_plan()?.execute(rng)
    }

    /// PyTorch's default initialization of every layer, ignoring `#[init]` declarations.
    fn reset_parameters(&self, seed: u64) -> ModuleResult<InitReport> {
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
        f: &mut dyn FnMut(&mut ModuleInit<'_>) -> ModuleResult<()>,
    ) -> ModuleResult<InitReport> {
        InitPlan::from_fn(self.as_module(), f)?.execute(&Generator::new(seed))
    }

    /// Checks that every parameter and buffer is the very storage of the `VarMap` variable of
    /// the same path (not a copy), so writes reach the VarMap, `save` and optimizers.
    fn check_varmap(&self, varmap: &candle_nn::VarMap) -> ModuleResult<()> {
        crate::plan::check_varmap(self.as_module(), varmap)
    }

    /// Overwrites the parameter at `path` with `values` (same shape and dtype), in place.
    fn set_parameter(&self, path: &str, values: &Tensor) -> ModuleResult<()> {
        crate::plan::set_parameter(self.as_module(), path, values)
    }

    /// The module printed as PyTorch prints it (`Net(\n  (fc): Linear(...)\n)`).
    fn module_repr(&self) -> String {
        let mut out = String::new();
        write_repr(self.as_module(), 0, &mut out);
        out
    }
}

impl<'a> dyn InitWeights + 'a {
    /// The module as a `T`, if it is one: Rust's `isinstance(m, T)`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.as_any().downcast_ref::<T>()
    }

    /// Whether the module is a `T`.
    pub fn is<T: Any>(&self) -> bool {
        self.as_any().is::<T>()
    }
}

pub(crate) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn collect_modules<'m>(
    module: &'m dyn InitWeights,
    path: String,
    out: &mut Vec<(String, &'m dyn InitWeights)>,
) {
    let children = {
        let mut v = Vec::new();
        module.visit_children(&mut |name, m| v.push((join(&path, name), m)));
        v
    };
    out.push((path, module));
    for (path, child) in children {
        collect_modules(child, path, out);
    }
}

fn apply_post_order(
    module: &dyn InitWeights,
    path: &str,
    f: &mut dyn FnMut(&str, &dyn InitWeights) -> ModuleResult<()>,
) -> ModuleResult<()> {
    let mut children = Vec::new();
    module.visit_children(&mut |name, m| children.push((join(path, name), m)));
    for (child_path, child) in children {
        apply_post_order(child, &child_path, f)?;
    }
    f(path, module)
}

fn write_repr(module: &dyn InitWeights, indent: usize, out: &mut String) {
    let children = module.named_children();
    let extra = module.extra_repr();
    if children.is_empty() {
        let _ = write!(out, "{}({extra})", module.class_name());
        return;
    }
    let _ = write!(out, "{}(", module.class_name());
    if !extra.is_empty() {
        let _ = write!(out, "\n{:width$}{extra}", "", width = indent + 2);
    }
    for (name, child) in children {
        let _ = write!(out, "\n{:width$}({name}): ", "", width = indent + 2);
        write_repr(child, indent + 2, out);
    }
    let _ = write!(out, "\n{:width$})", "", width = indent);
}

// ---- containers ---------------------------------------------------------------------------

/// A `Vec` of modules is PyTorch's `ModuleList`: one child per element, named `0`, `1`, ...
impl<T: InitWeights> InitWeights for Vec<T> {
    fn class_name(&self) -> &'static str {
        "ModuleList"
    }
    fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
        for (i, item) in self.iter().enumerate() {
            item.visit_as_field(&i.to_string(), visit);
        }
    }
}

/// An array of modules is a `ModuleList` too.
impl<T: InitWeights, const N: usize> InitWeights for [T; N] {
    fn class_name(&self) -> &'static str {
        "ModuleList"
    }
    fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
        for (i, item) in self.iter().enumerate() {
            item.visit_as_field(&i.to_string(), visit);
        }
    }
}

macro_rules! forward_all {
    ($inner:path) => {
        fn visit_children<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m dyn InitWeights)) {
            if let Some(inner) = $inner(self) {
                inner.visit_children(visit)
            }
        }
        fn visit_own_parameters<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m Tensor)) {
            if let Some(inner) = $inner(self) {
                inner.visit_own_parameters(visit)
            }
        }
        fn visit_own_buffers<'m>(&'m self, visit: &mut dyn FnMut(&str, &'m Tensor)) {
            if let Some(inner) = $inner(self) {
                inner.visit_own_buffers(visit)
            }
        }
        fn own_inits(&self) -> ModuleResult<Vec<ParamInit>> {
            match $inner(self) {
                Some(inner) => inner.own_inits(),
                None => Ok(Vec::new()),
            }
        }
        fn child_inits(&self) -> Vec<(&'static str, FieldInit)> {
            $inner(self)
                .map(|inner| inner.child_inits())
                .unwrap_or_default()
        }
        fn extra_repr(&self) -> String {
            $inner(self)
                .map(|inner| inner.extra_repr())
                .unwrap_or_default()
        }
        fn visit_as_field<'m>(
            &'m self,
            name: &str,
            visit: &mut dyn FnMut(&str, &'m dyn InitWeights),
        ) {
            if let Some(inner) = $inner(self) {
                inner.visit_as_field(name, visit)
            }
        }
    };
}

fn option_inner<T: InitWeights>(s: &Option<T>) -> Option<&dyn InitWeights> {
    s.as_ref().map(|m| m as &dyn InitWeights)
}

#[allow(clippy::borrowed_box)] // the same signature shape as the other forwarders
fn box_inner<T: InitWeights + ?Sized>(s: &Box<T>) -> Option<&dyn InitWeights> {
    Some((**s).as_module())
}

fn arc_inner<T: InitWeights + ?Sized>(s: &std::sync::Arc<T>) -> Option<&dyn InitWeights> {
    Some((**s).as_module())
}

/// `None` holds no module; `Some(m)` is `m` under the field's name.
impl<T: InitWeights> InitWeights for Option<T> {
    fn class_name(&self) -> &'static str {
        match self {
            Some(inner) => inner.class_name(),
            None => "None",
        }
    }
    forward_all!(option_inner);
}

/// A box is transparent: `Box<dyn Layer>` fields and `Box<T>` are walked as their content.
impl<T: InitWeights + ?Sized> InitWeights for Box<T> {
    fn class_name(&self) -> &'static str {
        (**self).class_name()
    }
    forward_all!(box_inner);
}

/// A shared module (`Arc`) is transparent; its parameters, reachable twice, are tied and
/// initialized once.
impl<T: InitWeights + ?Sized> InitWeights for std::sync::Arc<T> {
    fn class_name(&self) -> &'static str {
        (**self).class_name()
    }
    forward_all!(arc_inner);
}
