//! [`Checkpoint`]: memory-mapped safetensors files a [`ModelBuilder`](super::ModelBuilder)
//! loads tensors from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use candle_core::safetensors::MmapedSafetensors;
use candle_core::{DType, Device, Tensor, Var};
use init_core::Region;

use super::alloc::ZeroedVec;
use crate::error::{Error, Result};

/// One or several safetensors files, memory-mapped, or a Hugging Face
/// `model.safetensors.index.json` (its files are the ones its `weight_map` names, beside it).
pub struct Checkpoint {
    files: Vec<(PathBuf, MmapedSafetensors)>,
    /// Tensor name -> index in `files`.
    routing: BTreeMap<String, usize>,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field(
                "files",
                &self.files.iter().map(|f| &f.0).collect::<Vec<_>>(),
            )
            .field("tensors", &self.routing.len())
            .finish()
    }
}

impl Checkpoint {
    /// Maps `paths`: `.safetensors` files, or one `*.index.json`.
    ///
    /// # Safety
    /// The files are memory-mapped (as candle's `VarBuilder::from_mmaped_safetensors` does):
    /// they must not be modified or truncated while the `Checkpoint`, or a model built from it
    /// on the CPU before its tensors are copied, is alive.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] when a file cannot be read or parsed, when an index names no
    /// files, or when two files hold the same tensor.
    pub unsafe fn mmap<P: AsRef<Path>>(paths: &[P]) -> Result<Checkpoint> {
        // Each file with the tensors an index says it holds (none for a file given directly).
        let mut files: Vec<(PathBuf, Vec<String>)> = Vec::new();
        for path in paths {
            let path = path.as_ref();
            if path.extension().is_some_and(|e| e == "json") {
                files.extend(index_files(path)?);
            } else {
                files.push((path.to_path_buf(), Vec::new()));
            }
        }
        if files.is_empty() {
            return Err(Error::Checkpoint {
                file: String::new(),
                message: "no checkpoint files given".into(),
            });
        }
        let mut checkpoint = Checkpoint {
            files: Vec::new(),
            routing: BTreeMap::new(),
        };
        for (path, listed) in files {
            // SAFETY: the caller promises the files stay unchanged while mapped.
            let mapped =
                unsafe { MmapedSafetensors::new(&path) }.map_err(|e| Error::Checkpoint {
                    file: path.display().to_string(),
                    message: e.to_string(),
                })?;
            if let Some(missing) = listed.iter().find(|t| mapped.get(t).is_err()) {
                return Err(Error::Checkpoint {
                    file: path.display().to_string(),
                    message: format!(
                        "the index puts tensor `{missing}` in this file, which does not hold it"
                    ),
                });
            }
            let index = checkpoint.files.len();
            for (name, _) in mapped.tensors() {
                if let Some(&other) = checkpoint.routing.get(&name) {
                    return Err(Error::Checkpoint {
                        file: path.display().to_string(),
                        message: format!(
                            "tensor `{name}` is also in {}; a checkpoint holds each tensor once",
                            checkpoint.files[other].0.display()
                        ),
                    });
                }
                checkpoint.routing.insert(name, index);
            }
            checkpoint.files.push((path, mapped));
        }
        Ok(checkpoint)
    }

    /// The names of the tensors it holds, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.routing.keys().map(String::as_str)
    }

    /// Whether it holds a tensor named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.routing.contains_key(name)
    }

    /// The file that holds `name`.
    pub(crate) fn file_of(&self, name: &str) -> Option<&Path> {
        self.routing.get(name).map(|&i| self.files[i].0.as_path())
    }

    /// The shape of `name` as stored.
    pub(crate) fn shape_of(&self, name: &str) -> Option<Vec<usize>> {
        let &i = self.routing.get(name)?;
        self.files[i]
            .1
            .get(name)
            .ok()
            .map(|view| view.shape().to_vec())
    }

    /// Loads `name` onto `device` as `dtype`.
    pub(crate) fn load(&self, name: &str, dtype: DType, device: &Device) -> Result<Tensor> {
        let &i = self.routing.get(name).ok_or_else(|| Error::Checkpoint {
            file: String::new(),
            message: format!("no tensor `{name}`"),
        })?;
        let (path, mapped) = &self.files[i];
        let wrap = |e: candle_core::Error| Error::Checkpoint {
            file: path.display().to_string(),
            message: format!("tensor `{name}`: {e}"),
        };
        mapped
            .load(name, device)
            .and_then(|t| t.to_dtype(dtype))
            .map_err(wrap)
    }
}

