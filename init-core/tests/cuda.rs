//! The CUDA path against the CPU path (feature `cuda`; needs a GPU: every test opens device 0).
//!
//! Same seed, same `Init`, one tensor on the CPU and one on the GPU:
//! - f32, f16, bf16: bit-identical for every initializer;
//! - f64: uniform and the structured initializers bit-identical; normal and truncated normal
//!   within a few ulps (CUDA's `log`/`sincos` against the host's libm), truncated values inside
//!   (a, b);
//! - strided views get the values the full tensor gets at their positions, and nothing else is
//!   written; shards (`apply_region`) get the CPU shard's values;
//! - the storage (and its device allocation) is the same after initialization.
//!
//! Build here, run on the GPU machine (see `../shared/cuda/README.md`), from the repository root:
//!
//! ```text
//! source .ci/cuda/setup.sh
//! CARGO_TARGET_DIR=target-cuda cargo test --release -p init-core --features cuda --no-run
//! mkdir -p .gpu && cp ../shared/cuda/run-on-device.sh .gpu/
//! xz -T0 -c target-cuda/release/deps/cuda-<hash> > .gpu/cuda_tests.xz
//! # device tool, carry [".gpu"]:
//! bash .gpu/run-on-device.sh .gpu/cuda_tests --test-threads 1 2>&1 | tee $OUT/log
//! bash .gpu/run-on-device.sh .gpu/cuda_tests --ignored --nocapture throughput 2>&1 | tee -a $OUT/log
//! ```
#![cfg(feature = "cuda")]

use candle_core::backend::BackendStorage;
use candle_core::cuda_backend::cudarc::driver::DevicePtr;
use candle_core::{DType, Device, Storage, Tensor, Var};
use half::{bf16, f16};
use init_core::{FanMode, Generator, Init, Nonlinearity};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const FLOATS: [DType; 4] = [DType::F32, DType::F16, DType::BF16, DType::F64];

fn gpu() -> Device {
    Device::new_cuda(0).expect("these tests need a CUDA device")
}

/// The tensor's values (all of its storage when it is a base tensor) as bit patterns.
fn bits(t: &Tensor) -> Vec<u64> {
    let t = t.flatten_all().unwrap().to_device(&Device::Cpu).unwrap();
    match t.dtype() {
        DType::F32 => t
            .to_vec1::<f32>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits() as u64)
            .collect(),
        DType::F64 => t
            .to_vec1::<f64>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect(),
        DType::F16 => t
            .to_vec1::<f16>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits() as u64)
            .collect(),
        DType::BF16 => t
            .to_vec1::<bf16>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits() as u64)
            .collect(),
        DType::U8 => t
            .to_vec1::<u8>()
            .unwrap()
            .iter()
            .map(|&v| v as u64)
            .collect(),
        DType::U32 => t
            .to_vec1::<u32>()
            .unwrap()
            .iter()
            .map(|&v| v as u64)
            .collect(),
        DType::I64 => t
            .to_vec1::<i64>()
            .unwrap()
            .iter()
            .map(|&v| v as u64)
            .collect(),
        other => panic!("no bits for {other:?}"),
    }
}

fn values_f64(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .unwrap()
        .to_device(&Device::Cpu)
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .to_vec1::<f64>()
        .unwrap()
}

/// A CPU and a GPU tensor of the same shape and dtype, filled with the same marker value.
fn pair(dims: &[usize], dtype: DType) -> (Tensor, Tensor) {
    let cpu = (Tensor::ones(dims, DType::F32, &Device::Cpu).unwrap() * 7.0)
        .unwrap()
        .to_dtype(dtype)
        .unwrap();
    let gpu = cpu.to_device(&gpu()).unwrap();
    (cpu, gpu)
}

/// Compares the CPU's and the GPU's values: bit-identical, or, with `close` (f64 samplers
/// through log/sincos), within 1e-14 * (1 + |x|) (a few ulps of the standard normal before the
/// scale and shift). `mismatches_allowed` positions may differ more: a truncated candidate on the
/// acceptance boundary redrawn on one side only.
fn compare(what: &str, cpu: &Tensor, gpu: &Tensor, close: bool, mismatches_allowed: usize) {
    let (c, g) = (bits(cpu), bits(gpu));
    assert_eq!(c.len(), g.len());
    let mut bad = 0;
    let (mut inexact, mut worst) = (0usize, 0f64);
    for (i, (&a, &b)) in c.iter().zip(&g).enumerate() {
        if a == b {
            continue;
        }
        if close && cpu.dtype() == DType::F64 {
            let (x, y) = (f64::from_bits(a), f64::from_bits(b));
            let d = (x - y).abs();
            if d <= 1e-14 * (1.0 + x.abs()) {
                inexact += 1;
                worst = worst.max(d / (1.0 + x.abs()));
                continue;
            }
        }
        bad += 1;
        if bad <= 5 {
            eprintln!("{what}: element {i}: cpu {a:#x} gpu {b:#x}");
        }
    }
    assert!(
        bad <= mismatches_allowed,
        "{what}: {bad} of {} elements differ",
        c.len()
    );
    if inexact > 0 {
        eprintln!(
            "{what}: {inexact} of {} f64 values differ from the CPU's, by at most {worst:e} * (1 + |x|)",
            c.len()
        );
    }
}

