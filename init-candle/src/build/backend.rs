//! The candle-nn `SimpleBackend` behind [`ModelBuilder`](super::ModelBuilder)'s `VarBuilder`:
//! each requested tensor is allocated once, registered in a `VarMap`, and filled once (loaded
//! from the checkpoint, or written by its rule or preset from the stream of its path).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::VarMap;
use init_core::{Generator, Init, Region};

use super::alloc::fresh;
use super::checkpoint::Checkpoint;
use super::preset::{Choice, Preset, Request};
use super::rules::{Rule, TensorInfo};
use crate::error::{Error, Result};
use crate::report::{TensorReport, ValueSource};

/// One requested tensor.
pub(crate) struct Record {
    pub path: String,
    pub dims: Vec<usize>,
    pub hint: Option<candle_nn::Init>,
    /// The part of the full tensor (of shape `dims`) this rank holds; `None`: all of it.
    pub region: Option<Region>,
    pub var: Var,
    /// `None` while it waits: for a sibling (the preset needs the `weight` of a `bias`), or for
    /// the model's own plan (`build` of a module).
    pub report: Option<TensorReport>,
    /// What the constructor got in the variable's place (`build_flat`: a zero-stride tensor of
    /// the full shape); `None`: the variable itself.
    pub placeholder: Option<Tensor>,
}

impl Record {
    /// The tensor the model holds for this record.
    pub fn in_model(&self) -> &Tensor {
        self.placeholder.as_ref().unwrap_or(self.var.as_tensor())
    }
}

pub(crate) struct State {
    pub rng: Generator,
    pub rules: Vec<Rule>,
    pub rule_hits: Vec<usize>,
    pub preset: Preset,
    pub strict: bool,
    /// Allocate only: the model's plan decides after construction (`build` of a module).
    pub deferred: bool,
    pub checkpoint: Option<Arc<Checkpoint>>,
    pub progress: Option<super::Progress>,
    pub varmap: VarMap,
    pub records: Vec<Record>,
    pub index: HashMap<String, usize>,
    /// The first error a request met, typed (candle's `VarBuilder` only carries strings).
    pub error: Option<Error>,
}

/// The backend: shared so that the builder reads the state back once the `VarBuilder` is gone.
pub(crate) struct Backend(pub Arc<Mutex<State>>);

impl Backend {
    fn state(&self) -> candle_core::Result<MutexGuard<'_, State>> {
        self.0
            .lock()
            .map_err(|_| candle_core::Error::Msg("init-candle: builder state poisoned".into()))
    }

    /// The full dims of `name` for `get_unchecked` (no shape given): those of its record when the
    /// constructor asked for it already, else the checkpoint's; when neither knows it,
    /// [`Error::UnknownShape`], kept as the build's error.
    pub(super) fn unchecked_dims(&self, name: &str) -> candle_core::Result<Vec<usize>> {
        let mut state = self.state()?;
        let dims = state.known_dims(name).ok_or_else(|| Error::UnknownShape {
            path: name.to_owned(),
        });
        state.keep_error(dims)
    }
}

impl candle_nn::var_builder::SimpleBackend for Backend {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        hint: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let mut state = self.state()?;
        let result = state.get(shape.dims(), name, Some(hint), None, dtype, dev);
        state.keep_error(result)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        let dims = self.unchecked_dims(name)?;
        let mut state = self.state()?;
        let result = state.get(
            &dims,
            name,
            Some(candle_nn::Init::Const(0.0)),
            None,
            dtype,
            dev,
        );
        state.keep_error(result)
    }

    /// Whether the model has `name`, for constructors that branch on it (tie a head when it
    /// is absent, say): asked for already, held by the checkpoint, or named present by the
    /// preset's config ([`HfPreset::present`](super::HfPreset::present): `lm_head.weight` when
    /// `tie_word_embeddings` is false). Otherwise not: a fresh build has no tensor until the
    /// constructor asks for it.
    fn contains_tensor(&self, name: &str) -> bool {
        self.0.lock().is_ok_and(|state| {
            state.index.contains_key(name)
                || state.checkpoint.as_ref().is_some_and(|c| c.contains(name))
                || matches!(&state.preset, super::Preset::HfFamily(hf) if hf.present.iter().any(|p| p == name))
        })
    }
}

