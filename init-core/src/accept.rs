//! Whether a rejection sampler can fill a dtype, decided before any write.
//!
//! The samplers with bounds (uniform's [low, high), trunc_normal's (a, b)) redraw a position whose
//! value, rounded to the tensor's dtype, falls outside them, and give up after a fixed number of
//! attempts. Whether that limit can be reached depends on the arguments and the dtype only: the
//! probability mass of an interval can sit within one step of the dtype at a bound (trunc_normal
//! far in a tail, a narrow interval at a large value), or beyond the dtype's range. [`accepted`]
//! measures, on fixed positions of a fixed stream, how many candidates are kept; arguments that
//! keep fewer than [`MIN_ACCEPTED`] of [`PROBE`] are refused, so that for accepted arguments the
//! limit is never reached.

use candle_core::DType;

use crate::dist::Sampler;
use crate::generator::Generator;
use crate::isa::Portable;
use crate::philox::RETRY;

/// Candidates drawn to measure the acceptance.
pub(crate) const PROBE: usize = 1024;
/// The fewest of [`PROBE`] candidates that must be kept. Arguments that pass keep at least ~1 in
/// 30 candidates (1 in 16 measured, and a binomial count of 1024 draws strays far less than that),
/// so a position is rejected 4096 times in a row with probability below (29/30)^4096 < 1e-60.
pub(crate) const MIN_ACCEPTED: usize = PROBE / 16;
/// The seed of the probe's stream: the decision depends on the arguments alone, not on the
/// caller's generator.
const PROBE_SEED: u64 = 0xACCE_97ED_5EED_0001;

/// How many of [`PROBE`] candidates of `s`, computed as for a tensor of `dtype` and rounded to
/// it, lie inside the sampler's bounds. A sampler without bounds keeps every candidate.
pub(crate) fn accepted<S: Sampler<f32> + Sampler<f64>>(s: &S, dtype: DType) -> usize {
    match dtype {
        DType::F64 => count::<f64, S>(s, |v| v),
        DType::F16 => count::<f32, S>(s, |v| half::f16::from_f32(v).to_f64()),
        DType::BF16 => count::<f32, S>(s, |v| half::bf16::from_f32(v).to_f64()),
        _ => count::<f32, S>(s, |v| v as f64),
    }
}

fn count<R: crate::real::Real, S: Sampler<R>>(s: &S, round: impl Fn(R) -> f64) -> usize {
    let Some(bounds) = s.bounds() else {
        return PROBE;
    };
    let key = Generator::new(PROBE_SEED).next_key();
    let attempt = [1u16; RETRY];
    let mut kept = 0;
    for batch in 0..PROBE / RETRY {
        let pos: [u64; RETRY] = std::array::from_fn(|l| (batch * RETRY + l) as u64);
        let mut out = [R::NAN; RETRY];
        s.retry_lanes(Portable, &key, &pos, &attempt, &mut out);
        kept += out.iter().filter(|&&v| bounds.contains(round(v))).count();
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::{TruncNormal, Uniform};

    #[test]
    fn ordinary_intervals_keep_most_candidates() {
        for dtype in [DType::F32, DType::F64, DType::F16, DType::BF16] {
            for (mean, std, a, b) in [
                (0.0, 1.0, -2.0, 2.0),
                (0.0, 1.0, 2.0, 3.0),
                (0.0, 0.02, -0.04, 0.04),
            ] {
                let kept = accepted(&TruncNormal::new(mean, std, a, b), dtype);
                assert!(kept > PROBE / 3, "{dtype:?} ({a}, {b}): {kept}");
            }
            let kept = accepted(
                &Uniform {
                    low: -1.0,
                    high: 1.0,
                },
                dtype,
            );
            assert!(kept > PROBE * 9 / 10, "{dtype:?}: {kept}");
        }
    }

    #[test]
    fn mass_within_one_step_of_a_bound_is_measured_as_such() {
        // N(2, 0.5) on (65504, 70000): all the mass lies within ~2e-6 of a, an f32 step is 4e-3.
        assert_eq!(
            accepted(&TruncNormal::new(2.0, 0.5, 65504.0, 70000.0), DType::F32),
            0
        );
        // bf16 holds 2.015625 inside (2, 2.02), but N(0, 0.01) puts its mass within 1e-4 of 2.
        assert_eq!(
            accepted(&TruncNormal::new(0.0, 0.01, 2.0, 2.02), DType::BF16),
            0
        );
        assert!(accepted(&TruncNormal::new(2.01, 0.01, 2.0, 2.02), DType::BF16) > MIN_ACCEPTED);
    }
}
