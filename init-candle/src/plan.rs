//! [`InitPlan`]: what an initialization will write (`(path, tensor, initializer)` for each
//! parameter), built from a model's declarations and defaults or from an `init_with` function,
//! checked in full, then written.

use std::collections::HashMap;
use std::fmt;

use candle_core::Tensor;
use init_core::{Generator, Init};

use crate::apply::apply_post_order;
use crate::error::{Error, Result};
use crate::module::{Declared, FieldInit, InitWeights, Parameter};
use crate::path::join;
use crate::report::{
    measure, write_table, MeasuredReport, NamedTensors, TensorReport, ValueSource,
};
use crate::suggest::hint;
use crate::traversal::StorageKey;

/// One parameter to initialize.
#[derive(Clone, Debug)]
pub struct PlanEntry {
    /// The dotted path, also the name of its random stream.
    pub path: String,
    /// The parameter (sharing the model's storage).
    pub tensor: Tensor,
    /// What will be written.
    pub init: Init,
    /// Why: [`ValueSource::LayerDefault`], [`ValueSource::Attribute`] (naming the field whose
    /// `#[init]` decided), [`ValueSource::User`] (`init_with`, [`InitPlan::set`]) or, in a
    /// builder, [`ValueSource::Rule`].
    pub source: ValueSource,
    /// The declarations this entry took precedence over (`attribute on `h` (...)`): outer
    /// fields' attributes that reached the parameter too, or an attribute a builder rule
    /// replaced.
    pub overridden: Vec<String>,
    /// Rows (along the first dimension) zeroed after `init`: an `Embedding`'s `padding_idx`
    /// declared with `#[init(padding_idx = ..)]`, and the field that declared it.
    pub rows: Option<(Vec<usize>, String)>,
}

/// Which declaration decided a planned entry, which it took precedence over, and the rows a
/// field declared.
#[derive(Default)]
struct Origin {
    overridden: Vec<String>,
    rows: Option<(Vec<usize>, String)>,
}

impl PlanEntry {
    /// Replaces the entry's initializer with a choice of `source` (a builder rule, `set`,
    /// `init_with`), noting the attribute it takes precedence over.
    pub(crate) fn replace_with(&mut self, init: Init, source: ValueSource) {
        if matches!(self.source, ValueSource::Attribute { .. }) {
            let replaced = format!("{} ({})", self.source, self.init);
            self.overridden.push(replaced);
        }
        self.init = init;
        self.source = source;
    }
}

/// A list of parameters with their initializers: made by
/// [`InitWeightsExt::init_plan`](crate::InitWeightsExt::init_plan), inspected or changed, then
/// [`execute`](InitPlan::execute)d.
///
/// ```
/// use candle_core::{DType, Device};
/// use candle_nn::{VarBuilder, VarMap};
/// use init_candle::{Generator, Init, InitWeightsExt};
///
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let fc = candle_nn::linear(4, 3, vb.pp("fc"))?;
/// let mut plan = fc.init_plan()?;
/// // PyTorch's Linear default: U(-1/sqrt(4), 1/sqrt(4)) for weight and bias.
/// assert_eq!(plan.entries()[0].path, "weight");
/// assert_eq!(plan.entries()[0].init, Init::Uniform { low: -0.5, high: 0.5 });
/// plan.set("bias", Init::Zeros)?;
/// plan.execute(&Generator::new(7))?;
/// assert_eq!(fc.bias().unwrap().sum_all()?.to_scalar::<f32>()?, 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct InitPlan {
    entries: Vec<PlanEntry>,
}

/// What an execution did. `Display` prints a table of the written tensors (shape, dtype,
/// initializer, where it was chosen, fans, gain, expected std).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct InitReport {
    /// Parameters and buffers written.
    pub parameters: usize,
    /// Elements written.
    pub elements: usize,
    /// `(skipped, written)`: paths not written because they share storage with an earlier path
    /// (tied parameters are initialized once, from the first path's stream).
    pub tied: Vec<(String, String)>,
    /// Each tensor written, in plan order.
    pub tensors: Vec<TensorReport>,
}

impl fmt::Display for InitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_table(f, &self.tensors)?;
        writeln!(
            f,
            "{} tensors initialized ({} values)",
            self.parameters, self.elements
        )?;
        for (skipped, written) in &self.tied {
            writeln!(f, "{skipped}: tied to {written}, written once as {written}")?;
        }
        Ok(())
    }
}

