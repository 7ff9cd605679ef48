//! Statistics for candle-init's tests: the distribution functions samples are checked against
//! (normal, uniform, truncated normal; accurate in the tails) and a one-sample
//! Kolmogorov-Smirnov test with PyTorch's acceptance threshold; comparisons and fixtures several
//! suites use. One copy, shared by every test crate of the workspace. Not published.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// The p-value below which a KS test rejects, as in PyTorch's `test/nn/test_init.py`.
pub const KS_THRESHOLD: f64 = 1e-4;

// ---------------------------------------------------------------------------------------------
// Distribution functions
// ---------------------------------------------------------------------------------------------

/// erf(x) for x >= 0 by the all-positive series
/// erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n+1)),
/// which has no cancellation (accurate to a few ulp for x < 2).
fn erf_series(x: f64) -> f64 {
    let mut sum = 0.0;
    let mut term = x;
    let mut n = 0.0;
    while term > 1e-17 * sum || sum == 0.0 {
        sum += term;
        n += 1.0;
        term *= 2.0 * x * x / (2.0 * n + 1.0);
        if term == 0.0 {
            break;
        }
    }
    2.0 / PI.sqrt() * (-x * x).exp() * sum
}

/// erfc(x) for x >= 2 by its continued fraction
/// erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated backwards.
fn erfc_cf(x: f64) -> f64 {
    let mut t = x;
    for k in (1..=200).rev() {
        t = x + (k as f64 / 2.0) / t;
    }
    (-x * x).exp() / PI.sqrt() / t
}

/// The complementary error function, to about 1e-15 relative accuracy on the whole line.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        1.0 - erf_series(x)
    } else {
        erfc_cf(x)
    }
}

/// The error function.
pub fn erf(x: f64) -> f64 {
    if x < 0.0 {
        -erf(-x)
    } else if x < 2.0 {
        erf_series(x)
    } else {
        1.0 - erfc_cf(x)
    }
}

/// Phi(z): the standard normal CDF (accurate in the lower tail).
pub fn std_normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z * FRAC_1_SQRT_2)
}

/// 1 - Phi(z), accurate in the upper tail.
pub fn std_normal_sf(z: f64) -> f64 {
    0.5 * erfc(z * FRAC_1_SQRT_2)
}

/// CDF of N(mean, std^2).
pub fn normal_cdf(x: f64, mean: f64, std: f64) -> f64 {
    std_normal_cdf((x - mean) / std)
}

/// CDF of U(a, b).
pub fn uniform_cdf(x: f64, a: f64, b: f64) -> f64 {
    ((x - a) / (b - a)).clamp(0.0, 1.0)
}

/// CDF of N(mean, std^2) conditioned on (a, b), computed on the side of the interval where the
/// normal tail probabilities have full relative accuracy (so far tails like (2, 3) are exact).
pub fn trunc_normal_cdf(x: f64, mean: f64, std: f64, a: f64, b: f64) -> f64 {
    let (alpha, beta, z) = ((a - mean) / std, (b - mean) / std, (x - mean) / std);
    if z <= alpha {
        return 0.0;
    }
    if z >= beta {
        return 1.0;
    }
    let f = if alpha >= 0.0 {
        // Upper tail: 1 - Phi has full precision there.
        (std_normal_sf(alpha) - std_normal_sf(z)) / (std_normal_sf(alpha) - std_normal_sf(beta))
    } else {
        (std_normal_cdf(z) - std_normal_cdf(alpha)) / (std_normal_cdf(beta) - std_normal_cdf(alpha))
    };
    f.clamp(0.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// Kolmogorov-Smirnov
// ---------------------------------------------------------------------------------------------

/// The survival function of the Kolmogorov distribution, P(K > x) (scipy's `kolmogorov`), by the
/// two classical series, each used where it converges fast.
pub fn kolmogorov_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x < 1.0 {
        // P(K <= x) = sqrt(2 pi)/x sum_k exp(-(2k-1)^2 pi^2 / (8 x^2))
        let s: f64 = (1..=100)
            .map(|k| {
                let m = (2 * k - 1) as f64;
                (-m * m * PI * PI / (8.0 * x * x)).exp()
            })
            .sum();
        (1.0 - (2.0 * PI).sqrt() / x * s).clamp(0.0, 1.0)
    } else {
        // P(K > x) = 2 sum_k (-1)^(k-1) exp(-2 k^2 x^2)
        let s: f64 = (1..=100)
            .map(|k| {
                let k = k as f64;
                let sign = if k as u32 % 2 == 1 { 1.0 } else { -1.0 };
                sign * (-2.0 * k * k * x * x).exp()
            })
            .sum();
        (2.0 * s).clamp(0.0, 1.0)
    }
}

/// The two-sided one-sample KS statistic D_n = sup |F_n(x) - F(x)| (ties handled as scipy does:
/// the empirical CDF jumps by the whole tie at once).
pub fn ks_statistic(samples: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    assert!(!samples.is_empty(), "KS test of an empty sample");
    assert!(samples.iter().all(|x| !x.is_nan()), "NaN in a KS sample");
    let mut xs = samples.to_vec();
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        let f = cdf(x);
        d = d.max((i + 1) as f64 / n - f).max(f - i as f64 / n);
    }
    d
}

