//! Seed checkpoints: an initialized model written straight to safetensors without holding it
//! ([`ModelBuilder::seed_checkpoint`]).
//!
//! The model is described by its constructor run against zero-stride placeholders of the full
//! shapes (as [`build_flat`](ModelBuilder::build_flat) runs it), so no tensor is allocated
//! while it runs. Each tensor then gets the initializer [`build`](ModelBuilder::build) would
//! give it (checkpoint, rules, `#[init]` attributes, preset, layer default, candle hint, in
//! that order), and is written in flat chunks of a bounded size: each chunk is initialized
//! into a buffer with [`Init::apply_region`] (bit-identical to that part of the full tensor by
//! construction) and handed to a writer thread, which writes it and hands the buffer back for
//! the next chunk. Each file is synced to disk (`fsync`) before it is renamed. Peak memory is
//! three chunks (16 MiB each by default) plus what the constructor computes itself (rotary
//! tables, say), whatever the model's size. `orthogonal`, `sparse`, `eye` and `dirac` mix the
//! whole tensor: a tensor with one of those is computed whole, once.
//!
//! A single file holds the bytes `build` then `built.varmap.save(path)` writes (candle-nn's
//! `VarMap::save`, safetensors' `serialize_to_file`): the same header, the same tensor order
//! (by dtype alignment, then name), the same data. Shards are Hugging Face's layout:
//! `model-00001-of-0000N.safetensors` beside a `model.safetensors.index.json` that names each
//! tensor's file; a model that fits in one shard is written as one `model.safetensors`, as
//! transformers' `save_pretrained` does.
//!
//! ```
//! use candle_core::DType;
//! use init_candle::build::{Checkpoint, ModelBuilder, SeedCheckpoint};
//!
//! # fn main() -> init_candle::Result<()> {
//! let dir = std::env::temp_dir().join(format!("seed-doc-{}", std::process::id()));
//! let model = |vb: candle_nn::VarBuilder| {
//!     Ok((candle_nn::linear(16, 32, vb.pp("up"))?, candle_nn::linear(32, 16, vb.pp("down"))?))
//! };
//! let written = ModelBuilder::new(7).seed_checkpoint(DType::F32, &SeedCheckpoint::new(&dir), model)?;
//! assert_eq!(written.files, [dir.join("model.safetensors")]);
//! assert_eq!(written.bytes, (16 * 32 + 32 + 32 * 16 + 16) * 4);
//! // Loading it back gives the model `build` makes.
//! // SAFETY: the file is not modified while it is mapped.
//! let checkpoint = unsafe { Checkpoint::mmap(&written.files)? };
//! let loaded = ModelBuilder::new(0)
//!     .checkpoint(checkpoint)
//!     .build(DType::F32, &candle_core::Device::Cpu, model)?;
//! let built = ModelBuilder::new(7).build(DType::F32, &candle_core::Device::Cpu, model)?;
//! let (a, b) = (loaded.model.0.weight(), built.model.0.weight());
//! assert_eq!(a.to_vec2::<f32>()?, b.to_vec2::<f32>()?);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::VarBuilder;
use init_core::{Init, Region};

use super::alloc::fresh;
use super::backend::{Backend, Record, State};
use super::rules::TensorInfo;
use super::{constructor_error, lock, BuildReport, ModelBuilder};
use crate::error::{Error, Result};
use crate::module::InitWeights;
use crate::report::{TensorReport, ValueSource};
use crate::traversal::StorageKey;

/// The default size of the chunks a tensor is initialized and written in.
const CHUNK_BYTES: usize = 16 << 20;

/// Where and how [`ModelBuilder::seed_checkpoint`] writes: a directory, optionally shards of a
/// maximum size, optionally one rank's flat chunks.
///
/// ```
/// use init_candle::build::SeedCheckpoint;
///
/// let out = SeedCheckpoint::new("out/llama-7b").shard_size(5_000_000_000);
/// assert_eq!(out.dir(), std::path::Path::new("out/llama-7b"));
/// ```
#[derive(Clone)]
pub struct SeedCheckpoint {
    dir: PathBuf,
    shard_size: Option<u64>,
    flat: Option<(usize, usize)>,
    chunk_bytes: usize,
    progress: Option<SeedProgressFn>,
}

impl std::fmt::Debug for SeedCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedCheckpoint")
            .field("dir", &self.dir)
            .field("shard_size", &self.shard_size)
            .field("flat", &self.flat)
            .field("chunk_bytes", &self.chunk_bytes)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// The callback of [`SeedCheckpoint::on_progress`].
type SeedProgressFn = Arc<dyn Fn(SeedProgress<'_>) + Send + Sync>;

/// How far [`ModelBuilder::seed_checkpoint`] is, after each chunk it has handed to the writer
/// ([`SeedCheckpoint::on_progress`] has an example).
#[derive(Clone, Copy, Debug)]
pub struct SeedProgress<'a> {
    /// The tensor being written.
    pub tensor: &'a str,
    /// Tensor data bytes produced so far, all files together.
    pub bytes: u64,
    /// Tensor data bytes of all files.
    pub total: u64,
}

