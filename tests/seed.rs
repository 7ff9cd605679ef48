//! Seed checkpoints (`ModelBuilder::seed_checkpoint`): a single file is the bytes of `build`
//! then `VarMap::save`; shards and their index load back to the build's tensors; a flat rank's
//! file is the slices of the full one; a tensor larger than the chunk size is never allocated
//! whole.

mod common;

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
use candle_transformers::models::llama::{Llama, LlamaConfig};
use common::temp_dir;
use init_candle::build::{
    Checkpoint, HfConfig, ModelBuilder, Opaque, Preset, Rule, SeedCheckpoint,
};
use init_candle::{Error, Init, InitWeights};
use init_testkit::{small_llama_json, LargestAllocation};

fn llama(vb: VarBuilder) -> candle_core::Result<Opaque<Llama>> {
    let cfg: LlamaConfig =
        serde_json::from_value(small_llama_json()).map_err(candle_core::Error::wrap)?;
    Ok(Opaque(Llama::load(vb, &cfg.into_config(false))?))
}

/// The Hugging Face preset of the small Llama (with its `pad_token_id` row rule).
fn hf_builder(seed: u64) -> ModelBuilder {
    let hf = HfConfig::from_json(&small_llama_json()).unwrap();
    ModelBuilder::new(seed).hf_config(&hf)
}

#[derive(InitWeights)]
struct Net {
    #[init(normal(std = 0.02), padding_idx = 3)]
    wte: Embedding,
    ln: LayerNorm,
    #[init(kaiming_normal(mode = fan_out, nonlinearity = relu), bias = zeros)]
    fc: Linear,
    out: Linear,
}

fn net(vb: VarBuilder) -> candle_core::Result<Net> {
    Ok(Net {
        wte: candle_nn::embedding(11, 7, vb.pp("wte"))?,
        ln: candle_nn::layer_norm(7, 1e-5, vb.pp("ln"))?,
        fc: candle_nn::linear(7, 13, vb.pp("fc"))?,
        out: candle_nn::linear(13, 5, vb.pp("out"))?,
    })
}

