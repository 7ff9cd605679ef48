//! A ziggurat (Marsaglia and Tsang, 2000) for the standard normal conditioned on a bounded
//! one-sided interval [alpha, beta], 0 < alpha < beta: one random word per candidate for
//! almost every value, no logarithm, no division.
//!
//! Written in `d = z - alpha`, the density to sample is `g(d) = exp(-d (d + 2 alpha) / 2)` on
//! [0, D], D = beta - alpha, decreasing from g(0) = 1. The region under it is covered by
//! [`LAYERS`] rectangles of equal area: layer `i` is [0, w_i] x [y_i, y_{i+1}] with
//! `y_0 = 0`, `w_0 = D`, `w_i = min(D, g^-1(y_i))` and `y_{i+1} = y_i + A / w_i`; the top
//! layer reaches `y_N >= 1 = max g` (levels rounded up to f32, and each layer then widened to
//! the largest of their areas, so that the f32 rectangles have equal areas; what widening adds
//! lies right of the curve). A candidate picks a layer uniformly ([`LAYERS`]: 9 bits of its
//! word) and a point `d` uniformly in the layer's width (the other [`POINT_BITS`] = 23 bits):
//!
//! - if `d < w_{i+1}`, the whole column above it in the layer lies under the curve: accepted
//!   (a table threshold on the 23 bits decides it, conservatively);
//! - otherwise a second word gives the height `y` in the layer and the candidate is accepted
//!   when `ln y <= -d (d + 2 alpha) / 2` (under 1.5% of candidates get this far; 0.9% for
//!   (2, 3)).
//!
//! A uniform point in the union of equal-area rectangles kept when under the curve is a
//! rejection sampler of `g` on [0, D], so a rejected candidate restarts from scratch (the
//! next attempt), as in every other method. Exact up to the rounding of the table to f32
//! (relative 2^-24 on the rectangles, below the resolution of an f32 value).
//!
//! The table is built in f64 from `ln` and `sqrt` only, by bisection on the common area `A`;
//! the same table serves the CPU and the CUDA kernels, so they make the same values.

/// Layers of a table: 9 bits of a candidate's word.
pub(crate) const LAYERS: usize = 512;
/// Bits of a candidate's word that place it within its layer.
pub(crate) const POINT_BITS: u32 = 23;
/// Wedge-test words use the attempt's tag with this bit set (attempts stay below it).
pub(crate) const WEDGE_TAG: u16 = 0x8000;

/// The f32 table of a ziggurat over [alpha, beta] (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ziggurat {
    /// `w_i / 2^23`: the candidate's offset is `d = u * scale + scale / 2` for its 23 bits `u`.
    pub scale: [f32; LAYERS],
    /// Candidates with `u < fast[i]` lie under the curve: accepted without a second word.
    pub fast: [u32; LAYERS],
    /// `y_i`, the bottom of the layer.
    pub bottom: [f32; LAYERS],
    /// `y_{i+1} - y_i`, its height.
    pub height: [f32; LAYERS],
}

/// `g^-1(y) = sqrt(alpha^2 - 2 ln y) - alpha` for y in (0, 1], without cancellation.
fn inverse(alpha: f64, y: f64) -> f64 {
    let t = -2.0 * y.ln();
    t / (alpha + (alpha * alpha + t).sqrt())
}

/// The layers' levels for area `area`, each rounded up to an f32 (`y[0] = 0`, `y[N]` the top),
/// and the curve's width at each level (`w[i] = min(width, g^-1(y[i]))`, 0 at or above 1).
fn layers(alpha: f64, width: f64, area: f64) -> ([f64; LAYERS + 1], [f64; LAYERS + 1]) {
    let mut w = [0.0; LAYERS + 1];
    let mut y = [0.0; LAYERS + 1];
    w[0] = width;
    for i in 0..LAYERS {
        if w[i] == 0.0 {
            // Above the top of the curve: the remaining levels are unbounded.
            y[i + 1..].fill(f64::INFINITY);
            break;
        }
        y[i + 1] = round_up(y[i] + area / w[i]) as f64;
        w[i + 1] = if y[i + 1] >= 1.0 {
            0.0
        } else {
            inverse(alpha, y[i + 1]).min(width)
        };
    }
    (w, y)
}