impl SeedCheckpoint {
    /// One `model.safetensors` in `dir` (created if missing).
    ///
    /// ```
    /// use init_candle::build::SeedCheckpoint;
    ///
    /// let out = SeedCheckpoint::new("out");
    /// assert_eq!(out.dir(), std::path::Path::new("out"));
    /// ```
    pub fn new(dir: impl Into<PathBuf>) -> SeedCheckpoint {
        SeedCheckpoint {
            dir: dir.into(),
            shard_size: None,
            flat: None,
            chunk_bytes: CHUNK_BYTES,
            progress: None,
        }
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Shards of at most `bytes` of tensor data each (a tensor larger than that gets a shard of
    /// its own), as transformers' `save_pretrained(max_shard_size=..)`: tensors are placed in
    /// file order (by dtype alignment, then name), a new shard starting when the next tensor
    /// would not fit. More than one shard: `model-00001-of-0000N.safetensors` and
    /// `model.safetensors.index.json`.
    ///
    /// ```
    /// use candle_core::DType;
    /// use init_candle::build::{ModelBuilder, SeedCheckpoint};
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// let dir = std::env::temp_dir().join(format!("seed-shards-{}", std::process::id()));
    /// let out = SeedCheckpoint::new(&dir).shard_size(4096);
    /// let written = ModelBuilder::new(0).seed_checkpoint(DType::F32, &out, |vb| {
    ///     let a = candle_nn::linear_no_bias(32, 32, vb.pp("a"))?;
    ///     Ok((a, candle_nn::linear_no_bias(32, 32, vb.pp("b"))?))
    /// })?;
    /// assert_eq!(written.files.len(), 2); // each 32 x 32 f32 weight is 4096 bytes
    /// assert_eq!(written.index, Some(dir.join("model.safetensors.index.json")));
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok(())
    /// # }
    /// ```
    pub fn shard_size(mut self, bytes: u64) -> SeedCheckpoint {
        self.shard_size = Some(bytes);
        self
    }

    /// Only rank `rank`'s flat chunk of each tensor ([`Region::flat_chunk`] of `world_size`, as
    /// [`build_flat`](ModelBuilder::build_flat) holds it), as a 1-D tensor of the same name, in
    /// one file `model-rank-0000R-of-0000W.safetensors`: bit-identical to that slice of the
    /// full file's tensor. Not combined with [`shard_size`](Self::shard_size).
    ///
    /// ```
    /// use candle_core::DType;
    /// use init_candle::build::{ModelBuilder, SeedCheckpoint};
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// let dir = std::env::temp_dir().join(format!("seed-flat-{}", std::process::id()));
    /// let out = SeedCheckpoint::new(&dir).flat_rank(1, 4);
    /// let written = ModelBuilder::new(0).seed_checkpoint(DType::F32, &out, |vb| {
    ///     candle_nn::linear_no_bias(5, 2, vb.pp("fc")) // 10 elements: 3 a rank
    /// })?;
    /// assert_eq!(written.files, [dir.join("model-rank-00001-of-00004.safetensors")]);
    /// assert_eq!(written.bytes, 3 * 4);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok(())
    /// # }
    /// ```
    pub fn flat_rank(mut self, rank: usize, world_size: usize) -> SeedCheckpoint {
        self.flat = Some((rank, world_size));
        self
    }

    /// Calls `f` after each chunk (16 MiB) is produced, with the bytes produced and the total
    /// (a progress bar).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use candle_core::DType;
    /// use init_candle::build::{ModelBuilder, SeedCheckpoint};
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// let dir = std::env::temp_dir().join(format!("seed-progress-{}", std::process::id()));
    /// let seen = Arc::new(AtomicU64::new(0));
    /// let out = SeedCheckpoint::new(&dir).on_progress({
    ///     let seen = seen.clone();
    ///     move |p| seen.store(p.bytes * 100 / p.total, Ordering::Relaxed)
    /// });
    /// ModelBuilder::new(0).seed_checkpoint(DType::F32, &out, |vb| candle_nn::linear(8, 8, vb))?;
    /// assert_eq!(seen.load(Ordering::Relaxed), 100);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_progress(mut self, f: impl Fn(SeedProgress<'_>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// The size of the chunks each tensor is initialized and written in (16 MiB by default;
    /// at least one element). Tests use small ones.
    #[doc(hidden)]
    pub fn chunk_bytes(mut self, bytes: usize) -> SeedCheckpoint {
        self.chunk_bytes = bytes;
        self
    }
}

/// What [`ModelBuilder::seed_checkpoint`] wrote.
///
/// ```
/// use candle_core::DType;
/// use init_candle::build::{ModelBuilder, SeedCheckpoint};
///
/// # fn main() -> init_candle::Result<()> {
/// let dir = std::env::temp_dir().join(format!("seed-report-{}", std::process::id()));
/// let written = ModelBuilder::new(0)
///     .seed_checkpoint(DType::BF16, &SeedCheckpoint::new(&dir), |vb| candle_nn::linear(4, 2, vb.pp("fc")))?;
/// assert_eq!(written.bytes, (4 * 2 + 2) * 2);
/// assert_eq!(written.report.tensors[0].path, "fc.weight");
/// assert!(written.index.is_none());
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SeedReport {
    /// What each tensor got, and from where (as [`build`](ModelBuilder::build) reports it).
    pub report: BuildReport,
    /// The safetensors files, in order.
    pub files: Vec<PathBuf>,
    /// `model.safetensors.index.json`, when there is more than one shard.
    pub index: Option<PathBuf>,
    /// Tensor data bytes written (headers not counted): the index's `total_size`.
    pub bytes: u64,
}

impl ModelBuilder {
    /// Writes the model `constructor` builds, initialized as [`build`](Self::build) with this
    /// builder initializes it, to safetensors in `out`'s directory, on the CPU, without
    /// holding it. The constructor runs against zero-stride placeholders of the full shapes
    /// (as in [`build_flat`](Self::build_flat)); then each tensor is initialized in flat
    /// chunks ([`Init::apply_region`], bit-identical to the full tensor's) that are written as
    /// they are made, so peak memory is three chunks of 16 MiB whatever the model's size.
    /// `orthogonal`, `sparse`, `eye` and `dirac` mix the whole tensor: a tensor with one of
    /// them is computed whole, once. Tensors the builder's checkpoint holds are copied from it,
    /// chunk by chunk. A single file's bytes equal those of `build` then
    /// `built.varmap.save(..)`. Each file is written under a temporary name, synced to disk
    /// (`fsync`), then renamed.
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use init_candle::build::{ModelBuilder, Opaque, SeedCheckpoint};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join(format!("seed-method-{}", std::process::id()));
    /// let builder = ModelBuilder::new(3);
    /// let model = |vb: candle_nn::VarBuilder| Ok(Opaque(candle_nn::embedding(100, 8, vb.pp("wte"))?));
    /// builder.seed_checkpoint(DType::BF16, &SeedCheckpoint::new(&dir), model)?;
    /// let saved = dir.join("saved.safetensors");
    /// builder.build(DType::BF16, &Device::Cpu, model)?.varmap.save(&saved)?;
    /// assert_eq!(std::fs::read(dir.join("model.safetensors"))?, std::fs::read(&saved)?);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`build`](Self::build) (nothing is written then); [`Error::SeedCheckpoint`] for a
    /// shard size of 0, a flat rank outside its world or with shards; [`Error::Write`] naming
    /// the file when the directory or a file cannot be written.
    pub fn seed_checkpoint<M: InitWeights>(
        &self,
        dtype: DType,
        out: &SeedCheckpoint,
        constructor: impl FnOnce(VarBuilder<'_>) -> candle_core::Result<M>,
    ) -> Result<SeedReport> {
        if out.shard_size == Some(0) {
            return Err(Error::SeedCheckpoint {
                message: "a shard size of 0 bytes; give one of at least a tensor's size".into(),
            });
        }
        if let Some((rank, world_size)) = out.flat {
            if out.shard_size.is_some() {
                return Err(Error::SeedCheckpoint {
                    message: "a flat rank's file is not sharded; leave `shard_size` unset".into(),
                });
            }
            Region::flat_chunk(&[], rank, world_size)?;
        }
        let reads_modules = M::builder_reads_modules();
        let state = self.state(reads_modules)?;
        let vb = VarBuilder::from_backend(Box::new(Describe(state.clone())), dtype, Device::Cpu);
        let placeholders = constructor(vb).map_err(|err| constructor_error(&state, err))?;
        let mut guard = lock(&state)?;
        let mut decided: HashMap<usize, Decision> = HashMap::new();
        if reads_modules {
            self.decide_from_plan(&mut guard, &placeholders, &mut decided)?;
        }
        drop(placeholders);
        let state = &mut *guard;
        let mut tensors = Vec::with_capacity(state.records.len());
        let mut items = Vec::with_capacity(state.records.len());
        for i in 0..state.records.len() {
            let (report, what) = decide(state, i, decided.remove(&i))?;
            let record = &state.records[i];
            let (start, len) = match out.flat {
                Some((rank, world_size)) => {
                    match Region::flat_chunk(&record.dims, rank, world_size)? {
                        Region::Flat { start, len } => (start, len),
                        Region::Narrow { .. } => (0, record.dims.iter().product()),
                    }
                }
                None => (0, record.dims.iter().product()),
            };
            items.push(Item {
                record: i,
                dtype: record.var.dtype(),
                start,
                len,
                what,
            });
            tensors.push(report);
        }
        let built = self.finish(state, (), tensors)?;
        let report = built.report;
        let files = layout(&items, &state.records, out)?;
        std::fs::create_dir_all(&out.dir).map_err(|e| write_error(&out.dir, e))?;
        let written = write_files(state, &items, &files, &report, out)?;
        let bytes = files.iter().map(|f| f.data_bytes).sum();
        let index = if files.len() > 1 {
            Some(write_index(
                &out.dir,
                &files,
                &items,
                &state.records,
                bytes,
            )?)
        } else {
            // An index left by an earlier sharded write would name files of another model.
            let stale = out.dir.join("model.safetensors.index.json");
            if out.flat.is_none() && stale.exists() {
                std::fs::remove_file(&stale).map_err(|e| write_error(&stale, e))?;
            }
            None
        };
        Ok(SeedReport {
            report,
            files: written,
            index,
            bytes,
        })
    }

    /// The module's plan (its `#[init]` attributes and layer defaults under the rules), as
    /// `build` executes it: each planned record's initializer, the path of its stream and its
    /// padding rows. Nothing is written.
    fn decide_from_plan(
        &self,
        state: &mut State,
        model: &dyn InitWeights,
        decided: &mut HashMap<usize, Decision>,
    ) -> Result<()> {
        let plan = self.module_plan(state, model)?;
        plan.validate()?;
        let record_of = state.record_of_model();
        for entry in plan.entries() {
            let Some(&i) = record_of.get(&StorageKey::of(&entry.tensor)) else {
                continue;
            };
            if state.records[i].report.is_some() || decided.contains_key(&i) {
                continue; // loaded, or tied: written under its first path
            }
            let r = &state.records[i];
            let mut report = TensorReport::initialized(
                r.path.clone(),
                &r.dims,
                r.var.dtype(),
                entry.init.clone(),
                entry.source.clone(),
            );
            report.overridden = entry.overridden.clone();
            let padding = match &entry.rows {
                Some((rows, field)) => {
                    report
                        .rows
                        .push(format!("rows {rows:?}: zeros (padding_idx on `{field}`)"));
                    rows.clone()
                }
                None => Vec::new(),
            };
            decided.insert(
                i,
                Decision {
                    report,
                    init: entry.init.clone(),
                    stream: entry.path.clone(),
                    padding,
                },
            );
        }
        Ok(())
    }
}

/// An initializer chosen for a record, not yet written.
struct Decision {
    report: TensorReport,
    init: Init,
    /// The path whose random stream writes it.
    stream: String,
    /// Rows zeroed after it (`padding_idx`).
    padding: Vec<usize>,
}

/// How a tensor's values are made.
enum What {
    /// Copied from the builder's checkpoint.
    Load,
    /// Written by an initializer, then its padding rows and row rules.
    Write {
        init: Init,
        stream: String,
        padding: Vec<usize>,
        rows: Vec<(Vec<usize>, Init)>,
    },
}

/// One tensor of the output: its record, and the flat elements `start..start + len` of it that
/// are written.
struct Item {
    record: usize,
    dtype: DType,
    start: usize,
    len: usize,
    what: What,
}

/// Record `i`'s report and how its values are made: loaded, decided when it was requested,
/// decided by the module's plan, or decided now (the preset's final pass, as `build` ends).
/// Row rules are checked here, before anything is written.
fn decide(state: &mut State, i: usize, planned: Option<Decision>) -> Result<(TensorReport, What)> {
    let (path, dims, hint, dtype) = {
        let r = &state.records[i];
        (r.path.clone(), r.dims.clone(), r.hint, r.var.dtype())
    };
    let decision = match (state.records[i].report.clone(), planned) {
        (Some(report), _) => match report.init.clone() {
            None => return Ok((report, What::Load)),
            Some(init) => Decision {
                report,
                init,
                stream: path.clone(),
                padding: Vec::new(),
            },
        },
        (None, Some(decision)) => decision,
        (None, None) => {
            let (init, source) =
                state
                    .choose(&path, &dims, dtype, hint, true)?
                    .ok_or_else(|| Error::Unrecognized {
                        path: path.clone(),
                        dims: dims.clone(),
                        preset: state.preset.to_string(),
                    })?;
            let report = decided_report(state, &path, &dims, dtype, init.clone(), source)?;
            Decision {
                report,
                init,
                stream: path.clone(),
                padding: Vec::new(),
            }
        }
    };
    let mut report = decision.report;
    let rows = row_rules(state, &path, &dims, dtype, &mut report)?;
    Ok((
        report,
        What::Write {
            init: decision.init,
            stream: decision.stream,
            padding: decision.padding,
            rows,
        },
    ))
}

/// The report of `init` chosen for a tensor by a rule or the preset (checked against the
/// tensor's shape and dtype), as `State::write` reports it.
fn decided_report(
    state: &State,
    path: &str,
    dims: &[usize],
    dtype: DType,
    init: Init,
    source: ValueSource,
) -> Result<TensorReport> {
    init.validate(dims, dtype)
        .map_err(|e| state.init_error(path, dims, &source, e))?;
    let ruled = matches!(source, ValueSource::Rule { .. });
    let mut report = TensorReport::initialized(path.to_owned(), dims, dtype, init, source);
    if ruled {
        report.overridden = state.shadowed_rules(&TensorInfo::new(path, dims, dtype));
    }
    Ok(report)
}

/// The rows row rules ([`Rule::rows`](super::Rule::rows)) write over a tensor, in rule order,
/// checked as `State::write_rows` checks them, listed on its report and counted as hits.
fn row_rules(
    state: &mut State,
    path: &str,
    dims: &[usize],
    dtype: DType,
    report: &mut TensorReport,
) -> Result<Vec<(Vec<usize>, Init)>> {
    let info = TensorInfo::new(path, dims, dtype);
    let mut out = Vec::new();
    for k in 0..state.rules.len() {
        let rule = &state.rules[k];
        let Some(rows) = rule.row_indices() else {
            continue;
        };
        let Some(init) = rule.decide(&info) else {
            continue;
        };
        let refuse = |why: String| Error::RulePattern {
            pattern: rule.pattern().to_owned(),
            reason: why,
        };
        let row_dims = super::backend::row_shape(path, dims, rows).map_err(refuse)?;
        let source = ValueSource::rule(rule);
        init.validate(&row_dims, dtype)
            .map_err(|e| state.init_error(path, dims, &source, e))?;
        report
            .rows
            .push(format!("rows {rows:?}: {init} (rule `{}`)", rule.pattern()));
        out.push((rows.to_vec(), init));
        state.rule_hits[k] += 1;
    }
    Ok(out)
}

/// One output file: its name, its tensors (indices into the items, in file order), its
/// header, and its tensor data bytes.
struct FileLayout {
    path: PathBuf,
    items: Vec<usize>,
    header: Vec<u8>,
    data_bytes: u64,
}

/// The files and the order of the tensors in them: sorted as safetensors' `serialize` sorts
/// them (dtype alignment, descending, then name), then cut into shards.
fn layout(items: &[Item], records: &[Record], out: &SeedCheckpoint) -> Result<Vec<FileLayout>> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        st_dtype(items[b].dtype)
            .cmp(&st_dtype(items[a].dtype))
            .then_with(|| {
                records[items[a].record]
                    .path
                    .cmp(&records[items[b].record].path)
            })
    });
    let size = |i: usize| (items[i].len * items[i].dtype.size_in_bytes()) as u64;
    let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
    let mut filled = 0u64;
    for i in order {
        if let (Some(max), Some(last)) = (out.shard_size, groups.last()) {
            if !last.is_empty() && filled + size(i) > max {
                groups.push(Vec::new());
                filled = 0;
            }
        }
        filled += size(i);
        if let Some(last) = groups.last_mut() {
            last.push(i);
        }
    }
    let n = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(k, group)| {
            let name = match (out.flat, n) {
                (Some((rank, world_size)), _) => {
                    format!("model-rank-{rank:05}-of-{world_size:05}.safetensors")
                }
                (None, 1) => "model.safetensors".to_owned(),
                (None, _) => format!("model-{:05}-of-{n:05}.safetensors", k + 1),
            };
            let path = out.dir.join(name);
            let (header, data_bytes) =
                header(&group, items, records).map_err(|e| Error::SeedCheckpoint {
                    message: format!("{}: the safetensors header: {e}", path.display()),
                })?;
            Ok(FileLayout {
                path,
                items: group,
                header,
                data_bytes,
            })
        })
        .collect()
}

