//! [`Init`]: an initializer and its parameters as a value, checked before it writes.

use candle_core::{DType, Tensor};
use init_spec::{resolve_axis, Arg, Axes, InitKind};

use crate::dist::{Normal, TruncNormal, Uniform};
use crate::error::{InitError, Result};
use crate::fan::{calculate_correct_fan, calculate_fan_in_and_fan_out, FanMode};
use crate::gain::{calculate_gain, Nonlinearity};
use crate::generator::Generator;
use crate::ops::{check_device, check_representable, sample, sample_mapped, ConstOp};
use crate::structured;
use crate::variance::{self, Distribution, VarianceMode, TRUNCATED_STD};

mod check;
mod meaning;
use check::{
    check_const, check_finite, check_normal, check_trunc, check_uniform, rank, symmetric_uniform,
};

/// An initializer of `torch.nn.init` (or of JAX/Flax's `nn.initializers`) with its
/// parameters, as a value: what the derive's attributes and user configs name. Serializes as
/// `{"kind": "xavier_normal", "gain": 1.0}`.
///
/// One variant per row of `init_spec::INITS`, named after it, with the row's parameters as
/// its fields: the table says which initializers exist, their parameters, defaults and whether
/// they are random ([`Init::kind`]), and [`Init::from_args`] builds one from a name and keyword
/// arguments. JAX's named instances of `variance_scaling` (`lecun_normal`, `he_normal`,
/// `glorot_uniform`, ...) are [`Init::VarianceScaling`] values with its scale, mode and
/// distribution fixed; [`Init::kind`] and [`Init::name`] name the instance.
///
/// Layout: a candle weight has PyTorch's layout, (out, in) or (out, in, kernel...). PyTorch's
/// initializers count their fans on it; JAX's count theirs on the axes they are given, whose
/// defaults here (`in_axis = 1`, `out_axis = 0`, `column_axis = 0`) name the same axes in
/// PyTorch's layout as JAX's defaults (`-2`, `-1`, `-1`) do in JAX's own, (in, out) or
/// (kernel..., in, out). A tensor kept in JAX's layout takes JAX's axes.
///
/// ```
/// use candle_core::{Device, Tensor, DType};
/// use init_candle::{Generator, Init};
///
/// let w = Tensor::zeros((128, 64), DType::F32, &Device::Cpu)?;
/// let init = Init::xavier_normal();
/// init.apply(&w, &mut Generator::new(0))?;
/// let json = serde_json::to_string(&init)?;
/// assert_eq!(json, r#"{"kind":"xavier_normal","gain":1.0}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Init {
    /// U(low, high).
    Uniform { low: f64, high: f64 },
    /// N(mean, std^2).
    Normal { mean: f64, std: f64 },
    /// N(mean, std^2) conditioned on the open interval (a, b).
    TruncNormal { mean: f64, std: f64, a: f64, b: f64 },
    /// Every element `value`.
    Constant { value: f64 },
    /// Every element 0.
    Zeros,
    /// Every element 1.
    Ones,
    /// The identity matrix (2-D).
    Eye,
    /// The Dirac delta: convolutions that preserve their input (3-D to 5-D).
    Dirac { groups: usize },
    /// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).
    XavierUniform { gain: f64 },
    /// N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
    XavierNormal { gain: f64 },
    /// U(-b, b) with b = gain * sqrt(3 / fan); the gain of leaky_relu uses slope `a`.
    KaimingUniform {
        a: f64,
        mode: FanMode,
        nonlinearity: Nonlinearity,
    },
    /// N(0, std^2) with std = gain / sqrt(fan); the gain of leaky_relu uses slope `a`.
    KaimingNormal {
        a: f64,
        mode: FanMode,
        nonlinearity: Nonlinearity,
    },
    /// A (semi-)orthogonal matrix scaled by `gain`, from the QR decomposition of a normal one.
    /// The matrix's columns are the slices along `column_axis` and its rows the other axes
    /// flattened in order: 0, the default, is PyTorch's `(size(0), numel / size(0))`; JAX's
    /// `column_axis` on a tensor in JAX's layout.
    Orthogonal {
        gain: f64,
        #[serde(default)]
        column_axis: i64,
    },
    /// A 2-D matrix whose every column has `ceil(sparsity * rows)` zeros, the rest N(0, std^2).
    Sparse { sparsity: f64, std: f64 },
    /// JAX/Flax's `variance_scaling`: mean 0 and variance `scale / n`, `n` the fan `mode` names,
    /// counted on the axes given (the receptive field is the product of the other axes), from
    /// `distribution`.
    VarianceScaling {
        scale: f64,
        mode: VarianceMode,
        distribution: Distribution,
        #[serde(with = "crate::variance::axes_serde")]
        in_axis: Axes,
        #[serde(with = "crate::variance::axes_serde")]
        out_axis: Axes,
        #[serde(with = "crate::variance::axes_serde")]
        batch_axis: Axes,
    },
    /// JAX/Flax's `delta_orthogonal` on a (out, in, kernel...) kernel of 3 to 5 dimensions with
    /// in <= out: zeros, but at the centre tap ((k - 1) / 2 on each spatial axis) an orthogonal
    /// (out, in) matrix times `scale`, so that the convolution is orthogonal.
    DeltaOrthogonal { scale: f64 },
}

