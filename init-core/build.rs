//! With the `cuda` feature: compiles `src/cuda/kernels.cu` to PTX with nvcc (as Candle's own
//! kernels are built), embedded by `src/cuda/mod.rs`. Without it: does nothing, needs no CUDA tool.
//!
//! nvcc is `$NVCC`, else `$CUDA_HOME/bin/nvcc` (or `$CUDA_PATH`), else `nvcc` on the `PATH`. The
//! PTX targets `compute_$CUDA_COMPUTE_CAP` (the variable Candle's build reads too; default 80),
//! which the driver compiles for the GPU at hand, that architecture or any newer one.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CARGO_FEATURE_CUDA");
    if env::var_os("CARGO_FEATURE_CUDA").is_none() {
        return;
    }
    println!("cargo::rerun-if-changed=src/cuda/kernels.cu");
    println!("cargo::rerun-if-env-changed=NVCC");
    println!("cargo::rerun-if-env-changed=CUDA_HOME");
    println!("cargo::rerun-if-env-changed=CUDA_PATH");
    println!("cargo::rerun-if-env-changed=CUDA_COMPUTE_CAP");
    let nvcc = env::var_os("NVCC")
        .map(PathBuf::from)
        .or_else(|| {
            ["CUDA_HOME", "CUDA_PATH"]
                .iter()
                .filter_map(env::var_os)
                .map(|d| PathBuf::from(d).join("bin").join("nvcc"))
                .find(|p| p.exists())
        })
        .unwrap_or_else(|| PathBuf::from("nvcc"));
    let cap: u32 = env::var("CUDA_COMPUTE_CAP")
        .ok()
        .and_then(|c| c.trim().replace('.', "").parse().ok())
        .unwrap_or(80);
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("init_kernels.ptx");
    let status = Command::new(&nvcc)
        .args(["--ptx", "-O3", "-std=c++17", "--fmad=false"])
        .arg(format!("--gpu-architecture=compute_{cap}"))
        .arg("src/cuda/kernels.cu")
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "init-core's `cuda` feature needs nvcc to build its kernels: running {} failed: {e}",
                nvcc.display()
            )
        });
    assert!(
        status.success(),
        "nvcc failed on src/cuda/kernels.cu ({status})"
    );
}
