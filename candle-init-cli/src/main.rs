//! `candle-init`: seed checkpoints of Hugging Face model families from their `config.json`.
//!
//! ```text
//! candle-init seed-checkpoint --config config.json [--preset hf|pytorch] [--dtype bf16]
//!     [--shard-size 5GB] [--seed N] --out DIR
//! ```
//!
//! writes the candle-transformers model of the config's `model_type`, initialized as
//! transformers initializes it (`--preset hf`, the default: `HfConfig` + `hf_config`) or with
//! PyTorch's layer defaults (`--preset pytorch`), to safetensors in `DIR` (one file, or shards
//! with `model.safetensors.index.json`) without holding the model in memory
//! ([`ModelBuilder::seed_checkpoint`](init_candle::build::ModelBuilder::seed_checkpoint)), and
//! copies `config.json` beside it. The program holds no initialization logic of its own: it
//! maps `model_type` to candle-transformers' constructor and hands it to `init-candle`.

mod families;
mod size;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use candle_core::DType;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use init_candle::build::{HfConfig, ModelBuilder, SeedCheckpoint};

#[derive(Parser)]
#[command(
    name = "candle-init",
    version,
    about = "Initialize Candle models as PyTorch and transformers do"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write an initialized model of a Hugging Face `config.json` to safetensors, without
    /// holding it in memory.
    SeedCheckpoint(SeedArgs),
}

#[derive(clap::Args)]
struct SeedArgs {
    /// The model's `config.json` (its `model_type` picks the family).
    #[arg(long)]
    config: PathBuf,
    /// How tensors are initialized: `hf` as transformers' `_init_weights` for the family, or
    /// `pytorch` (each layer's `reset_parameters`).
    #[arg(long, value_enum, default_value_t = PresetArg::Hf)]
    preset: PresetArg,
    /// The dtype written.
    #[arg(long, value_enum, default_value_t = DtypeArg::Bf16)]
    dtype: DtypeArg,
    /// Shards of at most this much tensor data each (`5GB`, `500MB`, `2GiB`, bytes); one file
    /// when unset.
    #[arg(long, value_parser = size::parse)]
    shard_size: Option<u64>,
    /// The seed of every random stream.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Refuse tensors no rule or preset recognizes, and unknown families' configs.
    #[arg(long)]
    strict: bool,
    /// The output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// The size of the chunks each tensor is written in, in MiB (a tuning knob).
    #[arg(long, hide = true, default_value_t = 16)]
    chunk_mib: usize,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum PresetArg {
    Hf,
    Pytorch,
}

#[derive(Clone, Copy, ValueEnum)]
enum DtypeArg {
    F32,
    Bf16,
    F16,
}

impl From<DtypeArg> for DType {
    fn from(d: DtypeArg) -> DType {
        match d {
            DtypeArg::F32 => DType::F32,
            DtypeArg::Bf16 => DType::BF16,
            DtypeArg::F16 => DType::F16,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::SeedCheckpoint(args) => seed_checkpoint(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("candle-init: {e}");
            ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error>;

fn seed_checkpoint(args: &SeedArgs) -> Result<(), BoxError> {
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("{}: {e}", args.config.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not JSON: {e}", args.config.display()))?;
    let family = families::Family::from_config(&json)
        .map_err(|e| format!("{}: {e}", args.config.display()))?;
    let mut builder = ModelBuilder::new(args.seed).strict(args.strict);
    if let PresetArg::Hf = args.preset {
        builder = builder.hf_config(&HfConfig::from_file(&args.config)?);
    }
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {msg}",
        )?
        .progress_chars("=> "),
    );
    let mut out = SeedCheckpoint::new(&args.out).on_progress({
        let bar = bar.clone();
        move |p| {
            bar.set_length(p.total);
            bar.set_position(p.bytes);
            bar.set_message(p.tensor.to_owned());
        }
    });
    out = out.chunk_bytes(args.chunk_mib.max(1) << 20);
    if let Some(size) = args.shard_size {
        out = out.shard_size(size);
    }
    let started = Instant::now();
    let written = family.seed(&builder, args.dtype.into(), &out)?;
    bar.finish_and_clear();
    let copied = args.out.join("config.json");
    if std::fs::canonicalize(&args.config).ok() != std::fs::canonicalize(&copied).ok() {
        std::fs::copy(&args.config, &copied)
            .map_err(|e| format!("copying the config to {}: {e}", copied.display()))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "candle-init: {} ({} tensors, {:.2} GB in {} file{}) written to {} in {seconds:.1} s ({:.2} GB/s), preset {}",
        family.model_type(),
        written.report.tensors.len(),
        written.bytes as f64 / 1e9,
        written.files.len(),
        if written.files.len() == 1 { "" } else { "s" },
        args.out.display(),
        written.bytes as f64 / 1e9 / seconds.max(1e-9),
        written.report.preset,
    );
    Ok(())
}
