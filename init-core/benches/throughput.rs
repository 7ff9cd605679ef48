//! Throughput of every initializer on the cases of PyTorch's CPU benchmark
//! (`bench/torch_cpu_bench.py` measures PyTorch on the same cases).
//!
//! `cargo bench -p init-core --bench throughput` prints M elements/s; with
//! `TORCH_BENCH=path/to/torch.json` (written by the PyTorch script in the same run, see
//! `bench/cpu.sh`) it prints PyTorch's figures beside ours and the speed-up.
//! `BENCH_FILTER=substring` runs only the matching cases (`=name`: that case alone, `=memset`:
//! the baselines); `BENCH_REPEATS=n` sets the repeats.

use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use init_core::{FanMode, Generator, Nonlinearity};

type Case = (
    &'static str,
    Vec<usize>,
    DType,
    Box<dyn Fn(&Tensor, &mut Generator)>,
);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn time(repeats: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    median(
        (0..repeats)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repeats: usize = std::env::var("BENCH_REPEATS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let filter = std::env::var("BENCH_FILTER").unwrap_or_default();
    // A substring of the case names, or "=name" for exactly one case.
    let wanted = |name: &str| match filter.strip_prefix('=') {
        Some(exact) => name == exact,
        None => name.contains(filter.as_str()),
    };
    let torch: Option<serde_json::Value> = std::env::var("TORCH_BENCH")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| serde_json::from_str(&s).ok());
    let torch_s = |name: &str| -> Option<f64> {
        torch.as_ref()?["results"]
            .as_array()?
            .iter()
            .find(|r| r["name"] == name)?["median_s"]
            .as_f64()
    };
    let big = vec![8192, 8192];
    let e = |r: init_core::Result<()>| r.expect("benchmark case is valid");
    let cases: Vec<Case> = vec![
        (
            "normal_ 8192x8192 f32",
            big.clone(),
            DType::F32,
            Box::new(move |t, g| e(init_core::normal(t, 0.0, 1.0, g))),
        ),
        (
            "uniform_ 8192x8192 f32",
            big.clone(),
            DType::F32,
            Box::new(move |t, g| e(init_core::uniform(t, 0.0, 1.0, g))),
        ),
        (
            "xavier_normal_ 8192x8192 f32",
            big.clone(),
            DType::F32,
            Box::new(move |t, g| e(init_core::xavier_normal(t, 1.0, g))),
        ),
        (
            "xavier_uniform_ 8192x8192 f32",
            big.clone(),
            DType::F32,
            Box::new(move |t, g| e(init_core::xavier_uniform(t, 1.0, g))),
        ),
        (
            "kaiming_uniform_ 8192x8192 f32",
            big.clone(),
            DType::F32,
            Box::new(move |t, g| {
                e(init_core::kaiming_uniform(
                    t,
                    0.0,
                    FanMode::FanIn,
                    Nonlinearity::LEAKY_RELU,
                    g,
                ))
            }),
        ),
        (
            "kaiming_normal_ 8192x8192 f32",
            big.clone(),
            DType::F32,
            Box::new(move |t, g| {
                e(init_core::kaiming_normal(
                    t,
                    0.0,
                    FanMode::FanIn,
                    Nonlinearity::LEAKY_RELU,
                    g,
                ))
            }),
        ),
        (
            "normal_ 8192x8192 bf16",
            big.clone(),
            DType::BF16,
            Box::new(move |t, g| e(init_core::normal(t, 0.0, 1.0, g))),
        ),
        (
            "xavier_normal_ 8192x8192 bf16",
            big.clone(),
            DType::BF16,
            Box::new(move |t, g| e(init_core::xavier_normal(t, 1.0, g))),
        ),
        (
            "uniform_ 8192x8192 bf16",
            big.clone(),
            DType::BF16,
            Box::new(move |t, g| e(init_core::uniform(t, 0.0, 1.0, g))),
        ),
        (
            "trunc_normal_ 8192x8192 (0,1,-2,2)",
            big.clone(),
            DType::F32,
            Box::new(move |t, g| e(init_core::trunc_normal(t, 0.0, 1.0, -2.0, 2.0, g))),
        ),
        (
            "trunc_normal_ 8192x8192 std=0.02",
            big.clone(),
            DType::F32,
            Box::new(move |t, g| e(init_core::trunc_normal(t, 0.0, 0.02, -2.0, 2.0, g))),
        ),
        (
            "trunc_normal_ 8192x8192 a=2 b=3",
            big.clone(),
            DType::F32,
            Box::new(move |t, g| e(init_core::trunc_normal(t, 0.0, 1.0, 2.0, 3.0, g))),
        ),
        (
            "constant_ 8192x8192 f32",
            big.clone(),
            DType::F32,
            Box::new(move |t, _| e(init_core::constant(t, 0.5))),
        ),
        (
            "orthogonal_ 1024x1024",
            vec![1024, 1024],
            DType::F32,
            Box::new(move |t, g| e(init_core::orthogonal(t, 1.0, g))),
        ),
        (
            "orthogonal_ 4096x4096",
            vec![4096, 4096],
            DType::F32,
            Box::new(move |t, g| e(init_core::orthogonal(t, 1.0, g))),
        ),
        (
            "orthogonal_ 512x4096",
            vec![512, 4096],
            DType::F32,
            Box::new(move |t, g| e(init_core::orthogonal(t, 1.0, g))),
        ),
    ];
    println!(
        "{:<36} {:>10} {:>10} {:>11} {:>11} {:>8}",
        "case", "ms", "Melem/s", "torch ms", "torch Me/s", "speedup"
    );
    let mut g = Generator::new(0);
    for (name, dims, dtype, f) in &cases {
        if !wanted(name) {
            continue;
        }
        let t = Tensor::zeros(dims.as_slice(), *dtype, &Device::Cpu)?;
        let n = t.elem_count() as f64;
        let reps = if name.starts_with("orthogonal_ 4096") {
            repeats.min(3)
        } else {
            repeats
        };
        let s = time(reps, || f(&t, &mut g));
        let row = format!("{name:<36} {:>10.1} {:>10.0}", s * 1e3, n / s / 1e6);
        match torch_s(name) {
            Some(ts) => println!(
                "{row} {:>11.1} {:>11.1} {:>7.1}x",
                ts * 1e3,
                n / ts / 1e6,
                ts / s
            ),
            None => println!("{row}"),
        }
    }
    // Baselines: a plain memset of the same bytes, and candle's own random fill.
    if filter.is_empty() || wanted("memset") {
        let mut buf = vec![0f32; 8192 * 8192];
        let s = time(repeats, || {
            buf.fill(std::hint::black_box(0.5));
            std::hint::black_box(&buf);
        });
        println!(
            "{:<36} {:>10.1} {:>10.0}",
            "[baseline] memset 8192x8192 f32 (1 thread)",
            s * 1e3,
            8192.0 * 8192.0 / s / 1e6
        );
        let s = time(repeats.min(3), || {
            std::hint::black_box(
                Tensor::randn(0f32, 1f32, (8192, 8192), &Device::Cpu).expect("randn"),
            );
        });
        println!(
            "{:<36} {:>10.1} {:>10.0}",
            "[baseline] candle Tensor::randn f32",
            s * 1e3,
            8192.0 * 8192.0 / s / 1e6
        );
    }
    Ok(())
}
