//! Samplers: how the random words of a chunk of storage positions become values.
//!
//! Words come in *groups*: 16 Philox blocks, 64 words, in structure-of-arrays order (see
//! `Key::groups`). A group holds `NU = 64 / WORDS` uniforms (64 for f32, 32 for f64), and
//! storage position `p` always takes its uniforms from the same group, so its value depends only
//! on (seed, stream, p): never on the thread count, the order of work, or the view written.
//!
//! - uniform: a group makes `NU` elements; element `i` is uniform `i`;
//! - normal: a group makes `NU` elements; uniforms `i` and `i + NU/2` make one Box-Muller pair,
//!   elements `i` (cosine) and `i + NU/2` (sine);
//! - truncated normal: with the normal-rejection method, candidates are made as for the normal
//!   distribution; with the others, a group makes `NU/2` candidates, candidate `i` taking
//!   uniforms `i` and `i + NU/2`. Uniform `i + NU/2` of a group always lies in the same Philox
//!   block as uniform `i`, so a rejected position is redrawn from one block, the block of the
//!   same index tagged with the attempt number. The ziggurat (f32 arithmetic, bounded tails; see
//!   `ziggurat.rs`) takes word `i` for candidate `i`, as the uniform distribution does, and,
//!   for the few candidates its first word does not decide, the same word of the block tagged
//!   with the attempt number plus `WEDGE_TAG`.

use std::mem::MaybeUninit;

use crate::isa::Isa;
use crate::philox::{Key, LANES, RETRY};
use crate::real::{word_at, Real};
use crate::ziggurat::{Ziggurat, LAYERS, POINT_BITS, WEDGE_TAG};

/// Storage positions generated together: enough for several independent vector dependency
/// chains (the samplers are latency-bound otherwise). A multiple of every sampler's elements
/// per group times [`GROUPS_AT_ONCE`].
pub(crate) const CHUNK: usize = 256;
/// Groups whose Philox blocks are computed together.
const GROUPS_AT_ONCE: usize = 4;
/// Words of a group of 16 Philox blocks.
const GROUP_WORDS: usize = 4 * LANES;
/// The most words a chunk can take: 2 words (f64) x 2 uniforms (trunc normal) per element.
const MAX_WORDS: usize = CHUNK * 4;
/// Draws of a position before a rejection sampler gives up, on the CPU and the GPU.
pub(crate) const MAX_ATTEMPTS: u16 = 4096;

pub(crate) trait Sampler<R: Real>: Sync {
    /// Values of storage positions `chunk * CHUNK .. (chunk + 1) * CHUNK`; NaN marks a rejected
    /// candidate, to be redrawn with [`Sampler::retry_lanes`].
    fn chunk<I: Isa>(&self, isa: I, key: &Key, chunk: u64, out: &mut [R; CHUNK]);
    /// The interval every written value must lie in, after rounding to the tensor's dtype.
    fn bounds(&self) -> Option<Bounds> {
        None
    }
    /// The largest value [`Sampler::chunk`] can produce, when known and when the smallest is the
    /// lower bound: if both round inside the bounds, no value needs checking.
    fn max_value(&self) -> Option<R> {
        None
    }
    /// The attempt a position that [`Sampler::chunk`] marked NaN is redrawn at first: 1 when
    /// the chunk's NaN is a rejection; 0 when it can also mean "undecided" (the ziggurat decides
    /// most candidates from one word in the chunk and leaves the rest to the full attempt 0).
    fn first_redraw(&self) -> u16 {
        1
    }
    /// Redraws storage positions `pos[l]` at attempts `attempt[l]` (>= [`Sampler::first_redraw`]),
    /// `RETRY` at a time so that the redraws run as independent vector lanes; NaN where
    /// rejected (again).
    fn retry_lanes<I: Isa>(
        &self,
        _isa: I,
        _key: &Key,
        _pos: &[u64; RETRY],
        _attempt: &[u16; RETRY],
        out: &mut [R; RETRY],
    ) {
        *out = [R::NAN; RETRY];
    }
}

