//! Sharded builds: every rank builds only its part of a LLaMA-shaped tensor-parallel model
//! (column-parallel q/k/v/gate/up, row-parallel o/down, vocab-parallel embedding, replicated
//! norms), and the parts put together equal the single-device build bit for bit, for world
//! sizes 1, 2, 4, 8 and f32/bf16; no rank holds a full-size tensor. The same for flat
//! (FSDP-style) chunks of every tensor, world sizes 1 to 8, even and uneven.

use candle_core::{DType, Device, Tensor};
use candle_nn::var_builder::{Backend, Shard, SimpleBackend, VarBuilderArgs};
use init_candle::build::{ModelBuilder, Opaque, Preset};
use init_candle::{Error, Init};
use init_testkit::{bits, LargestAllocation};

const HIDDEN: usize = 64;
const INTER: usize = 128;
const VOCAB: usize = 96;
const LAYERS: usize = 2;

/// (path, full shape, split dim: None = replicated)
fn params() -> Vec<(String, Vec<usize>, Option<usize>)> {
    let mut p = vec![(
        "model.embed_tokens.weight".to_owned(),
        vec![VOCAB, HIDDEN],
        Some(0),
    )];
    for l in 0..LAYERS {
        let at = |n: &str| format!("model.layers.{l}.{n}");
        p.push((at("input_layernorm.weight"), vec![HIDDEN], None));
        for n in ["q_proj", "k_proj", "v_proj"] {
            p.push((
                at(&format!("self_attn.{n}.weight")),
                vec![HIDDEN, HIDDEN],
                Some(0),
            ));
        }
        p.push((at("self_attn.o_proj.weight"), vec![HIDDEN, HIDDEN], Some(1)));
        p.push((at("post_attention_layernorm.weight"), vec![HIDDEN], None));
        p.push((at("mlp.gate_proj.weight"), vec![INTER, HIDDEN], Some(0)));
        p.push((at("mlp.up_proj.weight"), vec![INTER, HIDDEN], Some(0)));
        p.push((at("mlp.down_proj.weight"), vec![HIDDEN, INTER], Some(1)));
    }
    p.push(("model.norm.weight".to_owned(), vec![HIDDEN], None));
    p
}

/// The model as tensor-parallel code writes it: full shapes, `Shard` hints.
fn sharded<B: Backend<Hints = Shard>>(
    vb: VarBuilderArgs<'_, B>,
    rank: usize,
    world_size: usize,
) -> candle_core::Result<Vec<Tensor>> {
    params()
        .into_iter()
        .map(|(path, dims, dim)| {
            let hint = match dim {
                Some(dim) => Shard {
                    dim,
                    rank,
                    world_size,
                },
                None => Shard::default(),
            };
            vb.get_with_hints(dims, &path, hint)
        })
        .collect()
}

/// The same model on one device, asking as candle-nn's `linear`/`rms_norm` do.
fn single(
    vb: VarBuilderArgs<'_, Box<dyn SimpleBackend + '_>>,
) -> candle_core::Result<Opaque<Vec<Tensor>>> {
    params()
        .into_iter()
        .map(|(path, dims, _)| {
            let hint = if dims.len() == 2 {
                candle_nn::init::DEFAULT_KAIMING_NORMAL
            } else {
                candle_nn::Init::Const(1.0)
            };
            vb.get_with_hints(dims, &path, hint)
        })
        .collect::<candle_core::Result<_>>()
        .map(Opaque)
}

fn builder() -> ModelBuilder {
    ModelBuilder::new(17)
        .preset(Preset::hf(0.02))
        .rule("*norm.weight", Init::Ones)
        .rule(
            "*.down_proj.weight",
            Init::TruncNormal {
                mean: 0.0,
                std: 0.01,
                a: -0.02,
                b: 0.02,
            },
        )
}

