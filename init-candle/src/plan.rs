//! Planned initialization: collect `(path, tensor, initializer)`, check everything, then write.

use std::collections::{HashMap, HashSet};

use candle_core::{Storage, Tensor};
use init_core::{Generator, Init};

use crate::error::{ModuleError, ModuleResult};
use crate::module::{join, role_init, FieldInit, InitWeights};

/// Identity of a tensor's memory: its storage allocation and the region of it the layout
/// covers. Two tensors with equal keys are the same parameter (tied, or the same `Arc`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct StorageKey {
    storage: usize,
    start: usize,
    dims: Vec<usize>,
    stride: Vec<usize>,
}

impl StorageKey {
    pub(crate) fn of(t: &Tensor) -> Self {
        let (storage, layout) = t.storage_and_layout();
        let ptr = &*storage as *const Storage as usize;
        StorageKey {
            storage: ptr,
            start: layout.start_offset(),
            dims: layout.dims().to_vec(),
            stride: layout.stride().to_vec(),
        }
    }
}

/// Where an entry of a plan comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The layer's PyTorch default (`reset_parameters`).
    Default,
    /// An `#[init(...)]` declaration.
    Declared,
    /// A call of [`ModuleInit::init`] or [`InitPlan::set`].
    User,
}

/// One parameter to initialize.
#[derive(Clone, Debug)]
pub struct PlanEntry {
    /// The dotted path, also the name of its random stream.
    pub path: String,
    /// The parameter (sharing the model's storage).
    pub tensor: Tensor,
    /// What will be written.
    pub init: Init,
    /// Why.
    pub source: Source,
}

/// A list of parameters with their initializers: made by [`InitWeights::init_plan`] and
/// friends, inspected or changed, then [`execute`](InitPlan::execute)d.
///
/// ```
/// use candle_core::{DType, Device};
/// use candle_nn::{VarBuilder, VarMap};
/// use init_candle::{Init, InitWeights};
///
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let fc = candle_nn::linear(4, 3, vb.pp("fc"))?;
/// let mut plan = fc.init_plan()?;
/// // PyTorch's Linear default: U(-1/sqrt(4), 1/sqrt(4)) for weight and bias.
/// assert_eq!(plan.entries()[0].path, "weight");
/// assert_eq!(plan.entries()[0].init, Init::Uniform { low: -0.5, high: 0.5 });
/// plan.set("bias", Init::Zeros)?;
/// plan.execute(&init_candle::Generator::new(7))?;
/// assert_eq!(fc.bias().unwrap().sum_all()?.to_scalar::<f32>()?, 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct InitPlan {
    entries: Vec<PlanEntry>,
}

/// What an execution did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitReport {
    /// Parameters and buffers written.
    pub parameters: usize,
    /// Elements written.
    pub elements: usize,
    /// `(skipped, written)`: paths not written because they share storage with an earlier path
    /// (tied parameters are initialized once, from the first path's stream).
    pub tied: Vec<(String, String)>,
}

impl InitPlan {
    /// The entries, in traversal order.
    pub fn entries(&self) -> &[PlanEntry] {
        &self.entries
    }

    /// Replaces the initializer of the parameter at `path` (which must be in the plan).
    pub fn set(&mut self, path: &str, init: Init) -> ModuleResult<()> {
        match self.entries.iter_mut().find(|e| e.path == path) {
            Some(entry) => {
                entry.init = init;
                entry.source = Source::User;
                Ok(())
            }
            None => {
                let paths: Vec<&str> = self.entries.iter().map(|e| e.path.as_str()).collect();
                Err(ModuleError::NoSuchParameter {
                    path: path.to_owned(),
                    hint: hint(path, &paths),
                })
            }
        }
    }

    fn push(&mut self, path: String, tensor: Tensor, init: Init, source: Source) {
        // A later choice for the same path replaces the earlier one (as a later write would).
        if let Some(entry) = self.entries.iter_mut().find(|e| e.path == path) {
            entry.init = init;
            entry.source = source;
            return;
        }
        self.entries.push(PlanEntry {
            path,
            tensor,
            init,
            source,
        });
    }

    /// Every layer's PyTorch default, no declarations.
    pub(crate) fn defaults(root: &dyn InitWeights) -> ModuleResult<Self> {
        let mut plan = InitPlan::default();
        collect(root, "", &FieldInit::default(), false, &mut plan)?;
        Ok(plan)
    }

    /// Declarations where present, defaults elsewhere.
    pub(crate) fn declared(root: &dyn InitWeights) -> ModuleResult<Self> {
        let mut plan = InitPlan::default();
        collect(root, "", &FieldInit::default(), true, &mut plan)?;
        Ok(plan)
    }