/// The p-value of the two-sided one-sample KS test: the Kolmogorov distribution at
/// (sqrt(n) + 0.12 + 0.11 / sqrt(n)) D (Stephens' small-sample correction of scipy's
/// `method='asymp'`, accurate to a few percent of p from n = 5 on, and slightly conservative).
pub fn ks_pvalue(samples: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let d = ks_statistic(samples, cdf);
    let sn = (samples.len() as f64).sqrt();
    kolmogorov_sf((sn + 0.12 + 0.11 / sn) * d)
}

/// Panics unless the samples pass the KS test against `cdf` with p > [`KS_THRESHOLD`].
pub fn assert_ks(what: &str, samples: &[f64], cdf: impl Fn(f64) -> f64) {
    let p = ks_pvalue(samples, cdf);
    assert!(
        p > KS_THRESHOLD,
        "{what}: KS test rejects (p = {p:e} <= {KS_THRESHOLD:e}, n = {})",
        samples.len()
    );
}

pub fn assert_normal(what: &str, samples: &[f64], mean: f64, std: f64) {
    assert_ks(what, samples, |x| normal_cdf(x, mean, std));
}

pub fn assert_uniform(what: &str, samples: &[f64], a: f64, b: f64) {
    assert_ks(what, samples, |x| uniform_cdf(x, a, b));
}

pub fn assert_trunc_normal(what: &str, samples: &[f64], mean: f64, std: f64, a: f64, b: f64) {
    assert_ks(what, samples, |x| trunc_normal_cdf(x, mean, std, a, b));
}

/// The bits of every value of `t`, as f32 (exact for f16/bf16/f32; f64 rounded), in row-major
/// order: for bit-for-bit comparisons of tensors.
pub fn bits(t: &candle_core::Tensor) -> Vec<u32> {
    t.flatten_all()
        .and_then(|t| t.to_dtype(candle_core::DType::F32))
        .and_then(|t| t.to_vec1::<f32>())
        .expect("tensor values")
        .into_iter()
        .map(f32::to_bits)
        .collect()
}

/// How far the row-major `rows x cols` matrix `m` is from `gain` times a (semi-)orthogonal one:
/// max |M M^T - gain^2 I| when it is wide (rows <= cols), max |M^T M - gain^2 I| when tall.
pub fn orthogonality_error(rows: usize, cols: usize, m: &[f64], gain: f64) -> f64 {
    assert_eq!(m.len(), rows * cols, "a {rows} x {cols} matrix");
    let wide = rows <= cols;
    let (outer, inner) = if wide { (rows, cols) } else { (cols, rows) };
    let at = |o: usize, i: usize| {
        if wide {
            m[o * cols + i]
        } else {
            m[i * cols + o]
        }
    };
    let mut err: f64 = 0.0;
    for p in 0..outer {
        for q in 0..outer {
            let dot: f64 = (0..inner).map(|i| at(p, i) * at(q, i)).sum();
            let want = if p == q { gain * gain } else { 0.0 };
            err = err.max((dot - want).abs());
        }
    }
    err
}

/// A global allocator for tests that bound memory: the system allocator, recording the largest
/// allocation each thread has made since its last [`LargestAllocation::reset`]. A test binary
/// installs it with
/// `#[global_allocator] static ALLOCATOR: LargestAllocation = LargestAllocation;`.
pub struct LargestAllocation;

thread_local! {
    static LARGEST: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl LargestAllocation {
    /// Forgets this thread's allocations so far.
    pub fn reset() {
        LARGEST.with(|l| l.set(0));
    }

    /// The largest allocation (bytes) this thread has made since its last reset.
    pub fn largest() -> usize {
        LARGEST.with(|l| l.get())
    }

    fn record(size: usize) {
        // `try_with`: allocations also happen while the thread-local is being torn down.
        let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; the bookkeeping only
// reads and writes a thread-local integer (no allocation).
unsafe impl std::alloc::GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        Self::record(layout.size());
        // SAFETY: the caller's layout is passed on as is.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        Self::record(layout.size());
        // SAFETY: as above.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with this layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        Self::record(new);
        // SAFETY: as above.
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

/// The `config.json` of a small Hugging Face Llama (2 layers, hidden 64, 4 heads with 2 key-value
/// heads, vocabulary 300, untied head, padding row 0, `initializer_range` 0.02): what
/// `HfConfig::from_json`, candle-transformers' `LlamaConfig` and the CLI read in the tests.
pub fn small_llama_json() -> serde_json::Value {
    serde_json::json!({
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 64,
        "intermediate_size": 160,
        "vocab_size": 300,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-5,
        "max_position_embeddings": 64,
        "tie_word_embeddings": false,
        "pad_token_id": 0,
        "initializer_range": 0.02,
    })
}