#[test]
fn shards_put_together_equal_the_single_device_build() {
    for dtype in [DType::F32, DType::BF16] {
        let whole = builder().build(dtype, &Device::Cpu, single).unwrap().model;
        for world_size in [1, 2, 4, 8] {
            let ranks: Vec<Vec<Tensor>> = (0..world_size)
                .map(|rank| {
                    let built = builder()
                        .build_sharded(dtype, &Device::Cpu, |vb| sharded(vb, rank, world_size))
                        .unwrap();
                    // Each rank's variables are its parts only.
                    for (path, dims, dim) in params() {
                        let held = built.varmap.data().lock().unwrap()[&path].elem_count();
                        let full: usize = dims.iter().product();
                        let expect = if dim.is_some() {
                            full / world_size
                        } else {
                            full
                        };
                        assert_eq!(held, expect, "{path}");
                    }
                    built.model
                })
                .collect();
            for (i, (path, _, dim)) in params().into_iter().enumerate() {
                let joined = match dim {
                    Some(dim) => {
                        let parts: Vec<&Tensor> = ranks.iter().map(|r| &r[i]).collect();
                        Tensor::cat(&parts, dim).unwrap()
                    }
                    None => ranks[0][i].clone(),
                };
                let (a, b) = (bits(&joined), bits(&whole[i]));
                assert!(a.iter().any(|&x| x != 0), "{path}: all zeros");
                assert!(
                    a == b,
                    "{path} {dtype:?} world_size {world_size}: the parts differ"
                );
            }
        }
    }
}

#[test]
fn what_a_sharded_build_cannot_recognize_needs_a_rule() {
    // Without the norm rule: a 1-D `weight` has no hint to say it is a norm's.
    let err = ModelBuilder::new(0)
        .preset(Preset::hf(0.02))
        .build_sharded(DType::F32, &Device::Cpu, |vb| sharded(vb, 0, 2))
        .err()
        .expect("unrecognized");
    assert!(
        matches!(&err, Error::Unrecognized { path, .. } if path == "model.layers.0.input_layernorm.weight"),
        "{err}"
    );
    // Uneven splits are errors (candle's convention), naming the tensor.
    let err = builder()
        .build_sharded(DType::F32, &Device::Cpu, |vb| sharded(vb, 0, 3))
        .err()
        .expect("64 rows over 3 ranks");
    assert!(
        err.to_string().contains("not divisible by world_size 3"),
        "{err}"
    );
}

// ---- no full-size allocation on a rank ----

/// The largest allocation of each thread (the thread that builds a rank allocates its tensors;
/// the initializer's worker threads only write).
#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

#[test]
fn a_rank_never_allocates_a_full_size_tensor() {
    let world_size = 8;
    let largest_full = INTER * HIDDEN * 4; // gate/up/down, f32
    let largest_shard = largest_full / world_size;
    LargestAllocation::reset();
    let built = builder()
        .build_sharded(DType::F32, &Device::Cpu, |vb| sharded(vb, 3, world_size))
        .unwrap();
    let largest = LargestAllocation::largest();
    assert!(
        largest >= largest_shard && largest < largest_full / 2,
        "largest allocation {largest} bytes; a shard is {largest_shard}, the full tensor {largest_full}"
    );
    drop(built);
}

// ---- ranks in separate processes ----

fn worker_env() -> Option<(usize, usize, std::path::PathBuf)> {
    let rank = std::env::var("INIT_SHARD_RANK").ok()?.parse().ok()?;
    let ws = std::env::var("INIT_SHARD_WORLD_SIZE").ok()?.parse().ok()?;
    Some((rank, ws, std::env::var_os("INIT_SHARD_DIR")?.into()))
}

/// One rank, as its own process: builds only its shards and saves them. Run by
/// `ranks_in_separate_processes_equal_the_single_process_model`, not on its own.
#[test]
#[ignore = "a worker process of ranks_in_separate_processes_equal_the_single_process_model"]
fn shard_worker() {
    let (rank, world_size, dir) =
        worker_env().expect("INIT_SHARD_RANK, INIT_SHARD_WORLD_SIZE and INIT_SHARD_DIR");
    let built = builder()
        .build_sharded(DType::BF16, &Device::Cpu, |vb| {
            sharded(vb, rank, world_size)
        })
        .unwrap();
    built
        .varmap
        .save(dir.join(format!("rank{rank}.safetensors")))
        .unwrap();
}