/// safetensors' dtype of a candle dtype.
fn st_dtype(dtype: DType) -> safetensors::Dtype {
    dtype.into()
}

/// The header safetensors' `serialize_to_file` writes for these tensors (in this order): its
/// JSON, padded with spaces to a multiple of 8 bytes; and the data's size.
fn header(
    group: &[usize],
    items: &[Item],
    records: &[Record],
) -> std::result::Result<(Vec<u8>, u64), safetensors::SafeTensorError> {
    let mut offset = 0usize;
    let mut infos = Vec::with_capacity(group.len());
    for &i in group {
        let item = &items[i];
        let n = item.len * item.dtype.size_in_bytes();
        let shape = if is_whole(item, records) {
            records[item.record].dims.clone()
        } else {
            vec![item.len]
        };
        infos.push((
            records[item.record].path.clone(),
            safetensors::tensor::TensorInfo {
                dtype: st_dtype(item.dtype),
                shape,
                data_offsets: (offset, offset + n),
            },
        ));
        offset += n;
    }
    let metadata = safetensors::tensor::Metadata::new(None, infos)?;
    let mut bytes = serde_json::to_string(&metadata)
        .map_err(safetensors::SafeTensorError::JsonError)?
        .into_bytes();
    bytes.resize(bytes.len().next_multiple_of(8), b' ');
    Ok((bytes, offset as u64))
}

