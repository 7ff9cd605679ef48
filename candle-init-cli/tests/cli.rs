//! `candle-init seed-checkpoint` end to end: the files it writes load in candle and give the
//! logits of the model `ModelBuilder::build` makes from the same config and seed.

use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::llama::{Cache, Llama, LlamaConfig};
use init_candle::build::{HfConfig, ModelBuilder, Opaque};
use init_testkit::small_llama_json;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("candle-init-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// `candle-init seed-checkpoint --config CONFIG --out OUT ARGS..`.
fn seed_checkpoint(config: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    let paths = ["--config", path(config), "--out", path(out)];
    Command::new(env!("CARGO_BIN_EXE_candle-init"))
        .arg("seed-checkpoint")
        .args(paths.iter().chain(args))
        .output()
        .expect("run candle-init")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// The candle-transformers config of `small_llama_json`.
fn small_llama() -> candle_transformers::models::llama::Config {
    let cfg: LlamaConfig = serde_json::from_value(small_llama_json()).unwrap();
    cfg.into_config(false)
}

fn logits(vb: VarBuilder, cfg: &candle_transformers::models::llama::Config) -> Vec<f32> {
    let model = Llama::load(vb, cfg).unwrap();
    let mut cache = Cache::new(false, DType::F32, cfg, &Device::Cpu).unwrap();
    let tokens = Tensor::new(&[[1u32, 7, 42, 299]], &Device::Cpu).unwrap();
    model
        .forward(&tokens, 0, &mut cache)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
}

#[test]
fn a_sharded_seed_checkpoint_loads_in_candle_with_the_builds_logits() {
    let dir = temp_dir("llama");
    let config = dir.join("config.json");
    std::fs::write(&config, small_llama_json().to_string()).unwrap();
    let out = dir.join("out");
    let run = seed_checkpoint(
        &config,
        &out,
        &[
            "--dtype",
            "f32",
            "--shard-size",
            "100KB",
            "--seed",
            "11",
            "--quiet",
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("6 files"), "{stderr}");
    assert_eq!(
        std::fs::read(out.join("config.json")).unwrap(),
        std::fs::read(&config).unwrap()
    );
    // The shards, as the index names them.
    let index: serde_json::Value =
        serde_json::from_slice(&read(&out.join("model.safetensors.index.json"))).unwrap();
    let mut files: Vec<PathBuf> = index["weight_map"]
        .as_object()
        .unwrap()
        .values()
        .map(|f| out.join(f.as_str().unwrap()))
        .collect();
    files.sort();
    files.dedup();
    assert_eq!(files.len(), 6);

    let cfg = small_llama();
    // SAFETY: the files are this test's own, not modified while mapped.
    let vb =
        unsafe { VarBuilder::from_mmaped_safetensors(&files, DType::F32, &Device::Cpu) }.unwrap();
    let loaded = logits(vb, &cfg);

    let hf = HfConfig::from_json(&small_llama_json()).unwrap();
    let built = ModelBuilder::new(11)
        .hf_config(&hf)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Opaque(Llama::load(vb, &cfg)?))
        })
        .unwrap();
    let vb = VarBuilder::from_varmap(&built.varmap, DType::F32, &Device::Cpu);
    assert_eq!(loaded, logits(vb, &cfg));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_file_is_the_one_build_then_save_writes() {
    let dir = temp_dir("bytes");
    let config = dir.join("config.json");
    std::fs::write(&config, small_llama_json().to_string()).unwrap();
    let out = dir.join("out");
    let run = seed_checkpoint(&config, &out, &["--preset", "pytorch", "--quiet"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let cfg = small_llama();
    let built = ModelBuilder::new(0)
        .build(DType::BF16, &Device::Cpu, |vb| {
            Ok(Opaque(Llama::load(vb, &cfg)?))
        })
        .unwrap();
    let saved = dir.join("saved.safetensors");
    built.varmap.save(&saved).unwrap();
    assert!(read(&out.join("model.safetensors")) == read(&saved));
    std::fs::remove_dir_all(&dir).ok();
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_supported_family_is_written() {
    let dir = temp_dir("families");
    let small = serde_json::json!({
        "hidden_size": 32, "intermediate_size": 64, "vocab_size": 50, "num_hidden_layers": 1,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
        "max_position_embeddings": 32, "rms_norm_eps": 1e-6, "sliding_window": 32,
        "query_pre_attn_scalar": 8,
    });
    for family in [
        "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3",
    ] {
        let mut json = small.clone();
        json["model_type"] = family.into();
        let config = dir.join(format!("{family}.json"));
        std::fs::write(&config, json.to_string()).unwrap();
        let out = dir.join(family);
        let run = seed_checkpoint(&config, &out, &["--quiet", "--strict"]);
        assert!(
            run.status.success(),
            "{family}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        // SAFETY: as above.
        let st = unsafe {
            candle_core::safetensors::MmapedSafetensors::new(out.join("model.safetensors"))
        }
        .unwrap();
        assert!(st.tensors().len() >= 9, "{family}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unknown_family_is_refused_with_the_supported_ones() {
    let dir = temp_dir("unknown");
    let config = dir.join("config.json");
    std::fs::write(&config, r#"{"model_type": "bert"}"#).unwrap();
    let out = dir.join("out");
    let run = seed_checkpoint(&config, &out, &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("model_type `bert`") && stderr.contains("llama, mistral, qwen2"),
        "{stderr}"
    );
    assert!(!out.exists());
    let run = seed_checkpoint(&config, &out, &["--shard-size", "5XB"]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("unknown unit"));
    std::fs::remove_dir_all(&dir).ok();
}

/// A large seed checkpoint written by the CLI (a Llama config, `--dtype bf16`, the default
/// preset and seed), read back tensor by tensor against `build` of the same config: run with
/// `SEED_CHECKPOINT_DIR=DIR cargo test --release -p candle-init-cli -- --ignored`. It holds
/// the built model (13.5 GB for the 7B shape) and one tensor of the file at a time.
#[test]
#[ignore = "needs SEED_CHECKPOINT_DIR, a checkpoint written by `candle-init seed-checkpoint`"]
fn a_large_seed_checkpoint_loads_back_to_the_build() {
    let Some(dir) = std::env::var_os("SEED_CHECKPOINT_DIR").map(std::path::PathBuf::from) else {
        return;
    };
    let config = dir.join("config.json");
    let json: serde_json::Value = serde_json::from_slice(&read(&config)).unwrap();
    let cfg: LlamaConfig = serde_json::from_value(json.clone()).unwrap();
    let cfg = cfg.into_config(false);
    let hf = HfConfig::from_json(&json).unwrap();
    let built = ModelBuilder::new(0)
        .hf_config(&hf)
        .build(DType::BF16, &Device::Cpu, |vb| {
            Ok(Opaque(Llama::load(vb, &cfg)?))
        })
        .unwrap();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .collect();
    files.sort();
    // SAFETY: the files are not modified while mapped.
    let st = unsafe { candle_core::safetensors::MmapedSafetensors::multi(&files) }.unwrap();
    let vars = built.varmap.data().lock().unwrap();
    assert_eq!(st.tensors().len(), vars.len());
    for (name, var) in vars.iter() {
        let stored = st.load(name, &Device::Cpu).unwrap();
        let equal = stored
            .eq(var.as_tensor())
            .and_then(|e| e.flatten_all()?.min(0)?.to_scalar::<u8>())
            .unwrap();
        assert!(stored.dims() == var.dims() && equal == 1, "{name} differs");
    }
    eprintln!("{} tensors equal to the build", vars.len());
}