    /// Only what `f` chooses, module by module in post-order.
    pub(crate) fn from_fn(
        root: &dyn InitWeights,
        f: &mut dyn FnMut(&mut ModuleInit<'_>) -> ModuleResult<()>,
    ) -> ModuleResult<Self> {
        let mut plan = InitPlan::default();
        root.apply_named(&mut |path, module| {
            let mut ctx = ModuleInit {
                path,
                module,
                plan: &mut plan,
            };
            f(&mut ctx)
        })?;
        Ok(plan)
    }

    /// Checks every entry (device, shape, dtype and parameters of its initializer) without
    /// writing. Errors name the parameter's path.
    pub fn validate(&self) -> ModuleResult<()> {
        for entry in &self.entries {
            entry
                .init
                .check(&entry.tensor)
                .map_err(|e| e.at_path(entry.path.clone()))?;
        }
        Ok(())
    }

    /// Validates every entry, then writes each one in place, parameter `P` from
    /// `rng.for_path(P)`. A parameter that shares its memory with an earlier one (tied) is
    /// written once, under the first path.
    pub fn execute(&self, rng: &Generator) -> ModuleResult<InitReport> {
        self.validate()?;
        let mut report = InitReport::default();
        let mut written: HashMap<StorageKey, &str> = HashMap::new();
        let mut todo = Vec::new();
        for entry in &self.entries {
            let key = StorageKey::of(&entry.tensor);
            if let Some(first) = written.get(&key) {
                report.tied.push((entry.path.clone(), (*first).to_owned()));
                continue;
            }
            written.insert(key, &entry.path);
            todo.push(entry);
        }
        for entry in todo {
            let mut stream = rng.for_path(&entry.path);
            entry
                .init
                .apply(&entry.tensor, &mut stream)
                .map_err(|e| e.at_path(entry.path.clone()))?;
            report.parameters += 1;
            report.elements += entry.tensor.elem_count();
        }
        Ok(report)
    }
}

fn collect(
    module: &dyn InitWeights,
    prefix: &str,
    inherited: &FieldInit,
    use_declared: bool,
    plan: &mut InitPlan,
) -> ModuleResult<()> {
    for own in module.own_inits()? {
        let path = join(prefix, &own.name);
        match role_init(&own.name, inherited) {
            Some(init) => plan.push(path, own.tensor, init.clone(), Source::Declared),
            None => plan.push(path, own.tensor, own.init, Source::Default),
        }
    }
    // Own parameters without a default (a bare tensor field with no `#[init]`) but with an
    // inherited declaration.
    let mut extra = Vec::new();
    module.visit_own_parameters(&mut |name, t| {
        if let Some(init) = role_init(name, inherited) {
            extra.push((join(prefix, name), t.clone(), init.clone()));
        }
    });
    for (path, t, init) in extra {
        if !plan.entries.iter().any(|e| e.path == path) {
            plan.push(path, t, init, Source::Declared);
        }
    }
    let declared: HashMap<&'static str, FieldInit> = if use_declared {
        module.child_inits().into_iter().collect()
    } else {
        HashMap::new()
    };
    let mut children = Vec::new();
    module.visit_children(&mut |name, child| children.push((name.to_owned(), child)));
    for (name, child) in children {
        let own = declared.get(name.as_str());
        // The outer declaration wins over the field's own.
        let merged = FieldInit {
            weight: inherited
                .weight
                .clone()
                .or_else(|| own.and_then(|d| d.weight.clone())),
            bias: inherited
                .bias
                .clone()
                .or_else(|| own.and_then(|d| d.bias.clone())),
        };
        collect(child, &join(prefix, &name), &merged, use_declared, plan)?;
    }
    Ok(())
}

/// The context `init_with`'s function gets for each module.
pub struct ModuleInit<'a> {
    path: &'a str,
    module: &'a dyn InitWeights,
    plan: &'a mut InitPlan,
}

impl<'a> ModuleInit<'a> {
    /// The module's dotted path (`""` for the root).
    pub fn path(&self) -> &str {
        self.path
    }