#[test]
fn ranks_in_separate_processes_equal_the_single_process_model() {
    let world_size = 4;
    let dir = std::env::temp_dir().join(format!("init-candle-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..world_size)
        .map(|rank| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "shard_worker",
                    "--ignored",
                    "--test-threads",
                    "1",
                ])
                .env("INIT_SHARD_RANK", rank.to_string())
                .env("INIT_SHARD_WORLD_SIZE", world_size.to_string())
                .env("INIT_SHARD_DIR", &dir)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let whole = builder()
        .build(DType::BF16, &Device::Cpu, single)
        .unwrap()
        .model;
    let ranks: Vec<_> = (0..world_size)
        .map(|r| {
            candle_core::safetensors::load(dir.join(format!("rank{r}.safetensors")), &Device::Cpu)
                .unwrap()
        })
        .collect();
    for (i, (path, _, dim)) in params().into_iter().enumerate() {
        let joined = match dim {
            Some(dim) => {
                let parts: Vec<&Tensor> = ranks.iter().map(|r| &r[&path]).collect();
                Tensor::cat(&parts, dim).unwrap()
            }
            None => ranks[0][&path].clone(),
        };
        assert!(bits(&joined) == bits(&whole[i]), "{path}: the parts differ");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_rank_reads_only_its_part_of_a_checkpoint() {
    let dir = std::env::temp_dir().join(format!("init-candle-shard-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("model.safetensors");
    let saved = ModelBuilder::new(99)
        .preset(Preset::hf(0.02))
        .rule("*norm.weight", Init::Ones)
        .build(DType::F32, &Device::Cpu, single)
        .unwrap();
    saved.varmap.save(&file).unwrap();
    let world_size = 4;
    // bf16: converted from the f32 file; f32: decoded straight from the map.
    for (dtype, rank) in [DType::BF16, DType::F32]
        .into_iter()
        .flat_map(|d| (0..world_size).map(move |r| (d, r)))
    {
        // SAFETY: the file is not modified while mapped.
        let checkpoint = unsafe { init_candle::build::Checkpoint::mmap(&[&file]) }.unwrap();
        LargestAllocation::reset();
        let built = builder()
            .checkpoint(checkpoint)
            .build_sharded(dtype, &Device::Cpu, |vb| sharded(vb, rank, world_size))
            .unwrap();
        let largest = LargestAllocation::largest();
        assert!(
            largest < INTER * HIDDEN * 4 / 2,
            "largest allocation {largest} bytes: a full tensor was read"
        );
        assert_eq!(built.report.loaded().count(), params().len());
        for (i, (path, dims, dim)) in params().into_iter().enumerate() {
            let full = saved.model[i].to_dtype(dtype).unwrap();
            let expect = match dim {
                Some(dim) => {
                    let len = dims[dim] / world_size;
                    full.narrow(dim, rank * len, len).unwrap()
                }
                None => full,
            };
            let (a, b) = (bits(&built.model[i]), bits(&expect));
            let first = a.iter().zip(&b).position(|(x, y)| x != y);
            assert!(
                a == b,
                "{path} {dtype:?} rank {rank}: first difference at {first:?} of {}/{}: {:?} vs {:?}",
                a.len(), b.len(),
                first.map(|f| f32::from_bits(a[f])), first.map(|f| f32::from_bits(b[f]))
            );
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

// ---- flat (FSDP-style) chunks ----

/// candle-nn layers with sizes that do not divide by most world sizes (uneven chunks), asking
/// with candle's hints as they do (the PyTorch preset recognizes them).
fn layers(vb: candle_nn::VarBuilder) -> candle_core::Result<()> {
    candle_nn::embedding(97, 24, vb.pp("emb"))?;
    candle_nn::linear(24, 50, vb.pp("fc"))?;
    candle_nn::conv2d(3, 5, 3, Default::default(), vb.pp("conv"))?;
    candle_nn::layer_norm(24, 1e-5, vb.pp("norm"))?;
    candle_nn::linear_no_bias(50, 7, vb.pp("head"))?;
    Ok(())
}

/// Every rank's chunk of every tensor, joined in rank order, per path.
fn joined_flat_chunks(
    builder: &ModelBuilder,
    dtype: DType,
    world_size: usize,
    model: impl Fn(candle_nn::VarBuilder) -> candle_core::Result<()> + Copy,
) -> std::collections::BTreeMap<String, Tensor> {
    let mut parts: std::collections::BTreeMap<String, Vec<Tensor>> = Default::default();
    for rank in 0..world_size {
        let shards = builder
            .build_flat(dtype, &Device::Cpu, rank, world_size, model)
            .unwrap();
        assert_eq!(shards.report.tensors.len(), shards.params.len());
        for p in shards.params {
            let numel: usize = p.dims.iter().product();
            let chunk = numel.div_ceil(world_size);
            assert_eq!(p.start, (rank * chunk).min(numel), "{}", p.path);
            assert_eq!(p.var.dims().len(), 1, "{}", p.path);
            parts
                .entry(p.path)
                .or_default()
                .push(p.var.as_tensor().clone());
        }
    }
    parts
        .into_iter()
        .map(|(path, chunks)| (path, Tensor::cat(&chunks, 0).unwrap()))
        .collect()
}

#[test]
fn flat_chunks_put_together_equal_the_single_device_build() {
    let builders = [
        (ModelBuilder::new(3), "pytorch preset"),
        (
            ModelBuilder::new(3)
                .preset(Preset::hf(0.02))
                .rule("fc.weight", Init::xavier_uniform()),
            "hf preset and a rule",
        ),
    ];
    for (builder, what) in &builders {
        for dtype in [DType::F32, DType::BF16, DType::F64] {
            let whole = builder.build(dtype, &Device::Cpu, |vb| layers(vb)).unwrap();
            let whole = whole.varmap.data().lock().unwrap().clone();
            for world_size in 1..=8 {
                let joined = joined_flat_chunks(builder, dtype, world_size, layers);
                assert_eq!(joined.len(), whole.len());
                for (path, t) in &joined {
                    let full = whole[path].as_tensor().flatten_all().unwrap();
                    assert!(
                        bits(t) == bits(&full),
                        "{what} {dtype:?} world_size {world_size}: {path} differs"
                    );
                }
            }
        }
    }
}

#[test]
fn a_flat_rank_never_allocates_a_full_size_tensor() {
    let largest_full = INTER * HIDDEN * 4;
    let model = |vb: candle_nn::VarBuilder| single(vb).map(drop);
    LargestAllocation::reset();
    let shards = builder()
        .build_flat(DType::F32, &Device::Cpu, 5, 8, model)
        .unwrap();
    let largest = LargestAllocation::largest();
    assert!(
        largest >= largest_full / 8 && largest < largest_full / 2,
        "largest allocation {largest} bytes; the full tensor is {largest_full}"
    );
    // And the chunks are right.
    let whole = builder().build(DType::F32, &Device::Cpu, single).unwrap();
    for p in &shards.params {
        let full = whole.varmap.data().lock().unwrap()[&p.path]
            .as_tensor()
            .flatten_all()
            .unwrap();
        let part = full.narrow(0, p.start, p.var.elem_count()).unwrap();
        assert!(bits(p.var.as_tensor()) == bits(&part), "{}", p.path);
    }
}

#[test]
fn a_flat_rank_reads_only_its_chunk_of_a_checkpoint() {
    let dir = std::env::temp_dir().join(format!("init-candle-flat-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("model.safetensors");
    let saved = ModelBuilder::new(41)
        .build(DType::F32, &Device::Cpu, single)
        .unwrap();
    saved.varmap.save(&file).unwrap();
    let saved = saved.varmap.data().lock().unwrap().clone();
    let world_size = 3;
    let model = |vb: candle_nn::VarBuilder| single(vb).map(drop);
    for dtype in [DType::F32, DType::BF16] {
        for rank in 0..world_size {
            // SAFETY: the file is not modified while mapped.
            let checkpoint = unsafe { init_candle::build::Checkpoint::mmap(&[&file]) }.unwrap();
            LargestAllocation::reset();
            let shards = builder()
                .checkpoint(checkpoint)
                .build_flat(dtype, &Device::Cpu, rank, world_size, model)
                .unwrap();
            let largest = LargestAllocation::largest();
            assert!(
                largest < INTER * HIDDEN * 4 / 2,
                "largest allocation {largest} bytes"
            );
            assert_eq!(shards.report.loaded().count(), params().len());
            for p in &shards.params {
                let full = saved[&p.path].as_tensor().to_dtype(dtype).unwrap();
                let part = full
                    .flatten_all()
                    .unwrap()
                    .narrow(0, p.start, p.var.elem_count())
                    .unwrap();
                assert!(
                    bits(p.var.as_tensor()) == bits(&part),
                    "{} {dtype:?}",
                    p.path
                );
            }
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_flat_rank_outside_the_world_is_an_error() {
    let err = ModelBuilder::new(0)
        .build_flat(DType::F32, &Device::Cpu, 4, 4, |vb| layers(vb))
        .err()
        .expect("rank 4 of 4 is refused");
    assert!(
        err.to_string().contains("rank must be < world_size"),
        "{err}"
    );
}

/// A derived model built flat keeps its attributes, layer defaults and padding row: each
/// rank's chunk is that part of the whole build, bit for bit.
#[test]
fn flat_chunks_of_a_derived_model_are_its_whole_build_cut() {
    use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
    use init_candle::InitWeights;

    #[derive(InitWeights)]
    struct Net {
        #[init(normal(std = 0.02), padding_idx = 3)]
        wte: Embedding,
        ln: LayerNorm,
        #[init(kaiming_normal(mode = fan_out, nonlinearity = relu), bias = zeros)]
        fc: Linear,
        out: Linear,
    }
    let net = |vb: VarBuilder| -> candle_core::Result<Net> {
        Ok(Net {
            wte: candle_nn::embedding(11, 7, vb.pp("wte"))?,
            ln: candle_nn::layer_norm(7, 1e-5, vb.pp("ln"))?,
            fc: candle_nn::linear(7, 13, vb.pp("fc"))?,
            out: candle_nn::linear(13, 5, vb.pp("out"))?,
        })
    };
    let builder = ModelBuilder::new(23).preset(Preset::hf(0.02));
    let whole = builder.build(DType::F32, &Device::Cpu, net).unwrap();
    let full = whole.varmap.data().lock().unwrap().clone();
    for world_size in [1, 3, 4] {
        let mut joined: std::collections::HashMap<String, Vec<Tensor>> = Default::default();
        for rank in 0..world_size {
            let shards = builder
                .build_flat(DType::F32, &Device::Cpu, rank, world_size, net)
                .unwrap();
            for (p, t) in shards.params.iter().zip(&shards.report.tensors) {
                assert_eq!(p.path, t.path);
                let want = whole.report.get(&p.path).unwrap();
                assert_eq!(
                    (&t.init, &t.source, &t.rows),
                    (&want.init, &want.source, &want.rows)
                );
                joined
                    .entry(p.path.clone())
                    .or_default()
                    .push(p.var.as_tensor().clone());
            }
        }
        assert_eq!(joined.len(), full.len());
        for (path, parts) in joined {
            let parts: Vec<&Tensor> = parts.iter().filter(|t| t.elem_count() > 0).collect();
            let cut = Tensor::cat(&parts, 0).unwrap();
            let want = full[&path].as_tensor().flatten_all().unwrap();
            assert_eq!(bits(&cut), bits(&want), "{path}, world size {world_size}");
        }
    }
    let rows = &whole.report.get("wte.weight").unwrap().rows;
    assert_eq!(rows, &["rows [3]: zeros (padding_idx on `wte`)"]);
}