/// Whether the item is the whole tensor (not a flat rank's chunk).
fn is_whole(item: &Item, records: &[Record]) -> bool {
    item.start == 0 && item.len == records[item.record].dims.iter().product::<usize>()
}

/// What the writer thread is sent.
enum Message {
    /// Start a file: its path and header.
    Begin(PathBuf, Vec<u8>),
    /// The next chunk of data (a contiguous CPU tensor), and the buffer it lies in, to hand
    /// back once written (`None`: not reused).
    Chunk(Tensor, Option<Tensor>),
    /// Flush, sync and rename the file.
    End,
}

/// How many chunk buffers are in flight at most: one being initialized, one queued, one being
/// written.
const BUFFERS: usize = 3;

/// Initializes each file's tensors chunk by chunk and hands the chunks to a writer thread.
fn write_files(
    state: &State,
    items: &[Item],
    files: &[FileLayout],
    report: &BuildReport,
    out: &SeedCheckpoint,
) -> Result<Vec<PathBuf>> {
    let (send, receive) = mpsc::sync_channel::<Message>(1);
    let (give_back, reuse) = mpsc::channel::<Tensor>();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || writer(receive, give_back));
        let mut buffers = Buffers {
            reuse,
            made: 0,
            elements: 0,
        };
        let produced = produce(state, items, files, report, out, &send, &mut buffers);
        drop(send);
        let written = writer.join().map_err(|_| Error::SeedCheckpoint {
            message: "the writer thread panicked".into(),
        })?;
        // The writer's error explains a failed send; otherwise the producer's.
        written.and(produced)
    })?;
    Ok(files.iter().map(|f| f.path.clone()).collect())
}

