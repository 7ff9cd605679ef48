//! Samplers: how the random words of a chunk of storage positions become values.
//!
//! Words come in *groups*: 16 Philox blocks, 64 words, in structure-of-arrays order (see
//! `Key::blocks16`). A group holds `NU = 64 / WORDS` uniforms (64 for f32, 32 for f64), and
//! storage position `p` always takes its uniforms from the same group, so its value depends only
//! on (seed, stream, p): never on the thread count, the order of work, or the view written.
//!
//! - uniform: a group makes `NU` elements; element `i` is uniform `i`;
//! - normal: a group makes `NU` elements; uniforms `i` and `i + NU/2` make one Box-Muller pair,
//!   elements `i` (cosine) and `i + NU/2` (sine);
//! - truncated normal: a group makes `NU/2` candidates; candidate `i` takes uniforms `i` and
//!   `i + NU/2`, and uniform `i + NU/2` of a group always lies in the same Philox block as
//!   uniform `i`, so a rejected position is redrawn from one block tagged with the attempt.

use crate::philox::{Key, LANES};
use crate::real::Real;

/// Storage positions generated together.
pub(crate) const CHUNK: usize = 64;
/// Words of a group of 16 Philox blocks.
const GROUP_WORDS: usize = 4 * LANES;
/// The most words a chunk can take: 64 elements x 2 words (f64) x 2 uniforms (trunc normal).
const MAX_WORDS: usize = CHUNK * 4;

pub(crate) trait Sampler<R: Real>: Sync {
    /// Values of storage positions `chunk * CHUNK .. (chunk + 1) * CHUNK`; NaN marks a rejected
    /// candidate, to be redrawn with [`Sampler::retry`].
    fn chunk(&self, key: &Key, chunk: u64, out: &mut [R; CHUNK]);
    /// The open interval every written value must lie in, after rounding to the tensor's dtype.
    fn bounds(&self) -> Option<(f64, f64)> {
        None
    }
    /// Attempt `attempt` (>= 1) for storage position `pos`; NaN if rejected again.
    fn retry(&self, _key: &Key, _pos: u64, _attempt: u16) -> R {
        R::NAN
    }
}

/// Uniforms per group.
#[inline(always)]
const fn per_group<R: Real>() -> usize {
    GROUP_WORDS / R::WORDS
}

/// The words of the `groups` groups of chunk `chunk` (each group `GROUP_WORDS` words).
#[inline(always)]
fn chunk_words(key: &Key, chunk: u64, groups: usize, tag: u16, words: &mut [u32; MAX_WORDS]) {
    for g in 0..groups {
        let group = chunk * groups as u64 + g as u64;
        key.blocks16(group * LANES as u64, tag, &mut words[g * GROUP_WORDS..]);
    }
}

/// U[low, high).
pub(crate) struct Uniform {
    pub low: f64,
    pub high: f64,
}

impl<R: Real> Sampler<R> for Uniform {
    #[inline(always)]
    fn chunk(&self, key: &Key, chunk: u64, out: &mut [R; CHUNK]) {
        let nu = per_group::<R>();
        let groups = CHUNK / nu;
        let mut words = [0u32; MAX_WORDS];
        chunk_words(key, chunk, groups, 0, &mut words);
        let low = R::from_f64(self.low);
        let range = R::from_f64(self.high - self.low);
        for g in 0..groups {
            let w = &words[g * GROUP_WORDS..(g + 1) * GROUP_WORDS];
            for u in 0..nu {
                out[g * nu + u] = R::unit(w, u).mul_add(range, low);
            }
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
    fn chunk(&self, key: &Key, chunk: u64, out: &mut [R; CHUNK]) {
        let nu = per_group::<R>();
        let half = nu / 2;
        let groups = CHUNK / nu;
        let mut words = [0u32; MAX_WORDS];
        chunk_words(key, chunk, groups, 0, &mut words);
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
    pub method: TruncMethod,
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
        }
    }

    /// Candidates `i` of a group, for every i, given how to read the group's uniforms; NaN
    /// where rejected. Shared by the vector path (`unit` reads a whole group) and the retry path
    /// (`unit` reads one block).
    #[inline(always)]
    fn candidates<R: Real>(
        &self,
        unit: impl Fn(usize) -> R,
        unit_open: impl Fn(usize) -> R,
        mut put: impl FnMut(usize, R),
        only: Option<usize>,
    ) {
        let nu = per_group::<R>();
        let half = nu / 2;
        let alpha = R::from_f64(self.alpha);
        let beta = R::from_f64(self.beta);
        let mean = R::from_f64(self.mean);
        let scale = R::from_f64(self.std * self.sign);
        let minus_two = R::from_f64(-2.0);
        let range = |n: usize| match only {
            Some(i) => i..i + 1,
            None => 0..n,
        };
        // One loop per method, so that each vectorizes.
        match self.method {
            TruncMethod::Normal => {
                let quarter = half / 2;
                for i in range(quarter) {
                    let r = (minus_two * unit_open(i + half).ln()).sqrt();
                    let (s, c) = unit(i).sin_cos_turns();
                    let (zc, zs) = (r * c, r * s);
                    put(
                        i,
                        R::select(alpha < zc && zc < beta, zc.mul_add(scale, mean), R::NAN),
                    );
                    put(
                        i + quarter,
                        R::select(alpha < zs && zs < beta, zs.mul_add(scale, mean), R::NAN),
                    );
                }
            }
            TruncMethod::Uniform { shift } => {
                let shift = R::from_f64(shift);
                for i in range(half) {
                    let z = unit(i).mul_add(beta - alpha, alpha);
                    let keep = minus_two * unit_open(i + half).ln() >= z * z - shift;
                    put(i, R::select(keep, z.mul_add(scale, mean), R::NAN));
                }
            }
            TruncMethod::Exponential { lambda, mass } => {
                let (l, mass, one) = (R::from_f64(lambda), R::from_f64(mass), R::from_f64(1.0));
                for i in range(half) {
                    let z = alpha - (one - unit(i) * mass).ln() / l;
                    let d = z - l;
                    let keep = minus_two * unit_open(i + half).ln() >= d * d && z < beta;
                    put(i, R::select(keep, z.mul_add(scale, mean), R::NAN));
                }
            }
        }
    }
}

impl<R: Real> Sampler<R> for TruncNormal {
    #[inline(always)]
    fn chunk(&self, key: &Key, chunk: u64, out: &mut [R; CHUNK]) {
        let per = per_group::<R>() / 2; // candidates per group
        let groups = CHUNK / per;
        let mut words = [0u32; MAX_WORDS];
        chunk_words(key, chunk, groups, 0, &mut words);
        for g in 0..groups {
            let w = &words[g * GROUP_WORDS..(g + 1) * GROUP_WORDS];
            let o = &mut out[g * per..(g + 1) * per];
            self.candidates(
                |u| R::unit(w, u),
                |u| R::unit_open(w, u),
                |i, v| o[i] = v,
                None,
            );
        }
    }