impl Ziggurat {
    /// The table for the standardized interval [alpha, beta], or `None` where the method does
    /// not apply: it needs 0 < alpha < beta, and the interval narrow enough that the
    /// [`POINT_BITS`]-bit grid of a layer is at most half an f32 spacing at alpha:
    /// `beta - alpha <= 2^(e-1)` for `2^e <= alpha < 2^(e+1)` (e.g. (2, 3), (2.5, 3.5),
    /// (5, 7); not (1, 2) or (2, inf)). Each f32 value in the interval then gets at least
    /// two grid points and none lies halfway between two f32 values.
    pub fn new(alpha: f64, beta: f64) -> Option<Ziggurat> {
        let width = beta - alpha;
        if !(alpha.is_normal() && alpha > 0.0 && width > 0.0 && beta.is_finite()) {
            return None;
        }
        // 2^(e-1): alpha's exponent bits with the mantissa cleared, halved (exact).
        let half_power = f64::from_bits(alpha.to_bits() & 0xFFF0_0000_0000_0000) / 2.0;
        if width > half_power {
            return None;
        }
        // The smallest area whose top layer reaches 1, by bisection. The area under the curve
        // is at most min(width, 1 / alpha) (g(d) <= exp(-alpha d)) and the layers add little
        // to it (their wedges), so twice that, spread over the layers, usually reaches 1 and
        // is at most a few times the answer; `2 width / N` always does (every layer is at most
        // `width` wide, so each rises by at least `area / width`). 20 steps then leave the
        // area within ~1e-5 of the smallest: as many more rejected candidates, no inexactness
        // (any area that reaches 1 gives exact layers).
        let covers = |area: f64| layers(alpha, width, area).1[LAYERS] >= 1.0;
        let mut hi = 2.0 * width.min(1.0 / alpha) / LAYERS as f64;
        if !covers(hi) {
            hi = 2.0 * width / LAYERS as f64;
        }
        let mut lo = 0.0;
        for _ in 0..20 {
            let mid = 0.5 * (lo + hi);
            if covers(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let (w, y) = layers(alpha, width, hi);
        // The levels are f32 values, so a layer's height y[i+1] - y[i] is exact in f64; its
        // area w[i] * height is at least `hi` (levels were rounded up). Every layer is widened
        // to the largest of these areas: equal areas, as a uniform choice of layer needs, and
        // what widening adds lies right of the curve (rejected by the wedge test or beyond
        // beta).
        let area = (0..LAYERS)
            .map(|i| w[i] * (y[i + 1] - y[i]))
            .fold(0.0, f64::max);
        let mut z = Ziggurat {
            scale: [0.0; LAYERS],
            fast: [0; LAYERS],
            bottom: [0.0; LAYERS],
            height: [0.0; LAYERS],
        };
        let unit = (1u64 << POINT_BITS) as f64;
        for i in 0..LAYERS {
            let height = y[i + 1] - y[i];
            let wide = round_up(area / height);
            let scale = (wide as f64 / unit) as f32;
            if !(height > 0.0 && wide.is_finite() && scale.is_normal()) {
                return None;
            }
            // `u` is fast when its point (u + 1/2) * scale, even rounded up by f32
            // arithmetic, stays left of the curve at the layer's top: a margin of 2^-22.
            let limit = w[i + 1] * (1.0 - 1.0 / (1u64 << 22) as f64) / scale as f64 - 0.5;
            z.fast[i] = if limit <= 0.0 {
                0
            } else {
                (limit.floor() as u64 + 1).min(1 << POINT_BITS) as u32
            };
            z.scale[i] = scale;
            z.bottom[i] = y[i] as f32;
            z.height[i] = round_up(height);
        }
        Some(z)
    }

    /// The share of candidates decided by their first word alone.
    #[cfg(test)]
    pub fn fast_share(&self) -> f64 {
        self.fast.iter().map(|&f| f as f64).sum::<f64>()
            / (LAYERS as f64 * (1u64 << POINT_BITS) as f64)
    }
}

/// The smallest f32 at or above `x >= 0`.
fn round_up(x: f64) -> f32 {
    let f = x as f32;
    if (f as f64) < x {
        f32::from_bits(f.to_bits() + 1)
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: f64 = (1u64 << POINT_BITS) as f64;

    fn g(alpha: f64, d: f64) -> f64 {
        (-d * (d + 2.0 * alpha) / 2.0).exp()
    }

    /// The f32 rectangles have equal areas (to f32 rounding), cover the region under the curve,
    /// and every fast point lies under it.
    #[test]
    fn layers_cover_the_curve_with_equal_areas() {
        for (alpha, beta) in [
            (2.0, 3.0),
            (2.0, 2.05),
            (0.5, 0.75),
            (5.0, 7.0),
            (30.0, 31.0),
        ] {
            let z = Ziggurat::new(alpha, beta).unwrap();
            let width = beta - alpha;
            let areas: Vec<f64> = (0..LAYERS)
                .map(|i| z.scale[i] as f64 * UNIT * z.height[i] as f64)
                .collect();
            let (amin, amax) = areas
                .iter()
                .fold((f64::MAX, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
            assert!(
                amax / amin - 1.0 < 1e-6,
                "{alpha} {beta}: areas {amin} .. {amax}"
            );
            assert_eq!(z.bottom[0], 0.0);
            assert!(z.scale[0] as f64 * UNIT >= width);
            assert!(z.bottom[LAYERS - 1] as f64 + z.height[LAYERS - 1] as f64 >= 1.0);
            for i in 0..LAYERS {
                let w = z.scale[i] as f64 * UNIT;
                let (lo, hi) = (z.bottom[i] as f64, z.bottom[i] as f64 + z.height[i] as f64);
                // The curve leaves the layer's band inside its width (or beyond beta).
                let right = w.min(width);
                assert!(
                    g(alpha, right) <= lo * (1.0 + 1e-6) || right >= width,
                    "{i}"
                );
                // Consecutive layers leave no gap between their bands.
                if i + 1 < LAYERS {
                    assert!(z.bottom[i + 1] as f64 <= lo + z.height[i] as f64, "{i}");
                }
                // The last fast point lies under the curve's lowest point in the band.
                if z.fast[i] > 0 {
                    let u = z.fast[i] as f32 - 1.0;
                    let d = u.mul_add(z.scale[i], z.scale[i] * 0.5) as f64;
                    assert!(
                        g(alpha, d) >= hi * (1.0 - 1e-6) || d <= 0.0,
                        "{alpha} {i}: {d}"
                    );
                }
            }
            assert!(z.fast_share() > 0.98, "{alpha} {beta}: {}", z.fast_share());
        }
    }

    #[test]
    fn only_bounded_one_sided_narrow_intervals() {
        assert!(Ziggurat::new(2.0, 3.0).is_some());
        assert!(Ziggurat::new(3.5, 4.5).is_some());
        assert!(Ziggurat::new(2.0, 3.01).is_none());
        assert!(Ziggurat::new(1.0, 2.0).is_none());
        assert!(Ziggurat::new(4.0, 6.0).is_some());
        assert!(Ziggurat::new(0.0, 1.0).is_none());
        assert!(Ziggurat::new(2.0, f64::INFINITY).is_none());
        assert!(Ziggurat::new(2.0, 2.0).is_none());
    }
}