impl InitPlan {
    /// The entries, in traversal order.
    pub fn entries(&self) -> &[PlanEntry] {
        &self.entries
    }

    /// Keeps only the entries for which `keep` is true (e.g. those not loaded from a
    /// checkpoint).
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use candle_nn::{VarBuilder, VarMap};
    /// use init_candle::{Generator, InitWeightsExt};
    ///
    /// let varmap = VarMap::new();
    /// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    /// let fc = candle_nn::linear(4, 3, vb.pp("fc"))?;
    /// let mut plan = fc.init_plan()?;
    /// plan.retain(|e| e.tensor.rank() >= 2);
    /// assert_eq!(plan.entries().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retain(&mut self, keep: impl FnMut(&PlanEntry) -> bool) {
        self.entries.retain(keep);
    }

    /// Drops the entries of `paths` (e.g. the tensors loaded from a checkpoint); a path that
    /// is not in the plan is an error naming it, and nothing is dropped.
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use candle_nn::{VarBuilder, VarMap};
    /// use init_candle::InitWeightsExt;
    ///
    /// let varmap = VarMap::new();
    /// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    /// let fc = candle_nn::linear(4, 3, vb.pp("fc"))?;
    /// let mut plan = fc.init_plan()?;
    /// plan.except(["weight"])?;
    /// assert_eq!(plan.entries()[0].path, "bias");
    /// assert!(plan.except(["wieght"]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn except<S: AsRef<str>>(&mut self, paths: impl IntoIterator<Item = S>) -> Result<()> {
        let paths: Vec<S> = paths.into_iter().collect();
        let known: Vec<&str> = self.entries.iter().map(|e| e.path.as_str()).collect();
        for p in &paths {
            let p = p.as_ref();
            if !known.contains(&p) {
                return Err(Error::NoSuchParameter {
                    path: p.to_owned(),
                    hint: hint(p, &known),
                });
            }
        }
        self.entries
            .retain(|e| !paths.iter().any(|p| p.as_ref() == e.path));
        Ok(())
    }

    /// The entries, to change in place.
    pub(crate) fn entries_mut(&mut self) -> &mut [PlanEntry] {
        &mut self.entries
    }

    /// Replaces the initializer of the parameter at `path` (which must be in the plan), and
    /// of every path tied to it (the same tensor).
    pub fn set(&mut self, path: &str, init: Init) -> Result<()> {
        match self.entries.iter().position(|e| e.path == path) {
            Some(i) => {
                let key = StorageKey::of(&self.entries[i].tensor);
                for entry in &mut self.entries {
                    if entry.path == path || StorageKey::of(&entry.tensor) == key {
                        entry.replace_with(init.clone(), ValueSource::User);
                    }
                }
                Ok(())
            }
            None => {
                let paths: Vec<&str> = self.entries.iter().map(|e| e.path.as_str()).collect();
                Err(Error::NoSuchParameter {
                    path: path.to_owned(),
                    hint: hint(path, &paths),
                })
            }
        }
    }

    /// A choice made in code (`init_with`): the latest choice for a tensor wins, for every path
    /// that reaches it (as the last write would in PyTorch's `apply`).
    fn push_user(&mut self, path: String, tensor: Tensor, init: Init) {
        let key = StorageKey::of(&tensor);
        let mut found = false;
        for entry in &mut self.entries {
            if entry.path == path || StorageKey::of(&entry.tensor) == key {
                entry.replace_with(init.clone(), ValueSource::User);
                found |= entry.path == path;
            }
        }
        if !found {
            self.entries.push(PlanEntry {
                path,
                tensor,
                init,
                source: ValueSource::User,
                overridden: Vec::new(),
                rows: None,
            });
        }
    }

    /// A declared or default initializer. A tensor reached by two paths (tied) gets one
    /// initializer: equal ones are kept, a declaration wins over a layer default whatever the
    /// order, and two different declarations (or two different defaults) are an error naming
    /// both paths.
    fn push_planned(
        &mut self,
        path: String,
        tensor: Tensor,
        init: Init,
        source: ValueSource,
        origin: Origin,
    ) -> Result<()> {
        let key = StorageKey::of(&tensor);
        let (mut init, mut source, mut origin) = (init, source, origin);
        if let Some(tied) = self
            .entries
            .iter()
            .find(|e| e.path != path && StorageKey::of(&e.tensor) == key)
        {
            if tied.init != init {
                let declared = |s: &ValueSource| *s != ValueSource::LayerDefault;
                match (declared(&tied.source), declared(&source)) {
                    (true, false) => {
                        init = tied.init.clone();
                        source = tied.source.clone();
                        origin = Origin {
                            overridden: tied.overridden.clone(),
                            rows: tied.rows.clone().or(origin.rows),
                        };
                    }
                    (false, true) => {
                        for entry in &mut self.entries {
                            if StorageKey::of(&entry.tensor) == key {
                                entry.init = init.clone();
                                entry.source = source.clone();
                                entry.overridden = origin.overridden.clone();
                                if origin.rows.is_some() {
                                    entry.rows = origin.rows.clone();
                                }
                            }
                        }
                    }
                    _ => {
                        return Err(Error::TiedConflict {
                            first: tied.path.clone(),
                            second: path,
                            initializers: format!(
                                "{} ({}) and {} ({})",
                                tied.init, tied.source, init, source
                            ),
                        })
                    }
                }
            }
        }
        // A later choice for the same path replaces the earlier one (as a later write would);
        // two different tensors under one path are an error: one of them would be lost.
        if let Some(entry) = self.entries.iter_mut().find(|e| e.path == path) {
            if StorageKey::of(&entry.tensor) != key {
                return Err(Error::DuplicatePath { path });
            }
            entry.init = init;
            entry.source = source;
            entry.overridden = origin.overridden;
            entry.rows = origin.rows;
            return Ok(());
        }
        self.entries.push(PlanEntry {
            path,
            tensor,
            init,
            source,
            overridden: origin.overridden,
            rows: origin.rows,
        });
        Ok(())
    }

    /// Every layer's PyTorch default, no declarations.
    pub(crate) fn defaults(root: &dyn InitWeights) -> Result<Self> {
        Collector::new(false).run(root)
    }

    /// Declarations where present (within their reach), defaults elsewhere.
    pub(crate) fn declared(root: &dyn InitWeights) -> Result<Self> {
        Collector::new(true).run(root)
    }

    /// [`declared`](Self::declared) for a model built through a `VarBuilder`, whose tensors
    /// are named by the paths they were asked for (`requested`): a tensor whose path in the
    /// model is the end of its requested path, on a dot (`weight` of a layer returned from
    /// `vb.pp("fc")`, a field `fc` asked for as `encoder.fc`), is planned under the requested
    /// path; any other difference is left for the caller to refuse.
    pub(crate) fn declared_as(
        root: &dyn InitWeights,
        requested: HashMap<StorageKey, String>,
    ) -> Result<Self> {
        let mut collector = Collector::new(true);
        collector.requested = requested;
        collector.run(root)
    }

    /// Only what `f` chooses, module by module in post-order.
    pub(crate) fn from_fn(
        root: &dyn InitWeights,
        f: &mut dyn FnMut(&mut ModuleInit<'_>) -> Result<()>,
    ) -> Result<Self> {
        let mut plan = InitPlan::default();
        apply_post_order(root, "", &mut |path, module| {
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
    pub fn validate(&self) -> Result<()> {
        for entry in &self.entries {
            entry
                .init
                .check(&entry.tensor)
                .map_err(|e| e.at_path(entry.path.clone()))?;
            if let Some((rows, field)) = &entry.rows {
                let n = entry.tensor.dims().first().copied().unwrap_or(0);
                if let Some(&row) = rows.iter().find(|&&r| r >= n) {
                    return Err(Error::Declaration {
                        path: entry.path.clone(),
                        role: "padding_idx",
                        source: std::sync::Arc::new(Error::InvalidLayer {
                            layer: "Embedding",
                            message: format!(
                                "padding_idx {row} on `{field}` is past the last row of {:?} (rows 0 to {})",
                                entry.tensor.dims(),
                                n.saturating_sub(1)
                            ),
                        }),
                    });
                }
            }
        }
        Ok(())
    }

    /// Validates every entry, then writes each one in place, parameter `P` from
    /// `rng.for_path(P)`. A parameter that shares its memory with an earlier one (tied) is
    /// written once, under the first path.
    pub fn execute(&self, rng: &Generator) -> Result<InitReport> {
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
            let mut tensor = TensorReport::initialized(
                entry.path.clone(),
                entry.tensor.dims(),
                entry.tensor.dtype(),
                entry.init.clone(),
                entry.source.clone(),
            );
            tensor.overridden = entry.overridden.clone();
            if let Some((rows, field)) = &entry.rows {
                zero_rows(&entry.tensor, rows)?;
                tensor
                    .rows
                    .push(format!("rows {rows:?}: zeros (padding_idx on `{field}`)"));
            }
            report.tensors.push(tensor);
        }
        Ok(report)
    }
}

/// Zeroes `rows` (along the first dimension, checked by `validate`) of `tensor`, in place.
fn zero_rows(tensor: &Tensor, rows: &[usize]) -> Result<()> {
    let mut row_dims = tensor.dims().to_vec();
    if let Some(first) = row_dims.first_mut() {
        *first = 1;
    }
    let zeros = Tensor::zeros(row_dims.as_slice(), tensor.dtype(), tensor.device())?;
    for &row in rows {
        tensor.slice_set(&zeros, 0, row)?;
    }
    Ok(())
}

/// Which declared initializer a parameter's own name asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Weight,
    Bias,
}

impl Role {
    fn of(name: &str) -> Option<Role> {
        if name.starts_with("weight") {
            Some(Role::Weight)
        } else if name.starts_with("bias") {
            Some(Role::Bias)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Role::Weight => "weight",
            Role::Bias => "bias",
        }
    }
}

/// One `weight = ...` or `bias = ...` of an `#[init(...)]`, and what it reached.
struct Decl {
    /// The field's dotted path: the module whose own parameters it reaches whatever their shape.
    path: String,
    role: Role,
    init: Declared,
    /// It reached a parameter (even one an inner declaration took).
    reached: bool,
    /// The field's subtree holds parameters at all.
    any_parameter: bool,
    /// The field's subtree holds parameters of its role.
    any_of_role: bool,
}

/// Builds a plan from declarations and defaults, tracking every declaration's reach.
struct Collector {
    use_declared: bool,
    decls: Vec<Decl>,
    plan: InitPlan,
    /// The path each tensor was asked for, where known (see [`InitPlan::declared_as`]).
    requested: HashMap<StorageKey, String>,
}

impl Collector {
    fn new(use_declared: bool) -> Self {
        Collector {
            use_declared,
            decls: Vec::new(),
            plan: InitPlan::default(),
            requested: HashMap::new(),
        }
    }

    fn run(mut self, root: &dyn InitWeights) -> Result<InitPlan> {
        self.collect(root, "", &[], None)?;
        if let Some(decl) = self.decls.iter().find(|d| !d.reached && d.any_parameter) {
            let why = match (decl.role, decl.any_of_role) {
                (Role::Bias, false) => "the field holds no `bias*` parameter (a layer built without bias, an Embedding); remove `bias = ...`".to_owned(),
                (Role::Weight, false) => "the field holds no `weight*` parameter".to_owned(),
                (role, true) => format!(
                    "inside a composite field (a block, a list) a declaration reaches only the weights with 2 or more dimensions (Linear, Conv, Embedding, RNN matrices) and the biases of their layers, and the `{}*` parameters here belong to layers with 1-D weights (norms), which keep their defaults; declare on the norm's own field, or use `init_with` / `InitPlan::set`",
                    role.name()
                ),
            };
            return Err(Error::Unreached {
                path: decl.path.clone(),
                role: decl.role.name(),
                init: decl.init.to_string(),
                why,
            });
        }
        Ok(self.plan)
    }

    /// The path `tensor` was asked for, when the model's `path` is its end (on a dot); else
    /// `path`.
    fn requested_path(&self, path: String, tensor: &Tensor) -> String {
        match self.requested.get(&StorageKey::of(tensor)) {
            Some(asked)
                if asked
                    .strip_suffix(path.as_str())
                    .is_some_and(|head| head.is_empty() || head.ends_with('.')) =>
            {
                asked.clone()
            }
            _ => path,
        }
    }

    /// Adds `module`'s parameters and buffers, then its children's. `inherited` indexes the
    /// declarations of the fields above, outermost first: the innermost that reaches a
    /// parameter decides (the most specific declaration), the others are recorded as
    /// overridden.
    fn collect(
        &mut self,
        module: &dyn InitWeights,
        prefix: &str,
        inherited: &[usize],
        padding_idx: Option<usize>,
    ) -> Result<()> {
        let mut own: Vec<Parameter<'_>> = Vec::new();
        module.visit_parameters(&mut |p| own.push(p));
        let parameters = own.len();
        module.visit_buffers(&mut |b| own.push(b));
        // The layer holds a matrix (or kernel) weight: its weights and biases are what an
        // attribute on a composite field reaches.
        let has_matrix = own[..parameters]
            .iter()
            .any(|p| Role::of(p.name) == Some(Role::Weight) && p.tensor.rank() >= 2);
        for (i, p) in own.into_iter().enumerate() {
            let model_path = join(prefix, p.name);
            let path = self.requested_path(model_path.clone(), p.tensor);
            let role = if i < parameters {
                Role::of(p.name)
            } else {
                None
            };
            let mut chosen: Option<(Init, ValueSource, Origin)> = None;
            if i < parameters {
                // Innermost first: the field nearest the parameter is the most specific
                // declaration and decides; the outer ones it overrides are recorded.
                for &d in inherited.iter().rev() {
                    let decl = &mut self.decls[d];
                    decl.any_parameter = true;
                    if Some(decl.role) != role {
                        continue;
                    }
                    decl.any_of_role = true;
                    // A function of each tensor is offered every parameter of its role (it
                    // sees the shape and the layer, and declines what is not its own).
                    let reaches = decl.path == prefix
                        || matches!(decl.init, Declared::Each(_))
                        || match decl.role {
                            Role::Weight => p.tensor.rank() >= 2,
                            Role::Bias => has_matrix,
                        };
                    if !reaches {
                        continue;
                    }
                    decl.reached = true;
                    let below = model_path
                        .strip_prefix(decl.path.as_str())
                        .map_or(model_path.as_str(), |rest| rest.trim_start_matches('.'));
                    let Some(init) = decl.init.for_parameter(below) else {
                        continue;
                    };
                    match &mut chosen {
                        None => {
                            let source = ValueSource::Attribute {
                                field: decl.path.clone(),
                            };
                            chosen = Some((init.clone(), source, Origin::default()));
                        }
                        Some((_, _, origin)) => origin
                            .overridden
                            .push(format!("attribute on `{}` ({init})", decl.path)),
                    }
                }
            }
            // The field's `padding_idx` zeroes rows of the layer's own `weight`.
            let rows = padding_idx
                .filter(|_| p.name == "weight" && i < parameters)
                .map(|row| (vec![row], prefix.to_owned()));
            match chosen {
                Some((init, source, mut origin)) => {
                    origin.rows = rows;
                    self.plan
                        .push_planned(path, p.tensor.clone(), init, source, origin)?;
                }
                None => {
                    if let Some(init) = p.default.resolve().map_err(|e| e.within(&path))? {
                        self.plan.push_planned(
                            path,
                            p.tensor.clone(),
                            init,
                            ValueSource::LayerDefault,
                            Origin {
                                rows,
                                ..Origin::default()
                            },
                        )?;
                    }
                }
            }
        }
        let mut children = Vec::new();
        module.visit_children(&mut |name, child| children.push((name.to_owned(), child)));
        let declared: HashMap<&'static str, FieldInit> = if self.use_declared {
            match module.declared_inits() {
                Ok(declared) => declared.into_iter().collect(),
                Err(Error::Declaration { path, role, source }) => {
                    // Name the first parameter the refused declaration was for.
                    let field = join(prefix, &path);
                    let child = children.iter().find(|(name, _)| *name == path);
                    let path = child
                        .and_then(|(_, child)| first_reached(*child, &field, &field, role))
                        .unwrap_or(field);
                    return Err(Error::Declaration { path, role, source });
                }
                Err(other) => return Err(other.within(prefix)),
            }
        } else {
            HashMap::new()
        };
        for (name, child) in children {
            let path = join(prefix, &name);
            let mut below = inherited.to_vec();
            if let Some(field) = declared.get(name.as_str()) {
                for (role, init) in [(Role::Weight, &field.weight), (Role::Bias, &field.bias)] {
                    if let Some(init) = init {
                        below.push(self.decls.len());
                        self.decls.push(Decl {
                            path: path.clone(),
                            role,
                            init: init.clone(),
                            reached: false,
                            any_parameter: false,
                            any_of_role: false,
                        });
                    }
                }
            }
            let padding_idx = declared.get(name.as_str()).and_then(|f| f.padding_idx);
            self.collect(child, &path, &below, padding_idx)?;
        }
        Ok(())
    }
}