    fn bounds(&self) -> Option<(f64, f64)> {
        Some((self.a, self.b))
    }

    fn retry(&self, key: &Key, pos: u64, attempt: u16) -> R {
        let nu = per_group::<R>();
        let per = (nu / 2) as u64;
        let (group, i) = (pos / per, (pos % per) as usize);
        // The candidate whose uniforms position `pos` uses: in the normal method, positions
        // i and i + nu/4 share one Box-Muller pair.
        let lead = match self.method {
            TruncMethod::Normal => i % (nu / 4),
            _ => i,
        };
        let block = key.block(group * LANES as u64 + (lead % LANES) as u64, attempt);
        let mut v = R::NAN;
        self.candidates(
            |u| R::unit_in_block(&block, u),
            |u| R::unit_open_in_block(&block, u),
            |j, x| {
                if j == i {
                    v = x
                }
            },
            Some(lead),
        );
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The retry path reads one block; at attempt 0 it must give exactly what the vector path
    /// gives, for every method and precision, so both define the same stream.
    #[test]
    fn retry_path_reproduces_the_vector_path() {
        fn check<R: Real + Into<f64>>(t: &TruncNormal) {
            let key = Key {
                key: [1, 2],
                stream: 77,
            };
            for chunk in [0u64, 5] {
                let mut out = [R::default(); CHUNK];
                Sampler::<R>::chunk(t, &key, chunk, &mut out);
                for (j, v) in out.iter().enumerate() {
                    let pos = chunk * CHUNK as u64 + j as u64;
                    let r: f64 = Sampler::<R>::retry(t, &key, pos, 0).into();
                    let v: f64 = (*v).into();
                    assert!(
                        v == r || (v.is_nan() && r.is_nan()),
                        "{:?} pos {pos}: {v} vs {r}",
                        t.method
                    );
                }
            }
        }
        for (a, b) in [
            (-2.0, 2.0),
            (-0.3, 0.4),
            (2.0, 2.1),
            (2.0, 3.0),
            (-3.0, -2.0),
        ] {
            let t = TruncNormal::new(0.0, 1.0, a, b);
            check::<f32>(&t);
            check::<f64>(&t);
        }
    }

    #[test]
    fn trunc_methods_follow_the_interval() {
        assert_eq!(
            TruncNormal::new(0., 1., -2., 2.).method,
            TruncMethod::Normal
        );
        assert_eq!(
            TruncNormal::new(0., 1., -0.5, 0.5).method,
            TruncMethod::Uniform { shift: 0.0 }
        );
        assert!(matches!(
            TruncNormal::new(0., 1., 2., 3.).method,
            TruncMethod::Exponential { .. }
        ));
        assert!(matches!(
            TruncNormal::new(0., 1., -3., -2.).method,
            TruncMethod::Exponential { .. }
        ));
        assert!(matches!(
            TruncNormal::new(0., 1., 2., 2.1).method,
            TruncMethod::Uniform { .. }
        ));
    }
}
