//! The host side of the CUDA backend, and its kernels run on the host by `emulate.cpp`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use candle_core::Layout;
use half::{bf16, f16};

use super::params::{
    for_dtype, plan_mapped, plan_sample, Axes, GpuDist, GpuSampler, Launch, Method,
};
use super::params::{SampleParams, MAX_RANK};
use super::SAMPLE_THREADS;
use crate::dist::{Normal, Sampler, TruncNormal, Uniform};
use crate::layout::{end, position};
use crate::philox::Key;

#[test]
fn axes_merge_and_cover_the_layout() {
    let l = Layout::contiguous((4, 5, 6));
    let ax = Axes::of(&l).unwrap();
    assert_eq!((ax.rank, ax.dims[0], ax.strides[0]), (1, 120, 1));
    let cols = l.narrow(2, 1, 3).unwrap();
    let ax = Axes::of(&cols).unwrap();
    assert_eq!(ax.rank, 2);
    assert_eq!(
        (ax.dims[0], ax.strides[0], ax.dims[1], ax.strides[1]),
        (20, 6, 3, 1)
    );
    assert_eq!(ax.start, 1);
    // The axes cover exactly the layout's positions.
    let t = l.narrow(1, 1, 3).unwrap().transpose(0, 2).unwrap();
    let ax = Axes::of(&t).unwrap();
    let n: u64 = ax.dims[..ax.rank as usize].iter().product();
    let mut from_axes: Vec<u64> = (0..n)
        .map(|mut i| {
            let mut pos = ax.start;
            for k in (0..ax.rank as usize).rev() {
                pos += (i % ax.dims[k]) * ax.strides[k];
                i /= ax.dims[k];
            }
            pos
        })
        .collect();
    let mut from_layout: Vec<u64> = (0..t.shape().elem_count())
        .map(|i| position(&t, i) as u64)
        .collect();
    from_axes.sort_unstable();
    from_layout.sort_unstable();
    assert_eq!(from_axes, from_layout);
    assert_eq!(end(&t), *from_layout.last().unwrap() as usize + 1);
}

/// `emulate.cpp` (the kernels run on the host) compiled with the host C++ compiler.
///
/// Panics when no C++ compiler is found: a machine that builds the `cuda` feature has one
/// (nvcc needs it as its host compiler), and a test that checks nothing must not pass.
fn emulator(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("init-core-emulate-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory for the emulator");
    let exe = dir.join("emulate");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src/cuda/emulate.cpp");
    for cxx in ["c++", "g++", "clang++"] {
        let ok = Command::new(cxx)
            .args([
                "-std=c++17",
                "-O2",
                "-ffp-contract=off",
                "-Wno-unknown-pragmas",
                "-o",
            ])
            .arg(&exe)
            .arg(src)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return exe;
        }
    }
    panic!("none of c++, g++, clang++ compiled src/cuda/emulate.cpp: the kernels' host emulation cannot be checked");
}

/// The storage bytes the emulated kernels write for `layout` (initially 0xAB bytes).
fn emulate(
    exe: &PathBuf,
    dtype: &str,
    size: usize,
    len: usize,
    key: &Key,
    dist: &GpuDist,
    layout: &Layout,
) -> Vec<u8> {
    let planned = plan_sample(key, dist, dtype == "f64", layout).unwrap();
    run_emulator(exe, dtype, size, len, dist, planned.unwrap())
}

