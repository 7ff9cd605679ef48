//! A model we did not write: candle-transformers' `Llama`, LLaMA-shaped (hidden 2048, 16
//! layers, 953M parameters by default), initialized where it is built with Hugging Face's
//! `_init_weights` (the llama family's preset, `HfConfig` + `hf_config`), next to the usual way (candle's `VarMap`, which fills
//! every tensor with candle's own unseeded values while the model is constructed); then one
//! forward step.
//!
//! Run: `cargo run --release --example llama_init` (`-- --dtype f32`, `-- --size small` for a
//! 2-layer model, `-- --config config.json` for a Hugging Face Llama config). `-- --only
//! varmap|builder|floor` runs one measurement (`bench/llama.sh` runs each in its own process,
//! so that the peak memory printed at the end is that measurement's): `floor` allocates the
//! model's tensors as fresh memory and writes each once on every core, the least any
//! initialization can cost. `-- --save DIR` writes the built model as a Hugging Face checkpoint
//! (`model.safetensors`, `config.json`); `-- --only checkpoint --checkpoint DIR` then builds the
//! model from it (`checkpoint-head`: plus a new classification head `score`, the fine-tuning
//! flow: the checkpoint's tensors loaded, only the head initialized), each followed by a first
//! forward step; `candle-load` does the same with candle's own loader, and `copy-floor` copies
//! each tensor's mapped bytes into fresh memory on every core, the least a load into owned
//! memory can cost.

use std::error::Error;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::llama::{Cache, Config, Llama, LlamaConfig};
use indicatif::{ProgressBar, ProgressStyle};
use init_candle::build::{Checkpoint, HfConfig, ModelBuilder, Opaque, Preset};
use rayon::prelude::*;

/// The config and its Hugging Face JSON.
fn config(size: &str, path: Option<&str>) -> Result<(Config, String), Box<dyn Error>> {
    let json = match path {
        Some(path) => std::fs::read_to_string(path)?,
        None => {
            let (hidden, inter, layers, heads) = match size {
                "1b" => (2048, 5632, 16, 32),
                "small" => (256, 688, 2, 8),
                other => return Err(format!("--size {other}: expected 1b or small").into()),
            };
            format!(
                r#"{{"hidden_size": {hidden}, "intermediate_size": {inter}, "vocab_size": 32000,
                    "num_hidden_layers": {layers}, "num_attention_heads": {heads},
                    "rms_norm_eps": 1e-5, "max_position_embeddings": 2048}}"#
            )
        }
    };
    let cfg: LlamaConfig = serde_json::from_str(&json)?;
    Ok((cfg.into_config(false), json))
}