/// Where written values must lie: (lo, hi), or [lo, hi) when `lo_closed`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bounds {
    pub lo: f64,
    pub hi: f64,
    pub lo_closed: bool,
}

impl Bounds {
    #[inline(always)]
    pub fn contains(&self, v: f64) -> bool {
        (v > self.lo || (self.lo_closed && v == self.lo)) && v < self.hi
    }
}

/// Uniforms per group.
#[inline(always)]
const fn per_group<R: Real>() -> usize {
    GROUP_WORDS / R::WORDS
}

/// A chunk's word buffer, left uninitialized: [`chunk_words`] writes the part it returns.
type WordBuf = [MaybeUninit<u32>; MAX_WORDS];

/// The words of the `groups` groups of chunk `chunk` (each group `GROUP_WORDS` words), written
/// into the start of `buf`.
#[inline(always)]
fn chunk_words<'a, I: Isa>(
    isa: I,
    key: &Key,
    chunk: u64,
    groups: usize,
    tag: u16,
    buf: &'a mut WordBuf,
) -> &'a [u32] {
    let mut g = 0;
    while g < groups {
        let group = chunk * groups as u64 + g as u64;
        key.groups::<{ GROUPS_AT_ONCE * LANES }, I>(
            isa,
            group * LANES as u64,
            tag,
            &mut buf[g * GROUP_WORDS..],
        );
        g += GROUPS_AT_ONCE;
    }
    let len = groups.next_multiple_of(GROUPS_AT_ONCE) * GROUP_WORDS;
    // SAFETY: the loop wrote words 0..len (GROUPS_AT_ONCE groups of GROUP_WORDS at a time).
    unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u32>(), len) }
}

/// U[low, high).
pub(crate) struct Uniform {
    pub low: f64,
    pub high: f64,
}

impl<R: Real> Sampler<R> for Uniform {
    #[inline(always)]
    fn chunk<I: Isa>(&self, isa: I, key: &Key, chunk: u64, out: &mut [R; CHUNK]) {
        let nu = per_group::<R>();
        let groups = CHUNK / nu;
        let mut buf = [MaybeUninit::uninit(); MAX_WORDS];
        let words = chunk_words(isa, key, chunk, groups, 0, &mut buf);
        let low = R::from_f64(self.low);
        let range = R::from_f64(self.high - self.low);
        for g in 0..groups {
            let w = &words[g * GROUP_WORDS..(g + 1) * GROUP_WORDS];
            for u in 0..nu {
                out[g * nu + u] = R::unit(w, u).mul_add(range, low);
            }
        }
    }

    /// [low, high): rounding to the dtype can reach `high` (bf16 U(0, 1) does, for about one
    /// value in 512); such values are redrawn, as PyTorch never returns `high`.
    fn bounds(&self) -> Option<Bounds> {
        Some(Bounds {
            lo: self.low,
            hi: self.high,
            lo_closed: true,
        })
    }

    fn max_value(&self) -> Option<R> {
        Some(R::UNIT_MAX.mul_add(R::from_f64(self.high - self.low), R::from_f64(self.low)))
    }

    #[inline(always)]
    fn retry_lanes<I: Isa>(
        &self,
        isa: I,
        key: &Key,
        pos: &[u64; RETRY],
        attempt: &[u16; RETRY],
        out: &mut [R; RETRY],
    ) {
        let nu = per_group::<R>() as u64;
        // Loops, not `array::from_fn`: its closures may stay out of line, outside the SIMD
        // function this runs in.
        let mut blocks = [0u64; RETRY];
        for (b, &p) in blocks.iter_mut().zip(pos) {
            *b = p / nu * LANES as u64 + p % nu % LANES as u64;
        }
        let w = key.blocks_at(isa, &blocks, attempt);
        let low = R::from_f64(self.low);
        let range = R::from_f64(self.high - self.low);
        for (l, o) in out.iter_mut().enumerate() {
            *o = R::unit_at(&w, l, (pos[l] % nu) as u32).mul_add(range, low);
        }
    }
}

