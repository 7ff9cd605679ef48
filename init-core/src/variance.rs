//! JAX/Flax's `variance_scaling` vocabulary: its modes, its distributions, its axes and the
//! fans it counts on them.

use init_spec::{Axes, DistributionKind, VarianceModeKind};

use crate::error::{InitError, Result};

/// Which fan JAX's `variance_scaling` divides its scale by: one variant per row of
/// `init_spec::VARIANCE_MODES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarianceMode {
    /// The number of inputs: the `in_axis` sizes times the receptive field.
    FanIn,
    /// The number of outputs: the `out_axis` sizes times the receptive field.
    FanOut,
    /// `(fan_in + fan_out) / 2`.
    FanAvg,
    /// `sqrt(fan_in * fan_out)`.
    FanGeoAvg,
}

/// The distribution of JAX's `variance_scaling`: one variant per row of
/// `init_spec::DISTRIBUTIONS`. Each has mean 0 and the variance asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// N(0, s^2) conditioned on (-2 s, 2 s), with s = sqrt(variance) / 0.87962566103423978
    /// (the std of a standard normal cut at +-2), so that the values' std is sqrt(variance).
    TruncatedNormal,
    /// N(0, variance).
    Normal,
    /// U(-sqrt(3 variance), sqrt(3 variance)).
    Uniform,
}

/// The std of a standard normal conditioned on (-2, 2), the constant JAX divides by.
pub(crate) const TRUNCATED_STD: f64 = 0.879_625_661_034_239_8;

impl VarianceMode {
    /// The mode of a row of the table.
    ///
    /// ```
    /// use init_candle::init::{VarianceMode, VarianceModeKind};
    /// assert_eq!(VarianceMode::from_kind(VarianceModeKind::FanAvg), VarianceMode::FanAvg);
    /// ```
    pub fn from_kind(kind: VarianceModeKind) -> VarianceMode {
        match kind {
            VarianceModeKind::FanIn => VarianceMode::FanIn,
            VarianceModeKind::FanOut => VarianceMode::FanOut,
            VarianceModeKind::FanAvg => VarianceMode::FanAvg,
            VarianceModeKind::FanGeoAvg => VarianceMode::FanGeoAvg,
        }
    }

    /// Its row of the table.
    pub fn kind(self) -> VarianceModeKind {
        match self {
            VarianceMode::FanIn => VarianceModeKind::FanIn,
            VarianceMode::FanOut => VarianceModeKind::FanOut,
            VarianceMode::FanAvg => VarianceModeKind::FanAvg,
            VarianceMode::FanGeoAvg => VarianceModeKind::FanGeoAvg,
        }
    }

    /// JAX's name for it.
    ///
    /// ```
    /// assert_eq!(init_candle::init::VarianceMode::FanGeoAvg.name(), "fan_geo_avg");
    /// ```
    pub fn name(self) -> &'static str {
        self.kind().name()
    }

    /// The number the scale is divided by, for these fans.
    pub(crate) fn denominator(self, fan_in: f64, fan_out: f64) -> f64 {
        match self {
            VarianceMode::FanIn => fan_in,
            VarianceMode::FanOut => fan_out,
            VarianceMode::FanAvg => (fan_in + fan_out) / 2.0,
            VarianceMode::FanGeoAvg => (fan_in * fan_out).sqrt(),
        }
    }
}

impl Distribution {
    /// The distribution of a row of the table.
    ///
    /// ```
    /// use init_candle::init::{Distribution, DistributionKind};
    /// assert_eq!(Distribution::from_kind(DistributionKind::Uniform), Distribution::Uniform);
    /// ```
    pub fn from_kind(kind: DistributionKind) -> Distribution {
        match kind {
            DistributionKind::TruncatedNormal => Distribution::TruncatedNormal,
            DistributionKind::Normal => Distribution::Normal,
            DistributionKind::Uniform => Distribution::Uniform,
        }
    }

    /// Its row of the table.
    pub fn kind(self) -> DistributionKind {
        match self {
            Distribution::TruncatedNormal => DistributionKind::TruncatedNormal,
            Distribution::Normal => DistributionKind::Normal,
            Distribution::Uniform => DistributionKind::Uniform,
        }
    }

    /// JAX's name for it.
    ///
    /// ```
    /// assert_eq!(init_candle::init::Distribution::TruncatedNormal.name(), "truncated_normal");
    /// ```
    pub fn name(self) -> &'static str {
        self.kind().name()
    }
}

/// JAX's `_compute_fans`: the receptive field is the product of the axes in none of `in_axis`,
/// `out_axis` and `batch_axis`; fan_in is the `in_axis` sizes times it, fan_out the `out_axis`
/// sizes times it. Checked: every axis inside the tensor, and no axis in two of the lists (or
/// twice in one), which JAX does not check and which counts a size twice.
pub(crate) fn fans(
    op: &'static str,
    dims: &[usize],
    in_axis: Axes,
    out_axis: Axes,
    batch_axis: Axes,
) -> Result<(f64, f64)> {
    let mut seen = vec![false; dims.len()];
    let mut resolve = |param: &'static str, axes: Axes| -> Result<Vec<usize>> {
        let resolved = axes.resolve(dims.len()).map_err(|axis| {
            InitError::param(
                op,
                param,
                axes,
                format!(
                    "axis {axis} is outside a tensor of shape {dims:?}; axes lie in -{rank}..{rank}",
                    rank = dims.len()
                ),
            )
        })?;
        for &axis in &resolved {
            if std::mem::replace(&mut seen[axis], true) {
                return Err(InitError::param(
                    op,
                    param,
                    axes,
                    format!(
                        "axis {axis} of shape {dims:?} is named twice among in_axis, out_axis \
                         and batch_axis; each axis may be in one of them at most once"
                    ),
                ));
            }
        }
        Ok(resolved)
    };
    let (inputs, outputs) = (resolve("in_axis", in_axis)?, resolve("out_axis", out_axis)?);
    resolve("batch_axis", batch_axis)?;
    let size = |axes: &[usize]| axes.iter().map(|&a| dims[a] as f64).product::<f64>();
    let receptive: f64 = (0..dims.len())
        .filter(|&a| !seen[a])
        .map(|a| dims[a] as f64)
        .product();
    Ok((size(&inputs) * receptive, size(&outputs) * receptive))
}

/// Serde for [`Axes`]: one axis as an integer, a list (or none) as an array, as JAX takes them.
pub(crate) mod axes_serde {
    use init_spec::Axes;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        One(i64),
        List(Vec<i64>),
    }

    pub(crate) fn serialize<S: Serializer>(axes: &Axes, s: S) -> Result<S::Ok, S::Error> {
        match axes.as_slice() {
            [one] => Repr::One((*one).into()),
            list => Repr::List(list.iter().map(|&a| a.into()).collect()),
        }
        .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Axes, D::Error> {
        let list = match Repr::deserialize(d)? {
            Repr::One(axis) => vec![axis],
            Repr::List(list) => list,
        };
        Axes::new(&list).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "axes {list:?}: at most {} axes, each in -128..=127",
                init_spec::MAX_AXES
            ))
        })
    }
}