/// The chunk buffers, reused: each is allocated once (its pages touched once), filled, written
/// and handed back by the writer. (A fresh allocation per chunk cost a page fault per 4 KB
/// page and an unmap per chunk: 3 million faults for a 7B model.)
struct Buffers {
    reuse: mpsc::Receiver<Tensor>,
    made: usize,
    /// The elements of each buffer.
    elements: usize,
}

impl Buffers {
    /// A buffer of `elements` elements of `dtype`: one handed back, or a new one while fewer
    /// than [`BUFFERS`] exist. Buffers of another dtype or size are dropped.
    fn take(&mut self, dtype: DType, elements: usize) -> Result<Tensor> {
        if self.elements != elements {
            self.elements = elements;
            self.made = 0; // the old ones are dropped as they come back
        }
        loop {
            let back = if self.made < BUFFERS {
                match self.reuse.try_recv() {
                    Ok(t) => Some(t),
                    Err(_) => {
                        self.made += 1;
                        return Ok(fresh(&[elements], dtype, &Device::Cpu)?.into_inner());
                    }
                }
            } else {
                self.reuse.recv().ok()
            };
            let Some(buffer) = back else {
                return Err(Error::SeedCheckpoint {
                    message: "the writer stopped".into(),
                });
            };
            if buffer.dtype() == dtype && buffer.elem_count() == elements {
                return Ok(buffer);
            }
            // A buffer of an earlier dtype or size: dropped; a new one may be made.
            self.made = self.made.saturating_sub(1);
        }
    }
}