impl State {
    /// The full shape of `name`: the one asked for before, else the checkpoint's.
    fn known_dims(&self, name: &str) -> Option<Vec<usize>> {
        match self.index.get(name) {
            Some(&i) => Some(self.records[i].dims.clone()),
            None => self.checkpoint.as_ref().and_then(|c| c.shape_of(name)),
        }
    }

    /// `result`, its error kept as the build's (the first one is what `build` returns) and
    /// handed to candle as a message.
    pub(super) fn keep_error<T>(&mut self, result: Result<T>) -> candle_core::Result<T> {
        result.map_err(|e| {
            let message = e.to_string();
            self.error.get_or_insert(e);
            candle_core::Error::Msg(message)
        })
    }

    /// The tensor at `name` of full shape `dims`, or its `region` when sharded.
    fn get(
        &mut self,
        dims: &[usize],
        name: &str,
        hint: Option<candle_nn::Init>,
        region: Option<Region>,
        dtype: DType,
        dev: &Device,
    ) -> Result<Tensor> {
        let local = match region {
            Some(region) => region.dims(dims).map_err(|e| e.at_path(name.to_owned()))?,
            None => dims.to_vec(),
        };
        if let Some(&i) = self.index.get(name) {
            // Asked again (tied weights, or a layer that reads its weight twice): the same
            // variable, written once.
            let record = &self.records[i];
            if record.dims != dims || record.region != region {
                return Err(Error::TiedShape {
                    path: name.to_owned(),
                    first: record.var.dims().to_vec(),
                    again: local,
                });
            }
            let t = record.var.as_tensor().clone();
            return Ok(if t.dtype() == dtype {
                t
            } else {
                t.to_dtype(dtype)?
            });
        }
        let loaded = match (self.checkpoint_file(name, dims, dtype)?, &self.checkpoint) {
            (Some(file), Some(checkpoint)) => {
                let var = match region {
                    None => checkpoint.load_var(name, dtype, dev)?,
                    // Only this rank's part is read.
                    Some(region) => checkpoint.load_region_var(name, dims, region, dtype, dev)?,
                };
                Some((var, file))
            }
            _ => None,
        };
        let (var, report) = match loaded {
            Some((var, file)) => (
                var,
                Some(TensorReport::loaded(name.to_owned(), dims, dtype, file)),
            ),
            None => {
                let var = fresh(&local, dtype, dev)?;
                let report = if self.deferred {
                    None
                } else {
                    match self.choose(name, dims, dtype, hint, false)? {
                        Some((init, source)) => {
                            Some(self.write(name, &var, dims, region, init, source)?)
                        }
                        None => None,
                    }
                };
                (var, report)
            }
        };
        let tensor = var.as_tensor().clone();
        self.varmap
            .data()
            .lock()
            .map_err(|_| Error::VarMapPoisoned)?
            .insert(name.to_owned(), var.clone());
        let i = self.records.len();
        self.index.insert(name.to_owned(), i);
        self.records.push(Record {
            path: name.to_owned(),
            dims: dims.to_vec(),
            hint,
            region,
            var,
            report: None,
            placeholder: None,
        });
        if let Some(mut report) = report {
            if report.init.is_some() {
                self.write_rows(i, &mut report)?;
            }
            self.progressed(&report);
            self.records[i].report = Some(report);
        }
        Ok(tensor)
    }

    /// Each record's index, by the storage of the tensor the model holds for it.
    pub(crate) fn record_of_model(&self) -> HashMap<crate::traversal::StorageKey, usize> {
        self.records
            .iter()
            .enumerate()
            .map(|(i, r)| (crate::traversal::StorageKey::of(r.in_model()), i))
            .collect()
    }