/// Applies `init` to both tensors with the same seed; false (after checking that both devices
/// refuse alike) when the shape does not allow it (fans of a 1-D tensor, dirac's groups).
fn apply_both(init: &Init, cpu: &Tensor, gpu: &Tensor, seed: u64) -> bool {
    let on_cpu = init.apply(cpu, &mut Generator::new(seed));
    let on_gpu = init.apply(gpu, &mut Generator::new(seed));
    assert_eq!(
        on_cpu.is_ok(),
        on_gpu.is_ok(),
        "{init:?} {:?}: cpu {on_cpu:?}, gpu {on_gpu:?}",
        cpu.dims()
    );
    on_cpu.is_ok()
}

fn random_inits() -> Vec<(&'static str, Init)> {
    vec![
        (
            "uniform",
            Init::Uniform {
                low: -1.0,
                high: 3.0,
            },
        ),
        (
            "normal",
            Init::Normal {
                mean: 0.5,
                std: 2.0,
            },
        ),
        ("trunc_normal default (normal method)", Init::trunc_normal()),
        (
            "trunc_normal narrow (uniform method)",
            Init::TruncNormal {
                mean: 0.0,
                std: 1.0,
                a: -0.3,
                b: 0.4,
            },
        ),
        (
            "trunc_normal tail (ziggurat in f32, exponential method in f64)",
            Init::TruncNormal {
                mean: 0.0,
                std: 1.0,
                a: 2.0,
                b: 3.0,
            },
        ),
        (
            "trunc_normal left tail, mirrored (exponential method)",
            Init::TruncNormal {
                mean: 1.0,
                std: 2.0,
                a: -7.0,
                b: -3.0,
            },
        ),
        (
            "trunc_normal short tail (ziggurat in f32, shifted uniform method in f64)",
            Init::TruncNormal {
                mean: 0.0,
                std: 1.0,
                a: 2.0,
                b: 2.05,
            },
        ),
        ("xavier_uniform", Init::xavier_uniform()),
        ("lecun_normal", Init::lecun_normal()),
        ("glorot_uniform", Init::glorot_uniform()),
        (
            "kaiming_normal",
            Init::KaimingNormal {
                a: 0.0,
                mode: FanMode::FanOut,
                nonlinearity: Nonlinearity::Relu,
            },
        ),
    ]
}

fn is_f64_transcendental(name: &str, dtype: DType) -> bool {
    dtype == DType::F64 && !name.starts_with("uniform") && !name.starts_with("xavier_uniform")
}

#[test]
fn samplers_match_the_cpu_on_contiguous_tensors() -> TestResult {
    // Sizes that end mid-group and mid-tile, and one of several thousand tiles.
    for dims in [vec![37, 129], vec![3], vec![1 << 10, 1 << 10 | 13]] {
        for dtype in FLOATS {
            for (name, init) in random_inits() {
                let (c, g) = pair(&dims, dtype);
                if !apply_both(&init, &c, &g, 17) {
                    continue;
                }
                let what = format!("{name} {dtype:?} {dims:?}");
                if is_f64_transcendental(name, dtype) {
                    compare(&what, &c, &g, true, c.elem_count() / 100_000);
                } else {
                    compare(&what, &c, &g, false, 0);
                }
            }
        }
    }
    Ok(())
}