/// N(mean, std^2) by the Box-Muller transform.
pub(crate) struct Normal {
    pub mean: f64,
    pub std: f64,
}

impl<R: Real> Sampler<R> for Normal {
    #[inline(always)]
    fn chunk<I: Isa>(&self, isa: I, key: &Key, chunk: u64, out: &mut [R; CHUNK]) {
        let nu = per_group::<R>();
        let half = nu / 2;
        let groups = CHUNK / nu;
        let mut buf = [MaybeUninit::uninit(); MAX_WORDS];
        let words = chunk_words(isa, key, chunk, groups, 0, &mut buf);
        let mean = R::from_f64(self.mean);
        let std = R::from_f64(self.std);
        let minus_two = R::from_f64(-2.0);
        for g in 0..groups {
            let w = &words[g * GROUP_WORDS..(g + 1) * GROUP_WORDS];
            let o = &mut out[g * nu..(g + 1) * nu];
            for i in 0..half {
                let r = (minus_two * R::unit_open(w, i).ln()).sqrt();
                let (s, c) = R::unit(w, i + half).sin_cos_turns();
                o[i] = (r * c).mul_add(std, mean);
                o[i + half] = (r * s).mul_add(std, mean);
            }
        }
    }
}

/// Candidates per group of the uniform and exponential methods in f32.
const EXP_LANES: usize = GROUP_WORDS / 2;

/// How [`TruncNormal`] draws its candidates, on the standardized interval (alpha, beta).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum TruncMethod {
    /// Standard normals (a Box-Muller pair makes two candidates), kept if inside the interval
    /// (wide intervals around 0).
    Normal,
    /// A uniform candidate z, kept with probability exp(-(z^2 - shift) / 2).
    Uniform { shift: f64 },
    /// Robert (1995): an exponential candidate z >= alpha with rate `lambda`, truncated at beta,
    /// kept with probability exp(-(z - lambda)^2 / 2). For alpha > 0 (tails).
    Exponential { lambda: f64, mass: f64 },
}

/// The normal distribution N(mean, std^2) conditioned on (a, b), exactly, by rejection.
pub(crate) struct TruncNormal {
    pub mean: f64,
    pub std: f64,
    pub a: f64,
    pub b: f64,
    /// The standardized interval, mirrored so that alpha >= 0 when it lies on one side of 0.
    alpha: f64,
    beta: f64,
    /// -1 when the interval was mirrored.
    sign: f64,
    /// The method in f64 arithmetic, and in f32 where there is no ziggurat.
    pub method: TruncMethod,
    /// The ziggurat f32 arithmetic uses on bounded one-sided intervals (`Ziggurat::new`).
    pub zig: Option<Box<Ziggurat>>,
}

/// The parameters of a [`TruncNormal`] in the precision it is computed in.
#[derive(Clone, Copy)]
struct TruncParams<R> {
    alpha: R,
    beta: R,
    mean: R,
    scale: R,
    minus_two: R,
}

impl TruncNormal {
    pub fn new(mean: f64, std: f64, a: f64, b: f64) -> Self {
        let (mut alpha, mut beta) = ((a - mean) / std, (b - mean) / std);
        let mut sign = 1.0;
        if beta <= 0.0 {
            (alpha, beta, sign) = (-beta, -alpha, -1.0);
        }
        let method = if alpha <= 0.0 {
            if beta - alpha >= (2.0 * std::f64::consts::PI).sqrt() {
                TruncMethod::Normal
            } else {
                TruncMethod::Uniform { shift: 0.0 }
            }
        } else {
            let root = (alpha * alpha + 4.0).sqrt();
            let lambda = (alpha + root) / 2.0;
            // Robert's rule: a uniform proposal wins on short intervals.
            let limit = alpha
                + 2.0 * 0.5f64.exp() / (alpha + root)
                    * ((alpha * alpha - alpha * root) / 4.0).exp();
            if beta <= limit {
                TruncMethod::Uniform {
                    shift: alpha * alpha,
                }
            } else {
                TruncMethod::Exponential {
                    lambda,
                    mass: -(-lambda * (beta - alpha)).exp_m1(),
                }
            }
        };
        TruncNormal {
            mean,
            std,
            a,
            b,
            alpha,
            beta,
            sign,
            method,
            zig: Ziggurat::new(alpha, beta).map(Box::new),
        }
    }

