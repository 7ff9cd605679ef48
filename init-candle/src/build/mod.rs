//! Initialize a model where it is built: [`ModelBuilder`] hands a constructor a candle-nn
//! `VarBuilder` that allocates each tensor the constructor asks for, registers it in a
//! `VarMap` (for optimizers and `save()`, as candle's own), and fills it once: loaded from a
//! [`Checkpoint`] when it holds the tensor, else written by the first [`Rule`] that matches
//! its path, else by the [`Preset`] - from the stream `Generator::new(seed).for_path(path)`,
//! so the values depend only on (seed, path), not on the order of construction. No candle
//! random fill runs and no value is computed twice.
//!
//! Any constructor that takes a `VarBuilder` works: candle-nn's layers, candle-transformers'
//! models, your own.
//!
//! ```
//! use candle_core::{DType, Device};
//! use init_candle::build::{ModelBuilder, Preset};
//! use init_candle::Init;
//!
//! # fn main() -> init_candle::Result<()> {
//! let n_layer = 4;
//! let built = ModelBuilder::new(0)
//!     .preset(Preset::hf(0.02))
//!     // GPT-2's scaled residual projections.
//!     .rule("*.c_proj.weight", Init::Normal { mean: 0.0, std: 0.02 / (2.0 * n_layer as f64).sqrt() })
//!     .build(DType::F32, &Device::Cpu, |vb| {
//!         let fc = candle_nn::linear(64, 256, vb.pp("h.0.mlp.c_fc"))?;
//!         let proj = candle_nn::linear(256, 64, vb.pp("h.0.mlp.c_proj"))?;
//!         Ok((fc, proj))
//!     })?;
//! let (fc, proj) = &built.model;
//! assert_eq!(built.report.tensors.len(), 4);
//! assert!(proj.bias().unwrap().abs()?.sum_all()?.to_scalar::<f32>()? == 0.0);
//! println!("{}", built.report); // a table: path, shape, initializer, source, fans, std
//! # let _ = fc;
//! # Ok(())
//! # }
//! ```
//!
//! # Which initializer a tensor gets
//!
//! 1. a tensor the checkpoint holds is loaded (converted to the requested dtype; a shape
//!    that differs is an error naming the path and both shapes);
//! 2. else the first rule, in the order they were added, whose pattern (and rank, shape)
//!    matches;
//! 3. else the model's own `#[init(...)]` attributes (the innermost field's decides; a rule
//!    that replaces an attribute is reported with the attribute it took precedence over);
//! 4. else the preset, where it recognizes the tensor ([`Preset`] has the table);
//! 5. else the layer's PyTorch default (`reset_parameters`); with the default
//!    [`Preset::PyTorch`] the layers' defaults come before the preset, which is what they are
//!    for candle-nn's layers. With no rule and that preset, a model gets exactly the bytes
//!    `init_weights(seed)` writes;
//! 6. else candle-nn's hint, seeded, reported as such.
//!
//! The model the constructor returns is a module ([`InitWeights`]: derived, a candle-nn
//! layer, a tuple or `Vec` of them), so the builder reads its attributes after construction:
//! they cannot be lost on the way. A model that is not a module (candle-transformers' models)
//! is wrapped in [`Opaque`], and steps 3 and 5 do not exist for it.
//!
//! Tensors are named by the path the constructor asked for them with. A module's own path for
//! a parameter must be that path or its end (a layer returned from `vb.pp("fc")` calls its
//! weight `weight`); any other difference is [`Error::PathMismatch`].
//!
//! Rules that matched no tensor are listed in the report (a typo in a pattern shows there).
//! [`strict`](ModelBuilder::strict) turns into errors: unused rules, tensors no rule or
//! preset recognizes, and with a checkpoint, tensors it lacks that no rule or `#[init]`
//! attribute names and tensors it holds that the model never asked for.

mod alloc;
mod backend;
mod checkpoint;
mod hf;
mod opaque;
mod preset;
mod report;
mod rules;
mod seed;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use candle_core::{DType, Device, Var};
use candle_nn::{VarBuilder, VarMap};
use init_core::{Generator, Region};

pub use checkpoint::Checkpoint;
pub use hf::{Family, HfConfig, HfPreset, FAMILIES};
pub use opaque::Opaque;
pub use preset::Preset;
pub use report::BuildReport;
pub use rules::{Rule, RuleFn, TensorInfo};
pub use seed::{SeedCheckpoint, SeedProgress, SeedReport};