impl Checkpoint {
    /// `name` as a new variable of `dtype` on `device`. Stored in that dtype, the file's bytes
    /// are decoded straight into the variable's buffer (one copy); otherwise candle loads and
    /// converts it first.
    pub(crate) fn load_var(&self, name: &str, dtype: DType, device: &Device) -> Result<Var> {
        let direct = self.routing.get(name).and_then(|&i| {
            let view = self.files[i].1.get(name).ok()?;
            let stored = DType::try_from(view.dtype()).ok()?;
            (stored == dtype).then(|| (view.data(), view.shape().to_vec()))
        });
        let var = match direct {
            Some((bytes, dims)) => match decoded(bytes, dtype, dims, device) {
                Some(var) => var,
                None => Ok(Var::from_tensor(&self.load(name, dtype, device)?)?),
            },
            None => Ok(Var::from_tensor(&self.load(name, dtype, device)?)?),
        };
        self.release(name);
        var
    }

    /// Hands the mapped pages of `name`'s bytes back to the kernel once they are copied, so
    /// that a load holds the model once, not the model and the file. The map stays valid: a
    /// later read of those bytes faults them in again from the file.
    fn release(&self, name: &str) {
        let Some(view) = self
            .routing
            .get(name)
            .and_then(|&i| self.files[i].1.get(name).ok())
        else {
            return;
        };
        release_pages(view.data());
    }
}

/// `madvise(MADV_DONTNEED)` on the whole pages inside `bytes` (a read-only file mapping: the
/// pages leave this process's memory, the file's contents are unchanged).
#[cfg(unix)]
fn release_pages(bytes: &[u8]) {
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let start = bytes.as_ptr() as usize;
    let first = start.div_ceil(page) * page;
    let end = (start + bytes.len()) / page * page;
    if end > first {
        // SAFETY: [first, end) lies inside `bytes`, which is part of a live read-only mapping
        // of a file; MADV_DONTNEED on it drops the pages from this process, and any later read
        // of them (through `bytes` or the map) reads the file again, so no Rust reference sees
        // its data change.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_DONTNEED);
        }
    }
}

#[cfg(not(unix))]
fn release_pages(_bytes: &[u8]) {}

/// A variable decoded straight from little-endian `bytes` of `dtype` (one copy), for the float
/// dtypes; `None` for the others.
fn decoded(bytes: &[u8], dtype: DType, dims: Vec<usize>, device: &Device) -> Option<Result<Var>> {
    let var = match dtype {
        DType::F32 => Var::from_vec(decode(bytes, f32::from_le_bytes), dims, device),
        DType::F64 => Var::from_vec(decode(bytes, f64::from_le_bytes), dims, device),
        DType::BF16 => Var::from_vec(
            decode(bytes, |b| half::bf16::from_bits(u16::from_le_bytes(b))),
            dims,
            device,
        ),
        DType::F16 => Var::from_vec(
            decode(bytes, |b| half::f16::from_bits(u16::from_le_bytes(b))),
            dims,
            device,
        ),
        _ => return None,
    };
    Some(var.map_err(Error::from))
}

