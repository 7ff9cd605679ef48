//! Per-tensor facts a reference library wrote (`shape`, `mean`, `std`, `min`, `max`,
//! `all_zero`, `all_one`, `zero_rows`, as `scripts/hf_fixture.py`'s `facts`), and whether a
//! tensor we built agrees with them (see `tests/hf_families.rs` for the tolerances).

use serde_json::Value;

/// One tensor we built: its shape and values.
pub struct Built {
    pub dims: Vec<usize>,
    pub values: Vec<f64>,
}

pub fn stat(t: &Value, key: &str) -> f64 {
    t[key].as_f64().unwrap_or(0.0)
}

/// Why candle's tensor does not agree with the reference's facts; `None` when it does.
pub fn disagreement(hf: &Value, c: &Built) -> Option<String> {
    let shape: Vec<usize> = hf["shape"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_u64())
                .map(|d| d as usize)
                .collect()
        })
        .unwrap_or_default();
    if shape != c.dims {
        return Some(format!("shape {:?} vs the reference's {shape:?}", c.dims));
    }
    let v = &c.values;
    let n = v.len() as f64;
    let (min, max) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let (hmin, hmax) = (stat(hf, "min"), stat(hf, "max"));
    if hf["all_zero"].as_bool() == Some(true)
        || hf["all_one"].as_bool() == Some(true)
        || hmin == hmax
    {
        // One constant: exactly it (f32 of the reference's value).
        return (!v.iter().all(|&x| x == hmin as f32 as f64))
            .then(|| format!("expected every value {hmin}, found {min}..{max}"));
    }
    if min == max {
        return Some(format!(
            "constant {min}, the reference's is random ({hmin}..{hmax})"
        ));
    }
    let rows: Vec<usize> = hf["zero_rows"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_u64())
                .map(|r| r as usize)
                .collect()
        })
        .unwrap_or_default();
    if c.dims.len() >= 2 {
        let width = c.dims[1..].iter().product::<usize>().max(1);
        let zero: Vec<usize> = v
            .chunks(width)
            .enumerate()
            .filter(|(_, r)| r.iter().all(|&x| x == 0.0))
            .map(|(i, _)| i)
            .collect();
        if zero != rows {
            return Some(format!("zero rows {zero:?}, the reference's {rows:?}"));
        }
    }
    let mean = v.iter().sum::<f64>() / n;
    let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let (hmean, hstd) = (stat(hf, "mean"), stat(hf, "std"));
    if (std / hstd - 1.0).abs() > 6.0 / n.sqrt() {
        return Some(format!(
            "std {std:.5} vs the reference's {hstd:.5} (n = {n})"
        ));
    }
    if (mean - hmean).abs() > 6.0 * hstd * (2.0 / n).sqrt() {
        return Some(format!(
            "mean {mean:.5} vs the reference's {hmean:.5} (std {hstd:.5}, n = {n})"
        ));
    }
    if n >= 1000.0 {
        let (ours, theirs) = (min.abs().max(max) / std, hmin.abs().max(hmax) / hstd);
        if (ours / theirs).ln().abs() > 1.6f64.ln() {
            return Some(format!(
                "largest |x| {ours:.2} stds vs the reference's {theirs:.2}: another distribution"
            ));
        }
    }
    None
}
