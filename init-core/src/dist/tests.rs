//! The samplers' two paths (a chunk's vector path and the redraw lanes) against each other.

use super::*;
use crate::isa::Portable;

/// The retry path reads one block (two for the ziggurat); at attempt 0 it must give exactly
/// what the vector path gives, for every method and precision, so both define the same
/// stream. Where the ziggurat's vector path leaves a candidate undecided (NaN), attempt 0
/// decides it: returns the number of such candidates it accepted.
#[test]
fn retry_path_reproduces_the_vector_path() {
    fn check<R: Real + Into<f64>>(t: &TruncNormal) -> usize {
        let undecided = Sampler::<R>::first_redraw(t) == 0;
        let mut decided = 0;
        let key = Key {
            key: [1, 2],
            stream: 77,
        };
        for chunk in [0u64, 5] {
            let mut out = [R::default(); CHUNK];
            Sampler::<R>::chunk(t, Portable, &key, chunk, &mut out);
            for (j0, vs) in out.chunks(RETRY).enumerate() {
                // RETRY positions of the chunk, in reverse order, redrawn at attempt 0.
                let first = chunk * CHUNK as u64 + (j0 * RETRY) as u64;
                let at: [u64; RETRY] = std::array::from_fn(|l| first + (RETRY - 1 - l) as u64);
                let mut lanes = [R::default(); RETRY];
                Sampler::<R>::retry_lanes(t, Portable, &key, &at, &[0; RETRY], &mut lanes);
                for (l, v) in vs.iter().enumerate() {
                    let pos = first + l as u64;
                    let r: f64 = lanes[RETRY - 1 - l].into();
                    let v: f64 = (*v).into();
                    assert!(
                        v == r || (v.is_nan() && (r.is_nan() || undecided)),
                        "{:?} pos {pos}: {v} vs {r}",
                        t.method
                    );
                    decided += usize::from(v.is_nan() && !r.is_nan());
                }
            }
        }
        decided
    }
    for (a, b) in [
        (-2.0, 2.0),
        (-0.3, 0.4),
        (2.0, 2.1),
        (2.0, 3.0),
        (-3.0, -2.0),
    ] {
        let t = TruncNormal::new(0.0, 1.0, a, b);
        let decided = check::<f32>(&t);
        assert_eq!(decided > 0, t.zig.is_some(), "({a}, {b})");
        assert_eq!(check::<f64>(&t), 0);
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
    // f32 arithmetic: the ziggurat on bounded one-sided intervals at most half as wide as
    // the power of two below their distance from 0, mirrored ones included.
    for (a, b, zig) in [
        (2., 3., true),
        (-3., -2., true),
        (2., 2.1, true),
        (1., 1.5, true),
        (1., 2., false),
        (1., 2.5, false),
        (2., f64::INFINITY, false),
        (-2., 2., false),
        (0., 1., false),
    ] {
        assert_eq!(
            TruncNormal::new(0., 1., a, b).zig.is_some(),
            zig,
            "({a}, {b})"
        );
    }
}