    /// Whether a new request for `name` (of full shape `dims`) is the checkpoint's: its file,
    /// after checking the stored shape; `None` when it is not in the checkpoint (in a strict
    /// build, one the rules must then name: an error otherwise, except for a module's build,
    /// which checks after construction, when the model's attributes are known).
    pub(crate) fn checkpoint_file(
        &self,
        name: &str,
        dims: &[usize],
        dtype: DType,
    ) -> Result<Option<String>> {
        match &self.checkpoint {
            Some(checkpoint) if checkpoint.contains(name) => {
                let stored = checkpoint.shape_of(name).unwrap_or_default();
                if stored != dims {
                    return Err(Error::CheckpointShape {
                        path: name.to_owned(),
                        model: dims.to_vec(),
                        checkpoint: stored,
                    });
                }
                Ok(Some(
                    checkpoint
                        .file_of(name)
                        .map(|f| f.display().to_string())
                        .unwrap_or_default(),
                ))
            }
            Some(_)
                if self.strict
                    && !self.deferred
                    && !self.rules_decide(&TensorInfo::new(name, dims, dtype)) =>
            {
                Err(Error::Strict {
                    problems: vec![format!(
                        "`{name}` {dims:?} is not in the checkpoint and no rule names it"
                    )],
                })
            }
            _ => Ok(None),
        }
    }

    /// Tells the progress callback that a tensor is filled.
    pub(crate) fn progressed(&self, report: &TensorReport) {
        if let Some(f) = &self.progress {
            f(report);
        }
    }

    /// Whether some rule (of whole tensors) decides for the tensor.
    pub(crate) fn rules_decide(&self, tensor: &TensorInfo<'_>) -> bool {
        self.rules
            .iter()
            .any(|r| r.row_indices().is_none() && r.decide(tensor).is_some())
    }

    /// The first rule (of whole tensors) that decides for the tensor (its index and
    /// initializer), counted as a hit.
    pub(crate) fn rule_for(&mut self, tensor: &TensorInfo<'_>) -> Option<(usize, Init)> {
        let (i, init) = self.rules.iter().enumerate().find_map(|(i, r)| {
            if r.row_indices().is_some() {
                return None;
            }
            r.decide(tensor).map(|init| (i, init))
        })?;
        self.rule_hits[i] += 1;
        Some((i, init))
    }

    /// The rules after the first that decide for the tensor too, as the report names what a
    /// tensor's source took precedence over (`rule `*.weight` (zeros)`): the first rule wins,
    /// the others are not silent.
    pub(crate) fn shadowed_rules(&self, tensor: &TensorInfo<'_>) -> Vec<String> {
        self.rules
            .iter()
            .filter(|r| r.row_indices().is_none())
            .filter_map(|r| r.decide(tensor).map(|init| format!("{r} ({init})")))
            .skip(1)
            .collect()
    }

    /// Writes the rows that row rules ([`Rule::rows`]) give record `i`, after its own
    /// initializer, and lists them on its report. Each row's values come from the stream of
    /// `path[row]`.
    pub(crate) fn write_rows(&mut self, i: usize, report: &mut TensorReport) -> Result<()> {
        let (path, dims, region, var) = {
            let r = &self.records[i];
            (r.path.clone(), r.dims.clone(), r.region, r.var.clone())
        };
        let info = TensorInfo::new(&path, &dims, var.dtype());
        for k in 0..self.rules.len() {
            let rule = &self.rules[k];
            let Some(rows) = rule.row_indices() else {
                continue;
            };
            let Some(init) = rule.decide(&info) else {
                continue;
            };
            let rule_text = format!("rule `{}`", rule.pattern());
            let refuse = |why: String| Error::RulePattern {
                pattern: rule.pattern().to_owned(),
                reason: why,
            };
            if region.is_some() {
                return Err(refuse(format!(
                    "`{path}` is this rank's part of a sharded or flat tensor; row rules write whole \
                     tensors only (build it unsharded, or write the rows into the full tensor)"
                )));
            }
            let row_dims = row_shape(&path, &dims, rows).map_err(refuse)?;
            let source = ValueSource::rule(rule);
            for &r in rows {
                let row = Tensor::zeros(row_dims.as_slice(), var.dtype(), var.device())?;
                let mut rng = self.rng.for_path(&format!("{path}[{r}]"));
                init.check(&row)
                    .and_then(|()| init.apply(&row, &mut rng))
                    .map_err(|e| self.init_error(&path, &dims, &source, e))?;
                var.as_tensor().slice_set(&row, 0, r)?;
            }
            self.rule_hits[k] += 1;
            report
                .rows
                .push(format!("rows {rows:?}: {} ({rule_text})", init));
        }
        Ok(())
    }