    /// The ziggurat, where arithmetic `R` uses it (f32 only: one word places a candidate
    /// finely enough for an f32 value, not for an f64 one).
    #[inline(always)]
    fn zig_for<R: Real>(&self) -> Option<&Ziggurat> {
        if R::WORDS == 1 {
            self.zig.as_deref()
        } else {
            None
        }
    }

    #[inline(always)]
    fn params<R: Real>(&self) -> TruncParams<R> {
        TruncParams {
            alpha: R::from_f64(self.alpha),
            beta: R::from_f64(self.beta),
            mean: R::from_f64(self.mean),
            scale: R::from_f64(self.std * self.sign),
            minus_two: R::from_f64(-2.0),
        }
    }

    /// Candidates per group.
    #[inline(always)]
    fn per_group<R: Real>(&self) -> usize {
        if self.zig_for::<R>().is_some() {
            return per_group::<R>();
        }
        match self.method {
            TruncMethod::Normal => per_group::<R>(),
            _ => per_group::<R>() / 2,
        }
    }

    /// A ziggurat candidate from its first word `w`: its layer and offset `d = z - alpha`, and
    /// whether that word alone accepts it.
    #[inline(always)]
    fn zig_point<R: Real>(zig: &Ziggurat, w: u32) -> (usize, R, bool) {
        let layer = (w as usize) & (LAYERS - 1);
        let u = w >> (32 - POINT_BITS);
        let scale = R::from_f32(zig.scale[layer]);
        let d = R::from_u24(u).mul_add(scale, scale * R::from_f64(0.5));
        (layer, d, u < zig.fast[layer])
    }

    /// The value of offset `d` (z = alpha + d).
    #[inline(always)]
    fn zig_value<R: Real>(p: &TruncParams<R>, d: R) -> R {
        (p.alpha + d).mul_add(p.scale, p.mean)
    }

    /// The full ziggurat attempt: first word `w`, wedge word `v` (read only when `w` alone does
    /// not decide); NaN when rejected.
    #[inline(always)]
    fn zig_candidate<R: Real>(p: &TruncParams<R>, zig: &Ziggurat, w: u32, v: u32) -> R {
        let (layer, d, fast) = Self::zig_point::<R>(zig, w);
        let y = R::from_u24((v >> (32 - POINT_BITS)) + 1).mul_add(
            R::from_f32(zig.height[layer]) * R::from_f64(1.0 / (1u64 << POINT_BITS) as f64),
            R::from_f32(zig.bottom[layer]),
        );
        let two_alpha = p.alpha + p.alpha;
        let keep = fast | (y.ln() <= d * (d + two_alpha) * R::from_f64(-0.5));
        R::select(keep, Self::zig_value(p, d), R::NAN)
    }

    /// The normal-method value: `z` kept if inside the interval, else NaN.
    #[inline(always)]
    fn keep_normal<R: Real>(p: &TruncParams<R>, z: R) -> R {
        R::select(
            p.alpha < z && z < p.beta,
            z.mul_add(p.scale, p.mean),
            R::NAN,
        )
    }

    /// A uniform-method candidate from `uz` in [0, 1) and `ua` in (0, 1], or NaN.
    #[inline(always)]
    fn uniform_candidate<R: Real>(p: &TruncParams<R>, shift: R, uz: R, ua: R) -> R {
        let z = uz.mul_add(p.beta - p.alpha, p.alpha);
        let keep = p.minus_two * ua.ln() >= z * z - shift;
        R::select(keep, z.mul_add(p.scale, p.mean), R::NAN)
    }

    /// An exponential-method candidate (rate `l`, truncated to mass `mass`) from `uz` in
    /// [0, 1) and `ua` in (0, 1], or NaN.
    #[inline(always)]
    fn exponential_candidate<R: Real>(p: &TruncParams<R>, l: R, mass: R, uz: R, ua: R) -> R {
        Self::exponential_from_logs(p, l, Self::exponential_log_arg(mass, uz).ln(), ua.ln())
    }