#[test]
fn views_get_the_values_of_the_full_tensor_and_nothing_else_is_written() -> TestResult {
    for dtype in FLOATS {
        for (name, init) in random_inits() {
            for view in 0..4 {
                let (c, g) = pair(&[24, 70], dtype);
                let pick = |t: &Tensor| -> Tensor {
                    match view {
                        0 => t.narrow(1, 5, 40).unwrap(),             // strided columns
                        1 => t.narrow(0, 3, 10).unwrap(), // contiguous rows at an offset
                        2 => t.t().unwrap(),              // transposed: all positions
                        _ => t.narrow(1, 9, 1).unwrap().t().unwrap(), // one column
                    }
                };
                if !apply_both(&init, &pick(&c), &pick(&g), 5) {
                    continue;
                }
                let what = format!("{name} {dtype:?} view {view}");
                if is_f64_transcendental(name, dtype) {
                    compare(&what, &c, &g, true, 1);
                } else {
                    compare(&what, &c, &g, false, 0);
                }
            }
        }
    }
    Ok(())
}

#[test]
fn shards_on_the_gpu_equal_the_cpu_shards() -> TestResult {
    use init_core::Region;
    let full = [48usize, 70];
    let regions = [
        Region::split(&full, 0, 1, 4)?,
        Region::split(&full, 1, 1, 2)?,
        Region::split(&full, 1, 9, 10)?,
        Region::flat_chunk(&full, 2, 3)?,
    ];
    let structured = [("orthogonal", Init::orthogonal()), ("eye", Init::Eye)];
    for dtype in FLOATS {
        for (name, init) in random_inits().into_iter().chain(structured.clone()) {
            for region in regions {
                let dims = region.dims(&full)?;
                let (c, g) = pair(&dims, dtype);
                let on_cpu = init.apply_region(&c, &full, region, &mut Generator::new(5));
                let on_gpu = init.apply_region(&g, &full, region, &mut Generator::new(5));
                assert_eq!(on_cpu.is_ok(), on_gpu.is_ok(), "{name} {region:?}");
                if on_cpu.is_err() {
                    continue;
                }
                let what = format!("{name} {dtype:?} shard {region:?}");
                let close = is_f64_transcendental(name, dtype) && name != "orthogonal";
                compare(&what, &c, &g, close, c.elem_count() / 100_000);
            }
        }
    }
    Ok(())
}

#[test]
fn truncated_values_lie_strictly_inside_the_interval() -> TestResult {
    for dtype in FLOATS {
        for (a, b) in [
            (-2.0, 2.0),
            (2.0, 2.05),
            (-0.01, 0.01),
            (0.5, 0.5078125),
            (5.0, 9.0),
        ] {
            let (_, g) = pair(&[1 << 16 | 3], dtype);
            init_core::trunc_normal(&g, 0.0, 1.0, a, b, &mut Generator::new(3))?;
            for v in values_f64(&g) {
                assert!(a < v && v < b, "{dtype:?} ({a}, {b}): {v}");
            }
        }
    }
    Ok(())
}

#[test]
fn constants_and_structured_inits_match_the_cpu() -> TestResult {
    for dtype in [
        DType::F32,
        DType::F16,
        DType::BF16,
        DType::F64,
        DType::U8,
        DType::U32,
        DType::I64,
    ] {
        for (i, value) in [0.0, 1.0, 3.0, 100.0].into_iter().enumerate() {
            let (c, g) = pair(&[33, 65], dtype);
            // Whole tensor, then a strided view.
            init_core::constant(&c, value)?;
            init_core::constant(&g, value)?;
            init_core::constant(&c.narrow(1, i, 7)?, value + 1.0)?;
            init_core::constant(&g.narrow(1, i, 7)?, value + 1.0)?;
            compare(&format!("constant {value} {dtype:?}"), &c, &g, false, 0);
        }
    }
    for dtype in FLOATS {
        let inits = [
            ("eye", Init::Eye, vec![5, 9]),
            ("dirac", Init::Dirac { groups: 2 }, vec![6, 3, 3, 3]),
            (
                "orthogonal",
                Init::Orthogonal {
                    gain: 1.5,
                    column_axis: 0,
                },
                vec![40, 24],
            ),
            ("orthogonal wide", Init::orthogonal(), vec![12, 3, 5]),
            (
                "orthogonal column_axis -1",
                Init::Orthogonal {
                    gain: 1.0,
                    column_axis: -1,
                },
                vec![12, 3, 5],
            ),
            (
                "delta_orthogonal",
                Init::delta_orthogonal(),
                vec![8, 4, 3, 3],
            ),
            (
                "sparse",
                Init::Sparse {
                    sparsity: 0.3,
                    std: 0.02,
                },
                vec![50, 20],
            ),
        ];
        for (name, init, dims) in inits {
            let (c, g) = pair(&dims, dtype);
            assert!(apply_both(&init, &c, &g, 11), "{name} {dtype:?}");
            let f64_normal = name == "sparse";
            let what = format!("{name} {dtype:?}");
            compare(&what, &c, &g, f64_normal, 0);
            // And through a transposed view (where the shape allows: dirac's groups must
            // divide the first dimension; both devices must then refuse alike).
            let (c, g) = pair(&dims, dtype);
            let (cv, gv) = (c.transpose(0, 1)?, g.transpose(0, 1)?);
            if apply_both(&init, &cv, &gv, 12) {
                compare(&format!("{what} transposed"), &c, &g, f64_normal, 0);
            }
        }
    }
    Ok(())
}