/// The path of the first parameter below `module` (at `prefix`) that a `role` declaration on
/// the field at `field` reaches, by the rule of [`Collector::collect`].
fn first_reached(
    module: &dyn InitWeights,
    prefix: &str,
    field: &str,
    role: &str,
) -> Option<String> {
    let mut own = Vec::new();
    module.visit_parameters(&mut |p| own.push((p.name.to_owned(), p.tensor.rank())));
    let has_matrix = own
        .iter()
        .any(|(name, rank)| Role::of(name) == Some(Role::Weight) && *rank >= 2);
    for (name, rank) in &own {
        let Some(r) = Role::of(name).filter(|r| r.name() == role) else {
            continue;
        };
        let reaches = prefix == field
            || match r {
                Role::Weight => *rank >= 2,
                Role::Bias => has_matrix,
            };
        if reaches {
            return Some(join(prefix, name));
        }
    }
    let mut children = Vec::new();
    module.visit_children(&mut |name, child| children.push((join(prefix, name), child)));
    children
        .into_iter()
        .find_map(|(path, child)| first_reached(child, &path, field, role))
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
            .visit_parameters(&mut |p| names.push(p.name.to_owned()));
        names
    }

    /// Whether the module holds a parameter (or buffer) named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    fn find(&self, name: &str) -> Option<Tensor> {
        let mut found = None;
        self.module.visit_parameters(&mut |p| {
            if p.name == name && found.is_none() {
                found = Some(p.tensor.clone());
            }
        });
        if found.is_none() {
            self.module.visit_buffers(&mut |b| {
                if b.name == name && found.is_none() {
                    found = Some(b.tensor.clone());
                }
            });
        }
        found
    }

    /// Plans `init` for the module's own parameter (or buffer) `name`; an unknown name is an
    /// error that lists the module's parameters.
    pub fn init(&mut self, name: &str, init: Init) -> Result<()> {
        match self.find(name) {
            Some(t) => {
                self.plan.push_user(join(self.path, name), t, init);
                Ok(())
            }
            None => {
                let names = self.parameter_names();
                Err(Error::UnknownParameter {
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
        self.module.visit_parameters(&mut |p| {
            if p.name.starts_with(prefix) {
                found.push((p.name.to_owned(), p.tensor.clone()));
            }
        });
        let count = found.len();
        for (name, t) in found {
            self.plan.push_user(join(self.path, &name), t, init.clone());
        }
        count
    }
}

impl InitReport {
    /// Each written tensor's expected std (from its initializer and shape) next to the mean
    /// and std measured on the tensor now, found by path in `tensors`: the model that was
    /// initialized, or the `VarMap` it was built from (whose names are the model's paths when
    /// the model was built with `vb.pp(...)` of those names). `Display` prints it as a table:
    /// path, shape, initializer, expected std, measured std, measured mean.
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use candle_nn::{Linear, VarBuilder, VarMap};
    /// use init_candle::{InitWeights, InitWeightsExt};
    ///
    /// #[derive(InitWeights)]
    /// struct Mlp {
    ///     #[init(kaiming_normal(nonlinearity = relu), bias = zeros)]
    ///     fc1: Linear,
    ///     #[init(normal(std = 0.01), bias = zeros)]
    ///     fc2: Linear,
    /// }
    ///
    /// let varmap = VarMap::new();
    /// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    /// let mlp = Mlp {
    ///     fc1: candle_nn::linear(512, 256, vb.pp("fc1"))?,
    ///     fc2: candle_nn::linear(256, 10, vb.pp("fc2"))?,
    /// };
    /// let report = mlp.init_weights(0)?;
    /// let measured = report.measured(&mlp)?; // or `report.measured(&varmap)?`
    /// print!("{measured}");
    /// // path        shape       init                                                 expected std      std       mean
    /// // fc1.weight  [256, 512]  kaiming_normal(a=0, mode=fan_in, nonlinearity=relu)       0.06250  0.06247  -6.159e-5
    /// // fc1.bias    [256]       zeros                                                           0        0          0
    /// // fc2.weight  [10, 256]   normal(mean=0, std=0.01)                                  0.01000  0.01019   3.804e-4
    /// // fc2.bias    [10]        zeros                                                           0        0          0
    /// let fc1 = &measured.tensors[0];
    /// // sqrt(2) / sqrt(512) = 0.0625, measured on 131072 values
    /// assert!((fc1.std.unwrap() - 0.0625).abs() < 0.001);
    /// assert_eq!(measured.tensors[1].std, Some(0.0)); // fc1.bias: zeros
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A written path that `tensors` does not hold (a model or `VarMap` other than the one
    /// initialized), a tensor of another shape under that path, or a Candle error while
    /// reducing a tensor.
    pub fn measured<S: NamedTensors + ?Sized>(&self, tensors: &S) -> Result<MeasuredReport> {
        measure(&self.tensors, tensors)
    }
}