    /// The initializer of a tensor: the first rule that decides, else the preset. `None`: the
    /// preset waits for a sibling (only when `final_pass` is false).
    pub(crate) fn choose(
        &mut self,
        path: &str,
        dims: &[usize],
        dtype: DType,
        hint: Option<candle_nn::Init>,
        final_pass: bool,
    ) -> Result<Option<(Init, ValueSource)>> {
        if let Some((i, init)) = self.rule_for(&TensorInfo::new(path, dims, dtype)) {
            return Ok(Some((init, ValueSource::rule(&self.rules[i]))));
        }
        let sibling = |p: &str| self.index.get(p).map(|&i| self.records[i].dims.clone());
        let request = Request {
            path,
            dims,
            hint,
            sibling: &sibling,
        };
        let preset = ValueSource::Preset {
            preset: self.preset.to_string(),
        };
        match self.preset.choose(&request, final_pass) {
            Choice::Init(init) => Ok(Some((init, preset))),
            Choice::Wait => Ok(None),
            Choice::Unrecognized(None) => Err(Error::Unrecognized {
                path: path.to_owned(),
                dims: dims.to_vec(),
                preset: self.preset.to_string(),
            }),
            Choice::Unrecognized(_) if self.strict => {
                Err(Error::Strict {
                    problems: vec![format!(
                        "`{path}` {dims:?} (candle hint {hint:?}): no rule names it and preset {} does not recognize it",
                        self.preset
                    )],
                })
            }
            Choice::Unrecognized(Some(init)) => Ok(Some((init, ValueSource::CandleHint))),
        }
    }

    /// The initializer the preset gives record `i` when it recognizes the tensor (after
    /// construction: every sibling is known).
    pub(crate) fn preset_init(&self, i: usize) -> Option<Init> {
        let r = &self.records[i];
        let sibling = |p: &str| self.index.get(p).map(|&i| self.records[i].dims.clone());
        let request = Request {
            path: &r.path,
            dims: &r.dims,
            hint: r.hint,
            sibling: &sibling,
        };
        match self.preset.choose(&request, true) {
            Choice::Init(init) => Some(init),
            Choice::Wait | Choice::Unrecognized(_) => None,
        }
    }

    /// Checks `init` against the full tensor's shape, then writes the variable (the full
    /// tensor, or its `region`) from the stream of `path`.
    pub(crate) fn write(
        &self,
        path: &str,
        var: &Var,
        dims: &[usize],
        region: Option<Region>,
        init: Init,
        source: ValueSource,
    ) -> Result<TensorReport> {
        let tensor = var.as_tensor();
        let at = |e: init_core::InitError| self.init_error(path, dims, &source, e);
        let mut rng = self.rng.for_path(path);
        match region {
            None => {
                init.check(tensor).map_err(at)?;
                init.apply(tensor, &mut rng).map_err(at)?;
            }
            Some(region) => {
                init.validate(dims, tensor.dtype()).map_err(at)?;
                init.apply_region(tensor, dims, region, &mut rng)
                    .map_err(at)?;
            }
        }
        let ruled = matches!(source, ValueSource::Rule { .. });
        let mut report =
            TensorReport::initialized(path.to_owned(), dims, tensor.dtype(), init, source);
        if ruled {
            report.overridden = self.shadowed_rules(&TensorInfo::new(path, dims, tensor.dtype()));
        }
        Ok(report)
    }
}

/// The shape of one row of a tensor of shape `dims` (at `path`), after checking that `rows`
/// are rows of it; the error says why not.
pub(crate) fn row_shape(
    path: &str,
    dims: &[usize],
    rows: &[usize],
) -> std::result::Result<Vec<usize>, String> {
    let Some((&n, rest)) = dims.split_first() else {
        return Err(format!("`{path}` is a scalar: it has no rows"));
    };
    if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
        return Err(format!(
            "row {bad} is past the end of `{path}` {dims:?} (rows 0 to {})",
            n.saturating_sub(1)
        ));
    }
    let mut row_dims = vec![1];
    row_dims.extend_from_slice(rest);
    Ok(row_dims)
}

