//! [`HfConfig`]: a Hugging Face `config.json` read for initialization, so that a model of a
//! known family, built from candle-transformers through a [`ModelBuilder`], gets what
//! transformers' `_init_weights` of that family gives it.
//!
//! ```
//! use candle_core::{DType, Device};
//! use init_candle::build::{HfConfig, ModelBuilder};
//!
//! # fn main() -> init_candle::Result<()> {
//! let config = serde_json::json!({
//!     "model_type": "llama", "initializer_range": 0.02, "pad_token_id": 1,
//!     "hidden_size": 8, "vocab_size": 10,
//! });
//! let hf = HfConfig::from_json(&config)?;
//! assert_eq!(hf.model_type(), "llama");
//! assert!(hf.is_known());
//! let built = ModelBuilder::new(0)
//!     .hf_config(&hf)
//!     .build(DType::F32, &Device::Cpu, |vb| {
//!         candle_nn::embedding(10, 8, vb.pp("model.embed_tokens"))
//!     })?;
//! // transformers' nn.Embedding(padding_idx=pad_token_id): the padding row is 0.
//! let rows = built.model.embeddings().to_vec2::<f32>()?;
//! assert_eq!(rows[1], [0.0; 8]);
//! assert_eq!(built.report.preset, "hf(llama, 0.02)");
//! # Ok(())
//! # }
//! ```

mod families;

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::{ModelBuilder, Preset, Rule, TensorInfo};
use crate::error::{Error, Result};

pub use families::FAMILIES;

/// One model family transformers and candle-transformers both implement: how its
/// `config.json` turns into initializers.
#[derive(Debug)]
pub struct Family {
    /// The config's `model_type` (`"llama"`, `"xlm-roberta"`).
    pub model_type: &'static str,
    /// The candle-transformers module and type it was verified with (`llama::Llama`).
    pub candle: &'static str,
    /// The transformers class it was verified against (`LlamaForCausalLM`).
    pub transformers: &'static str,
    /// The keys of `config.json` its initialization reads.
    pub reads: &'static [&'static str],
    /// What its `_init_weights` does beyond the common one (N(0, initializer_range) for
    /// Linear, Conv and Embedding weights, zero biases, norms 1 and 0).
    pub special: &'static str,
    decide: fn(&Keys<'_>) -> Result<Decisions>,
}

/// What a family decides: whole-tensor initializers (checked before the common rules) and
/// row rules (padding rows).
#[derive(Default)]
struct Decisions {
    tensors: Vec<Rule>,
    rows: Vec<Rule>,
    /// Patterns of tensors whose transformers init no initializer of this crate expresses:
    /// reported as not recognized (strict: an error) rather than written otherwise.
    unsupported: Vec<&'static str>,
}

/// The preset of a [`HfConfig`]: its family's own initializers, then Hugging Face's common
/// ones ([`Preset::Hf`]). See [`Preset::HfFamily`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HfPreset {
    /// The config's `model_type`.
    pub model_type: String,
    /// Whether the family is one of [`FAMILIES`]; an unknown one gets the common rules only.
    pub known: bool,
    /// The std of the common rules (`initializer_range`, else `init_std`, else
    /// `initializer_factor`, else 0.02, as transformers' `PreTrainedModel._init_weights`).
    pub initializer_range: f64,
    /// The family's own initializers, by path pattern, in order (the first that decides wins).
    pub rules: Vec<Rule>,
    /// Patterns of the tensors whose transformers init this crate cannot express (Mamba's
    /// `A_log`): not recognized, so the report shows them and a strict build refuses them.
    pub unsupported: Vec<String>,
    /// The tensors the config says the model has, whatever a checkpoint holds: what the
    /// builder's `VarBuilder` answers `contains_tensor` with (`lm_head.weight` when
    /// `tie_word_embeddings` is false, so that a constructor that ties the head when the
    /// tensor is absent builds its own, as transformers does).
    pub present: Vec<String>,
}

/// What a family says of one tensor.
pub(crate) enum FamilyChoice {
    /// This initializer.
    Init(init_core::Init),
    /// transformers' init of it cannot be expressed: not recognized.
    Unsupported,
    /// Not the family's: the common rules decide.
    Common,
}

impl HfPreset {
    /// What the family decides for a tensor.
    pub(crate) fn decide(&self, path: &str, dims: &[usize]) -> FamilyChoice {
        if self
            .unsupported
            .iter()
            .any(|p| Rule::with(p.as_str(), |_| None).matches(path, dims))
        {
            return FamilyChoice::Unsupported;
        }
        // The family's rules look at paths and shapes only; the dtype is not theirs to read.
        let info = TensorInfo::new(path, dims, candle_core::DType::F32);
        match self.rules.iter().find_map(|r| r.decide(&info)) {
            Some(init) => FamilyChoice::Init(init),
            None => FamilyChoice::Common,
        }
    }

