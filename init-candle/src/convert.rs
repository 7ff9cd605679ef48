//! [`from_candle_nn`]: candle-nn's `Init` as a `torch.nn.init` initializer.

use candle_nn::init::{FanInOut, NonLinearity, NormalOrUniform};
use init_core::{FanMode, Init, Nonlinearity};

use crate::error::{Error, Result};

/// The `torch.nn.init` equivalent of a candle-nn initializer (the hint a `VarBuilder` gets):
/// `Const(v)` -> `constant(v)`, `Randn { mean, stdev }` -> `normal(mean, stdev)`,
/// `Uniform { lo, up }` -> `uniform(lo, up)`, `Kaiming { .. }` -> `kaiming_normal` or
/// `kaiming_uniform` with `a = 0` and the same fan mode and nonlinearity.
///
/// # Errors
/// [`Error::NoInitEquivalent`] for a Kaiming initializer with `ExplicitGain`, which has no
/// PyTorch nonlinearity.
///
/// ```
/// use init_candle::{from_candle_nn, FanMode, Init, Nonlinearity};
///
/// let init = from_candle_nn(candle_nn::init::DEFAULT_KAIMING_NORMAL)?;
/// assert_eq!(
///     init,
///     Init::KaimingNormal { a: 0.0, mode: FanMode::FanIn, nonlinearity: Nonlinearity::Relu }
/// );
/// assert_eq!(from_candle_nn(candle_nn::Init::Const(0.5))?, Init::Constant { value: 0.5 });
///
/// let gain = candle_nn::Init::Kaiming {
///     dist: candle_nn::init::NormalOrUniform::Normal,
///     fan: candle_nn::init::FanInOut::FanIn,
///     non_linearity: candle_nn::init::NonLinearity::ExplicitGain(2.0),
/// };
/// assert!(from_candle_nn(gain).is_err());
/// # Ok::<(), init_candle::Error>(())
/// ```
pub fn from_candle_nn(init: candle_nn::Init) -> Result<Init> {
    Ok(match init {
        candle_nn::Init::Const(value) => Init::Constant { value },
        candle_nn::Init::Randn { mean, stdev } => Init::Normal { mean, std: stdev },
        candle_nn::Init::Uniform { lo, up } => Init::Uniform { low: lo, high: up },
        candle_nn::Init::Kaiming {
            dist,
            fan,
            non_linearity,
        } => {
            let nonlinearity = match non_linearity {
                NonLinearity::ReLU => Nonlinearity::Relu,
                NonLinearity::Linear => Nonlinearity::Linear,
                NonLinearity::Sigmoid => Nonlinearity::Sigmoid,
                NonLinearity::Tanh => Nonlinearity::Tanh,
                NonLinearity::SELU => Nonlinearity::Selu,
                NonLinearity::ExplicitGain(gain) => {
                    return Err(Error::NoInitEquivalent(format!(
                        "Kaiming {{ non_linearity: ExplicitGain({gain}) }}"
                    )))
                }
            };
            let mode = match fan {
                FanInOut::FanIn => FanMode::FanIn,
                FanInOut::FanOut => FanMode::FanOut,
            };
            match dist {
                NormalOrUniform::Normal => Init::KaimingNormal {
                    a: 0.0,
                    mode,
                    nonlinearity,
                },
                NormalOrUniform::Uniform => Init::KaimingUniform {
                    a: 0.0,
                    mode,
                    nonlinearity,
                },
            }
        }
    })
}