/// The producer: each file's header, then each tensor's chunks, initialized in order.
fn produce(
    state: &State,
    items: &[Item],
    files: &[FileLayout],
    report: &BuildReport,
    out: &SeedCheckpoint,
    send: &mpsc::SyncSender<Message>,
    buffers: &mut Buffers,
) -> Result<()> {
    let closed = || Error::SeedCheckpoint {
        message: "the writer stopped".into(),
    };
    let total: u64 = files.iter().map(|f| f.data_bytes).sum();
    let mut produced = 0u64;
    for file in files {
        send.send(Message::Begin(file.path.clone(), file.header.clone()))
            .map_err(|_| closed())?;
        for &i in &file.items {
            let item = &items[i];
            let record = &state.records[item.record];
            let per_chunk = (out.chunk_bytes / item.dtype.size_in_bytes()).max(1);
            let chunk = match &item.what {
                // A structured initializer computes the whole tensor for any region: once.
                What::Write { init, .. } if init.is_structured() => item.len.max(1),
                _ => per_chunk,
            };
            let mut at = item.start;
            let end = item.start + item.len;
            while at < end {
                let len = chunk.min(end - at);
                let region = Region::Flat { start: at, len };
                let message = match &item.what {
                    What::Write { init, .. } if !init.is_structured() => {
                        let buffer = buffers.take(item.dtype, per_chunk)?;
                        let part = if len == per_chunk {
                            buffer.clone()
                        } else {
                            buffer.narrow(0, 0, len)?
                        };
                        write_chunk(state, record, &item.what, region, &part)?;
                        Message::Chunk(part, Some(buffer))
                    }
                    _ => {
                        let part = fresh(&[len], item.dtype, &Device::Cpu)?.into_inner();
                        match &item.what {
                            What::Load => load_chunk(state, record, region, &part)?,
                            What::Write { .. } => {
                                write_chunk(state, record, &item.what, region, &part)?
                            }
                        }
                        Message::Chunk(part, None)
                    }
                };
                send.send(message).map_err(|_| closed())?;
                at += len;
                produced += (len * item.dtype.size_in_bytes()) as u64;
                if let Some(f) = &out.progress {
                    f(SeedProgress {
                        tensor: &record.path,
                        bytes: produced,
                        total,
                    });
                }
            }
            if let Some(t) = report.tensors.get(item.record) {
                state.progressed(t);
            }
        }
        send.send(Message::End).map_err(|_| closed())?;
    }
    Ok(())
}

/// Copies the flat `region` of a tensor the builder's checkpoint holds into `part`.
fn load_chunk(state: &State, record: &Record, region: Region, part: &Tensor) -> Result<()> {
    let (path, dims) = (record.path.as_str(), record.dims.as_slice());
    let Some(checkpoint) = &state.checkpoint else {
        return Err(Error::SeedCheckpoint {
            message: format!("{path}: loaded, but the builder has no checkpoint"),
        });
    };
    let loaded = checkpoint.load_region_var(path, dims, region, part.dtype(), &Device::Cpu)?;
    part.slice_set(loaded.as_tensor(), 0, 0)?;
    Ok(())
}

