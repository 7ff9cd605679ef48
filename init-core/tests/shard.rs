//! Shards: `Init::apply_region` on a shard alone equals the same region of the full tensor
//! initialized whole, bit for bit, for every initializer and float dtype, split along each
//! dimension over 1..=8 ranks and in flat (FSDP-style) chunks.

use candle_core::{DType, Device, Tensor};
use init_core::{FanMode, Generator, Init, InitError, Nonlinearity, Region};
use init_testkit::bits;

fn inits() -> Vec<Init> {
    vec![
        Init::Uniform {
            low: -0.3,
            high: 0.7,
        },
        Init::Normal {
            mean: 0.1,
            std: 0.02,
        },
        Init::TruncNormal {
            mean: 0.0,
            std: 1.0,
            a: -2.0,
            b: 2.0,
        },
        Init::TruncNormal {
            mean: 0.0,
            std: 1.0,
            a: 2.0,
            b: 3.0,
        },
        Init::Constant { value: 0.25 },
        Init::Zeros,
        Init::XavierUniform { gain: 1.0 },
        Init::XavierNormal { gain: 2.0 },
        Init::KaimingUniform {
            a: 0.0,
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::Relu,
        },
        Init::KaimingNormal {
            a: 0.0,
            mode: FanMode::FanOut,
            nonlinearity: Nonlinearity::Relu,
        },
        Init::orthogonal(),
        Init::Orthogonal {
            gain: 0.5,
            column_axis: 1,
        },
        Init::lecun_normal(),
        Init::glorot_uniform(),
        Init::Sparse {
            sparsity: 0.25,
            std: 0.01,
        },
        Init::Eye,
    ]
}

fn full(init: &Init, dims: &[usize], dtype: DType, seed: u64) -> Tensor {
    let t = Tensor::zeros(dims, dtype, &Device::Cpu).unwrap();
    init.apply(&t, &mut Generator::new(seed).for_path("w"))
        .unwrap();
    t
}

fn shard(init: &Init, dims: &[usize], region: Region, dtype: DType, seed: u64) -> Tensor {
    let shape = region.dims(dims).unwrap();
    let t = Tensor::zeros(shape, dtype, &Device::Cpu).unwrap();
    init.apply_region(&t, dims, region, &mut Generator::new(seed).for_path("w"))
        .unwrap();
    t
}

#[test]
fn shards_concatenate_to_the_full_tensor() {
    // 24 = 2^3 * 3 and 840 = lcm(1..=8): dim 1 splits for every world size.
    let dims = [24, 840];
    for dtype in [DType::F32, DType::F64, DType::F16, DType::BF16] {
        for init in inits() {
            let whole = full(&init, &dims, dtype, 7);
            for dim in 0..2 {
                for ws in 1..=8 {
                    if dims[dim] % ws != 0 {
                        assert!(Region::split(&dims, dim, 0, ws).is_err());
                        continue;
                    }
                    let parts: Vec<Tensor> = (0..ws)
                        .map(|r| {
                            let region = Region::split(&dims, dim, r, ws).unwrap();
                            shard(&init, &dims, region, dtype, 7)
                        })
                        .collect();
                    let joined = Tensor::cat(&parts, dim).unwrap();
                    assert_eq!(
                        bits(&joined),
                        bits(&whole),
                        "{init:?} {dtype:?} dim {dim} world_size {ws}"
                    );
                }
            }
            // Flat chunks of uneven sizes.
            let numel = dims[0] * dims[1];
            for ws in 1..=8 {
                let chunk = numel.div_ceil(ws);
                let parts: Vec<Tensor> = (0..numel)
                    .step_by(chunk)
                    .map(|start| {
                        let len = chunk.min(numel - start);
                        shard(&init, &dims, Region::Flat { start, len }, dtype, 7)
                    })
                    .collect();
                let joined = Tensor::cat(&parts, 0).unwrap();
                assert_eq!(bits(&joined), bits(&whole), "{init:?} {dtype:?} flat {ws}");
            }
        }
    }
}

#[test]
fn higher_rank_and_dirac() {
    let dims = [8, 4, 3, 3];
    for init in [
        Init::Dirac { groups: 2 },
        Init::kaiming_normal(),
        Init::Uniform {
            low: 0.0,
            high: 1.0,
        },
    ] {
        let whole = full(&init, &dims, DType::F32, 1);
        for dim in 0..4 {
            let ws = if dims[dim] % 2 == 0 { 2 } else { 3 };
            let parts: Vec<Tensor> = (0..ws)
                .map(|r| {
                    shard(
                        &init,
                        &dims,
                        Region::split(&dims, dim, r, ws).unwrap(),
                        DType::F32,
                        1,
                    )
                })
                .collect();
            assert_eq!(
                bits(&Tensor::cat(&parts, dim).unwrap()),
                bits(&whole),
                "{init:?} dim {dim}"
            );
        }
    }
}

#[test]
fn bad_regions_are_errors_before_any_write() {
    let t = Tensor::ones((4, 5), DType::F32, &Device::Cpu).unwrap();
    let before = bits(&t);
    let mut rng = Generator::new(0);
    let cases: [(Region, &[usize]); 4] = [
        (
            Region::Narrow {
                dim: 0,
                start: 6,
                len: 4,
            },
            &[8, 5],
        ), // outside the full tensor
        (
            Region::Narrow {
                dim: 2,
                start: 0,
                len: 4,
            },
            &[8, 5],
        ), // no dim 2
        (Region::Flat { start: 0, len: 20 }, &[4, 5]), // a 1-D region, a 2-D shard
        (
            Region::Narrow {
                dim: 0,
                start: 0,
                len: 2,
            },
            &[8, 5],
        ), // the region is (2, 5)
    ];
    for (region, full) in cases {
        let r = Init::xavier_normal().apply_region(&t, full, region, &mut rng);
        assert!(
            matches!(r, Err(InitError::InvalidRegion { .. })),
            "{region:?}: {r:?}"
        );
        assert_eq!(bits(&t), before, "{region:?}");
    }
    // A view that is not contiguous.
    let wide = Tensor::ones((5, 4), DType::F32, &Device::Cpu)
        .unwrap()
        .t()
        .unwrap();
    let r = Init::xavier_normal().apply_region(
        &wide,
        &[8, 5],
        Region::Narrow {
            dim: 0,
            start: 0,
            len: 4,
        },
        &mut rng,
    );
    assert!(matches!(r, Err(InitError::InvalidRegion { .. })), "{r:?}");
    // candle's convention: no uneven splits.
    assert!(Region::split(&[9, 5], 0, 0, 2).is_err());
    assert!(Region::split(&[8, 5], 0, 2, 2).is_err());
    assert!(Region::split(&[8, 5], 2, 0, 2).is_err());
    assert_eq!(
        Region::split(&[8, 5], 0, 1, 2).unwrap(),
        Region::Narrow {
            dim: 0,
            start: 4,
            len: 4
        }
    );
}
