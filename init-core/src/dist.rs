//! Samplers: how the random words of a chunk of storage positions become values.
//!
//! Element `pos` of a tensor's storage always takes the same words, `WORDS * FACTOR` of them
//! starting at word `pos * WORDS * FACTOR` of the Philox stream, so its value depends only on
//! (seed, stream, pos): never on the thread count, the order of work, or the shape of the view
//! being written.

use crate::philox::{Key, LANES};
use crate::real::Real;

/// Storage positions generated together.
pub(crate) const CHUNK: usize = 64;
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

/// Fills `words` with the random words of the chunk `chunk` (`CHUNK * per_elem` words).
#[inline(always)]
fn chunk_words(key: &Key, chunk: u64, per_elem: usize, tag: u16, words: &mut [u32; MAX_WORDS]) {
    let n = CHUNK * per_elem;
    let first_block = chunk * (n as u64 / 4);
    for g in 0..n / (4 * LANES) {
        key.blocks16(
            first_block + (g * LANES) as u64,
            tag,
            &mut words[g * 4 * LANES..],
        );
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
        let mut words = [0u32; MAX_WORDS];
        chunk_words(key, chunk, R::WORDS, 0, &mut words);
        let low = R::from_f64(self.low);
        let range = R::from_f64(self.high - self.low);
        for (j, o) in out.iter_mut().enumerate() {
            *o = low + range * R::unit(&words[j * R::WORDS..]);
        }
    }
}

/// N(mean, std^2) by the Box-Muller transform: elements 2k and 2k+1 share one pair of uniforms.
pub(crate) struct Normal {
    pub mean: f64,
    pub std: f64,
}

impl<R: Real> Sampler<R> for Normal {
    #[inline(always)]
    fn chunk(&self, key: &Key, chunk: u64, out: &mut [R; CHUNK]) {
        let mut words = [0u32; MAX_WORDS];
        chunk_words(key, chunk, R::WORDS, 0, &mut words);
        let mean = R::from_f64(self.mean);
        let std = R::from_f64(self.std);
        let w = R::WORDS;
        for p in 0..CHUNK / 2 {
            let u1 = R::unit_open(&words[2 * p * w..]);
            let u2 = R::unit(&words[(2 * p + 1) * w..]);
            let r = (R::from_f64(-2.0) * u1.ln()).sqrt();
            let (s, c) = u2.sin_cos_turns();
            out[2 * p] = mean + std * (r * c);
            out[2 * p + 1] = mean + std * (r * s);
        }
    }
}

/// How [`TruncNormal`] draws its candidates, on the standardized interval (alpha, beta).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum TruncMethod {
    /// A standard normal, kept if it falls in the interval (wide intervals around 0).
    Normal,
    /// A uniform candidate z, kept with probability exp(-(z^2 - shift) / 2).
    Uniform { shift: f64 },
    /// Robert (1995): an exponential candidate z >= alpha with rate `lambda`, truncated at beta,
    /// kept with probability exp(-(z - lambda)^2 / 2). For alpha > 0 (tails).
    Exponential { lambda: f64, mass: f64 },
}

/// The normal distribution N(mean, std^2) conditioned on (a, b), exactly, by rejection.
///
/// Every candidate comes from its own words, so the value at a position is still a function of
/// (seed, stream, position) only; a rejected position is redrawn from words tagged with the
/// attempt number.
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
            let limit = alpha + 2.0 * 0.5f64.exp() / (alpha + root) * ((alpha * alpha - alpha * root) / 4.0).exp();
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

    /// One candidate from a uniform `uz` in [0, 1) and a uniform `ua` in (0, 1]; NaN if rejected.
    #[inline(always)]
    fn candidate<R: Real>(&self, uz: R, ua: R) -> R {
        let alpha = R::from_f64(self.alpha);
        let beta = R::from_f64(self.beta);
        let two = R::from_f64(2.0);
        let (z, keep) = match self.method {
            TruncMethod::Normal => {
                let r = (-two * ua.ln()).sqrt();
                let z = r * uz.sin_cos_turns().1;
                (z, alpha < z && z < beta)
            }
            TruncMethod::Uniform { shift } => {
                let z = alpha + (beta - alpha) * uz;
                (z, -two * ua.ln() >= z * z - R::from_f64(shift))
            }
            TruncMethod::Exponential { lambda, mass } => {
                let l = R::from_f64(lambda);
                let one = R::from_f64(1.0);
                let z = alpha - (one - uz * R::from_f64(mass)).ln() / l;
                let d = z - l;
                (z, -two * ua.ln() >= d * d && z < beta)
            }
        };
        let x = R::from_f64(self.mean) + R::from_f64(self.std * self.sign) * z;
        R::select(keep, x, R::NAN)
    }
}

impl<R: Real> Sampler<R> for TruncNormal {
    #[inline(always)]
    fn chunk(&self, key: &Key, chunk: u64, out: &mut [R; CHUNK]) {
        let mut words = [0u32; MAX_WORDS];
        chunk_words(key, chunk, 2 * R::WORDS, 0, &mut words);
        let w = R::WORDS;
        for (j, o) in out.iter_mut().enumerate() {
            let uz = R::unit(&words[2 * j * w..]);
            let ua = R::unit_open(&words[(2 * j + 1) * w..]);
            *o = self.candidate(uz, ua);
        }
    }

    fn bounds(&self) -> Option<(f64, f64)> {
        Some((self.a, self.b))
    }

    fn retry(&self, key: &Key, pos: u64, attempt: u16) -> R {
        // The element's words lie in one block: 2 (f32) or 4 (f64) of its 4 words.
        let first = pos * 2 * R::WORDS as u64;
        let block = key.block(first / 4, attempt);
        let o = (first % 4) as usize;
        let w = R::WORDS;
        self.candidate(R::unit(&block[o..]), R::unit_open(&block[o + w..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunc_methods_follow_the_interval() {
        assert_eq!(TruncNormal::new(0., 1., -2., 2.).method, TruncMethod::Normal);
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