use crate::error::{Error, Result};
use crate::ext::InitWeightsExt;
use crate::module::InitWeights;
use crate::plan::InitPlan;
use crate::report::{TensorReport, ValueSource};
use crate::traversal::StorageKey;
pub use backend::ShardedInit;
use backend::{Backend, FlatInit, State};

/// Called with each tensor's report as soon as the tensor is filled (for a progress bar).
pub type Progress = Arc<dyn Fn(&TensorReport) + Send + Sync>;

/// Builds models through an initializing `VarBuilder` (see the [module docs](self)).
#[derive(Clone)]
pub struct ModelBuilder {
    seed: u64,
    rules: Vec<Rule>,
    preset: Preset,
    strict: bool,
    checkpoint: Option<Arc<Checkpoint>>,
    progress: Option<Progress>,
}

impl std::fmt::Debug for ModelBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelBuilder")
            .field("seed", &self.seed)
            .field("rules", &self.rules)
            .field("preset", &self.preset)
            .field("strict", &self.strict)
            .field("checkpoint", &self.checkpoint)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A model built by a [`ModelBuilder`], with the `VarMap` that holds its variables (for an
/// optimizer: `varmap.all_vars()`; for `varmap.save(..)`) and what was done to each tensor.
pub struct Built<M> {
    /// The model the constructor returned.
    pub model: M,
    /// Every tensor the constructor asked for, by path.
    pub varmap: VarMap,
    /// What each tensor got, and from where.
    pub report: BuildReport,
}

impl<M> Built<M> {
    /// The variables this build initialized (not loaded from the checkpoint), by path, in
    /// build order: what fine-tuning trains when the loaded part is frozen (a new head, LoRA
    /// adapters).
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use init_candle::build::ModelBuilder;
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// let built = ModelBuilder::new(0).build(DType::F32, &Device::Cpu, |vb| {
    ///     candle_nn::linear(4, 2, vb.pp("head"))
    /// })?;
    /// let names: Vec<String> = built.trainable()?.into_iter().map(|(p, _)| p).collect();
    /// assert_eq!(names, ["head.weight", "head.bias"]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::VarMapPoisoned`].
    pub fn trainable(&self) -> Result<Vec<(String, Var)>> {
        self.select(|t| t.init.is_some())
    }

    /// The variables whose path matches `pattern` (the rules' syntax: `*`, `{name}`), by
    /// path, in build order (`built.vars("*.lora_*")?` for the optimizer).
    ///
    /// # Errors
    /// [`Error::RulePattern`] for a pattern that cannot be parsed, [`Error::VarMapPoisoned`].
    pub fn vars(&self, pattern: &str) -> Result<Vec<(String, Var)>> {
        let rule = Rule::with(pattern, |_| None);
        if let Some(reason) = rule.pattern_error() {
            return Err(Error::RulePattern {
                pattern: pattern.to_owned(),
                reason: reason.to_owned(),
            });
        }
        self.select(|t| rule.matches(&t.path, &t.shape))
    }

    fn select(&self, keep: impl Fn(&TensorReport) -> bool) -> Result<Vec<(String, Var)>> {
        let vars = self
            .varmap
            .data()
            .lock()
            .map_err(|_| Error::VarMapPoisoned)?;
        Ok(self
            .report
            .tensors
            .iter()
            .filter(|t| keep(t))
            .filter_map(|t| vars.get(&t.path).map(|v| (t.path.clone(), v.clone())))
            .collect())
    }
}

/// One rank's flat chunks of every parameter of a model ([`ModelBuilder::build_flat`]).
pub struct FlatShards {
    /// Each parameter's chunk, in the order the constructor asked for them.
    pub params: Vec<FlatParam>,
    /// The chunks by path (for an optimizer: `varmap.all_vars()`).
    pub varmap: VarMap,
    /// What each tensor got (the whole tensor's initializer, fans and std), and from where.
    pub report: BuildReport,
}

/// A rank's flat chunk of one parameter: elements `start..start + var.elem_count()` of the
/// row-major flattening of the full tensor of shape `dims`.
#[derive(Clone, Debug)]
pub struct FlatParam {
    /// The parameter's path.
    pub path: String,
    /// The full tensor's shape.
    pub dims: Vec<usize>,
    /// Where the chunk starts in the flattened full tensor.
    pub start: usize,
    /// The chunk (1-D).
    pub var: Var,
}

impl ModelBuilder {
    /// A builder whose random streams derive from `seed`, with the [`Preset::PyTorch`] preset,
    /// no rules, not strict, no checkpoint.
    pub fn new(seed: u64) -> ModelBuilder {
        ModelBuilder {
            seed,
            rules: Vec::new(),
            preset: Preset::PyTorch,
            strict: false,
            checkpoint: None,
            progress: None,
        }
    }

    /// What tensors no rule names get.
    pub fn preset(mut self, preset: Preset) -> ModelBuilder {
        self.preset = preset;
        self
    }

    /// Adds a rule: tensors whose path matches `pattern` get `init` (earlier rules win; the report
    /// names the later rules a tensor's rule took precedence over).
    pub fn rule(self, pattern: impl Into<String>, init: init_core::Init) -> ModelBuilder {
        self.with_rule(Rule::new(pattern, init))
    }

    /// Adds a rule whose function decides for each tensor its pattern matches (see
    /// [`Rule::with`]: the function sees the path, the pattern's `{name}` captures, the shape,
    /// dtype and fans, and returns an `Init` or `None`, "not mine").
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use init_candle::build::ModelBuilder;
    /// use init_candle::Init;
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// // muP-style width scaling of every matrix, as one rule: std 0.02 at a base fan_in of 64.
    /// let built = ModelBuilder::new(0)
    ///     .rule_fn("*.weight", |t| {
    ///         let fan_in = t.fan_in()? as f64;
    ///         Some(Init::Normal { mean: 0.0, std: 0.02 * (64.0 / fan_in).sqrt() })
    ///     })
    ///     .build(DType::F32, &Device::Cpu, |vb| {
    ///         Ok((candle_nn::linear(64, 256, vb.pp("up"))?, candle_nn::linear(256, 64, vb.pp("down"))?))
    ///     })?;
    /// let stds: Vec<String> = built.report.tensors.iter()
    ///     .filter_map(|t| t.expected_std.map(|s| format!("{} {s:.3}", t.path)))
    ///     .collect();
    /// assert_eq!(stds[0], "up.weight 0.020");
    /// assert_eq!(stds[2], "down.weight 0.010");
    /// # Ok(())
    /// # }
    /// ```
    pub fn rule_fn(
        self,
        pattern: impl Into<String>,
        f: impl Fn(&TensorInfo<'_>) -> Option<init_core::Init> + Send + Sync + 'static,
    ) -> ModelBuilder {
        self.with_rule(Rule::with(pattern, f))
    }

    /// Adds a rule with conditions on rank or shape (see [`Rule`]).
    pub fn with_rule(mut self, rule: Rule) -> ModelBuilder {
        self.rules.push(rule);
        self
    }

    /// Makes unused rules, unrecognized tensors and checkpoint mismatches errors.
    pub fn strict(mut self, strict: bool) -> ModelBuilder {
        self.strict = strict;
        self
    }

    /// Loads what `checkpoint` holds instead of initializing it.
    pub fn checkpoint(mut self, checkpoint: Checkpoint) -> ModelBuilder {
        self.checkpoint = Some(Arc::new(checkpoint));
        self
    }

    /// Calls `f` with each tensor's report as soon as it is filled, in the order tensors are
    /// filled (a progress bar: `f` adds the tensor's element count).
    pub fn on_progress(
        mut self,
        f: impl Fn(&TensorReport) + Send + Sync + 'static,
    ) -> ModelBuilder {
        self.progress = Some(Arc::new(f));
        self
    }

    /// The state of one build; refuses a rule whose pattern cannot be used before anything is
    /// built.
    fn state(&self, deferred: bool) -> Result<Arc<Mutex<State>>> {
        if let Some((rule, reason)) = self
            .rules
            .iter()
            .find_map(|r| r.pattern_error().map(|e| (r, e)))
        {
            return Err(Error::RulePattern {
                pattern: rule.pattern().to_owned(),
                reason: reason.to_owned(),
            });
        }
        // A config of a family this crate does not know: refused before the constructor runs.
        if let (true, Preset::HfFamily(hf)) = (self.strict, &self.preset) {
            if let Some(problem) = hf.strict_problem() {
                return Err(Error::Strict {
                    problems: vec![problem],
                });
            }
        }
        Ok(Arc::new(Mutex::new(State {
            rng: Generator::new(self.seed),
            rules: self.rules.clone(),
            rule_hits: vec![0; self.rules.len()],
            preset: self.preset.clone(),
            strict: self.strict,
            deferred,
            checkpoint: self.checkpoint.clone(),
            progress: self.progress.clone(),
            varmap: VarMap::new(),
            records: Vec::new(),
            index: HashMap::new(),
            error: None,
        })))
    }

    /// Runs `constructor` with an initializing `VarBuilder` of `dtype` on `device`, and
    /// returns the model with its `VarMap` and report.
    ///
    /// The model is a module ([`InitWeights`]): its `#[init(...)]` attributes and its layers'
    /// PyTorch defaults apply where no checkpoint tensor or rule does, with the bytes
    /// `init_weights(seed)` would write, and the preset only serves tensors the model does not
    /// list as parameters. Each parameter's path in the model must be the path it was asked
    /// for with (`vb.pp("fc2")` for a field `fc` is [`Error::PathMismatch`]). A model that is
    /// not a module (candle-transformers' models) is wrapped in [`Opaque`]; its tensors are
    /// written by the rules and the preset as the constructor asks for them.
    ///
    /// # Errors
    /// The constructor's error (this crate's own, typed, when a request failed: a shape that
    /// differs from the checkpoint's, an initializer the tensor cannot take, a strict-mode
    /// problem), a path mismatch, a declaration the tensor refuses, or the strict checks after
    /// construction. No model is returned then.
    pub fn build<M: InitWeights>(
        &self,
        dtype: DType,
        device: &Device,
        constructor: impl FnOnce(VarBuilder<'_>) -> candle_core::Result<M>,
    ) -> Result<Built<M>> {
        if !M::builder_reads_modules() {
            let state = self.state(false)?;
            let model = self.construct(&state, dtype, device, constructor)?;
            return self.finish_all(&state, model);
        }
        let state = self.state(true)?;
        let model = self.construct(&state, dtype, device, constructor)?;
        let mut state = lock(&state)?;
        let plan = self.module_plan(&mut state, &model)?;
        let executed = plan.execute(&state.rng)?;
        let key_of: HashMap<&str, StorageKey> = plan
            .entries()
            .iter()
            .map(|e| (e.path.as_str(), StorageKey::of(&e.tensor)))
            .collect();
        let mut from_plan: HashMap<StorageKey, TensorReport> = HashMap::new();
        for report in executed.tensors {
            if let Some(key) = key_of.get(report.path.as_str()) {
                from_plan.insert(key.clone(), report);
            }
        }
        let mut tensors = Vec::with_capacity(state.records.len());
        for i in 0..state.records.len() {
            let key = StorageKey::of(state.records[i].var.as_tensor());
            match from_plan.get(&key) {
                Some(report) if state.records[i].report.is_none() => {
                    let mut report = report.clone();
                    report.path = state.records[i].path.clone();
                    state.write_rows(i, &mut report)?;
                    state.records[i].report = Some(report.clone());
                    state.progressed(&report);
                    tensors.push(report);
                }
                _ => tensors.push(finish_record(&mut state, i)?),
            }
        }
        self.finish(&mut state, model, tensors)
    }

    /// [`build`](Self::build) for one rank of a sharded model: the constructor gets a
    /// `VarBuilderArgs` whose hints are candle-nn's `Shard { dim, rank, world_size }` (as with
    /// candle's `ShardedVarBuilder`), and asks with the **full** shape; each tensor is then
    /// this rank's part, equal bit for bit to that part of what [`build`](Self::build) (same
    /// seed, rules, preset) writes for the full tensor, computed from the part alone for
    /// element-wise initializers (`orthogonal`, `sparse`, `eye`, `dirac` compute the full
    /// tensor on the CPU and keep the part). A size not divisible by `world_size` is an error
    /// (candle's convention). From a checkpoint, only the rank's part of each tensor is read.
    ///
    /// candle's `ShardedVarBuilder` is a type alias for its safetensors backend, so a model
    /// written for it takes this one when its constructor is generic over the backend:
    /// `fn new<B: Backend<Hints = Shard>>(vb: VarBuilderArgs<B>)`.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use candle_nn::var_builder::{Backend, Shard, VarBuilderArgs};
    /// use init_candle::build::ModelBuilder;
    ///
    /// // A column-parallel linear: each rank holds out/world_size rows of the weight.
    /// fn column<B: Backend<Hints = Shard>>(vb: VarBuilderArgs<'_, B>, rank: usize, ws: usize)
    ///     -> candle_core::Result<Tensor> {
    ///     vb.get_with_hints((8, 4), "weight", Shard { dim: 0, rank, world_size: ws })
    /// }
    /// # fn main() -> init_candle::Result<()> {
    /// let builder = ModelBuilder::new(5);
    /// let whole = builder.build(DType::F32, &Device::Cpu, |vb| candle_nn::linear_no_bias(4, 8, vb))?;
    /// let parts: Vec<Tensor> = (0..2)
    ///     .map(|rank| Ok(builder.build_sharded(DType::F32, &Device::Cpu, |vb| column(vb, rank, 2))?.model))
    ///     .collect::<init_candle::Result<_>>()?;
    /// let joined = Tensor::cat(&parts, 0)?;
    /// assert_eq!(joined.to_vec2::<f32>()?, whole.model.weight().to_vec2::<f32>()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn build_sharded<M>(
        &self,
        dtype: DType,
        device: &Device,
        constructor: impl FnOnce(
            candle_nn::var_builder::VarBuilderArgs<'_, ShardedInit>,
        ) -> candle_core::Result<M>,
    ) -> Result<Built<M>> {
        let state = self.state(false)?;
        let vb = candle_nn::var_builder::VarBuilderArgs::new_with_args(
            ShardedInit(state.clone()),
            dtype,
            device,
        );
        let model = constructor(vb).map_err(|err| constructor_error(&state, err))?;
        self.finish_all(&state, model)
    }

    /// [`build`](Self::build) for one rank of a model sharded FSDP/ZeRO-style: every tensor
    /// the constructor asks for is cut into `world_size` flat chunks of its row-major
    /// flattening ([`Region::flat_chunk`]: `numel.div_ceil(world_size)` elements each, the last
    /// ranks may hold fewer or none; FSDP pads them, pad yourself if your collectives need equal
    /// sizes), and this rank keeps its chunk, equal bit for bit to that part of what
    /// [`build`](Self::build) (same seed, rules, preset) writes, computed from the chunk alone
    /// for element-wise initializers. From a checkpoint, only the chunk is read.
    ///
    /// The constructor is the model's ordinary one. It runs against zero-stride placeholders of
    /// the full shapes (one element of storage each), so that the model's parameters are known
    /// without allocating them; the model it returns is dropped (its tensors are placeholders)
    /// and the chunks are returned instead. A constructor that computes with its tensors
    /// (`to_dtype`, concatenating q/k/v) materializes those results at full size.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use init_candle::build::ModelBuilder;
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// let builder = ModelBuilder::new(5);
    /// let model = |vb: candle_nn::VarBuilder| candle_nn::linear(4, 6, vb.pp("fc"));
    /// let whole = builder.build(DType::F32, &Device::Cpu, model)?;
    /// let chunks: Vec<Tensor> = (0..4)
    ///     .map(|rank| {
    ///         let shards = builder.build_flat(DType::F32, &Device::Cpu, rank, 4, model)?;
    ///         Ok(shards.params[0].var.as_tensor().clone()) // fc.weight: 24 elements, 6 a rank
    ///     })
    ///     .collect::<init_candle::Result<_>>()?;
    /// let weight = whole.model.weight().flatten_all()?;
    /// assert_eq!(Tensor::cat(&chunks, 0)?.to_vec1::<f32>()?, weight.to_vec1::<f32>()?);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`build`](Self::build); also when `rank >= world_size`.
    pub fn build_flat<M: InitWeights>(
        &self,
        dtype: DType,
        device: &Device,
        rank: usize,
        world_size: usize,
        constructor: impl FnOnce(VarBuilder<'_>) -> candle_core::Result<M>,
    ) -> Result<FlatShards> {
        // A rank outside the world is refused before the constructor runs (even one asking for
        // no tensor).
        Region::flat_chunk(&[], rank, world_size)?;
        let reads_modules = M::builder_reads_modules();
        let state = self.state(reads_modules)?;
        let backend = FlatInit {
            state: state.clone(),
            rank,
            world_size,
        };
        let vb = VarBuilder::from_backend(Box::new(backend), dtype, device.clone());
        let placeholders = constructor(vb).map_err(|err| constructor_error(&state, err))?;
        if reads_modules {
            // The module's declarations, from its placeholders (full shapes), each written
            // into this rank's chunk.
            let mut state = lock(&state)?;
            let plan = self.module_plan(&mut state, &placeholders)?;
            write_planned_chunks(&mut state, &plan)?;
        }
        drop(placeholders);
        let built = self.finish_all(&state, ())?;
        let params = lock(&state)?
            .records
            .iter()
            .map(|r| FlatParam {
                path: r.path.clone(),
                dims: r.dims.clone(),
                start: match r.region {
                    Some(Region::Flat { start, .. }) => start,
                    _ => 0,
                },
                var: r.var.clone(),
            })
            .collect();
        Ok(FlatShards {
            params,
            varmap: built.varmap,
            report: built.report,
        })
    }

    /// The plan of a module built by `build` or `build_flat`: its `#[init]` attributes and
    /// layer defaults (from the tensors it holds, `Record::in_model`), less what the checkpoint
    /// loaded, with the rules over it; its paths checked against the requested ones, and
    /// strict mode's "not in the checkpoint" check.
    fn module_plan(&self, state: &mut State, model: &dyn InitWeights) -> Result<InitPlan> {
        let loaded: HashSet<StorageKey> = state
            .records
            .iter()
            .filter(|r| r.report.is_some())
            .map(|r| StorageKey::of(r.in_model()))
            .collect();
        let requested: HashMap<StorageKey, &str> = state
            .records
            .iter()
            .map(|r| (StorageKey::of(r.in_model()), r.path.as_str()))
            .collect();
        // The model's own plan, under the requested paths, less what was loaded, with the
        // rules over it.
        let mut plan = InitPlan::declared_as(
            model,
            requested
                .iter()
                .map(|(key, path)| (key.clone(), (*path).to_owned()))
                .collect(),
        )?;
        // Each tensor's path in the model must be (the end of) the one it was requested with
        // (a tied tensor: one of its paths).
        let planned: HashSet<(&str, StorageKey)> = plan
            .entries()
            .iter()
            .map(|e| (e.path.as_str(), StorageKey::of(&e.tensor)))
            .collect();
        for entry in plan.entries() {
            let key = StorageKey::of(&entry.tensor);
            if let Some(&varbuilder) = requested.get(&key) {
                if !planned.contains(&(varbuilder, key)) {
                    return Err(Error::PathMismatch {
                        model: entry.path.clone(),
                        varbuilder: varbuilder.to_owned(),
                    });
                }
            }
        }
        plan.retain(|e| !loaded.contains(&StorageKey::of(&e.tensor)));
        // The class of the module holding each parameter, for the rules' functions.
        let classes: HashMap<String, &'static str> = model
            .named_modules()
            .into_iter()
            .map(|(path, m)| (path, m.class_name()))
            .collect();
        let class_of = |path: &str| {
            let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
            classes.get(parent).copied()
        };
        // A rule that names one path of a tied tensor decides for all of its paths.
        let mut ruled: HashMap<StorageKey, (usize, init_core::Init, Vec<String>)> = HashMap::new();
        for entry in plan.entries() {
            let (dims, dtype) = (entry.tensor.dims(), entry.tensor.dtype());
            let mut info = TensorInfo::new(&entry.path, dims, dtype);
            if let Some(class) = class_of(&entry.path) {
                info = info.in_module(class);
            }
            if let Some((i, init)) = state.rule_for(&info) {
                // Checked here, so that the error names the rule (the plan checks again).
                let source = ValueSource::rule(&state.rules[i]);
                init.check(&entry.tensor)
                    .map_err(|e| state.init_error(&entry.path, dims, &source, e))?;
                let shadowed = state.shadowed_rules(&info);
                ruled
                    .entry(StorageKey::of(&entry.tensor))
                    .or_insert((i, init, shadowed));
            }
        }
        // A preset other than PyTorch's (whose values are the layers' defaults) decides over
        // layer defaults where it recognizes the tensor, as Hugging Face's `_init_weights`
        // runs over each layer's `reset_parameters`.
        let record_of = state.record_of_model();
        if self.preset != Preset::PyTorch {
            let preset = ValueSource::Preset {
                preset: self.preset.to_string(),
            };
            for entry in plan.entries_mut() {
                let key = StorageKey::of(&entry.tensor);
                if entry.source != ValueSource::LayerDefault || ruled.contains_key(&key) {
                    continue;
                }
                if let Some(init) = record_of.get(&key).and_then(|&i| state.preset_init(i)) {
                    entry.replace_with(init, preset.clone());
                }
            }
        }
        for entry in plan.entries_mut() {
            if let Some((i, init, shadowed)) = ruled.get(&StorageKey::of(&entry.tensor)) {
                // An attribute a rule replaces, and later rules that match too, are reported
                // with the rule's row.
                entry.replace_with(init.clone(), ValueSource::rule(&state.rules[*i]));
                entry.overridden.extend(shadowed.iter().cloned());
            }
        }
        if self.strict && self.checkpoint.is_some() {
            // What the checkpoint lacks must be named by a rule or an `#[init]` attribute.
            let named: HashSet<StorageKey> = plan
                .entries()
                .iter()
                .filter(|e| {
                    matches!(
                        e.source,
                        ValueSource::Rule { .. } | ValueSource::Attribute { .. }
                    )
                })
                .map(|e| StorageKey::of(&e.tensor))
                .collect();
            let problems: Vec<String> = state
                .records
                .iter()
                .filter(|r| r.report.is_none())
                .filter(|r| !named.contains(&StorageKey::of(r.in_model())))
                .filter(|r| !state.rules_decide(&TensorInfo::new(&r.path, &r.dims, r.var.dtype())))
                .map(|r| {
                    format!(
                        "`{}` {:?} is not in the checkpoint and no rule or attribute names it",
                        r.path, r.dims
                    )
                })
                .collect();
            if !problems.is_empty() {
                return Err(Error::Strict { problems });
            }
        }
        Ok(plan)
    }

    fn construct<M>(
        &self,
        state: &Arc<Mutex<State>>,
        dtype: DType,
        device: &Device,
        constructor: impl FnOnce(VarBuilder<'_>) -> candle_core::Result<M>,
    ) -> Result<M> {
        let vb = VarBuilder::from_backend(Box::new(Backend(state.clone())), dtype, device.clone());
        constructor(vb).map_err(|err| constructor_error(state, err))
    }

    /// Writes every tensor still waiting, then [`finish`](Self::finish).
    fn finish_all<M>(&self, state: &Arc<Mutex<State>>, model: M) -> Result<Built<M>> {
        let mut state = lock(state)?;
        let mut tensors = Vec::with_capacity(state.records.len());
        for i in 0..state.records.len() {
            tensors.push(finish_record(&mut state, i)?);
        }
        self.finish(&mut state, model, tensors)
    }

    /// Strict checks, unused rules and unexpected keys; the result.
    fn finish<M>(
        &self,
        state: &mut State,
        model: M,
        tensors: Vec<TensorReport>,
    ) -> Result<Built<M>> {
        // A row rule whose tensor was loaded from the checkpoint is not unused: the loaded
        // tensor keeps its rows.
        let loaded_match = |rule: &Rule| {
            rule.row_indices().is_some()
                && state.records.iter().any(|r| {
                    matches!(
                        r.report.as_ref().map(|t| &t.source),
                        Some(ValueSource::Checkpoint { .. })
                    ) && rule
                        .decide(&TensorInfo::new(&r.path, &r.dims, r.var.dtype()))
                        .is_some()
                })
        };
        let unused_rules: Vec<String> = state
            .rules
            .iter()
            .zip(&state.rule_hits)
            .filter(|(r, &hits)| hits == 0 && !r.is_optional() && !loaded_match(r))
            .map(|(r, _)| r.pattern().to_owned())
            .collect();
        let unexpected_keys: Vec<String> = state
            .checkpoint
            .as_ref()
            .map(|c| {
                c.keys()
                    .filter(|k| !state.index.contains_key(*k))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if self.strict {
            let paths: Vec<&str> = state.records.iter().map(|r| r.path.as_str()).collect();
            let mut problems: Vec<String> = unused_rules
                .iter()
                .map(|p| {
                    let near = crate::suggest::nearest(p, paths.iter().copied())
                        .map(|n| format!("; the nearest path is `{n}`"))
                        .unwrap_or_default();
                    format!("rule `{p}` matched no tensor{near}")
                })
                .collect();
            problems.extend(
                unexpected_keys.iter().map(|k| {
                    format!("the checkpoint holds `{k}`, which the model never asked for")
                }),
            );
            if !problems.is_empty() {
                return Err(Error::Strict { problems });
            }
        }
        Ok(Built {
            model,
            varmap: state.varmap.clone(),
            report: BuildReport {
                seed: self.seed,
                preset: self.preset.to_string(),
                tensors,
                unused_rules,
                unexpected_keys,
            },
        })
    }
}

/// Writes each entry of a module's `plan` into the chunk its record holds (`build_flat`), from
/// the stream of the entry's path, as `plan.execute` writes the whole tensor.
fn write_planned_chunks(state: &mut State, plan: &InitPlan) -> Result<()> {
    // Nothing is written when any declaration is refused.
    plan.validate()?;
    let record_of = state.record_of_model();
    for entry in plan.entries() {
        let Some(&i) = record_of.get(&StorageKey::of(&entry.tensor)) else {
            continue;
        };
        if state.records[i].report.is_some() {
            continue; // tied: written under its first path
        }
        let (path, dims, region, var) = {
            let r = &state.records[i];
            (r.path.clone(), r.dims.clone(), r.region, r.var.clone())
        };
        let mut report = state.write(
            &entry.path,
            &var,
            &dims,
            region,
            entry.init.clone(),
            entry.source.clone(),
        )?;
        report.path = path;
        report.overridden = entry.overridden.clone();
        if let Some((rows, field)) = &entry.rows {
            zero_rows_in_chunk(&var, &dims, region, rows)?;
            report
                .rows
                .push(format!("rows {rows:?}: zeros (padding_idx on `{field}`)"));
        }
        state.write_rows(i, &mut report)?;
        state.progressed(&report);
        state.records[i].report = Some(report);
    }
    Ok(())
}

/// Zeroes the part of rows `rows` (of the full tensor of shape `dims`) that the flat chunk
/// `region` of `var` holds.
fn zero_rows_in_chunk(
    var: &Var,
    dims: &[usize],
    region: Option<Region>,
    rows: &[usize],
) -> Result<()> {
    let (start, len) = match region {
        Some(Region::Flat { start, len }) => (start, len),
        _ => (0, var.elem_count()),
    };
    let row_len: usize = dims.iter().skip(1).product();
    for &row in rows {
        let (from, to) = (row * row_len, (row + 1) * row_len);
        let (lo, hi) = (from.max(start), to.min(start + len));
        if lo < hi {
            let flat = var.as_tensor().flatten_all()?;
            let zeros = candle_core::Tensor::zeros(hi - lo, var.dtype(), var.device())?;
            flat.slice_set(&zeros, 0, lo - start)?;
        }
    }
    Ok(())
}

/// The report of record `i`, writing it first if it still waits (its siblings are all known
/// now).
fn finish_record(state: &mut State, i: usize) -> Result<TensorReport> {
    if let Some(report) = &state.records[i].report {
        return Ok(report.clone());
    }
    let (path, dims, hint) = {
        let r = &state.records[i];
        (r.path.clone(), r.dims.clone(), r.hint)
    };
    // With `final_pass` the preset decides (it does not wait any more).
    let dtype = state.records[i].var.dtype();
    let (init, source) = state
        .choose(&path, &dims, dtype, hint, true)?
        .ok_or_else(|| Error::Unrecognized {
            path: path.clone(),
            dims: dims.clone(),
            preset: state.preset.to_string(),
        })?;
    let (var, region) = (state.records[i].var.clone(), state.records[i].region);
    let mut report = state.write(&path, &var, &dims, region, init, source)?;
    state.write_rows(i, &mut report)?;
    state.records[i].report = Some(report.clone());
    state.progressed(&report);
    Ok(report)
}

/// The typed error a request met, if the constructor failed because of one; else candle's.
fn constructor_error(state: &Arc<Mutex<State>>, err: candle_core::Error) -> Error {
    match lock(state) {
        Ok(mut state) => state.error.take().unwrap_or(Error::Candle(err)),
        Err(poisoned) => poisoned,
    }
}

fn lock(state: &Arc<Mutex<State>>) -> Result<std::sync::MutexGuard<'_, State>> {
    state.lock().map_err(|_| Error::VarMapPoisoned)
}