/// The storage bytes (`len` elements, initially 0xAB bytes) the emulated kernels write for a
/// planned launch.
fn run_emulator(
    exe: &PathBuf,
    dtype: &str,
    size: usize,
    len: usize,
    dist: &GpuDist,
    (p, launch): (SampleParams, Launch),
) -> Vec<u8> {
    let (start, end, mode, shift, axes) = match launch {
        Launch::Contiguous {
            start, end, shift, ..
        } => (start, end, 0, shift, Axes::default()),
        Launch::Strided { axes, .. } => (axes.start, 0, 1, 0, axes),
        Launch::Mapped { out, axes, .. } => (axes.start, out, 2, 0, axes),
    };
    let r = axes.rank as usize;
    let join = |v: &[u64]| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let hex = |x: f64| format!("{:x}", x.to_bits());
    let mut req = format!(
        "{dtype} {len} {start} {end} {mode} {shift} {r} {} {} {} {} {} {} {} {} {} {} {} {}",
        join(&axes.dims[..r]),
        join(&axes.strides[..r]),
        p.key0,
        p.key1,
        p.stream,
        p.method,
        p.per,
        p.bounded,
        p.max_attempts,
        p.lo_closed,
        hex(p.a),
        hex(p.b),
    );
    for q in p.q {
        req += &format!(" {}", hex(q));
    }
    if p.method == Method::TruncZig as u32 {
        for w in dist.zig.as_ref().expect("the ziggurat's table") {
            req += &format!(" {w:x}");
        }
    }
    let mut child = Command::new(exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(req.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "emulator failed on {req}");
    assert_eq!(out.stdout.len(), len * size + 1);
    assert_eq!(out.stdout[len * size], 0, "failed flag set: {req}");
    out.stdout[..len * size].to_vec()
}

/// The kernel's distribution parameters for a tensor of `dtype`, as `super::sample` makes them.
fn dist_for<S: GpuSampler>(dtype: &str, s: &S) -> GpuDist {
    match dtype {
        "f32" => for_dtype(s, Sampler::<f32>::max_value(s), |m| m as f64),
        "f64" => for_dtype(s, Sampler::<f64>::max_value(s), |m| m),
        "f16" => for_dtype(s, Sampler::<f32>::max_value(s), |m| {
            f16::from_f32(m).to_f64()
        }),
        _ => for_dtype(s, Sampler::<f32>::max_value(s), |m| {
            bf16::from_f32(m).to_f64()
        }),
    }
}

/// The storage bytes the CPU path writes for `layout` (initially 0xAB bytes).
fn cpu<S: GpuSampler>(dtype: &str, len: usize, key: &Key, s: &S, layout: &Layout) -> Vec<u8> {
    use crate::cpu::sample;
    match dtype {
        "f32" => {
            let mut v = vec![f32::from_bits(0xABAB_ABAB); len];
            sample(&mut v, layout, key, s).unwrap();
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        "f64" => {
            let mut v = vec![f64::from_bits(0xABAB_ABAB_ABAB_ABAB); len];
            sample(&mut v, layout, key, s).unwrap();
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        "f16" => {
            let mut v = vec![f16::from_bits(0xABAB); len];
            sample(&mut v, layout, key, s).unwrap();
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        _ => {
            let mut v = vec![bf16::from_bits(0xABAB); len];
            sample(&mut v, layout, key, s).unwrap();
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
    }
}

/// The kernels' math, indexing, staging and redraws, run on the host, write exactly the
/// bytes the CPU path writes: every sampler, dtype and kind of layout. (On a GPU only the
/// f64 `log`/`sincos` differ; `tests/cuda.rs` checks the real thing.)
#[test]
fn emulated_kernels_match_the_cpu() {
    let exe = emulator("samplers");
    let key = Key {
        key: [0x1234_5678, 0x9abc_def0],
        stream: 0x0102_0304_0506_0708,
    };
    let base = Layout::contiguous((48, 70)); // 3360 elements: 3+ tiles, a partial one
    let layouts = [
        base.clone(),
        base.narrow(0, 1, 40).unwrap(), // contiguous at an offset, partial tiles
        base.narrow(1, 3, 50).unwrap(), // strided columns
        base.transpose(0, 1).unwrap(),  // transposed: every position, strided walk
        base.narrow(1, 69, 1).unwrap(), // one column
        Layout::contiguous_with_offset((5,), 1021), // a few elements across a tile edge
    ];
    let len = 48 * 70 + 64;
    fn check<S: GpuSampler>(
        exe: &PathBuf,
        key: &Key,
        s: &S,
        layouts: &[Layout],
        len: usize,
        what: &str,
    ) {
        for (dtype, size) in [("f32", 4), ("f64", 8), ("f16", 2), ("bf16", 2)] {
            for (i, l) in layouts.iter().enumerate() {
                let want = cpu(dtype, len, key, s, l);
                let d = dist_for(dtype, s);
                let got = emulate(exe, dtype, size, len, key, &d, l);
                if want != got {
                    let first = want
                        .chunks(size)
                        .zip(got.chunks(size))
                        .position(|(a, b)| a != b)
                        .unwrap();
                    let (a, b) = (
                        &want[first * size..(first + 1) * size],
                        &got[first * size..(first + 1) * size],
                    );
                    panic!(
                        "{what} {dtype} layout {i} ({l:?}): first difference at {first}: cpu {a:02x?} emulated {b:02x?}"
                    );
                }
            }
        }
    }
    // U(-1, 3): in f16 and bf16 some values round onto 3 and are redrawn; U(0, 0.75): none.
    for (low, high) in [(-1.0, 3.0), (0.0, 0.75)] {
        let u = Uniform { low, high };
        check(
            &exe,
            &key,
            &u,
            &layouts,
            len,
            &format!("uniform ({low}, {high})"),
        );
    }
    let n = Normal {
        mean: 0.5,
        std: 2.0,
    };
    check(&exe, &key, &n, &layouts, len, "normal");
    for (a, b) in [
        (-2.0, 2.0),
        (-0.3, 0.4),
        (2.0, 2.05),
        (2.0, 3.0),
        (-3.0, -2.0),
        (0.5, 0.5078125),
    ] {
        let t = TruncNormal::new(0.0, 1.0, a, b);
        assert!(Sampler::<f32>::bounds(&t).is_some());
        check(
            &exe,
            &key,
            &t,
            &layouts,
            len,
            &format!("trunc_normal ({a}, {b})"),
        );
    }
    let _ = std::fs::remove_dir_all(exe.parent().unwrap());
}

/// The storage bytes (`len` elements, initially 0xAB bytes) after the CPU fills elements
/// `out..out + n` with the values of `view`'s positions (a shard).
fn cpu_mapped<S: GpuSampler>(
    dtype: &str,
    len: usize,
    out: usize,
    key: &Key,
    s: &S,
    view: &Layout,
) -> Vec<u8> {
    use crate::cpu::sample_mapped;
    let part = out..out + view.shape().elem_count();
    match dtype {
        "f32" => {
            let mut v = vec![f32::from_bits(0xABAB_ABAB); len];
            sample_mapped(&mut v[part], view, key, s).unwrap();
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        "f64" => {
            let mut v = vec![f64::from_bits(0xABAB_ABAB_ABAB_ABAB); len];
            sample_mapped(&mut v[part], view, key, s).unwrap();
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        "f16" => {
            let mut v = vec![f16::from_bits(0xABAB); len];
            sample_mapped(&mut v[part], view, key, s).unwrap();
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        _ => {
            let mut v = vec![bf16::from_bits(0xABAB); len];
            sample_mapped(&mut v[part], view, key, s).unwrap();
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
    }
}

/// The shard kernels, run on the host, write exactly what the CPU writes for a shard (the
/// values of its region's positions in the full tensor, at the shard's own offset, nothing
/// else): row splits and flat chunks (the tiled kernel), column splits (the mapped one), every
/// sampler and dtype.
#[test]
fn emulated_shards_match_the_cpu() {
    let exe = emulator("shards");
    let key = Key {
        key: [0x0bad_cafe, 0x1357_9bdf],
        stream: 0x1111_2222_3333_4444,
    };
    let full = Layout::contiguous((48, 70));
    let views = [
        full.narrow(0, 12, 12).unwrap(),               // rows: rank 1 of 4
        full.narrow(0, 0, 6).unwrap(),                 // rows: rank 0 of 8, before the offset
        full.narrow(1, 35, 35).unwrap(),               // columns: rank 1 of 2
        full.narrow(1, 63, 7).unwrap(),                // columns: rank 9 of 10
        Layout::contiguous_with_offset((1000,), 1500), // a flat chunk across tiles
    ];
    let out = 3;
    fn check<S: GpuSampler>(exe: &PathBuf, key: &Key, s: &S, views: &[Layout], out: usize) {
        for (dtype, size) in [("f32", 4), ("f64", 8), ("f16", 2), ("bf16", 2)] {
            let d = dist_for(dtype, s);
            for view in views {
                let n = view.shape().elem_count();
                let len = out + n + 5;
                let shard = Layout::contiguous_with_offset((n,), out);
                let planned = plan_mapped(key, &d, dtype == "f64", &shard, view)
                    .unwrap()
                    .unwrap();
                // Regions contiguous in the full tensor take the tiled kernel.
                let tiled = matches!(planned.1, Launch::Contiguous { .. });
                assert_eq!(tiled, view.is_contiguous(), "{view:?}");
                let got = run_emulator(exe, dtype, size, len, &d, planned);
                let want = cpu_mapped(dtype, len, out, key, s, view);
                assert!(want == got, "{dtype} shard of {view:?} differs");
            }
        }
    }
    check(
        &exe,
        &key,
        &Uniform {
            low: -1.0,
            high: 3.0,
        },
        &views,
        out,
    );
    check(
        &exe,
        &key,
        &Normal {
            mean: 0.5,
            std: 2.0,
        },
        &views,
        out,
    );
    for (a, b) in [(-2.0, 2.0), (2.0, 3.0)] {
        check(&exe, &key, &TruncNormal::new(0.0, 1.0, a, b), &views, out);
    }
    // A shard that is not contiguous with its region's element count is refused.
    let normal = Normal {
        mean: 0.0,
        std: 1.0,
    };
    let d = dist_for("f32", &normal);
    assert!(plan_mapped(&key, &d, false, &full.narrow(1, 0, 35).unwrap(), &views[1]).is_err());
    let _ = std::fs::remove_dir_all(exe.parent().unwrap());
}

/// The fill and scatter kernels, run on the host, write exactly their positions (every
/// alignment of the first element, partial vectors, grids smaller than the work).
#[test]
fn emulated_fill_kernels_write_exactly_their_positions() {
    let exe = emulator("fill");
    let out = Command::new(&exe).arg("check-fill").output().unwrap();
    let _ = std::fs::remove_dir_all(exe.parent().unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn params_match_the_kernel_struct() {
    assert_eq!(std::mem::size_of::<SampleParams>(), 112);
    assert_eq!(std::mem::size_of::<Axes>(), 144);
}

/// The `#define`s of `kernels.cu`, name to value (`u` suffixes dropped; hex or decimal).
fn kernel_defines() -> Vec<(String, u64)> {
    let src = include_str!("kernels.cu");
    src.lines()
        .filter_map(|l| {
            let mut words = l.strip_prefix("#define ")?.split_whitespace();
            let (name, value) = (words.next()?, words.next()?);
            if name.contains('(') || words.next().is_some() {
                return None;
            }
            let v = value.trim_end_matches('u');
            let v = match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok()?,
                None => v.parse().ok()?,
            };
            Some((name.to_string(), v))
        })
        .collect()
}

/// The host's constants and [`Method`]'s discriminants are the kernels' `#define`s, and every
/// `M_*` method of the kernels has a variant.
#[test]
fn host_constants_match_the_kernel_defines() {
    let defines = kernel_defines();
    let get = |name: &str| {
        defines
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no #define {name} in kernels.cu"))
            .1
    };
    for (m, name) in Method::ALL {
        assert_eq!(m as u32 as u64, get(name), "{m:?} vs {name}");
    }
    let methods = defines.iter().filter(|(n, _)| n.starts_with("M_")).count();
    assert_eq!(methods, Method::ALL.len(), "M_* defines without a `Method`");
    assert_eq!(get("MAX_RANK"), MAX_RANK as u64);
    assert_eq!(get("SAMPLE_THREADS"), SAMPLE_THREADS as u64);
    assert_eq!(get("ZIG_LAYERS"), crate::ziggurat::LAYERS as u64);
    assert_eq!(
        get("ZIG_POINT_BITS"),
        u64::from(crate::ziggurat::POINT_BITS)
    );
    assert_eq!(get("ZIG_WEDGE_TAG"), u64::from(crate::ziggurat::WEDGE_TAG));
}