/// Writes the flat `region` of a record's tensor into `part` (contiguous, of the region's
/// length), as the full build writes it there: the initializer, then padding rows, then row
/// rules (each row from the stream of `path[row]`).
fn write_chunk(
    state: &State,
    record: &Record,
    what: &What,
    region: Region,
    part: &Tensor,
) -> Result<()> {
    let (path, dims) = (record.path.as_str(), record.dims.as_slice());
    let (
        Region::Flat { start, len },
        What::Write {
            init,
            stream,
            padding,
            rows,
        },
    ) = (region, what)
    else {
        return Err(Error::SeedCheckpoint {
            message: format!("{path}: only flat regions of initialized tensors are written"),
        });
    };
    let mut rng = state.rng.for_path(stream);
    init.apply_region(part, dims, region, &mut rng)
        .map_err(|e| Error::Init(e.at_path(stream.clone())))?;
    let row_len: usize = dims.iter().skip(1).product();
    let mut row_dims = vec![1];
    row_dims.extend(dims.iter().skip(1));
    // The part of row `r` inside the chunk: (from, to) of the row, and its intersection.
    let overlap = |r: usize| {
        let (from, to) = (r * row_len, (r + 1) * row_len);
        let (lo, hi) = (from.max(start), to.min(start + len));
        (lo < hi).then_some((from, lo, hi))
    };
    for &r in padding {
        if let Some((_, lo, hi)) = overlap(r) {
            let zeros = Tensor::zeros(hi - lo, part.dtype(), part.device())?;
            part.slice_set(&zeros, 0, lo - start)?;
        }
    }
    for (indices, init) in rows {
        for &r in indices {
            let Some((from, lo, hi)) = overlap(r) else {
                continue;
            };
            let row = Tensor::zeros(row_dims.as_slice(), part.dtype(), &Device::Cpu)?;
            let mut rng = state.rng.for_path(&format!("{path}[{r}]"));
            init.apply(&row, &mut rng)
                .map_err(|e| Error::Init(e.at_path(path.to_owned())))?;
            let piece = row.flatten_all()?.narrow(0, lo - from, hi - lo)?;
            part.slice_set(&piece, 0, lo - start)?;
        }
    }
    Ok(())
}

/// The writer thread: writes each file under a temporary name, syncs it, renames it; hands
/// each chunk's buffer back once written.
fn writer(receive: mpsc::Receiver<Message>, give_back: mpsc::Sender<Tensor>) -> Result<()> {
    let mut current: Option<(PathBuf, PathBuf, std::io::BufWriter<std::fs::File>)> = None;
    for message in receive {
        match message {
            Message::Begin(path, header) => {
                let temp = path.with_extension("safetensors.partial");
                let file = std::fs::File::create(&temp).map_err(|e| write_error(&temp, e))?;
                let mut out = std::io::BufWriter::with_capacity(8 << 20, file);
                out.write_all(&(header.len() as u64).to_le_bytes())
                    .and_then(|()| out.write_all(&header))
                    .map_err(|e| write_error(&temp, e))?;
                current = Some((path, temp, out));
            }
            Message::Chunk(tensor, buffer) => {
                if let Some((_, temp, out)) = current.as_mut() {
                    write_data(out, &tensor).map_err(|e| write_error(temp, e))?;
                }
                drop(tensor);
                if let Some(buffer) = buffer {
                    // The producer may have finished: nobody to take it back then.
                    let _ = give_back.send(buffer);
                }
            }
            Message::End => {
                let Some((path, temp, out)) = current.take() else {
                    continue;
                };
                let file = out
                    .into_inner()
                    .map_err(|e| write_error(&temp, e.into_error()))?;
                file.sync_all().map_err(|e| write_error(&temp, e))?;
                std::fs::rename(&temp, &path).map_err(|e| write_error(&path, e))?;
            }
        }
    }
    // The producer stopped inside a file (an initializer's error): no partial file is left.
    if let Some((_, temp, out)) = current {
        drop(out);
        std::fs::remove_file(&temp).map_err(|e| write_error(&temp, e))?;
    }
    Ok(())
}

/// A contiguous CPU tensor's little-endian bytes, written.
fn write_data(out: &mut impl Write, tensor: &Tensor) -> std::io::Result<()> {
    use candle_core::{CpuStorage, Storage};
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let (storage, layout) = tensor.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else {
        return Err(invalid("a chunk is not on the CPU"));
    };
    let Some((a, b)) = layout.contiguous_offsets() else {
        return Err(invalid("a chunk is not contiguous"));
    };
    match cpu {
        CpuStorage::F32(v) => write_le(out, &v[a..b]),
        CpuStorage::F64(v) => write_le(out, &v[a..b]),
        CpuStorage::BF16(v) => write_le(out, &v[a..b]),
        CpuStorage::F16(v) => write_le(out, &v[a..b]),
        CpuStorage::U8(v) => out.write_all(&v[a..b]),
        CpuStorage::U32(v) => write_le(out, &v[a..b]),
        CpuStorage::I64(v) => write_le(out, &v[a..b]),
        _ => Err(invalid("a dtype seed checkpoints do not write")),
    }
}