    /// The module.
    pub fn module(&self) -> &'a dyn InitWeights {
        self.module
    }

    /// Its class name (`"Conv2d"`), as `m.__class__.__name__`.
    pub fn class_name(&self) -> &'static str {
        self.module.class_name()
    }

    /// The module as a `T`, if it is one.
    pub fn downcast_ref<T: std::any::Any>(&self) -> Option<&'a T> {
        self.module.as_any().downcast_ref::<T>()
    }

    /// Whether the module is a `T`.
    pub fn is<T: std::any::Any>(&self) -> bool {
        self.module.as_any().is::<T>()
    }

    /// The names of the module's own parameters.
    pub fn parameter_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.module
            .visit_own_parameters(&mut |n, _| names.push(n.to_owned()));
        names
    }

    /// Whether the module holds a parameter (or buffer) named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    fn find(&self, name: &str) -> Option<Tensor> {
        let mut found = None;
        self.module.visit_own_parameters(&mut |n, t| {
            if n == name && found.is_none() {
                found = Some(t.clone());
            }
        });
        if found.is_none() {
            self.module.visit_own_buffers(&mut |n, t| {
                if n == name && found.is_none() {
                    found = Some(t.clone());
                }
            });
        }
        found
    }

    /// Plans `init` for the module's own parameter (or buffer) `name`; an unknown name is an
    /// error that lists the module's parameters.
    pub fn init(&mut self, name: &str, init: Init) -> ModuleResult<()> {
        match self.find(name) {
            Some(t) => {
                self.plan.push(join(self.path, name), t, init, Source::User);
                Ok(())
            }
            None => {
                let names = self.parameter_names();
                Err(ModuleError::UnknownParameter {
                    module: if self.path.is_empty() {
                        "<root>".into()
                    } else {
                        self.path.to_owned()
                    },
                    class: self.module.class_name(),
                    name: name.to_owned(),
                    available: if names.is_empty() {
                        "(none)".into()
                    } else {
                        names.join(", ")
                    },
                })
            }
        }
    }

    /// Plans `init` for every own parameter whose name starts with `weight` (`weight`,
    /// `weight_ih_l0`, ...); returns how many there were.
    pub fn init_weight(&mut self, init: Init) -> usize {
        self.init_role("weight", init)
    }

    /// Plans `init` for every own parameter whose name starts with `bias`; returns how many
    /// there were (0 for a layer built without bias: PyTorch's `if m.bias is not None`).
    pub fn init_bias(&mut self, init: Init) -> usize {
        self.init_role("bias", init)
    }

    fn init_role(&mut self, prefix: &str, init: Init) -> usize {
        let mut found = Vec::new();
        self.module.visit_own_parameters(&mut |n, t| {
            if n.starts_with(prefix) {
                found.push((n.to_owned(), t.clone()));
            }
        });
        let count = found.len();
        for (name, t) in found {
            self.plan
                .push(join(self.path, &name), t, init.clone(), Source::User);
        }
        count
    }
}

pub(crate) fn check_varmap(root: &dyn InitWeights, varmap: &candle_nn::VarMap) -> ModuleResult<()> {
    let vars = varmap.data().lock().map_err(|_| {
        ModuleError::Candle(candle_core::Error::Msg(
            "the VarMap's lock is poisoned".into(),
        ))
    })?;
    let mut all = root.named_parameters();
    all.extend(root.named_buffers());
    for (path, t) in all {
        let Some(var) = vars.get(&path) else {
            return Err(ModuleError::MissingFromVarMap { path });
        };
        let (a, _) = t.storage_and_layout();
        let (b, _) = var.as_tensor().storage_and_layout();
        if !std::ptr::eq(&*a, &*b) {
            return Err(ModuleError::NotVarMapStorage { path });
        }
    }
    Ok(())
}

pub(crate) fn set_parameter(
    root: &dyn InitWeights,
    path: &str,
    values: &Tensor,
) -> ModuleResult<()> {
    let all = root.named_parameters();
    let Some((_, t)) = all.iter().find(|(p, _)| p == path) else {
        let paths: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
        return Err(ModuleError::NoSuchParameter {
            path: path.to_owned(),
            hint: hint(path, &paths),
        });
    };
    if t.dims() != values.dims() {
        return Err(ModuleError::ShapeMismatch {
            path: path.to_owned(),
            expected: t.dims().to_vec(),
            got: values.dims().to_vec(),
        });
    }
    if t.dtype() != values.dtype() {
        return Err(ModuleError::DtypeMismatch {
            path: path.to_owned(),
            expected: t.dtype(),
            got: values.dtype(),
        });
    }
    // `slice_set` writes in place into the parameter's own storage (contiguous parameters).
    t.slice_set(&values.to_device(t.device())?, 0, 0)?;
    Ok(())
}

fn hint(word: &str, candidates: &[&str]) -> String {
    let close: HashSet<&str> = candidates
        .iter()
        .copied()
        .filter(|c| strsim_close(word, c))
        .collect();
    match close.into_iter().next() {
        Some(c) => format!("; did you mean `{c}`?"),
        None if candidates.len() <= 12 => format!("; it has: {}", candidates.join(", ")),
        None => format!(
            "; it has {} parameters (see `named_parameters()`)",
            candidates.len()
        ),
    }
}

/// At most one edit away, an adjacent transposition counting as one edit (`wieght`/`weight`).
/// The same distance as `init_derive`'s `suggest::edit_distance`, which a proc-macro crate
/// cannot export to this one; keep the two in step.
fn strsim_close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()] <= 1
}