/// Parameters of a Llama of this config (what the progress bar counts).
fn parameters(c: &Config) -> u64 {
    let (h, i, v) = (c.hidden_size, c.intermediate_size, c.vocab_size);
    let kv = h / c.num_attention_heads * c.num_key_value_heads;
    let layer = 2 * h * h + 2 * h * kv + 3 * h * i + 2 * h;
    let head = if c.tie_word_embeddings { 0 } else { v * h };
    (v * h + c.num_hidden_layers * layer + h + head) as u64
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let dtype = match value("--dtype").unwrap_or("bf16") {
        "bf16" => DType::BF16,
        "f32" => DType::F32,
        "f16" => DType::F16,
        other => return Err(format!("--dtype {other}: expected bf16, f16 or f32").into()),
    };
    let from = value("--checkpoint").map(std::path::PathBuf::from);
    let config_path = from
        .as_ref()
        .map(|d| d.join("config.json").display().to_string());
    let (cfg, cfg_json) = config(
        value("--size").unwrap_or("1b"),
        value("--config").or(config_path.as_deref()),
    )?;
    let dev = Device::Cpu;
    let n = parameters(&cfg);
    println!(
        "Llama: hidden {}, {} layers, vocab {}, {:.0}M parameters, {dtype:?}",
        cfg.hidden_size,
        cfg.num_hidden_layers,
        cfg.vocab_size,
        n as f64 / 1e6
    );

    let only = value("--only");
    let run = |what: &str| only.is_none_or(|o| o == what);

    if run("floor") {
        let start = Instant::now();
        let bytes = floor(&cfg, dtype);
        println!(
            "floor: {:.2} GB of fresh memory written once on {} threads in {:.2} s",
            bytes as f64 / 1e9,
            rayon::current_num_threads(),
            start.elapsed().as_secs_f64()
        );
    }

    if run("varmap") {
        let start = Instant::now();
        let varmap = VarMap::new();
        let model = Llama::load(VarBuilder::from_varmap(&varmap, dtype, &dev), &cfg)?;
        println!(
            "candle VarMap: constructed (candle's own random values) in {:.2} s",
            start.elapsed().as_secs_f64()
        );
        drop((model, varmap));
    }
    if let Some(dir) = &from {
        let file = dir.join("model.safetensors");
        if run("copy-floor") {
            let start = Instant::now();
            let bytes = copy_floor(&file)?;
            println!(
                "copy floor: {:.2} GB of the checkpoint's tensors copied into fresh memory on {} threads in {:.2} s",
                bytes as f64 / 1e9,
                rayon::current_num_threads(),
                start.elapsed().as_secs_f64()
            );
        }
        if run("candle-load") {
            let start = Instant::now();
            // SAFETY: the checkpoint's files are not modified while this program runs.
            let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&file], dtype, &dev)? };
            let model = Llama::load(vb, &cfg)?;
            let load = start.elapsed().as_secs_f64();
            let forward = first_forward(&model, &cfg, dtype)?;
            println!(
                "candle VarBuilder::from_mmaped_safetensors + Llama::load: load {load:.2} s, first forward {forward:.2} s"
            );
        }
        for (what, labels) in [("checkpoint", 0), ("checkpoint-head", 2)] {
            if !run(what) {
                continue;
            }
            let start = Instant::now();
            // SAFETY: the checkpoint's files are not modified while this program runs.
            let checkpoint = unsafe { Checkpoint::mmap(&[&file])? };
            let built = ModelBuilder::new(0)
                .preset(Preset::hf(0.02))
                .checkpoint(checkpoint)
                .build(dtype, &dev, |vb| {
                    let llama = Llama::load(vb.clone(), &cfg)?;
                    let score = (labels > 0)
                        .then(|| candle_nn::linear_no_bias(cfg.hidden_size, labels, vb.pp("score")))
                        .transpose()?;
                    Ok(Opaque((llama, score)))
                })?;
            let load = start.elapsed().as_secs_f64();
            let forward = first_forward(&built.model.0 .0, &cfg, dtype)?;
            let head = if labels > 0 {
                format!(" + a new {labels}-label head")
            } else {
                String::new()
            };
            println!(
                "init-candle ModelBuilder + Checkpoint{head}: load {load:.2} s ({} tensors loaded, {} initialized), first forward {forward:.2} s",
                built.report.loaded().count(),
                built.report.initialized().count()
            );
        }
    }
    if !run("builder") {
        println!("peak RSS: {:.2} GB", peak_rss_gb());
        return Ok(());
    }

    let bar = ProgressBar::new(n);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} initializing [{bar:40}] {percent}% {human_pos}/{human_len} values",
    )?);
    let progress = bar.clone();
    // transformers' Llama init, from the config (model_type llama: the family's preset).
    let mut hf_json: serde_json::Value = serde_json::from_str(&cfg_json)?;
    hf_json["model_type"] = "llama".into();
    let hf = HfConfig::from_json(&hf_json)?;
    let start = Instant::now();
    let built = ModelBuilder::new(0)
        .hf_config(&hf)
        .on_progress(move |t| progress.inc(t.shape.iter().product::<usize>() as u64))
        .build(dtype, &dev, |vb| Ok(Opaque(Llama::load(vb, &cfg)?)))?;
    let took = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    println!(
        "init-candle ModelBuilder ({}): constructed and initialized in {took:.2} s ({:.0} M values/s)",
        built.report.preset,
        n as f64 / took / 1e6
    );

    // The report: its first rows and its summary.
    let report = built.report.to_string();
    let lines: Vec<&str> = report.lines().collect();
    for line in lines.iter().take(6) {
        println!("  {line}");
    }
    println!("  ... ({} tensors)", built.report.tensors.len());
    for line in lines.iter().skip(built.report.tensors.len() + 1) {
        println!("  {line}");
    }

    println!("peak RSS: {:.2} GB", peak_rss_gb());
    if let Some(dir) = value("--save") {
        let dir = std::path::Path::new(dir);
        std::fs::create_dir_all(dir)?;
        built.varmap.save(dir.join("model.safetensors"))?;
        let mut hf: serde_json::Value = serde_json::from_str(&cfg_json)?;
        hf["model_type"] = "llama".into();
        hf["architectures"] = serde_json::json!(["LlamaForCausalLM"]);
        hf["tie_word_embeddings"] = cfg.tie_word_embeddings.into();
        std::fs::write(dir.join("config.json"), serde_json::to_string_pretty(&hf)?)?;
        println!("saved to {}", dir.display());
    }
    let start = Instant::now();
    let mut cache = Cache::new(true, dtype, &cfg, &dev)?;
    let tokens = Tensor::new(&[[1u32, 450, 4996, 17354]], &dev)?;
    let logits = built.model.forward(&tokens, 0, &mut cache)?;
    let next = logits.argmax(candle_core::D::Minus1)?.to_vec1::<u32>()?;
    println!(
        "forward step on 4 tokens: logits {:?}, next token {} ({:.2} s)",
        logits.dims(),
        next[0],
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One forward step on 4 tokens (the first: it reads every weight); its time in seconds.
fn first_forward(model: &Llama, cfg: &Config, dtype: DType) -> Result<f64, Box<dyn Error>> {
    let start = Instant::now();
    let dev = Device::Cpu;
    let mut cache = Cache::new(true, dtype, cfg, &dev)?;
    let tokens = Tensor::new(&[[1u32, 450, 4996, 17354]], &dev)?;
    model.forward(&tokens, 0, &mut cache)?;
    Ok(start.elapsed().as_secs_f64())
}

/// Each tensor's bytes in the (memory-mapped) checkpoint copied into fresh memory (zeroed
/// pages, untouched) on every thread: the least a load into owned memory can cost.
fn copy_floor(file: &std::path::Path) -> Result<usize, Box<dyn Error>> {
    // SAFETY: the checkpoint's files are not modified while this program runs.
    let mapped = unsafe { candle_core::safetensors::MmapedSafetensors::new(file)? };
    let mut kept = Vec::new();
    for (_, view) in mapped.tensors() {
        let data = view.data();
        let mut buf = vec![0u8; data.len()];
        buf.par_chunks_mut(1 << 16)
            .zip(data.par_chunks(1 << 16))
            .for_each(|(d, s)| d.copy_from_slice(s));
        kept.push(buf);
    }
    Ok(kept.iter().map(Vec::len).sum())
}

/// The model's tensors as fresh allocations, each written once by all threads; returns bytes.
fn floor(cfg: &Config, dtype: DType) -> usize {
    let (h, i, v) = (cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size);
    let kv = h / cfg.num_attention_heads * cfg.num_key_value_heads;
    let mut sizes = vec![v * h, h, v * h];
    for _ in 0..cfg.num_hidden_layers {
        sizes.extend([h * h, kv * h, kv * h, h * h, i * h, i * h, h * i, h, h]);
    }
    let width = dtype.size_in_bytes();
    let mut kept = Vec::with_capacity(sizes.len());
    for n in sizes {
        let mut buf = vec![0u8; n * width];
        buf.par_chunks_mut(1 << 16).for_each(|c| c.fill(0x3c));
        kept.push(buf);
    }
    kept.iter().map(Vec::len).sum()
}

/// The process's peak resident memory (Linux's VmHWM), 0 elsewhere.
fn peak_rss_gb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb * 1024.0 / 1e9)
}