const FLOATS: &str = "f32, f64, f16, bf16";

impl Init {
    /// U(0, 1), PyTorch's default range.
    pub fn uniform() -> Init {
        Init::Uniform {
            low: 0.0,
            high: 1.0,
        }
    }
    /// N(0, 1).
    pub fn normal() -> Init {
        Init::Normal {
            mean: 0.0,
            std: 1.0,
        }
    }
    /// N(0, 1) truncated to (-2, 2).
    pub fn trunc_normal() -> Init {
        Init::TruncNormal {
            mean: 0.0,
            std: 1.0,
            a: -2.0,
            b: 2.0,
        }
    }
    /// The identity matrix.
    pub fn eye() -> Init {
        Init::Eye
    }
    /// Dirac with one group.
    pub fn dirac() -> Init {
        Init::Dirac { groups: 1 }
    }
    /// Xavier uniform with gain 1.
    pub fn xavier_uniform() -> Init {
        Init::XavierUniform { gain: 1.0 }
    }
    /// Xavier normal with gain 1.
    pub fn xavier_normal() -> Init {
        Init::XavierNormal { gain: 1.0 }
    }
    /// Kaiming uniform with PyTorch's defaults: a = 0, fan_in, leaky_relu (gain sqrt(2)).
    pub fn kaiming_uniform() -> Init {
        Init::KaimingUniform {
            a: 0.0,
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LEAKY_RELU,
        }
    }
    /// Kaiming normal with PyTorch's defaults: a = 0, fan_in, leaky_relu (gain sqrt(2)).
    pub fn kaiming_normal() -> Init {
        Init::KaimingNormal {
            a: 0.0,
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LEAKY_RELU,
        }
    }
    /// Orthogonal with gain 1, PyTorch's flattening (`column_axis = 0`).
    pub fn orthogonal() -> Init {
        Init::Orthogonal {
            gain: 1.0,
            column_axis: 0,
        }
    }
    /// JAX's `variance_scaling(scale, mode, distribution)` with its axes in PyTorch's layout
    /// (`in_axis = 1`, `out_axis = 0`, no batch axis).
    ///
    /// ```
    /// use init_candle::init::{Distribution, VarianceMode};
    /// use init_candle::Init;
    /// let he = Init::variance_scaling(2.0, VarianceMode::FanIn, Distribution::TruncatedNormal);
    /// assert_eq!(he, Init::he_normal());
    /// assert_eq!(he.name(), "he_normal");
    /// ```
    pub fn variance_scaling(scale: f64, mode: VarianceMode, distribution: Distribution) -> Init {
        Init::VarianceScaling {
            scale,
            mode,
            distribution,
            in_axis: Axes::one(1),
            out_axis: Axes::one(0),
            batch_axis: Axes::NONE,
        }
    }
    /// JAX/Flax's `lecun_normal` (Flax's `Dense` and `Conv` default): variance 1 / fan_in,
    /// truncated normal.
    pub fn lecun_normal() -> Init {
        Self::variance_scaling(1.0, VarianceMode::FanIn, Distribution::TruncatedNormal)
    }
    /// JAX/Flax's `lecun_uniform`: variance 1 / fan_in, uniform.
    pub fn lecun_uniform() -> Init {
        Self::variance_scaling(1.0, VarianceMode::FanIn, Distribution::Uniform)
    }
    /// JAX/Flax's `he_normal`: variance 2 / fan_in, truncated normal.
    pub fn he_normal() -> Init {
        Self::variance_scaling(2.0, VarianceMode::FanIn, Distribution::TruncatedNormal)
    }
    /// JAX/Flax's `he_uniform`: variance 2 / fan_in, uniform.
    pub fn he_uniform() -> Init {
        Self::variance_scaling(2.0, VarianceMode::FanIn, Distribution::Uniform)
    }
    /// JAX/Flax's `glorot_normal`: variance 2 / (fan_in + fan_out), truncated normal.
    pub fn glorot_normal() -> Init {
        Self::variance_scaling(1.0, VarianceMode::FanAvg, Distribution::TruncatedNormal)
    }
    /// JAX/Flax's `glorot_uniform`: variance 2 / (fan_in + fan_out), uniform.
    pub fn glorot_uniform() -> Init {
        Self::variance_scaling(1.0, VarianceMode::FanAvg, Distribution::Uniform)
    }
    /// JAX's axes, for a tensor in another layout (JAX's own: `-2`, `-1`): `in_axis`,
    /// `out_axis` and `batch_axis` of a [`Init::VarianceScaling`] replaced.
    ///
    /// # Errors
    /// [`InitError::InvalidParam`] for any other initializer: it counts no fans on axes
    /// (`orthogonal`'s axis is [`Init::Orthogonal`]'s `column_axis`).
    ///
    /// ```
    /// use init_candle::init::Axes;
    /// use init_candle::Init;
    /// // A Dense kernel kept as (in, out), as Flax holds it.
    /// let init = Init::lecun_normal().with_axes(Axes::one(-2), Axes::one(-1), Axes::NONE)?;
    /// assert_eq!(init.to_string(), "lecun_normal(in_axis=-2, out_axis=-1, batch_axis=[])");
    /// assert!(Init::xavier_normal().with_axes(Axes::one(-2), Axes::one(-1), Axes::NONE).is_err());
    /// # Ok::<(), init_candle::InitError>(())
    /// ```
    pub fn with_axes(self, in_axis: Axes, out_axis: Axes, batch_axis: Axes) -> Result<Init> {
        match self {
            Init::VarianceScaling {
                scale,
                mode,
                distribution,
                ..
            } => Ok(Init::VarianceScaling {
                scale,
                mode,
                distribution,
                in_axis,
                out_axis,
                batch_axis,
            }),
            other => Err(InitError::param(
                other.name(),
                "in_axis",
                in_axis,
                "only variance_scaling and its named instances (lecun_*, he_*, glorot_*) count \
                 their fans on axes",
            )),
        }
    }
    /// JAX/Flax's `delta_orthogonal` with scale 1.
    pub fn delta_orthogonal() -> Init {
        Init::DeltaOrthogonal { scale: 1.0 }
    }
    /// Sparse with PyTorch's default std 0.01.
    pub fn sparse(sparsity: f64) -> Init {
        Init::Sparse {
            sparsity,
            std: 0.01,
        }
    }