impl Checkpoint {
    /// The `region` of `name` (of shape `full`) as a new variable of `dtype` on `device`: only
    /// the region's bytes are read from the map.
    pub(crate) fn load_region_var(
        &self,
        name: &str,
        full: &[usize],
        region: Region,
        dtype: DType,
        device: &Device,
    ) -> Result<Var> {
        let &i = self.routing.get(name).ok_or_else(|| Error::Checkpoint {
            file: String::new(),
            message: format!("no tensor `{name}`"),
        })?;
        let (path, mapped) = &self.files[i];
        let fail = |message: String| Error::Checkpoint {
            file: path.display().to_string(),
            message: format!("tensor `{name}`: {message}"),
        };
        let view = mapped.get(name).map_err(|e| fail(e.to_string()))?;
        let stored = DType::try_from(view.dtype()).map_err(|e| fail(e.to_string()))?;
        let size = stored.size_in_bytes();
        let data = view.data();
        let shard = region.dims(full)?;
        let bytes: Vec<u8> = match region {
            Region::Flat { start, len } => data[start * size..(start + len) * size].to_vec(),
            Region::Narrow { dim, start, len } => {
                let outer: usize = full[..dim].iter().product();
                let inner = full[dim + 1..].iter().product::<usize>() * size;
                let mut out = Vec::with_capacity(outer * len * inner);
                for o in 0..outer {
                    let from = (o * full[dim] + start) * inner;
                    out.extend_from_slice(&data[from..from + len * inner]);
                }
                out
            }
        };
        release_pages(data);
        if stored == dtype {
            if let Some(var) = decoded(&bytes, dtype, shard.clone(), device) {
                return var;
            }
        }
        let part = Tensor::from_raw_buffer(&bytes, stored, &shard, &Device::Cpu)
            .and_then(|t| t.to_dtype(dtype))
            .and_then(|t| t.to_device(device))
            .map_err(|e| fail(e.to_string()))?;
        Ok(Var::from_tensor(&part)?)
    }
}

/// Little-endian elements of `N` bytes each, decoded on every core into zeroed pages (each
/// page touched first by the thread that writes it).
fn decode<const N: usize, T: ZeroedVec + Send>(
    bytes: &[u8],
    from: impl Fn([u8; N]) -> T + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 16;
    let mut out = T::zeroed(bytes.len() / N);
    out.par_chunks_mut(CHUNK)
        .zip(bytes.par_chunks(CHUNK * N))
        .for_each(|(dst, src)| {
            for (d, c) in dst.iter_mut().zip(src.chunks_exact(N)) {
                let mut b = [0u8; N];
                b.copy_from_slice(c);
                *d = from(b);
            }
        });
    out
}

/// The files a Hugging Face index's `weight_map` names, in order, resolved beside the index.
/// The shard files a `model.safetensors.index.json` names, each with the tensors its
/// `weight_map` puts there. A shard must be a plain file name beside the index: a path that
/// leaves the index's directory (`../x`, an absolute path, a sub-directory) is refused.
fn index_files(index: &Path) -> Result<Vec<(PathBuf, Vec<String>)>> {
    let fail = |message: String| Error::Checkpoint {
        file: index.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(index).map_err(|e| fail(e.to_string()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let map = json
        .get("weight_map")
        .and_then(|m| m.as_object())
        .ok_or_else(|| fail("no `weight_map` object (a safetensors index has one)".into()))?;
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (tensor, file) in map {
        let file = file
            .as_str()
            .ok_or_else(|| fail(format!("`weight_map.{tensor}` is not a file name")))?;
        let mut parts = Path::new(file).components();
        let plain = matches!(
            (parts.next(), parts.next()),
            (Some(std::path::Component::Normal(_)), None)
        );
        if !plain {
            return Err(fail(format!(
                "`weight_map.{tensor}` names `{file}`, which is not a file beside the index; \
                 an index names its shards by file name only"
            )));
        }
        files
            .entry(file.to_owned())
            .or_default()
            .push(tensor.clone());
    }
    let dir = index.parent().unwrap_or(Path::new("."));
    Ok(files
        .into_iter()
        .map(|(f, tensors)| (dir.join(f), tensors))
        .collect())
}