/// Plain numbers: no padding, every bit pattern a valid `u8` sequence.
trait Plain: Copy {
    fn to_le(self, out: &mut Vec<u8>);
}

macro_rules! plain {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            fn to_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
plain!(f32, f64, half::bf16, half::f16, u32, i64);

/// `values`' little-endian bytes, written: the memory itself on a little-endian machine.
fn write_le<T: Plain>(out: &mut impl Write, values: &[T]) -> std::io::Result<()> {
    if cfg!(target_endian = "little") {
        // SAFETY: `T` is one of the `Plain` number types (no padding bytes, so every byte of
        // the slice is initialized); `u8` has alignment 1 and the length is the slice's size
        // in bytes, so the byte slice covers exactly the same live, borrowed memory.
        let bytes = unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
        };
        out.write_all(bytes)
    } else {
        let mut bytes = Vec::with_capacity(std::mem::size_of_val(values));
        for &v in values {
            v.to_le(&mut bytes);
        }
        out.write_all(&bytes)
    }
}

/// `model.safetensors.index.json`: the total data size and each tensor's file.
fn write_index(
    dir: &Path,
    files: &[FileLayout],
    items: &[Item],
    records: &[Record],
    total: u64,
) -> Result<PathBuf> {
    let mut weight_map = BTreeMap::new();
    for file in files {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for &i in &file.items {
            weight_map.insert(records[items[i].record].path.clone(), name.clone());
        }
    }
    let index = serde_json::json!({
        "metadata": { "total_size": total },
        "weight_map": weight_map,
    });
    let path = dir.join("model.safetensors.index.json");
    let text = serde_json::to_string_pretty(&index).map_err(|e| Error::SeedCheckpoint {
        message: format!("{}: {e}", path.display()),
    })?;
    std::fs::write(&path, text + "\n").map_err(|e| write_error(&path, e))?;
    Ok(path)
}

fn write_error(path: &Path, e: std::io::Error) -> Error {
    Error::Write {
        file: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The `VarBuilder` backend that describes a model: each request is recorded (path, full
/// shape, hint, what the checkpoint holds, the rule or preset that decides now) and answered
/// with a zero-stride placeholder of the full shape; nothing is allocated or written.
struct Describe(Arc<Mutex<State>>);

impl Describe {
    fn request(
        &self,
        dims: &[usize],
        name: &str,
        hint: Option<candle_nn::Init>,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let mut state = self
            .0
            .lock()
            .map_err(|_| candle_core::Error::Msg("init-candle: builder state poisoned".into()))?;
        let result = describe(&mut state, dims, name, hint, dtype, dev);
        state.keep_error(result)
    }
}

/// Records a request as `State::get` would make it, without a tensor: the same checks and the
/// same decisions, at the same moment.
fn describe(
    state: &mut State,
    dims: &[usize],
    name: &str,
    hint: Option<candle_nn::Init>,
    dtype: DType,
    dev: &Device,
) -> Result<Tensor> {
    if let Some(&i) = state.index.get(name) {
        let record = &state.records[i];
        if record.dims != dims {
            return Err(Error::TiedShape {
                path: name.to_owned(),
                first: record.dims.clone(),
                again: dims.to_vec(),
            });
        }
        let t = record.in_model().clone();
        return Ok(if t.dtype() == dtype {
            t
        } else {
            t.to_dtype(dtype)?
        });
    }
    let loaded = state
        .checkpoint_file(name, dims, dtype)?
        .map(|file| TensorReport::loaded(name.to_owned(), dims, dtype, file));
    let report = match loaded {
        Some(report) => Some(report),
        None if state.deferred => None,
        None => match state.choose(name, dims, dtype, hint, false)? {
            Some((init, source)) => Some(decided_report(state, name, dims, dtype, init, source)?),
            None => None,
        },
    };
    let placeholder = Tensor::zeros((), dtype, dev)?.broadcast_as(Shape::from(dims.to_vec()))?;
    let i = state.records.len();
    state.index.insert(name.to_owned(), i);
    state.records.push(Record {
        path: name.to_owned(),
        dims: dims.to_vec(),
        hint,
        region: None,
        // No storage: the record stands for a tensor written later, chunk by chunk.
        var: Var::zeros(0, dtype, &Device::Cpu)?,
        report,
        placeholder: Some(placeholder.clone()),
    });
    Ok(placeholder)
}

impl candle_nn::var_builder::SimpleBackend for Describe {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        hint: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        self.request(shape.dims(), name, Some(hint), dtype, dev)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        let dims = Backend(self.0.clone()).unchecked_dims(name)?;
        self.request(&dims, name, Some(candle_nn::Init::Const(0.0)), dtype, dev)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        candle_nn::var_builder::SimpleBackend::contains_tensor(&Backend(self.0.clone()), name)
    }
}