    /// Why a strict build should refuse this preset: a `model_type` that is not one of
    /// [`FAMILIES`] (`None` for a known family).
    ///
    /// ```
    /// use init_candle::build::HfConfig;
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// let unknown = HfConfig::from_json(&serde_json::json!({"model_type": "foo"}))?;
    /// assert!(unknown.hf_preset().strict_problem().unwrap().contains("`foo`"));
    /// let llama = HfConfig::from_json(&serde_json::json!({"model_type": "llama"}))?;
    /// assert_eq!(llama.hf_preset().strict_problem(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn strict_problem(&self) -> Option<String> {
        (!self.known).then(|| {
            format!(
                "model_type `{}` is not a family this crate knows ({}); Hugging Face's common \
                 rules were used",
                self.model_type,
                FAMILIES
                    .iter()
                    .map(|f| f.model_type)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }
}

impl std::fmt::Display for HfPreset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.known, self.model_type.as_str()) {
            (true, family) => write!(f, "hf({family}, {})", self.initializer_range),
            (false, "") => write!(
                f,
                "hf(no model_type: common rules, {})",
                self.initializer_range
            ),
            (false, other) => write!(
                f,
                "hf(unknown model_type `{other}`: common rules, {})",
                self.initializer_range
            ),
        }
    }
}

/// A Hugging Face `config.json`, read for initialization: its `model_type` picks the family
/// ([`FAMILIES`]), whose `_init_weights` becomes a [`Preset::HfFamily`] ([`preset`](Self::preset))
/// and row rules ([`rules`](Self::rules): padding rows). [`ModelBuilder::hf_config`] sets both.
///
/// A `model_type` that is not one of [`FAMILIES`] gets Hugging Face's common rules
/// ([`Preset::Hf`]'s), and the preset's name in the report says so:
/// `hf(unknown model_type `foo`: common rules, 0.02)`.
///
/// ```
/// use init_candle::build::HfConfig;
///
/// # fn main() -> init_candle::Result<()> {
/// let hf = HfConfig::from_json(&serde_json::json!({"model_type": "foo"}))?;
/// assert!(!hf.is_known());
/// assert_eq!(hf.initializer_range(), 0.02);
/// let err = HfConfig::from_json(&serde_json::json!({"model_type": "llama", "pad_token_id": "x"}));
/// assert!(err.is_err());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct HfConfig {
    preset: HfPreset,
    rows: Vec<Rule>,
}

impl HfConfig {
    /// Reads a parsed `config.json`.
    ///
    /// # Errors
    /// [`Error::HfConfig`] when it is not a JSON object, or a key the family reads has a value
    /// of the wrong kind (a `pad_token_id` that is not a non-negative integer, say).
    pub fn from_json(config: &Value) -> Result<HfConfig> {
        HfConfig::read(config, None)
    }

    /// Reads a `config.json` file.
    ///
    /// ```
    /// use init_candle::build::HfConfig;
    ///
    /// let err = HfConfig::from_file("no/such/config.json").unwrap_err();
    /// assert!(err.to_string().contains("no/such/config.json"));
    /// ```
    ///
    /// # Errors
    /// [`Error::HfConfig`] naming the file when it cannot be read or parsed, and as
    /// [`from_json`](Self::from_json).
    pub fn from_file(path: impl AsRef<Path>) -> Result<HfConfig> {
        let path = path.as_ref();
        let file = Some(path.display().to_string());
        let text = std::fs::read_to_string(path).map_err(|e| Error::HfConfig {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| Error::HfConfig {
            file: file.clone(),
            message: format!("not JSON: {e}"),
        })?;
        HfConfig::read(&value, file)
    }

    fn read(config: &Value, file: Option<String>) -> Result<HfConfig> {
        let keys = Keys {
            value: config,
            file: &file,
            prefix: String::new(),
        };
        if !config.is_object() {
            return Err(keys.error("", "expected a JSON object"));
        }
        let model_type = keys.str("model_type")?.unwrap_or_default().to_owned();
        let initializer_range = keys.common_std()?;
        let family = FAMILIES.iter().find(|f| f.model_type == model_type);
        let decisions = match family {
            Some(family) => (family.decide)(&keys)?,
            None => Decisions::default(),
        };
        // transformers' PretrainedConfig ties by default; a config that unties says so.
        let present = if keys.bool_or("tie_word_embeddings", true)? {
            Vec::new()
        } else {
            vec!["lm_head.weight".to_owned()]
        };
        Ok(HfConfig {
            preset: HfPreset {
                model_type,
                known: family.is_some(),
                initializer_range,
                rules: decisions.tensors,
                unsupported: decisions
                    .unsupported
                    .iter()
                    .map(|p| (*p).to_owned())
                    .collect(),
                present,
            },
            rows: decisions.rows,
        })
    }

    /// The config's `model_type` (empty when it has none).
    pub fn model_type(&self) -> &str {
        &self.preset.model_type
    }

    /// Whether the family is one of [`FAMILIES`].
    pub fn is_known(&self) -> bool {
        self.preset.known
    }

    /// The family ([`FAMILIES`]' entry), `None` for an unknown `model_type`.
    pub fn family(&self) -> Option<&'static Family> {
        FAMILIES
            .iter()
            .find(|f| f.model_type == self.preset.model_type)
    }