impl State {
    /// An initializer's refusal, at `path`; when a rule chose it, naming the rule and how to
    /// narrow it.
    pub(crate) fn init_error(
        &self,
        path: &str,
        dims: &[usize],
        source: &ValueSource,
        e: init_core::InitError,
    ) -> Error {
        match source {
            ValueSource::Rule { pattern } => {
                let rule = self
                    .rules
                    .iter()
                    .find(|r| r.pattern() == pattern)
                    .map_or_else(|| format!("rule `{pattern}`"), |r| r.to_string());
                let fix = match e {
                    init_core::InitError::FanRank { .. } => format!(
                        "; narrow the rule to matrices with `.rank(2)` (this tensor has {} \
                         dimension{}) or with a pattern that leaves `{path}` out",
                        dims.len(),
                        if dims.len() == 1 { "" } else { "s" }
                    ),
                    _ => format!("; narrow the rule with a pattern that leaves `{path}` out"),
                };
                Error::RuleInit {
                    rule,
                    path: path.to_owned(),
                    dims: dims.to_vec(),
                    source: Box::new(e),
                    fix,
                }
            }
            _ => Error::Init(e.at_path(path.to_owned())),
        }
    }
}

/// The backend of [`ModelBuilder::build_sharded`](super::ModelBuilder::build_sharded): candle's
/// `Shard { dim, rank, world_size }` hints, with the full shape as the requested shape.
pub struct ShardedInit(pub(crate) Arc<Mutex<State>>);

impl candle_nn::var_builder::Backend for ShardedInit {
    type Hints = candle_nn::var_builder::Shard;

    fn get(
        &self,
        shape: Shape,
        name: &str,
        h: Self::Hints,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let backend = Backend(self.0.clone());
        let mut state = backend.state()?;
        let result = if h.world_size <= 1 {
            Ok(None)
        } else {
            Region::split(shape.dims(), h.dim, h.rank, h.world_size)
                .map(Some)
                .map_err(|e| Error::Init(e.at_path(name.to_owned())))
        }
        .and_then(|region| state.get(shape.dims(), name, None, region, dtype, dev));
        state.keep_error(result)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        candle_nn::var_builder::SimpleBackend::get_unchecked(
            &Backend(self.0.clone()),
            name,
            dtype,
            dev,
        )
    }

    fn contains_tensor(&self, name: &str) -> bool {
        candle_nn::var_builder::SimpleBackend::contains_tensor(&Backend(self.0.clone()), name)
    }
}

/// The backend of [`ModelBuilder::build_flat`](super::ModelBuilder::build_flat): each tensor
/// becomes this rank's flat chunk (a `Var` in the state), and the constructor gets a zero-stride
/// placeholder of the full shape (one element of storage) in its place.
pub(crate) struct FlatInit {
    pub state: Arc<Mutex<State>>,
    pub rank: usize,
    pub world_size: usize,
}

impl FlatInit {
    fn chunk(
        &self,
        dims: &[usize],
        name: &str,
        hint: Option<candle_nn::Init>,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let backend = Backend(self.state.clone());
        let mut state = backend.state()?;
        let result = Region::flat_chunk(dims, self.rank, self.world_size)
            .map_err(|e| Error::Init(e.at_path(name.to_owned())))
            .and_then(|region| state.get(dims, name, hint, Some(region), dtype, dev))
            .and_then(|_| {
                // One placeholder a tensor, however often it is asked for (tied weights).
                let zero = || Tensor::zeros((), dtype, dev)?.broadcast_as(dims);
                let Some(&i) = state.index.get(name) else {
                    return Ok(zero()?);
                };
                let record = &mut state.records[i];
                if record.placeholder.is_none() {
                    record.placeholder = Some(zero()?);
                }
                let placeholder = record.in_model().clone();
                Ok(if placeholder.dtype() == dtype {
                    placeholder
                } else {
                    placeholder.to_dtype(dtype)?
                })
            });
        state.keep_error(result)
    }
}

impl candle_nn::var_builder::SimpleBackend for FlatInit {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        hint: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        self.chunk(shape.dims(), name, Some(hint), dtype, dev)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        let dims = Backend(self.state.clone()).unchecked_dims(name)?;
        self.chunk(&dims, name, Some(candle_nn::Init::Const(0.0)), dtype, dev)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        candle_nn::var_builder::SimpleBackend::contains_tensor(&Backend(self.state.clone()), name)
    }
}