/// `build` then `VarMap::save`, as bytes.
fn saved<M: InitWeights>(
    builder: &ModelBuilder,
    dtype: DType,
    dir: &Path,
    constructor: impl FnOnce(VarBuilder<'_>) -> candle_core::Result<M>,
) -> Vec<u8> {
    let file = dir.join("saved.safetensors");
    let built = builder.build(dtype, &Device::Cpu, constructor).unwrap();
    built.varmap.save(&file).unwrap();
    std::fs::read(&file).unwrap()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_single_file_is_the_bytes_of_build_then_save() {
    let dir = temp_dir("seed-single");
    for dtype in [DType::F32, DType::BF16, DType::F16] {
        // A model we did not write, with its family's preset and row rule; chunks smaller
        // than its tensors.
        let out = SeedCheckpoint::new(dir.join("llama")).chunk_bytes(1000);
        let builder = hf_builder(5);
        let written = builder.seed_checkpoint(dtype, &out, llama).unwrap();
        assert_eq!(written.files, [dir.join("llama/model.safetensors")]);
        assert!(written.index.is_none());
        let expected = saved(&builder, dtype, &dir, llama);
        assert!(
            read(&written.files[0]) == expected,
            "{dtype:?}: llama's file differs from build + save"
        );
        let rows = &written
            .report
            .get("model.embed_tokens.weight")
            .unwrap()
            .rows;
        assert_eq!(rows.len(), 1, "{rows:?}");

        // A derived module: attributes, layer defaults, a padding row, under rules (one of
        // them structured, one of rows).
        let builder = ModelBuilder::new(9)
            .rule("out.weight", Init::orthogonal())
            .with_rule(Rule::new("wte.weight", Init::Ones).rows([5]));
        let out = SeedCheckpoint::new(dir.join("net")).chunk_bytes(24);
        let written = builder.seed_checkpoint(dtype, &out, net).unwrap();
        let expected = saved(&builder, dtype, &dir, net);
        assert!(
            read(&written.files[0]) == expected,
            "{dtype:?}: the derived model's file differs"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_report_is_the_builds() {
    let dir = temp_dir("seed-report");
    for builder in [hf_builder(1), ModelBuilder::new(1).preset(Preset::hf(0.02))] {
        let written = builder
            .seed_checkpoint(DType::F32, &SeedCheckpoint::new(&dir), llama)
            .unwrap();
        let built = builder.build(DType::F32, &Device::Cpu, llama).unwrap();
        assert_eq!(written.report, built.report);
    }
    let written = ModelBuilder::new(1)
        .seed_checkpoint(DType::F32, &SeedCheckpoint::new(&dir), net)
        .unwrap();
    let built = ModelBuilder::new(1)
        .build(DType::F32, &Device::Cpu, net)
        .unwrap();
    assert_eq!(written.report, built.report);
    std::fs::remove_dir_all(&dir).ok();
}

/// Every tensor of `files` (safetensors or an index), by name, as f32 values and dims.
fn tensors(files: &[&Path]) -> HashMap<String, Tensor> {
    // SAFETY: the files are this test's own, not modified while mapped.
    let st = unsafe { candle_core::safetensors::MmapedSafetensors::multi(files) }.unwrap();
    st.tensors()
        .into_iter()
        .map(|(name, _)| {
            let t = st.load(&name, &Device::Cpu).unwrap();
            (name, t)
        })
        .collect()
}

fn same(a: &Tensor, b: &Tensor) -> bool {
    a.dims() == b.dims()
        && a.dtype() == b.dtype()
        && a.flatten_all()
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1::<f64>()
            .unwrap()
            == b.flatten_all()
                .unwrap()
                .to_dtype(DType::F64)
                .unwrap()
                .to_vec1::<f64>()
                .unwrap()
}

#[test]
fn shards_and_their_index_load_back_to_the_build() {
    let dir = temp_dir("seed-shards");
    let builder = hf_builder(2);
    // Each layer's MLP matrices are 40 KB in f32: several shards.
    let out = SeedCheckpoint::new(&dir)
        .shard_size(100_000)
        .chunk_bytes(4096);
    let written = builder.seed_checkpoint(DType::F32, &out, llama).unwrap();
    let n = written.files.len();
    assert!(n > 3, "{n} shards");
    for (k, file) in written.files.iter().enumerate() {
        let name = format!("model-{:05}-of-{n:05}.safetensors", k + 1);
        assert_eq!(file, &dir.join(name));
    }
    let index_path = written.index.clone().unwrap();
    let index: serde_json::Value = serde_json::from_slice(&read(&index_path)).unwrap();
    assert_eq!(index["metadata"]["total_size"], written.bytes);

    let built = builder.build(DType::F32, &Device::Cpu, llama).unwrap();
    let expected = built.varmap.data().lock().unwrap().clone();
    let weight_map = index["weight_map"].as_object().unwrap();
    assert_eq!(weight_map.len(), expected.len());
    let files: Vec<&Path> = written.files.iter().map(|f| f.as_path()).collect();
    let loaded = tensors(&files);
    assert_eq!(loaded.len(), expected.len());
    let bytes: usize = loaded.values().map(|t| t.elem_count() * 4).sum();
    assert_eq!(bytes as u64, written.bytes);
    for (name, var) in &expected {
        let file = weight_map[name].as_str().unwrap();
        let single = tensors(&[&dir.join(file)]);
        assert!(single.contains_key(name), "{name} is not in {file}");
        assert!(same(&loaded[name], var.as_tensor()), "{name} differs");
    }
    // No shard exceeds the size, except a tensor larger than it alone.
    for file in &written.files {
        let held = tensors(&[file.as_path()]);
        let data: usize = held.values().map(|t| t.elem_count() * 4).sum();
        assert!(
            data <= 100_000 || held.len() == 1,
            "{}: {data} bytes",
            file.display()
        );
    }
    // Our loader reads the index too.
    // SAFETY: as above.
    let checkpoint = unsafe { Checkpoint::mmap(&[&index_path]) }.unwrap();
    let reloaded = ModelBuilder::new(0)
        .checkpoint(checkpoint)
        .strict(true)
        .build(DType::F32, &Device::Cpu, llama)
        .unwrap();
    assert_eq!(reloaded.report.loaded().count(), expected.len());
    let reloaded = reloaded.varmap.data().lock().unwrap().clone();
    for (name, var) in &expected {
        assert!(same(reloaded[name].as_tensor(), var.as_tensor()), "{name}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_model_that_fits_one_shard_is_one_file() {
    let dir = temp_dir("seed-one-shard");
    let out = SeedCheckpoint::new(&dir).shard_size(1 << 30);
    let written = ModelBuilder::new(0)
        .seed_checkpoint(DType::F32, &out, net)
        .unwrap();
    assert_eq!(written.files, [dir.join("model.safetensors")]);
    assert!(written.index.is_none());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_flat_ranks_file_holds_the_slices_of_the_full_file() {
    let dir = temp_dir("seed-flat");
    let builder = hf_builder(4);
    let full = builder
        .seed_checkpoint(DType::BF16, &SeedCheckpoint::new(&dir), llama)
        .unwrap();
    let full = tensors(&[full.files[0].as_path()]);
    let world_size = 3;
    let mut parts: HashMap<String, Vec<Tensor>> = HashMap::new();
    for rank in 0..world_size {
        let out = SeedCheckpoint::new(&dir)
            .flat_rank(rank, world_size)
            .chunk_bytes(512);
        let written = builder.seed_checkpoint(DType::BF16, &out, llama).unwrap();
        for (name, t) in tensors(&[written.files[0].as_path()]) {
            assert_eq!(t.rank(), 1, "{name}");
            parts.entry(name).or_default().push(t);
        }
        // The chunks are the ones `build_flat` holds (which refuses row rules: without the
        // config's pad row).
        let plain = ModelBuilder::new(4).preset(Preset::hf(0.02));
        let flat = plain
            .build_flat(DType::BF16, &Device::Cpu, rank, world_size, llama)
            .unwrap();
        let out = SeedCheckpoint::new(dir.join("plain")).flat_rank(rank, world_size);
        let written = plain.seed_checkpoint(DType::BF16, &out, llama).unwrap();
        let mine = tensors(&[written.files[0].as_path()]);
        assert_eq!(mine.len(), flat.params.len());
        for p in &flat.params {
            assert!(
                same(&mine[&p.path], p.var.as_tensor()),
                "rank {rank} {}",
                p.path
            );
        }
    }
    assert_eq!(parts.len(), full.len());
    for (name, chunks) in parts {
        let joined = Tensor::cat(&chunks, 0).unwrap();
        assert!(same(&joined, &full[&name].flatten_all().unwrap()), "{name}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn tensors_the_checkpoint_holds_are_copied_from_it() {
    let dir = temp_dir("seed-from-checkpoint");
    // A "pretrained" body, saved; then a model with a new head seeded from it.
    let body = |vb: VarBuilder| candle_nn::linear(7, 13, vb.pp("fc"));
    let pretrained = dir.join("body.safetensors");
    let built = ModelBuilder::new(8)
        .build(DType::F32, &Device::Cpu, body)
        .unwrap();
    built.varmap.save(&pretrained).unwrap();
    let model = |vb: VarBuilder| -> candle_core::Result<(Linear, Linear)> {
        Ok((
            candle_nn::linear(7, 13, vb.pp("fc"))?,
            candle_nn::linear(13, 2, vb.pp("head"))?,
        ))
    };
    for dtype in [DType::F32, DType::BF16] {
        // SAFETY: the file is this test's own, not modified while mapped.
        let checkpoint = unsafe { Checkpoint::mmap(&[&pretrained]) }.unwrap();
        let builder = ModelBuilder::new(1).checkpoint(checkpoint);
        let out = SeedCheckpoint::new(dir.join("seeded")).chunk_bytes(40);
        let written = builder.seed_checkpoint(dtype, &out, model).unwrap();
        assert_eq!(written.report.loaded().count(), 2);
        let expected = saved(&builder, dtype, &dir, model);
        assert!(read(&written.files[0]) == expected, "{dtype:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn settings_that_cannot_be_written_are_refused_before_anything_is() {
    let dir = temp_dir("seed-refused");
    let out = dir.join("out");
    let cases = [
        (SeedCheckpoint::new(&out).shard_size(0), "shard size of 0"),
        (
            SeedCheckpoint::new(&out).flat_rank(0, 2).shard_size(10),
            "not sharded",
        ),
        (
            SeedCheckpoint::new(&out).flat_rank(2, 2),
            "rank must be < world_size",
        ),
    ];
    for (settings, says) in cases {
        let err = ModelBuilder::new(0)
            .seed_checkpoint(DType::F32, &settings, net)
            .unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
    }
    // A constructor's error: nothing written.
    let err = ModelBuilder::new(0)
        .strict(true)
        .rule("nothing.here", Init::Zeros)
        .seed_checkpoint(DType::F32, &SeedCheckpoint::new(&out), net)
        .unwrap_err();
    assert!(matches!(err, Error::Strict { .. }), "{err}");
    assert!(!out.exists());
    // A directory that cannot be created names it.
    let blocker = dir.join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let err = ModelBuilder::new(0)
        .seed_checkpoint(DType::F32, &SeedCheckpoint::new(blocker.join("sub")), net)
        .unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err}");
    assert!(err.to_string().contains("file/sub"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

// ---- a tensor larger than the chunk size is never allocated whole ----

/// The largest allocation of each thread (the thread that writes the checkpoint allocates its
/// chunks; the initializer's workers only write into them, the writer thread only writes them
/// out).
#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

#[test]
fn a_tensor_larger_than_the_chunk_is_never_allocated_whole() {
    let dir = temp_dir("seed-bounded");
    // An embedding of 4000 x 64 f32 (1 MB) and a 64 x 4000 head, written in 16 KB chunks.
    let model = |vb: VarBuilder| -> candle_core::Result<(Embedding, Linear)> {
        Ok((
            candle_nn::embedding(4000, 64, vb.pp("wte"))?,
            candle_nn::linear(64, 4000, vb.pp("head"))?,
        ))
    };
    let full = 4000 * 64 * 4;
    let chunk = 16 << 10;
    let builder = ModelBuilder::new(3).preset(Preset::hf(0.02));
    let out = SeedCheckpoint::new(&dir).chunk_bytes(chunk);
    LargestAllocation::reset();
    let written = builder.seed_checkpoint(DType::F32, &out, model).unwrap();
    let largest = LargestAllocation::largest();
    assert!(
        (chunk..=4 * chunk).contains(&largest),
        "largest allocation {largest} bytes; a chunk is {chunk}, the tensor {full}"
    );
    let expected = saved(&builder, DType::F32, &dir, model);
    assert!(read(&written.files[0]) == expected);
    std::fs::remove_dir_all(&dir).ok();
}