    /// What the exponential method takes the logarithm of, besides `ua`.
    #[inline(always)]
    fn exponential_log_arg<R: Real>(mass: R, uz: R) -> R {
        R::from_f64(1.0) - uz * mass
    }

    /// [`TruncNormal::exponential_candidate`] from the logarithms of
    /// [`TruncNormal::exponential_log_arg`] (`lx`) and of `ua` (`la`).
    #[inline(always)]
    fn exponential_from_logs<R: Real>(p: &TruncParams<R>, l: R, lx: R, la: R) -> R {
        let z = p.alpha - lx / l;
        let d = z - l;
        let keep = (p.minus_two * la >= d * d) & (z < p.beta);
        R::select(keep, z.mul_add(p.scale, p.mean), R::NAN)
    }
}

impl<R: Real> Sampler<R> for TruncNormal {
    #[inline(always)]
    fn chunk<I: Isa>(&self, isa: I, key: &Key, chunk: u64, out: &mut [R; CHUNK]) {
        let nu = per_group::<R>();
        let half = nu / 2;
        let per = self.per_group::<R>();
        let groups = CHUNK / per;
        let mut buf = [MaybeUninit::uninit(); MAX_WORDS];
        let words = chunk_words(isa, key, chunk, groups, 0, &mut buf);
        let p = self.params::<R>();
        if let Some(zig) = self.zig_for::<R>() {
            // One word per candidate; NaN (undecided) where it needs its wedge word, which the
            // redraw at attempt 0 reads (`first_redraw`).
            for (o, &w) in out.iter_mut().zip(words) {
                let (_, d, fast) = Self::zig_point::<R>(zig, w);
                *o = R::select(fast, Self::zig_value(&p, d), R::NAN);
            }
            return;
        }
        for g in 0..groups {
            let w = &words[g * GROUP_WORDS..(g + 1) * GROUP_WORDS];
            let o = &mut out[g * per..(g + 1) * per];
            // One plain loop per method, so that each vectorizes.
            match self.method {
                TruncMethod::Normal => {
                    let mut z = [R::default(); GROUP_WORDS];
                    for i in 0..half {
                        let r = (p.minus_two * R::unit_open(w, i).ln()).sqrt();
                        let (s, c) = R::unit(w, i + half).sin_cos_turns();
                        z[i] = r * c;
                        z[i + half] = r * s;
                    }
                    for (o, &z) in o.iter_mut().zip(&z[..nu]) {
                        *o = Self::keep_normal(&p, z);
                    }
                }
                TruncMethod::Uniform { shift } => {
                    let shift = R::from_f64(shift);
                    for (i, o) in o.iter_mut().enumerate() {
                        let (uz, ua) = (R::unit(w, i), R::unit_open(w, i + half));
                        *o = Self::uniform_candidate(&p, shift, uz, ua);
                    }
                }
                TruncMethod::Exponential { lambda, mass } => {
                    let (l, mass) = (R::from_f64(lambda), R::from_f64(mass));
                    if per == EXP_LANES {
                        // f32: the group's logarithms a step at a time across all of them.
                        let mut x = [R::default(); EXP_LANES];
                        let mut a = [R::default(); EXP_LANES];
                        for i in 0..EXP_LANES {
                            x[i] = Self::exponential_log_arg(mass, R::unit(w, i));
                            a[i] = R::unit_open(w, i + half);
                        }
                        let (lx, la) = (R::ln_lanes(x), R::ln_lanes(a));
                        for (i, o) in o.iter_mut().enumerate() {
                            *o = Self::exponential_from_logs(&p, l, lx[i], la[i]);
                        }
                    } else {
                        for (i, o) in o.iter_mut().enumerate() {
                            let (uz, ua) = (R::unit(w, i), R::unit_open(w, i + half));
                            *o = Self::exponential_candidate(&p, l, mass, uz, ua);
                        }
                    }
                }
            }
        }
    }

