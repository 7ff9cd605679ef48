//! [`BuildReport`]: what a [`ModelBuilder`](super::ModelBuilder) did to each tensor.

use std::fmt;

use serde::Serialize;

use crate::error::Result;
use crate::report::{
    measure, write_table, MeasuredReport, NamedTensors, TensorReport, ValueSource,
};

/// Per tensor (in the order the constructor asked for them): shape, dtype, initializer and
/// where it comes from, fans, gain and expected std; plus the rules that matched nothing and
/// the checkpoint's tensors the model never asked for. `Display` prints an aligned table and
/// those lists; [`warnings`](Self::warnings) the short text transformers prints on load.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BuildReport {
    /// The seed of every random stream.
    pub seed: u64,
    /// The preset's name (`pytorch`, `hf(0.02)`, ...).
    pub preset: String,
    /// Every tensor, in request order.
    pub tensors: Vec<TensorReport>,
    /// Patterns of rules that matched no tensor.
    pub unused_rules: Vec<String>,
    /// Tensors the checkpoint holds that the model never asked for.
    pub unexpected_keys: Vec<String>,
}

impl BuildReport {
    /// The tensors loaded from the checkpoint.
    pub fn loaded(&self) -> impl Iterator<Item = &TensorReport> {
        self.tensors
            .iter()
            .filter(|t| matches!(t.source, ValueSource::Checkpoint { .. }))
    }

    /// The tensors written by an initializer.
    pub fn initialized(&self) -> impl Iterator<Item = &TensorReport> {
        self.tensors.iter().filter(|t| t.init.is_some())
    }

    /// The paths of the tensors written because no rule or preset recognized them (candle's
    /// hint was used).
    pub fn unrecognized(&self) -> impl Iterator<Item = &str> {
        self.tensors
            .iter()
            .filter(|t| t.source == ValueSource::CandleHint)
            .map(|t| t.path.as_str())
    }

    /// The report of `path`.
    pub fn get(&self, path: &str) -> Option<&TensorReport> {
        self.tensors.iter().find(|t| t.path == path)
    }

    /// Each tensor's expected std next to the std and mean measured on it now, found by path
    /// in `tensors` (the built `varmap`, or the model when it implements `InitWeights`), as
    /// [`InitReport::measured`](crate::InitReport::measured) does; loaded tensors have no
    /// expected std.
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use init_candle::build::{ModelBuilder, Preset};
    ///
    /// # fn main() -> init_candle::Result<()> {
    /// let built = ModelBuilder::new(0)
    ///     .preset(Preset::hf(0.02))
    ///     .build(DType::F32, &Device::Cpu, |vb| candle_nn::linear(512, 512, vb.pp("fc")))?;
    /// let measured = built.report.measured(&built.varmap)?;
    /// let weight = &measured.tensors[0];
    /// assert_eq!(weight.expected_std, Some(0.02));
    /// assert!((weight.std.unwrap() - 0.02).abs() < 1e-3);
    /// println!("{measured}");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// A path `tensors` does not hold, a tensor of another shape there, or a Candle error.
    pub fn measured<S: NamedTensors + ?Sized>(&self, tensors: &S) -> Result<MeasuredReport> {
        measure(&self.tensors, tensors)
    }

    /// What transformers says when it loads a checkpoint into a model: the newly initialized
    /// tensors (when some were loaded), the unexpected keys, the unused rules. Empty when
    /// there is nothing to say.
    pub fn warnings(&self) -> String {
        let mut out = String::new();
        let initialized: Vec<&str> = self.initialized().map(|t| t.path.as_str()).collect();
        if self.loaded().next().is_some() && !initialized.is_empty() {
            out.push_str(&format!(
                "Some tensors of the model were not in the checkpoint and are newly initialized: [{}]\n",
                initialized.join(", ")
            ));
        }
        if !self.unexpected_keys.is_empty() {
            out.push_str(&format!(
                "Some tensors of the checkpoint were not used by the model: [{}]\n",
                self.unexpected_keys.join(", ")
            ));
        }
        let unrecognized: Vec<&str> = self.unrecognized().collect();
        if !unrecognized.is_empty() {
            out.push_str(&format!(
                "No rule or preset recognized these tensors; they got candle's hint: [{}]\n",
                unrecognized.join(", ")
            ));
        }
        if !self.unused_rules.is_empty() {
            out.push_str(&format!(
                "Some rules matched no tensor: [{}]\n",
                self.unused_rules.join(", ")
            ));
        }
        out
    }
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_table(f, &self.tensors)?;
        let elements = |it: &mut dyn Iterator<Item = &TensorReport>| -> (usize, usize) {
            it.fold((0, 0), |(n, e), t| {
                (n + 1, e + t.shape.iter().product::<usize>())
            })
        };
        let (loaded, loaded_elems) = elements(&mut self.loaded());
        let (init, init_elems) = elements(&mut self.initialized());
        writeln!(
            f,
            "seed {}, preset {}: {init} tensors initialized ({init_elems} values), {loaded} loaded ({loaded_elems} values)",
            self.seed, self.preset
        )?;
        f.write_str(&self.warnings())
    }
}