    /// The std of Hugging Face's common rules for this config.
    pub fn initializer_range(&self) -> f64 {
        self.preset.initializer_range
    }

    /// The preset: the family's initializers, then the common ones.
    pub fn preset(&self) -> Preset {
        Preset::HfFamily(self.preset.clone())
    }

    /// The preset's contents ([`preset`](Self::preset) wraps a clone of it).
    pub fn hf_preset(&self) -> &HfPreset {
        &self.preset
    }

    /// The row rules: the padding rows (`pad_token_id`) transformers zeroes.
    pub fn rules(&self) -> &[Rule] {
        &self.rows
    }
}

impl ModelBuilder {
    /// Initializes as transformers' `_init_weights` of the config's family: sets
    /// [`config.preset()`](HfConfig::preset) and adds [`config.rules()`](HfConfig::rules).
    /// Rules of your own, added before or after, take precedence over the family's
    /// initializers (they are the preset's); the padding rows are row rules, written after
    /// whatever initializer their tensor gets. A tensor loaded from a checkpoint keeps its
    /// rows (the padding rule counts as used). A [`strict`](ModelBuilder::strict) build
    /// refuses a config whose `model_type` is not one of [`FAMILIES`], before the constructor
    /// runs.
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use init_candle::build::{HfConfig, ModelBuilder, Opaque};
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// let hf = HfConfig::from_json(&serde_json::json!({"model_type": "gemma", "pad_token_id": 0}))?;
    /// let built = ModelBuilder::new(0).hf_config(&hf).build(DType::F32, &Device::Cpu, |vb| {
    ///     // Gemma's RMSNorm computes x * (1 + weight): transformers initializes the weight to 0.
    ///     Ok(Opaque(vb.pp("model.norm").get(4, "weight")?))
    /// })?;
    /// assert_eq!(built.model.0.to_vec1::<f32>()?, [0.0; 4]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn hf_config(self, config: &HfConfig) -> ModelBuilder {
        config
            .rows
            .iter()
            .cloned()
            .fold(self.preset(config.preset()), ModelBuilder::with_rule)
    }
}

/// Typed reads of a config's keys, with errors that name the key.
pub(crate) struct Keys<'a> {
    value: &'a Value,
    file: &'a Option<String>,
    /// `text_config.` for a nested config's keys.
    prefix: String,
}

impl<'a> Keys<'a> {
    fn error(&self, key: &str, what: &str) -> Error {
        let message = if key.is_empty() {
            what.to_owned()
        } else {
            format!("`{}{key}` {what}", self.prefix)
        };
        Error::HfConfig {
            file: self.file.clone(),
            message,
        }
    }

    /// A value that is present and not `null`.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }

    fn str(&self, key: &str) -> Result<Option<&'a str>> {
        self.get(key)
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| self.error(key, &format!("is {v}, expected a string")))
            })
            .transpose()
    }

    /// A number, `None` when absent or `null`.
    pub(crate) fn f64(&self, key: &str) -> Result<Option<f64>> {
        self.get(key)
            .map(|v| {
                v.as_f64()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| self.error(key, &format!("is {v}, expected a number")))
            })
            .transpose()
    }

    pub(crate) fn f64_or(&self, key: &str, default: f64) -> Result<f64> {
        Ok(self.f64(key)?.unwrap_or(default))
    }

    /// A non-negative integer, `None` when absent or `null`.
    pub(crate) fn usize(&self, key: &str) -> Result<Option<usize>> {
        self.get(key)
            .map(|v| {
                v.as_u64()
                    .and_then(|x| usize::try_from(x).ok())
                    .ok_or_else(|| {
                        self.error(key, &format!("is {v}, expected a non-negative integer"))
                    })
            })
            .transpose()
    }

    /// A non-negative integer that the family needs.
    pub(crate) fn need(&self, key: &str) -> Result<usize> {
        self.usize(key)?
            .ok_or_else(|| self.error(key, "is missing; the family's initialization needs it"))
    }

    pub(crate) fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        self.get(key)
            .map(|v| {
                v.as_bool()
                    .ok_or_else(|| self.error(key, &format!("is {v}, expected true or false")))
            })
            .transpose()
            .map(|b| b.unwrap_or(default))
    }

    /// The keys of a nested config (`text_config`); an absent one reads as empty.
    pub(crate) fn sub(&self, key: &'a str) -> Keys<'a> {
        static EMPTY: Value = Value::Null;
        Keys {
            value: self.get(key).unwrap_or(&EMPTY),
            file: self.file,
            prefix: format!("{}{key}.", self.prefix),
        }
    }

    /// The std of transformers' `PreTrainedModel._init_weights`: `initializer_range` (0.02
    /// when `null` or 0), else `init_std`, else `initializer_factor`, else 0.02.
    pub(crate) fn common_std(&self) -> Result<f64> {
        if self.value.get("initializer_range").is_some() {
            return Ok(self
                .f64("initializer_range")?
                .filter(|&x| x != 0.0)
                .unwrap_or(0.02));
        }
        if let Some(std) = self.f64("init_std")? {
            return Ok(std);
        }
        Ok(self.f64("initializer_factor")?.unwrap_or(0.02))
    }
}