    fn bounds(&self) -> Option<Bounds> {
        Some(Bounds {
            lo: self.a,
            hi: self.b,
            lo_closed: false,
        })
    }

    fn first_redraw(&self) -> u16 {
        match self.zig_for::<R>() {
            Some(_) => 0,
            None => 1,
        }
    }

    #[inline(always)]
    fn retry_lanes<I: Isa>(
        &self,
        isa: I,
        key: &Key,
        pos: &[u64; RETRY],
        attempt: &[u16; RETRY],
        out: &mut [R; RETRY],
    ) {
        let half = per_group::<R>() / 2;
        // Candidates per group: a power of two, so shifts and masks (no divisions).
        let per = self.per_group::<R>();
        debug_assert!(per.is_power_of_two());
        let shift = per.trailing_zeros();
        let p = self.params::<R>();
        let mut blocks = [0u64; RETRY];
        if let Some(zig) = self.zig_for::<R>() {
            // Candidate j of its group: word j / 16 of block j % 16 (as `Uniform`), and the
            // same word of that block tagged `WEDGE_TAG + attempt`.
            let mut wedge = [0u16; RETRY];
            let mut word = [0u32; RETRY];
            for l in 0..RETRY {
                let j = (pos[l] & (per as u64 - 1)) as u32;
                blocks[l] = (pos[l] >> shift) * LANES as u64 + u64::from(j % LANES as u32);
                word[l] = j / LANES as u32;
                wedge[l] = attempt[l] | WEDGE_TAG;
            }
            let w = key.blocks_at(isa, &blocks, attempt);
            let v = key.blocks_at(isa, &blocks, &wedge);
            for (l, o) in out.iter_mut().enumerate() {
                let (wl, vl) = (word_at(&w, l, word[l]), word_at(&v, l, word[l]));
                *o = Self::zig_candidate(&p, zig, wl, vl);
            }
            return;
        }
        // The candidate index in its group; the normal method pairs i and i + half.
        let mut lead = [0u32; RETRY];
        let mut odd = [false; RETRY];
        let half = half as u32;
        for l in 0..RETRY {
            let j = (pos[l] & (per as u64 - 1)) as u32;
            lead[l] = j % half;
            odd[l] = j >= half;
            blocks[l] = (pos[l] >> shift) * LANES as u64 + u64::from(lead[l] % LANES as u32);
        }
        let w = key.blocks_at(isa, &blocks, attempt);
        // One branch-free loop per method, so that each vectorizes over the lanes.
        match self.method {
            TruncMethod::Normal => {
                // The uniforms first, then the arithmetic in a loop of its own, so that the
                // latter runs on full-width vectors.
                let mut ua = [R::default(); RETRY];
                let mut ub = [R::default(); RETRY];
                for l in 0..RETRY {
                    ua[l] = R::unit_open_at(&w, l, lead[l]);
                    ub[l] = R::unit_at(&w, l, lead[l] + half);
                }
                for (l, o) in out.iter_mut().enumerate() {
                    let r = (p.minus_two * ua[l].ln()).sqrt();
                    let (s, c) = ub[l].sin_cos_turns();
                    *o = Self::keep_normal(&p, r * R::select(odd[l], s, c));
                }
            }
            TruncMethod::Uniform { shift } => {
                let shift = R::from_f64(shift);
                for (l, o) in out.iter_mut().enumerate() {
                    let i = lead[l];
                    let (uz, ua) = (R::unit_at(&w, l, i), R::unit_open_at(&w, l, i + half));
                    *o = Self::uniform_candidate(&p, shift, uz, ua);
                }
            }
            TruncMethod::Exponential { lambda, mass } => {
                let (rate, mass) = (R::from_f64(lambda), R::from_f64(mass));
                for (l, o) in out.iter_mut().enumerate() {
                    let i = lead[l];
                    let (uz, ua) = (R::unit_at(&w, l, i), R::unit_open_at(&w, l, i + half));
                    *o = Self::exponential_candidate(&p, rate, mass, uz, ua);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
