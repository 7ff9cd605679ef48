//! Fan-in and fan-out, as PyTorch computes them.

use std::str::FromStr;

use init_spec::FanModeKind;

use crate::error::{InitError, Result};

/// Which fan a Kaiming initializer scales by: one variant per row of `init_spec::FAN_MODES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FanMode {
    /// Preserves the variance of the activations in the forward pass (PyTorch's default).
    #[default]
    FanIn,
    /// Preserves the variance of the gradients in the backward pass.
    FanOut,
}

impl FanMode {
    /// The mode of a row of the table.
    ///
    /// ```
    /// use init_candle::FanMode;
    /// use init_candle::init::FanModeKind;
    /// assert_eq!(FanMode::from_kind(FanModeKind::FanOut), FanMode::FanOut);
    /// ```
    pub fn from_kind(kind: FanModeKind) -> FanMode {
        match kind {
            FanModeKind::FanIn => FanMode::FanIn,
            FanModeKind::FanOut => FanMode::FanOut,
        }
    }

    /// Its row of the table.
    ///
    /// ```
    /// use init_candle::FanMode;
    /// use init_candle::init::FanModeKind;
    /// assert_eq!(FanMode::FanIn.kind(), FanModeKind::FanIn);
    /// ```
    pub fn kind(self) -> FanModeKind {
        match self {
            FanMode::FanIn => FanModeKind::FanIn,
            FanMode::FanOut => FanModeKind::FanOut,
        }
    }

    /// PyTorch's name for it.
    ///
    /// ```
    /// use init_candle::FanMode;
    /// assert_eq!(FanMode::FanOut.name(), "fan_out");
    /// ```
    pub fn name(self) -> &'static str {
        self.kind().name()
    }
}

impl FromStr for FanMode {
    type Err = InitError;
    /// `"fan_in"` or `"fan_out"`, case-insensitively as in PyTorch.
    ///
    /// ```
    /// use init_candle::FanMode;
    /// assert_eq!("Fan_Out".parse::<FanMode>()?, FanMode::FanOut);
    /// assert!("fan_avg".parse::<FanMode>().is_err());
    /// # Ok::<(), init_candle::InitError>(())
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.to_lowercase();
        FanModeKind::from_name(&lower)
            .map(FanMode::from_kind)
            .ok_or(InitError::UnknownMode(lower))
    }
}

/// `(fan_in, fan_out)` of a weight of shape `(out, in, *kernel)`: `in * prod(kernel)` and
/// `out * prod(kernel)`. Tensors with fewer than 2 dimensions have no fans.
///
/// ```
/// use init_candle::calculate_fan_in_and_fan_out;
/// assert_eq!(calculate_fan_in_and_fan_out(&[30, 20])?, (20, 30));
/// assert_eq!(calculate_fan_in_and_fan_out(&[16, 6, 5, 5])?, (150, 400));
/// assert!(calculate_fan_in_and_fan_out(&[5]).is_err());
/// # Ok::<(), init_candle::InitError>(())
/// ```
pub fn calculate_fan_in_and_fan_out(dims: &[usize]) -> Result<(usize, usize)> {
    if dims.len() < 2 {
        return Err(InitError::FanRank {
            dims: dims.to_vec(),
        });
    }
    let receptive: usize = dims[2..].iter().product();
    Ok((dims[1] * receptive, dims[0] * receptive))
}

/// The fan `mode` selects.
///
/// ```
/// use init_candle::init::{calculate_correct_fan, FanMode};
/// assert_eq!(calculate_correct_fan(&[30, 20], FanMode::FanOut)?, 30);
/// # Ok::<(), init_candle::InitError>(())
/// ```
pub fn calculate_correct_fan(dims: &[usize], mode: FanMode) -> Result<usize> {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(dims)?;
    Ok(match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    })
}