/// The device address of a CUDA tensor's allocation.
fn device_address(t: &Tensor) -> u64 {
    let (storage, _) = t.storage_and_layout();
    match &*storage {
        Storage::Cuda(s) => {
            let stream = s.device().cuda_stream();
            match t.dtype() {
                DType::F32 => s.as_cuda_slice::<f32>().unwrap().device_ptr(&stream).0,
                DType::BF16 => s.as_cuda_slice::<bf16>().unwrap().device_ptr(&stream).0,
                other => panic!("no address for {other:?}"),
            }
        }
        _ => panic!("not a CUDA tensor"),
    }
}

fn storage_id(t: &Tensor) -> *const Storage {
    &*t.storage_and_layout().0 as *const Storage
}

#[test]
fn initialization_is_in_place() -> TestResult {
    for dtype in [DType::F32, DType::BF16] {
        let v = Var::zeros((64, 48), dtype, &gpu())?;
        let (id, addr) = (storage_id(v.as_tensor()), device_address(v.as_tensor()));
        let mut rng = Generator::new(1);
        init_core::kaiming_uniform(&v, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng)?;
        init_core::normal(&v.narrow(0, 2, 5)?, 3.0, 0.1, &mut rng)?;
        init_core::trunc_normal(&v, 0.0, 1.0, -2.0, 2.0, &mut rng)?;
        init_core::orthogonal(&v, 1.0, &mut rng)?;
        init_core::zeros(&v.narrow(1, 0, 3)?)?;
        assert_eq!(storage_id(v.as_tensor()), id);
        assert_eq!(device_address(v.as_tensor()), addr);
        let vals = values_f64(v.as_tensor());
        assert!(vals.iter().any(|&x| x != 0.0));
    }
    Ok(())
}

#[test]
fn a_large_tensor_matches_the_cpu() -> TestResult {
    // 2^26 + 5 elements: many tiles, a partial last one.
    for dtype in [DType::F32, DType::BF16] {
        let dims = [(1 << 26) + 5];
        let c = Tensor::zeros(&dims[..], dtype, &Device::Cpu)?;
        let g = Tensor::zeros(&dims[..], dtype, &gpu())?;
        init_core::normal(&c, 0.0, 0.02, &mut Generator::new(99))?;
        init_core::normal(&g, 0.0, 0.02, &mut Generator::new(99))?;
        compare(&format!("normal 2^26+5 {dtype:?}"), &c, &g, false, 0);
    }
    Ok(())
}

/// Throughput on the GPU (bytes written per second), for a first look; the benchmarks proper
/// are elsewhere. `cargo test --features cuda --test cuda -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() -> TestResult {
    let dev = gpu();
    let n = 1usize << 28;
    for dtype in [DType::F32, DType::BF16] {
        let t = Tensor::zeros(n, dtype, &dev)?;
        let inits: [(&str, Init); 5] = [
            ("constant", Init::Constant { value: 0.5 }),
            (
                "uniform",
                Init::Uniform {
                    low: -1.0,
                    high: 1.0,
                },
            ),
            (
                "normal",
                Init::Normal {
                    mean: 0.0,
                    std: 0.02,
                },
            ),
            ("trunc_normal", Init::trunc_normal()),
            (
                "trunc_normal tail",
                Init::TruncNormal {
                    mean: 0.0,
                    std: 1.0,
                    a: 2.0,
                    b: 3.0,
                },
            ),
        ];
        let mut rng = Generator::new(0);
        for (name, init) in inits {
            init.apply(&t, &mut rng)?; // warm-up: module load
            dev.synchronize()?;
            let reps = 10;
            let start = std::time::Instant::now();
            for _ in 0..reps {
                init.apply(&t, &mut rng)?;
            }
            dev.synchronize()?;
            let s = start.elapsed().as_secs_f64() / reps as f64;
            let gbs = (n * dtype.size_in_bytes()) as f64 / s / 1e9;
            eprintln!("{name:>18} {dtype:?}: {:.3} ms, {gbs:.0} GB/s", s * 1e3);
        }
    }
    Ok(())
}
