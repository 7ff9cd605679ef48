//! `calculate_gain`: the recommended gain of each nonlinearity.

use std::str::FromStr;

use init_spec::NonlinearityKind;

use crate::error::{InitError, Result};

/// The nonlinearities `torch.nn.init.calculate_gain` knows: one variant per row of
/// `init_spec::NONLINEARITIES`, named after it (`conv_transpose1d` is `ConvTranspose1d`).
///
/// ```
/// use init_candle::{calculate_gain, Nonlinearity};
/// let relu: Nonlinearity = "relu".parse()?;
/// assert_eq!(calculate_gain(relu)?, 2f64.sqrt());
/// let leaky = Nonlinearity::from_name("leaky_relu", Some(0.2))?;
/// assert_eq!(calculate_gain(leaky)?, (2.0 / (1.0 + 0.2f64 * 0.2)).sqrt());
/// # Ok::<(), init_candle::InitError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nonlinearity {
    Linear,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Sigmoid,
    Tanh,
    Relu,
    /// Leaky ReLU with its negative slope (PyTorch's default is 0.01).
    LeakyRelu {
        negative_slope: f64,
    },
    Selu,
}

/// PyTorch's default negative slope of leaky_relu (from the table).
pub const DEFAULT_NEGATIVE_SLOPE: f64 = match NonlinearityKind::LeakyRelu.def().param {
    Some(param) => param.default,
    None => panic!("the table gives leaky_relu a parameter"),
};

impl Nonlinearity {
    /// Leaky ReLU with PyTorch's default slope, 0.01.
    pub const LEAKY_RELU: Nonlinearity = Nonlinearity::LeakyRelu {
        negative_slope: DEFAULT_NEGATIVE_SLOPE,
    };

    /// The nonlinearity PyTorch names `name` (case-sensitive, as in PyTorch), with `param` as the
    /// slope of `leaky_relu` (default 0.01); `param` is ignored by the others, as in PyTorch.
    ///
    /// ```
    /// use init_candle::Nonlinearity;
    /// assert_eq!(Nonlinearity::from_name("tanh", None)?, Nonlinearity::Tanh);
    /// let err = Nonlinearity::from_name("Linear", None).unwrap_err();
    /// assert!(err.to_string().ends_with("did you mean `linear`?"));
    /// # Ok::<(), init_candle::InitError>(())
    /// ```
    pub fn from_name(name: &str, param: Option<f64>) -> Result<Nonlinearity> {
        let kind = NonlinearityKind::from_name(name)
            .ok_or_else(|| InitError::UnknownNonlinearity(name.to_string()))?;
        Ok(Nonlinearity::from_kind(kind, param))
    }

    /// The nonlinearity of a row of the table, with `param` as its parameter when it takes one
    /// (the slope of `leaky_relu`, default 0.01); ignored by the others.
    ///
    /// ```
    /// use init_candle::Nonlinearity;
    /// use init_candle::init::NonlinearityKind;
    /// let leaky = Nonlinearity::from_kind(NonlinearityKind::LeakyRelu, None);
    /// assert_eq!(leaky, Nonlinearity::LEAKY_RELU);
    /// ```
    pub fn from_kind(kind: NonlinearityKind, param: Option<f64>) -> Nonlinearity {
        match kind {
            NonlinearityKind::Linear => Nonlinearity::Linear,
            NonlinearityKind::Conv1d => Nonlinearity::Conv1d,
            NonlinearityKind::Conv2d => Nonlinearity::Conv2d,
            NonlinearityKind::Conv3d => Nonlinearity::Conv3d,
            NonlinearityKind::ConvTranspose1d => Nonlinearity::ConvTranspose1d,
            NonlinearityKind::ConvTranspose2d => Nonlinearity::ConvTranspose2d,
            NonlinearityKind::ConvTranspose3d => Nonlinearity::ConvTranspose3d,
            NonlinearityKind::Sigmoid => Nonlinearity::Sigmoid,
            NonlinearityKind::Tanh => Nonlinearity::Tanh,
            NonlinearityKind::Relu => Nonlinearity::Relu,
            NonlinearityKind::LeakyRelu => Nonlinearity::LeakyRelu {
                negative_slope: param.unwrap_or(DEFAULT_NEGATIVE_SLOPE),
            },
            NonlinearityKind::Selu => Nonlinearity::Selu,
        }
    }

    /// Its row of the table.
    ///
    /// ```
    /// use init_candle::Nonlinearity;
    /// assert_eq!(Nonlinearity::Relu.kind().def().doc, "gain sqrt(2)");
    /// ```
    pub fn kind(&self) -> NonlinearityKind {
        match self {
            Nonlinearity::Linear => NonlinearityKind::Linear,
            Nonlinearity::Conv1d => NonlinearityKind::Conv1d,
            Nonlinearity::Conv2d => NonlinearityKind::Conv2d,
            Nonlinearity::Conv3d => NonlinearityKind::Conv3d,
            Nonlinearity::ConvTranspose1d => NonlinearityKind::ConvTranspose1d,
            Nonlinearity::ConvTranspose2d => NonlinearityKind::ConvTranspose2d,
            Nonlinearity::ConvTranspose3d => NonlinearityKind::ConvTranspose3d,
            Nonlinearity::Sigmoid => NonlinearityKind::Sigmoid,
            Nonlinearity::Tanh => NonlinearityKind::Tanh,
            Nonlinearity::Relu => NonlinearityKind::Relu,
            Nonlinearity::LeakyRelu { .. } => NonlinearityKind::LeakyRelu,
            Nonlinearity::Selu => NonlinearityKind::Selu,
        }
    }

    /// PyTorch's name for it.
    ///
    /// ```
    /// use init_candle::Nonlinearity;
    /// assert_eq!(Nonlinearity::LEAKY_RELU.name(), "leaky_relu");
    /// ```
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

impl FromStr for Nonlinearity {
    type Err = InitError;
    fn from_str(s: &str) -> Result<Self> {
        Nonlinearity::from_name(s, None)
    }
}

/// The recommended gain for a nonlinearity, with PyTorch's exact values: 1 for linear, the
/// convolutions and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for
/// leaky_relu, 3/4 for selu.
///
/// Unlike PyTorch, a slope that is not a finite number is an error.
///
/// ```
/// use init_candle::{calculate_gain, Nonlinearity};
/// assert_eq!(calculate_gain(Nonlinearity::Tanh)?, 5.0 / 3.0);
/// assert!(calculate_gain(Nonlinearity::LeakyRelu { negative_slope: f64::NAN }).is_err());
/// # Ok::<(), init_candle::InitError>(())
/// ```
pub fn calculate_gain(nonlinearity: Nonlinearity) -> Result<f64> {
    Ok(match nonlinearity {
        Nonlinearity::Linear
        | Nonlinearity::Conv1d
        | Nonlinearity::Conv2d
        | Nonlinearity::Conv3d
        | Nonlinearity::ConvTranspose1d
        | Nonlinearity::ConvTranspose2d
        | Nonlinearity::ConvTranspose3d
        | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2.0f64.sqrt(),
        Nonlinearity::LeakyRelu { negative_slope } => {
            if !negative_slope.is_finite() {
                return Err(InitError::param(
                    "calculate_gain",
                    "negative_slope",
                    negative_slope,
                    "the slope of leaky_relu must be a finite number",
                ));
            }
            (2.0 / (1.0 + negative_slope * negative_slope)).sqrt()
        }
        Nonlinearity::Selu => 3.0 / 4.0,
    })
}