    /// PyTorch's name of the initializer (without the trailing underscore).
    ///
    /// ```
    /// use init_candle::Init;
    /// assert_eq!(Init::trunc_normal().name(), "trunc_normal");
    /// ```
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Whether the initializer draws random numbers (and so advances a generator).
    ///
    /// ```
    /// use init_candle::Init;
    /// assert!(Init::orthogonal().is_random());
    /// assert!(!Init::eye().is_random());
    /// ```
    pub fn is_random(&self) -> bool {
        self.kind().def().random
    }

    /// Which initializer this is: its row of `init_spec::INITS` (parameters, defaults, docs).
    ///
    /// ```
    /// use init_candle::Init;
    /// use init_candle::init::InitKind;
    /// assert_eq!(Init::xavier_normal().kind(), InitKind::XavierNormal);
    /// assert_eq!(Init::xavier_normal().kind().def().params[0].name, "gain");
    /// ```
    pub fn kind(&self) -> InitKind {
        self.instance().unwrap_or_else(|| self.variant_kind())
    }

    /// The row of the variant itself (`variance_scaling` for every [`Init::VarianceScaling`]).
    fn variant_kind(&self) -> InitKind {
        match self {
            Init::Uniform { .. } => InitKind::Uniform,
            Init::Normal { .. } => InitKind::Normal,
            Init::TruncNormal { .. } => InitKind::TruncNormal,
            Init::Constant { .. } => InitKind::Constant,
            Init::Zeros => InitKind::Zeros,
            Init::Ones => InitKind::Ones,
            Init::Eye => InitKind::Eye,
            Init::Dirac { .. } => InitKind::Dirac,
            Init::XavierUniform { .. } => InitKind::XavierUniform,
            Init::XavierNormal { .. } => InitKind::XavierNormal,
            Init::KaimingUniform { .. } => InitKind::KaimingUniform,
            Init::KaimingNormal { .. } => InitKind::KaimingNormal,
            Init::Orthogonal { .. } => InitKind::Orthogonal,
            Init::Sparse { .. } => InitKind::Sparse,
            Init::VarianceScaling { .. } => InitKind::VarianceScaling,
            Init::DeltaOrthogonal { .. } => InitKind::DeltaOrthogonal,
        }
    }

