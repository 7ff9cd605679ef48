//! A LLaMA-shaped model split over N ranks, tensor-parallel (column-parallel q/k/v/gate/up,
//! row-parallel o/down, vocab-parallel embedding and head, replicated norms): each rank builds
//! only its shards with `ModelBuilder::build_sharded`, and the example checks that the shards put
//! together equal the single-device build bit for bit, and prints each rank's time.
//!
//! Run: `cargo run --release --example tensor_parallel_init` (`-- --world-size 8`, `-- --size
//! 1b` for the 953M shape, `-- --dtype bf16`, `-- --skip-check` to time only). The ranks run one
//! after the other in this process, each on all cores, as N processes or N devices would run
//! them side by side; no rank reads another's tensors.

use std::error::Error;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::var_builder::{Backend, Shard, SimpleBackend, VarBuilderArgs};
use init_candle::build::{ModelBuilder, Preset};
use init_candle::Init;

struct Shape {
    hidden: usize,
    inter: usize,
    vocab: usize,
    layers: usize,
}

/// (path, full shape, split dim: None = replicated).
fn params(s: &Shape) -> Vec<(String, Vec<usize>, Option<usize>)> {
    let mut p = vec![(
        "model.embed_tokens.weight".to_owned(),
        vec![s.vocab, s.hidden],
        Some(0),
    )];
    for l in 0..s.layers {
        let at = |n: &str| format!("model.layers.{l}.{n}");
        p.push((at("input_layernorm.weight"), vec![s.hidden], None));
        for n in ["q_proj", "k_proj", "v_proj"] {
            p.push((
                at(&format!("self_attn.{n}.weight")),
                vec![s.hidden, s.hidden],
                Some(0),
            ));
        }
        p.push((
            at("self_attn.o_proj.weight"),
            vec![s.hidden, s.hidden],
            Some(1),
        ));
        p.push((at("post_attention_layernorm.weight"), vec![s.hidden], None));
        p.push((at("mlp.gate_proj.weight"), vec![s.inter, s.hidden], Some(0)));
        p.push((at("mlp.up_proj.weight"), vec![s.inter, s.hidden], Some(0)));
        p.push((at("mlp.down_proj.weight"), vec![s.hidden, s.inter], Some(1)));
    }
    p.push(("model.norm.weight".to_owned(), vec![s.hidden], None));
    p.push((
        "lm_head.weight".to_owned(),
        vec![s.vocab, s.hidden],
        Some(0),
    ));
    p
}

/// What tensor-parallel model code asks for: full shapes with `Shard` hints.
fn sharded<B: Backend<Hints = Shard>>(
    vb: VarBuilderArgs<'_, B>,
    s: &Shape,
    rank: usize,
    world_size: usize,
) -> candle_core::Result<Vec<Tensor>> {
    params(s)
        .into_iter()
        .map(|(path, dims, dim)| {
            let hint = dim.map_or_else(Shard::default, |dim| Shard {
                dim,
                rank,
                world_size,
            });
            vb.get_with_hints(dims, &path, hint)
        })
        .collect()
}

/// The same model on one device.
fn single(
    vb: VarBuilderArgs<'_, Box<dyn SimpleBackend + '_>>,
    s: &Shape,
) -> candle_core::Result<Vec<Tensor>> {
    params(s)
        .into_iter()
        .map(|(path, dims, _)| {
            vb.get_with_hints(dims, &path, candle_nn::init::DEFAULT_KAIMING_NORMAL)
        })
        .collect()
}

fn builder() -> ModelBuilder {
    ModelBuilder::new(0)
        .preset(Preset::hf(0.02))
        .rule("*norm.weight", Init::Ones)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let world_size: usize = value("--world-size").unwrap_or("4").parse()?;
    let dtype = match value("--dtype").unwrap_or("f32") {
        "f32" => DType::F32,
        "bf16" => DType::BF16,
        other => return Err(format!("--dtype {other}: expected f32 or bf16").into()),
    };
    let shape = match value("--size").unwrap_or("small") {
        "small" => Shape {
            hidden: 256,
            inter: 688,
            vocab: 32000,
            layers: 2,
        },
        "1b" => Shape {
            hidden: 2048,
            inter: 5632,
            vocab: 32000,
            layers: 16,
        },
        other => return Err(format!("--size {other}: expected small or 1b").into()),
    };
    let total: usize = params(&shape)
        .iter()
        .map(|p| p.1.iter().product::<usize>())
        .sum();
    println!(
        "LLaMA-shaped, {:.0}M parameters, {dtype:?}, world_size {world_size}",
        total as f64 / 1e6
    );

    let mut ranks = Vec::with_capacity(world_size);
    for rank in 0..world_size {
        let start = Instant::now();
        let built = builder().build_sharded(dtype, &Device::Cpu, |vb| {
            sharded(vb, &shape, rank, world_size)
        })?;
        let held: usize = built.model.iter().map(Tensor::elem_count).sum();
        println!(
            "rank {rank}: {:.1}M values in its shards, built in {:.3} s",
            held as f64 / 1e6,
            start.elapsed().as_secs_f64()
        );
        if args.iter().any(|a| a == "--skip-check") {
            continue;
        }
        ranks.push(built.model);
    }
    if ranks.is_empty() {
        return Ok(());
    }

    let start = Instant::now();
    let whole = builder()
        .build(dtype, &Device::Cpu, |vb| single(vb, &shape))?
        .model;
    println!(
        "single device: built in {:.3} s",
        start.elapsed().as_secs_f64()
    );
    for (i, (path, _, dim)) in params(&shape).into_iter().enumerate() {
        let joined = match dim {
            Some(dim) => Tensor::cat(&ranks.iter().map(|r| &r[i]).collect::<Vec<_>>(), dim)?,
            None => ranks[0][i].clone(),
        };
        let same = joined
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?
            .iter()
            .zip(
                whole[i]
                    .to_dtype(DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            )
            .all(|(a, b)| a.to_bits() == b.to_bits());
        if !same {
            return Err(format!("{path}: the shards differ from the single-device tensor").into());
        }
    }
    println!("the shards put together equal the single-device model bit for bit");
    Ok(())
}
