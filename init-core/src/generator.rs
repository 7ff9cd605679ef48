//! The seeded, counter-based generator every random initializer takes.

use crate::philox::Key;

/// The version of the mapping from (seed, stream, position) to values. Golden-value tests pin
/// it: a change of any sampler's output must bump this number and be announced.
///
/// - 1: the first release.
/// - 2: `trunc_normal` on f32, f16 and bf16 tensors draws bounded one-sided intervals
///   (0 < alpha < beta <= 2 alpha in standard units, e.g. a = 2, b = 3) with a ziggurat, one
///   random word per value for ~98% of them, instead of Robert's exponential or the uniform
///   proposal. Every other value is unchanged.
pub const STREAM_FORMAT_VERSION: u32 = 2;

/// A seeded random generator built on Philox4x32-10.
///
/// A generator is a seed, a stream and a draw count. Each random initializer call takes one draw:
/// a fresh sub-stream, derived from (stream, draw count), in which the value of storage position
/// `p` depends only on (seed, sub-stream, p). Hence:
/// - the same seed gives the same bytes at any thread count and on any SIMD level;
/// - initializing a view (e.g. some rows of a weight) gives the values the full tensor would get
///   at those positions;
/// - [`Generator::for_path`] gives every parameter its own stream, so a parameter's values do not
///   depend on what was initialized before it.
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// use init_candle::init::{normal, Generator};
///
/// let a = Tensor::zeros((64, 32), DType::F32, &Device::Cpu)?;
/// let b = Tensor::zeros((64, 32), DType::F32, &Device::Cpu)?;
/// normal(&a, 0.0, 1.0, &mut Generator::new(7))?;
/// normal(&b, 0.0, 1.0, &mut Generator::new(7))?;
/// assert_eq!(a.to_vec2::<f32>()?, b.to_vec2::<f32>()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Generator {
    seed: u64,
    stream: u64,
    draws: u64,
}

/// SplitMix64's finalizer: a bijective 64-bit mix.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over the bytes of a name.
fn fnv1a64(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

impl Generator {
    /// A generator for `seed`, on stream 0.
    pub fn new(seed: u64) -> Generator {
        Generator::with_stream(seed, 0)
    }

    /// A generator for `seed` on an explicit stream.
    pub fn with_stream(seed: u64, stream: u64) -> Generator {
        Generator {
            seed,
            stream,
            draws: 0,
        }
    }

    /// A generator seeded from a `rand` RNG, for PyTorch's `generator=` style.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    /// let g = init_candle::Generator::from_rng(&mut rng);
    /// let mut again = rand::rngs::StdRng::seed_from_u64(3);
    /// assert_eq!(g, init_candle::Generator::from_rng(&mut again));
    /// ```
    pub fn from_rng<R: rand::Rng + ?Sized>(rng: &mut R) -> Generator {
        let seed = rng.next_u64();
        let stream = rng.next_u64();
        Generator::with_stream(seed, stream)
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream.
    pub fn stream(&self) -> u64 {
        self.stream
    }

    /// How many draws (random initializer calls) this generator has served.
    pub fn draws(&self) -> u64 {
        self.draws
    }

    /// An independent generator for a named parameter, e.g. `"features.0.weight"`: the same
    /// seed and name give the same values whatever else was initialized, and in any order.
    ///
    /// ```
    /// use init_candle::Generator;
    /// let g = Generator::new(42);
    /// assert_eq!(g.for_path("fc.weight"), g.for_path("fc.weight"));
    /// assert_ne!(g.for_path("fc.weight"), g.for_path("fc.bias"));
    /// ```
    pub fn for_path(&self, path: &str) -> Generator {
        Generator::with_stream(self.seed, mix64(self.stream ^ mix64(fnv1a64(path))))
    }

    /// The key of the next draw.
    pub(crate) fn next_key(&mut self) -> Key {
        let stream = mix64(
            self.stream
                .wrapping_add(mix64(self.draws ^ 0x5EED_0000_0000_0001)),
        );
        self.draws += 1;
        Key {
            key: [self.seed as u32, (self.seed >> 32) as u32],
            stream,
        }
    }
}

/// A sequential `RngCore` over one Philox stream, for the few places that need a sequence of
/// random integers (the permutations of `sparse`).
pub(crate) struct SeqRng {
    key: Key,
    tag: u16,
    block: u64,
    buf: [u32; 4],
    used: usize,
}

impl SeqRng {
    pub fn new(key: Key, tag: u16) -> SeqRng {
        SeqRng {
            key,
            tag,
            block: 0,
            buf: [0; 4],
            used: 4,
        }
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.used == 4 {
            self.buf = self.key.block(self.block, self.tag);
            self.block += 1;
            self.used = 0;
        }
        self.used += 1;
        self.buf[self.used - 1]
    }

    /// A uniform integer in 0..n, without bias (Lemire's method).
    pub fn below(&mut self, n: u32) -> u32 {
        let mut m = self.next_u32() as u64 * n as u64;
        if (m as u32) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u32) < threshold {
                m = self.next_u32() as u64 * n as u64;
            }
        }
        (m >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_give_distinct_streams() {
        let mut g = Generator::new(1);
        let a = g.next_key();
        let b = g.next_key();
        assert_ne!(a.stream, b.stream);
        assert_eq!(g.draws(), 2);
        assert_eq!(a, Generator::new(1).next_key());
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut r = SeqRng::new(Generator::new(5).next_key(), 1);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[r.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (850..1150).contains(&c)), "{seen:?}");
    }
}