    /// Whether each value depends on the whole tensor (eye, dirac, orthogonal, sparse,
    /// delta_orthogonal), rather than on its position alone: such a tensor is computed whole,
    /// even when only a region of it is written.
    ///
    /// ```
    /// use init_candle::Init;
    /// assert!(Init::orthogonal().is_structured());
    /// assert!(!Init::lecun_normal().is_structured());
    /// ```
    pub fn is_structured(&self) -> bool {
        matches!(
            self,
            Init::Eye
                | Init::Dirac { .. }
                | Init::Orthogonal { .. }
                | Init::Sparse { .. }
                | Init::DeltaOrthogonal { .. }
        )
    }

    /// The initializer PyTorch names `name` with the keyword arguments `args`, PyTorch's
    /// defaults for the others: what a config file or a command line names. The names, keys,
    /// kinds and domains of the values are checked against the table (`init_spec::resolve`);
    /// what depends on the tensor is checked by [`Init::validate`] and [`Init::apply`].
    ///
    /// ```
    /// use init_candle::{FanMode, Init, InitError, Nonlinearity};
    ///
    /// let args = [("mode", "fan_out".into()), ("nonlinearity", "relu".into())];
    /// assert_eq!(
    ///     Init::from_args("kaiming_normal", &args)?,
    ///     Init::KaimingNormal { a: 0.0, mode: FanMode::FanOut, nonlinearity: Nonlinearity::Relu }
    /// );
    /// let normal = Init::from_args("normal", &[("std", 0.02.into())])?;
    /// assert_eq!(normal, Init::Normal { mean: 0.0, std: 0.02 });
    /// // The half-normal: trunc_normal's bounds may be infinite.
    /// let half = Init::from_args("trunc_normal", &[("a", 0.0.into()), ("b", f64::INFINITY.into())])?;
    /// assert_eq!(half, Init::TruncNormal { mean: 0.0, std: 1.0, a: 0.0, b: f64::INFINITY });
    ///
    /// let err = Init::from_args("normal", &[("stdev", 0.02.into())]).unwrap_err();
    /// assert_eq!(err.to_string(), "`normal` has no parameter `stdev`; did you mean `std`?");
    /// let err = Init::from_args("xavier_norml", &[]).unwrap_err();
    /// assert!(matches!(err, InitError::UnknownInit(_)));
    /// // `Arg::Deferred` is the derive's placeholder for a value computed later, never a value.
    /// let err = Init::from_args("normal", &[("std", init_candle::init::Arg::Deferred)]).unwrap_err();
    /// assert!(matches!(err, InitError::DeferredArg { .. }));
    /// # Ok::<(), InitError>(())
    /// ```
    pub fn from_args(name: &str, args: &[(&str, Arg<'_>)]) -> Result<Init> {
        if let Some((key, _)) = args.iter().find(|(_, arg)| *arg == Arg::Deferred) {
            return Err(InitError::DeferredArg {
                init: name.to_owned(),
                key: (*key).to_owned(),
            });
        }
        let args = init_spec::resolve(name, args).map_err(|errors| {
            if errors.is_unknown_init() {
                InitError::UnknownInit(name.to_owned())
            } else {
                InitError::InvalidArgs(errors)
            }
        })?;
        // A named instance (`lecun_normal`) is its general row with the fixed values.
        let args = args.canonical().ok_or_else(|| {
            InitError::Internal(format!(
                "the table's `{}` is an instance of no row",
                args.def().name
            ))
        })?;
        // The table's parameter names are the variants' field names; a row without the
        // parameter asked for here is a broken table (tests build every row).
        let missing = |param: &str| {
            InitError::Internal(format!(
                "the table's `{}` has no parameter `{param}` of the expected kind",
                args.def().name
            ))
        };
        let float = |param: &str| args.float(param).ok_or_else(|| missing(param));
        let kaiming = || -> Result<(f64, FanMode, Nonlinearity)> {
            let mode = args.fan_mode("mode").ok_or_else(|| missing("mode"))?;
            let (nonlinearity, param) = args
                .nonlinearity("nonlinearity")
                .ok_or_else(|| missing("nonlinearity"))?;
            Ok((
                float("a")?,
                FanMode::from_kind(mode),
                Nonlinearity::from_kind(nonlinearity, param),
            ))
        };
        Ok(match args.kind() {
            InitKind::Uniform => Init::Uniform {
                low: float("low")?,
                high: float("high")?,
            },
            InitKind::Normal => Init::Normal {
                mean: float("mean")?,
                std: float("std")?,
            },
            InitKind::TruncNormal => Init::TruncNormal {
                mean: float("mean")?,
                std: float("std")?,
                a: float("a")?,
                b: float("b")?,
            },
            InitKind::Constant => Init::Constant {
                value: float("value")?,
            },
            InitKind::Zeros => Init::Zeros,
            InitKind::Ones => Init::Ones,
            InitKind::Eye => Init::Eye,
            InitKind::Dirac => Init::Dirac {
                groups: args.count("groups").ok_or_else(|| missing("groups"))?,
            },
            InitKind::XavierUniform => Init::XavierUniform {
                gain: float("gain")?,
            },
            InitKind::XavierNormal => Init::XavierNormal {
                gain: float("gain")?,
            },
            InitKind::KaimingUniform => {
                let (a, mode, nonlinearity) = kaiming()?;
                Init::KaimingUniform {
                    a,
                    mode,
                    nonlinearity,
                }
            }
            InitKind::KaimingNormal => {
                let (a, mode, nonlinearity) = kaiming()?;
                Init::KaimingNormal {
                    a,
                    mode,
                    nonlinearity,
                }
            }
            InitKind::Orthogonal => Init::Orthogonal {
                gain: float("gain")?,
                column_axis: args
                    .axis("column_axis")
                    .ok_or_else(|| missing("column_axis"))?,
            },
            InitKind::Sparse => Init::Sparse {
                sparsity: float("sparsity")?,
                std: float("std")?,
            },
            InitKind::VarianceScaling => {
                let axes = |name: &str| args.axes(name).ok_or_else(|| missing(name));
                Init::VarianceScaling {
                    scale: float("scale")?,
                    mode: args
                        .variance_mode("mode")
                        .map(VarianceMode::from_kind)
                        .ok_or_else(|| missing("mode"))?,
                    distribution: args
                        .distribution("distribution")
                        .map(Distribution::from_kind)
                        .ok_or_else(|| missing("distribution"))?,
                    in_axis: axes("in_axis")?,
                    out_axis: axes("out_axis")?,
                    batch_axis: axes("batch_axis")?,
                }
            }
            InitKind::DeltaOrthogonal => Init::DeltaOrthogonal {
                scale: float("scale")?,
            },
            // `canonical` made every instance its general row.
            instance @ (InitKind::LecunNormal
            | InitKind::LecunUniform
            | InitKind::HeNormal
            | InitKind::HeUniform
            | InitKind::GlorotNormal
            | InitKind::GlorotUniform) => {
                return Err(InitError::Internal(format!(
                    "`{}` was not resolved to its general row",
                    instance.name()
                )))
            }
        })
    }

    /// Checks that [`Init::apply`] would succeed on a tensor of this shape and dtype on the CPU,
    /// without touching any tensor: the arguments, the rank, the fans and the dtype.
    ///
    /// ```
    /// use candle_core::DType;
    /// use init_candle::Init;
    /// assert!(Init::orthogonal().validate(&[64, 32], DType::F32).is_ok());
    /// let err = Init::orthogonal().validate(&[64], DType::F32).unwrap_err();
    /// assert!(err.to_string().contains("2 or more dimensions"));
    /// ```
    pub fn validate(&self, dims: &[usize], dtype: DType) -> Result<()> {
        self.plan(dims, dtype).map(|_| ())
    }

    /// [`Init::validate`] for this very tensor: also checks that its device can be written.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use init_candle::Init;
    /// let w = Tensor::zeros((4, 4), DType::F32, &Device::Cpu)?;
    /// assert!(Init::eye().check(&w).is_ok());
    /// # Ok::<(), candle_core::Error>(())
    /// ```
    pub fn check(&self, tensor: &Tensor) -> Result<()> {
        check_device(self.name(), tensor.device())?;
        self.validate(tensor.dims(), tensor.dtype())
    }

    /// Initializes `tensor` in place (its own storage: a `Var`, a layer's weight, or a view of
    /// one). Everything is checked before the first write; on error the tensor is unchanged.
    /// Random initializers take one draw of `rng`.
    pub fn apply(&self, tensor: &Tensor, rng: &mut Generator) -> Result<()> {
        check_device(self.name(), tensor.device())?;
        let plan = self.plan(tensor.dims(), tensor.dtype())?;
        if tensor.elem_count() == 0 {
            // Nothing to write (PyTorch is silent too); a random call still takes its draw.
            return self.run(Plan::Nothing, tensor, rng);
        }
        self.run(plan, tensor, rng)
    }

    /// Validation, and what the checks computed (the distribution to sample), in one place so
    /// that `validate` and `apply` can never disagree.
    pub(crate) fn plan(&self, dims: &[usize], dtype: DType) -> Result<Plan> {
        let op = self.name();
        let numel: usize = dims.iter().product();
        let float = matches!(dtype, DType::F32 | DType::F64 | DType::F16 | DType::BF16);
        if self.is_random() && !float {
            return Err(InitError::UnsupportedDtype {
                op,
                dtype,
                allowed: FLOATS,
            });
        }
        Ok(match *self {
            Init::Uniform { low, high } => check_uniform(op, low, high, dtype)?,
            Init::Normal { mean, std } => check_normal(op, "std", std, mean, std, dtype)?,
            Init::TruncNormal { mean, std, a, b } => check_trunc(op, mean, std, a, b, dtype)?,
            Init::Constant { value } => {
                check_representable(value, dtype, op)?;
                Plan::Const(value)
            }
            Init::Zeros => Plan::Const(check_const(0.0, dtype, op)?),
            Init::Ones => Plan::Const(check_const(1.0, dtype, op)?),
            Init::Eye => {
                check_const(1.0, dtype, op)?;
                if dims.len() != 2 {
                    return Err(rank(op, "2 dimensions", dims));
                }
                Plan::Structured
            }
            Init::Dirac { groups } => {
                check_const(1.0, dtype, op)?;
                if !(3..=5).contains(&dims.len()) {
                    return Err(rank(op, "3, 4, or 5 dimensions", dims));
                }
                if groups == 0 || !dims[0].is_multiple_of(groups) {
                    return Err(InitError::DiracGroups {
                        groups,
                        dim0: dims[0],
                    });
                }
                Plan::Structured
            }
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => {
                if !(gain >= 0.0 && gain.is_finite()) {
                    return Err(InitError::param(
                        op,
                        "gain",
                        gain,
                        "the gain must be a finite number >= 0",
                    ));
                }
                let (fan_in, fan_out) = calculate_fan_in_and_fan_out(dims)?;
                if fan_in + fan_out == 0 {
                    return Err(InitError::ZeroFan {
                        op,
                        fan: "fan_in + fan_out",
                        dims: dims.to_vec(),
                    });
                }
                let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
                if matches!(self, Init::XavierUniform { .. }) {
                    symmetric_uniform(op, "gain", gain, 3.0f64.sqrt() * std, dtype)?
                } else {
                    check_normal(op, "gain", gain, 0.0, std, dtype)?
                }
            }
            Init::KaimingUniform {
                a,
                mode,
                nonlinearity,
            }
            | Init::KaimingNormal {
                a,
                mode,
                nonlinearity,
            } => {
                if numel == 0 {
                    log::warn!("Initializing zero-element tensors is a no-op");
                    return Ok(Plan::Nothing);
                }
                let nonlinearity = match nonlinearity {
                    Nonlinearity::LeakyRelu { .. } => {
                        check_finite(op, "a", a)?;
                        Nonlinearity::LeakyRelu { negative_slope: a }
                    }
                    other => other,
                };
                let gain = calculate_gain(nonlinearity)?;
                let fan = calculate_correct_fan(dims, mode)?;
                let std = gain / (fan as f64).sqrt();
                if matches!(self, Init::KaimingUniform { .. }) {
                    symmetric_uniform(op, "a", a, 3.0f64.sqrt() * std, dtype)?
                } else {
                    check_normal(op, "a", a, 0.0, std, dtype)?
                }
            }
            Init::Orthogonal { gain, column_axis } => {
                check_finite(op, "gain", gain)?;
                // Entries of an orthogonal matrix lie in [-1, 1].
                check_representable(gain, dtype, op)?;
                if dims.len() < 2 {
                    return Err(rank(op, "2 or more dimensions", dims));
                }
                if resolve_axis(column_axis, dims.len()).is_none() {
                    return Err(InitError::param(
                        op,
                        "column_axis",
                        column_axis,
                        format!(
                            "it is outside a tensor of shape {dims:?}; axes lie in \
                             -{rank}..{rank}",
                            rank = dims.len()
                        ),
                    ));
                }
                Plan::Structured
            }
            Init::DeltaOrthogonal { scale } => {
                check_finite(op, "scale", scale)?;
                check_representable(scale, dtype, op)?;
                if !(3..=5).contains(&dims.len()) {
                    return Err(rank(op, "3, 4, or 5 dimensions", dims));
                }
                if dims[1] > dims[0] {
                    return Err(InitError::param(
                        op,
                        "shape",
                        format!("{dims:?}"),
                        "the kernel's in_channels (dim 1) must be <= its out_channels (dim 0), \
                         JAX's fan_in <= fan_out, for its (out, in) matrix to have orthonormal \
                         columns",
                    ));
                }
                Plan::Structured
            }
            Init::VarianceScaling {
                scale,
                mode,
                distribution,
                in_axis,
                out_axis,
                batch_axis,
            } => {
                if !(scale > 0.0 && scale.is_finite()) {
                    return Err(InitError::param(
                        op,
                        "scale",
                        scale,
                        "the scale must be a finite number > 0",
                    ));
                }
                if dims.len() < 2 {
                    return Err(rank(op, "2 or more dimensions", dims));
                }
                let (fan_in, fan_out) = variance::fans(op, dims, in_axis, out_axis, batch_axis)?;
                if numel == 0 {
                    return Ok(Plan::Nothing);
                }
                let n = mode.denominator(fan_in, fan_out);
                if n <= 0.0 {
                    return Err(InitError::ZeroFan {
                        op,
                        fan: mode.name(),
                        dims: dims.to_vec(),
                    });
                }
                let std = (scale / n).sqrt();
                match distribution {
                    Distribution::TruncatedNormal => {
                        let s = std / TRUNCATED_STD;
                        check_trunc(op, 0.0, s, -2.0 * s, 2.0 * s, dtype)?
                    }
                    Distribution::Normal => check_normal(op, "scale", scale, 0.0, std, dtype)?,
                    Distribution::Uniform => {
                        symmetric_uniform(op, "scale", scale, 3.0f64.sqrt() * std, dtype)?
                    }
                }
            }
            Init::Sparse { sparsity, std } => {
                if dims.len() != 2 {
                    return Err(rank(op, "2 dimensions", dims));
                }
                if !(0.0..=1.0).contains(&sparsity) {
                    return Err(InitError::param(
                        op,
                        "sparsity",
                        sparsity,
                        "the fraction of zeros per column must be in [0, 1]",
                    ));
                }
                check_normal(op, "std", std, 0.0, std, dtype)?;
                Plan::Structured
            }
        })
    }

    /// [`run`](Self::run) for a shard holding the positions `view` of the full tensor.
    pub(crate) fn run_mapped(
        &self,
        plan: Plan,
        t: &Tensor,
        view: candle_core::Layout,
        rng: &mut Generator,
    ) -> Result<()> {
        let name = self.name();
        match plan {
            Plan::Uniform(s) => sample_mapped(name, t, &s, view, rng),
            Plan::Normal(s) => sample_mapped(name, t, &s, view, rng),
            Plan::Trunc(s) => sample_mapped(name, t, &s, view, rng),
            // Constants and draws without positions are the same for a shard.
            other => self.run(other, t, rng),
        }
    }

    fn run(&self, plan: Plan, t: &Tensor, rng: &mut Generator) -> Result<()> {
        let name = self.name();
        match plan {
            Plan::Nothing => {
                if self.is_random() {
                    rng.next_key();
                }
                Ok(())
            }
            Plan::Const(value) => Ok(t.inplace_op1(&ConstOp { value })?),
            Plan::ConstDraw(value) => {
                rng.next_key();
                Ok(t.inplace_op1(&ConstOp { value })?)
            }
            Plan::Uniform(s) => sample(name, t, &s, rng),
            Plan::Normal(s) => sample(name, t, &s, rng),
            Plan::Trunc(s) => sample(name, t, &s, rng),
            Plan::Structured => match *self {
                Init::Eye => structured::eye(t),
                Init::Dirac { groups } => structured::dirac(t, groups),
                Init::Orthogonal { gain, column_axis } => {
                    structured::orthogonal(t, gain, column_axis, rng)
                }
                Init::DeltaOrthogonal { scale } => structured::delta_orthogonal(t, scale, rng),
                Init::Sparse { sparsity, std } => structured::sparse(t, sparsity, std, rng),
                _ => Err(InitError::Internal(format!(
                    "{name} has no structured plan"
                ))),
            },
        }
    }
}

/// What an [`Init`] does to a tensor that passed its checks.
pub(crate) enum Plan {
    Nothing,
    Const(f64),
    /// A constant written by a random initializer (uniform with low == high): takes a draw.
    ConstDraw(f64),
    Uniform(Uniform),
    Normal(Normal),
    Trunc(TruncNormal),
    Structured,
}

impl Plan {
    /// Whether the initializer needs the whole tensor (eye, dirac, orthogonal, sparse).
    pub(crate) fn is_structured(&self) -> bool {
        matches!(self, Plan::Structured)
    }
}
