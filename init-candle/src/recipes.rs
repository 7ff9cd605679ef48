//! Recipes: the initialization schemes real training runs use, each a named set of
//! [`Rule`]s a [`ModelBuilder`] takes with [`recipe`](ModelBuilder::recipe), printable, and
//! checked against the library that defines it (`tests/recipes.rs` compares every tensor with
//! a fixture written by that library: `bash scripts/recipes_fixture.sh`).
//!
//! A recipe names the matrices it decides (embeddings, attention and MLP projections, the
//! output layer) by the paths of a [`Layout`]; norms and biases are left to the preset
//! (`Preset::hf(..)`: 1 and 0) or the model's own defaults. Each rule of a recipe is
//! [`optional`](Rule::optional): a model without an untied output layer, say, is not an
//! error.
//!
//! ```
//! use candle_core::{DType, Device};
//! use init_candle::build::{ModelBuilder, Opaque, Preset};
//! use init_candle::recipes;
//!
//! # fn main() -> init_candle::Result<()> {
//! let recipe = recipes::torchtitan_llama3(2, 64, true);
//! println!("{recipe}"); // its name, reference and rules
//! let built = ModelBuilder::new(0)
//!     .preset(Preset::hf(0.02))
//!     .recipe(&recipe)
//!     .build(DType::F32, &Device::Cpu, |vb| {
//!         let o = candle_nn::linear_no_bias(64, 64, vb.pp("model.layers.1.self_attn.o_proj"))?;
//!         Ok(Opaque(o))
//!     })?;
//! let o = built.report.get("model.layers.1.self_attn.o_proj.weight").expect("o_proj");
//! assert_eq!(o.init, Some(init_candle::Init::TruncNormal { mean: 0.0, std: 0.01, a: -2.0, b: 2.0 }));
//! # Ok(())
//! # }
//! ```

use std::fmt;

use init_core::{FanMode, Init, Nonlinearity};

use crate::build::{ModelBuilder, Rule};

/// A named set of rules (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct Recipe {
    name: String,
    reference: &'static str,
    rules: Vec<Rule>,
}

impl Recipe {
    /// A recipe of your own: `rules` under `name`, citing `reference`. Its rules are made
    /// [`optional`](Rule::optional).
    ///
    /// ```
    /// use init_candle::build::Rule;
    /// use init_candle::recipes::Recipe;
    /// use init_candle::Init;
    ///
    /// let recipe = Recipe::new("zero heads", "ours", vec![Rule::new("*.head.weight", Init::Zeros)]);
    /// assert_eq!(recipe.rules().len(), 1);
    /// assert!(recipe.rules()[0].is_optional());
    /// ```
    pub fn new(name: impl Into<String>, reference: &'static str, rules: Vec<Rule>) -> Recipe {
        Recipe {
            name: name.into(),
            reference,
            rules: rules.into_iter().map(Rule::optional).collect(),
        }
    }

    /// Its name (`torchtitan llama3 (depth_init)`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it comes from: the package, and the function or config key.
    pub fn reference(&self) -> &'static str {
        self.reference
    }

    /// Its rules, in order (the first that decides for a tensor wins).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

impl fmt::Display for Recipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "recipe {} ({})", self.name, self.reference)?;
        for rule in &self.rules {
            writeln!(f, "  {rule}")?;
        }
        Ok(())
    }
}

impl ModelBuilder {
    /// Adds `recipe`'s rules after the rules added so far (so that a rule added before takes
    /// precedence for the tensors it names).
    pub fn recipe(self, recipe: &Recipe) -> ModelBuilder {
        recipe
            .rules
            .iter()
            .cloned()
            .fold(self, ModelBuilder::with_rule)
    }
}

/// The parameter names a recipe targets: those of the Hugging Face (and candle-transformers)
/// implementation of a model family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Llama and the families named like it (Mistral, Qwen, Gemma, ...):
    /// `model.embed_tokens`, `model.layers.{i}.self_attn.{q,k,v,o}_proj`,
    /// `model.layers.{i}.mlp.{gate,up,down}_proj`, `lm_head`.
    Llama,
    /// GPT-2 and nanoGPT (also StarCoder's GPT-BigCode): `wte`, `wpe`, `h.{i}.attn.c_attn`,
    /// `h.{i}.attn.c_proj`, `h.{i}.mlp.c_fc`, `h.{i}.mlp.c_proj`, `lm_head` (any prefix, such
    /// as `transformer.`).
    Gpt2,
    /// GPT-NeoX (Pythia): `gpt_neox.embed_in`, `gpt_neox.layers.{i}.attention.query_key_value`,
    /// `attention.dense`, `mlp.dense_h_to_4h`, `mlp.dense_4h_to_h`, `embed_out`.
    GptNeox,
}

/// The patterns of one layout, by part.
struct Names {
    embeddings: &'static [&'static str],
    /// Attention's input projections and the MLP's input matrices.
    inputs: &'static [&'static str],
    /// The projections that write into the residual stream: attention's output and the
    /// MLP's output.
    attention_out: &'static str,
    mlp_out: &'static str,
    head: &'static str,
}

impl Layout {
    fn names(self) -> Names {
        match self {
            Layout::Llama => Names {
                embeddings: &["model.embed_tokens.weight"],
                inputs: &[
                    "model.layers.{layer}.self_attn.q_proj.weight",
                    "model.layers.{layer}.self_attn.k_proj.weight",
                    "model.layers.{layer}.self_attn.v_proj.weight",
                    "model.layers.{layer}.mlp.gate_proj.weight",
                    "model.layers.{layer}.mlp.up_proj.weight",
                ],
                attention_out: "model.layers.{layer}.self_attn.o_proj.weight",
                mlp_out: "model.layers.{layer}.mlp.down_proj.weight",
                head: "lm_head.weight",
            },
            Layout::Gpt2 => Names {
                embeddings: &["*wte.weight", "*wpe.weight"],
                inputs: &[
                    "*h.{layer}.attn.c_attn.weight",
                    "*h.{layer}.mlp.c_fc.weight",
                ],
                attention_out: "*h.{layer}.attn.c_proj.weight",
                mlp_out: "*h.{layer}.mlp.c_proj.weight",
                head: "lm_head.weight",
            },
            Layout::GptNeox => Names {
                embeddings: &["gpt_neox.embed_in.weight"],
                inputs: &[
                    "gpt_neox.layers.{layer}.attention.query_key_value.weight",
                    "gpt_neox.layers.{layer}.mlp.dense_h_to_4h.weight",
                ],
                attention_out: "gpt_neox.layers.{layer}.attention.dense.weight",
                mlp_out: "gpt_neox.layers.{layer}.mlp.dense_4h_to_h.weight",
                head: "embed_out.weight",
            },
        }
    }
}

fn normal(std: f64) -> Init {
    Init::Normal { mean: 0.0, std }
}

/// Rules giving `inner` to the embeddings, input matrices and output layer of `layout`, and
/// `out` to the two projections into the residual stream.
fn by_part(layout: Layout, inner: Init, out: Init) -> Vec<Rule> {
    let names = layout.names();
    let mut rules: Vec<Rule> = names
        .embeddings
        .iter()
        .chain(names.inputs)
        .map(|p| Rule::new(*p, inner.clone()))
        .collect();
    rules.push(Rule::new(names.attention_out, out.clone()));
    rules.push(Rule::new(names.mlp_out, out));
    rules.push(Rule::new(names.head, inner));
    rules
}

/// Megatron-LM's GPT init (`megatron.core` `TransformerConfig`): every weight
/// `init_method_normal(init_method_std)`, N(0, std), and the layers that write into the
/// residual stream (attention's `linear_proj`, the MLP's `linear_fc2`)
/// `scaled_init_method_normal`, N(0, std / sqrt(2 num_layers)).
///
/// ```
/// use init_candle::recipes::{self, Layout};
/// let r = recipes::megatron(Layout::Llama, 0.02, 8);
/// assert!(r.to_string().contains("mlp.down_proj.weight"));
/// ```
pub fn megatron(layout: Layout, init_method_std: f64, num_layers: usize) -> Recipe {
    let scaled = init_method_std / (2.0 * num_layers as f64).sqrt();
    Recipe::new(
        format!("megatron (init_method_std={init_method_std}, num_layers={num_layers})"),
        "megatron-core: TransformerConfig.init_method / output_layer_init_method (init_method_normal, scaled_init_method_normal)",
        by_part(layout, normal(init_method_std), normal(scaled)),
    )
}

/// nanoGPT's (and GPT-2's) init: N(0, 0.02) for every Linear and Embedding weight, and
/// N(0, 0.02 / sqrt(2 n_layer)) for the residual projections (`c_proj`), on
/// [`Layout::Gpt2`]'s names. It is [`megatron`] with std 0.02.
///
/// ```
/// let r = init_candle::recipes::nanogpt(12);
/// assert_eq!(r.rules().len(), 7);
/// ```
pub fn nanogpt(n_layer: usize) -> Recipe {
    let scaled = 0.02 / (2.0 * n_layer as f64).sqrt();
    Recipe::new(
        format!("nanogpt (n_layer={n_layer})"),
        "nanoGPT model.py: GPT._init_weights and the c_proj.weight loop; transformers GPT2PreTrainedModel._init_weights",
        by_part(Layout::Gpt2, normal(0.02), normal(scaled)),
    )
}

/// GPT-NeoX's `small_init` (N(0, sqrt(2 / (5 hidden)))) for every weight and `wang_init`
/// (N(0, 2 / (num_layers sqrt(hidden)))) for the residual projections: GPT-NeoX's
/// `init_method = "small_init"`, `output_layer_init_method = "wang_init"` (Pythia's).
///
/// ```
/// use init_candle::recipes::{self, Layout};
/// let r = recipes::gpt_neox(Layout::GptNeox, 512, 6);
/// assert!(r.name().contains("small_init"));
/// ```
pub fn gpt_neox(layout: Layout, hidden: usize, num_layers: usize) -> Recipe {
    let small = (2.0 / (5.0 * hidden as f64)).sqrt();
    let wang = 2.0 / num_layers as f64 / (hidden as f64).sqrt();
    Recipe::new(
        format!("gpt-neox small_init + wang_init (hidden={hidden}, num_layers={num_layers})"),
        "gpt-neox megatron/model/init_functions.py: small_init_init_method, wang_init_method",
        by_part(layout, normal(small), normal(wang)),
    )
}

/// torchtitan's Llama 3 init (`torchtitan.models.llama3` `Transformer.init_weights`), on
/// [`Layout::Llama`]'s names: the token embeddings N(0, 1); `wq`, `wk`, `wv` and `w1`
/// (`gate_proj`) a normal of std 0.02 truncated at +-2 (absolute: `trunc_normal_`'s
/// defaults); `wo` (`o_proj`), `w2` (`down_proj`) and `w3` (`up_proj`) the same with std
/// 0.02 / sqrt(2 (layer + 1)) when `depth_init`, else 0.02 / sqrt(2 n_layers); the output
/// layer a normal of std dim^-1/2 truncated at +-3 of its std. `depth_init = true` is
/// torchtitan 0.3's only behaviour; `false` is older torchtitan's `ModelArgs.depth_init`
/// (0.2.2, the last release with it, is the reference for both).
///
/// ```
/// let r = init_candle::recipes::torchtitan_llama3(16, 2048, false);
/// assert!(r.name().contains("depth_init=false"));
/// ```
pub fn torchtitan_llama3(n_layers: usize, dim: usize, depth_init: bool) -> Recipe {
    let trunc = |std: f64| Init::TruncNormal {
        mean: 0.0,
        std,
        a: -2.0,
        b: 2.0,
    };
    let scaled = move |layer: usize| {
        let depth = if depth_init { layer + 1 } else { n_layers };
        trunc(0.02 / (2.0 * depth as f64).sqrt())
    };
    let layers = "model.layers.{layer}";
    let mut rules = vec![Rule::new("model.embed_tokens.weight", normal(1.0))];
    for proj in [
        "self_attn.q_proj",
        "self_attn.k_proj",
        "self_attn.v_proj",
        "mlp.gate_proj",
    ] {
        rules.push(Rule::new(format!("{layers}.{proj}.weight"), trunc(0.02)));
    }
    for proj in ["self_attn.o_proj", "mlp.down_proj", "mlp.up_proj"] {
        rules.push(Rule::with(format!("{layers}.{proj}.weight"), move |t| {
            Some(scaled(t.number("layer")?))
        }));
    }
    let out = (dim as f64).powf(-0.5);
    rules.push(Rule::new(
        "lm_head.weight",
        Init::TruncNormal {
            mean: 0.0,
            std: out,
            a: -3.0 * out,
            b: 3.0 * out,
        },
    ));
    Recipe::new(
        format!("torchtitan llama3 (depth_init={depth_init}, n_layers={n_layers}, dim={dim})"),
        "torchtitan: torchtitan/models/llama3/model/model.py, Transformer.init_weights",
        rules,
    )
}

/// Small-init embeddings (SmallInit(Emb), RWKV's), as transformers' RWKV draws them: each
/// embedding `pattern` matches orthogonal with gain `1e-4 * sqrt(max(rows, cols))`, so its values
/// have std 1e-4 (a norm after the embedding then sets the scale). Tensors it matches that are
/// not matrices are left to the next rule.
///
/// ```
/// use init_candle::{recipes, Init};
/// let r = recipes::small_init_embeddings("*embeddings.weight");
/// assert!(r.rules()[0].matches("rwkv.embeddings.weight", &[128, 64]));
/// ```
pub fn small_init_embeddings(pattern: &str) -> Recipe {
    Recipe::new(
        format!("small-init embeddings ({pattern})"),
        "transformers: models/rwkv/modeling_rwkv.py, RwkvPreTrainedModel._init_weights (nn.Embedding)",
        vec![Rule::with(pattern, |t| {
            let [rows, cols] = t.dims() else { return None };
            Some(Init::Orthogonal {
                gain: 1e-4 * ((*rows).max(*cols) as f64).sqrt(),
                column_axis: 0,
            })
        })],
    )
}

/// torchvision's `zero_init_residual=True`: the last BatchNorm of each residual block
/// weighted 0 (`bn3` of a `Bottleneck`, `bn2` of a `BasicBlock`), so each block starts as the
/// identity.
///
/// ```
/// use init_candle::recipes::{self, ResidualBlock};
/// let r = recipes::zero_init_residual(ResidualBlock::Bottleneck);
/// assert!(r.rules()[0].matches("layer1.0.bn3.weight", &[256]));
/// ```
pub fn zero_init_residual(block: ResidualBlock) -> Recipe {
    let bn = match block {
        ResidualBlock::Basic => "bn2",
        ResidualBlock::Bottleneck => "bn3",
    };
    Recipe::new(
        format!("zero_init_residual ({block:?})"),
        "torchvision: torchvision/models/resnet.py, ResNet(zero_init_residual=True)",
        vec![Rule::new(
            format!("*layer{{stage}}.{{block}}.{bn}.weight"),
            Init::Zeros,
        )],
    )
}

/// torchvision ResNet's two residual blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResidualBlock {
    /// ResNet-18/34: two 3x3 convolutions, `bn2` last.
    Basic,
    /// ResNet-50 and up: 1x1, 3x3, 1x1, `bn3` last.
    Bottleneck,
}

/// LayerScale (CaiT, DINOv2, timm's `LayerScale(init_values)`): each residual branch's
/// per-channel scale `gamma` set to `init_values` (`ls1.gamma`, `ls2.gamma`).
///
/// ```
/// let r = init_candle::recipes::layer_scale(1e-5);
/// assert!(r.rules()[0].matches("blocks.3.ls2.gamma", &[384]));
/// ```
pub fn layer_scale(init_values: f64) -> Recipe {
    Recipe::new(
        format!("layer_scale (init_values={init_values})"),
        "timm: timm/layers/layer_scale.py, LayerScale(init_values)",
        vec![Rule::new(
            "*.ls{branch}.gamma",
            Init::Constant { value: init_values },
        )],
    )
}

/// How PEFT initializes a LoRA adapter's `A` and `B` (`LoraConfig(init_lora_weights=..)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoraInit {
    /// `True` (PEFT's default): `A` as `nn.Linear`'s own weight (Kaiming-uniform with
    /// a = sqrt(5)), `B` zeros.
    Default,
    /// `"gaussian"`: `A` N(0, 1/r), `B` zeros.
    Gaussian {
        /// The adapter's rank `r`.
        r: usize,
    },
}

/// PEFT's LoRA init of the adapters' `lora_A` and `lora_B` weights (any prefix, any adapter
/// name: `*.lora_A.{adapter}.weight`): the model's output is unchanged at step 0, since
/// `B` is 0. Build the base model from its checkpoint and the adapters with this recipe: the
/// base weights are loaded, only the adapters are initialized.
///
/// ```
/// use init_candle::recipes::{self, LoraInit};
/// let r = recipes::lora(LoraInit::Gaussian { r: 8 });
/// assert!(r.rules()[1].matches("model.layers.0.self_attn.q_proj.lora_B.default.weight", &[64, 8]));
/// ```
pub fn lora(init: LoraInit) -> Recipe {
    let a = match init {
        LoraInit::Default => Init::KaimingUniform {
            a: 5f64.sqrt(),
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LeakyRelu {
                negative_slope: 5f64.sqrt(),
            },
        },
        LoraInit::Gaussian { r } => normal(1.0 / r as f64),
    };
    Recipe::new(
        format!("lora ({init:?})"),
        "peft: peft/tuners/lora/layer.py, LoraLayer.reset_lora_parameters(init_lora_weights)",
        vec![
            Rule::new("*.lora_A.{adapter}.weight", a),
            Rule::new("*.lora_B.{adapter}.weight", Init::Zeros),
        ],
    )
}

/// OLMo-core's `InitMethod`s (`olmo_core.nn.transformer.init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OlmoInit {
    /// `normal`: every linear and embedding weight a normal of std 0.02 truncated at +-3
    /// stds.
    Normal,
    /// `llama`: as `normal`, with the embeddings N(0, 1), the residual projections (`w_out`,
    /// `w2`, `w3`) std 0.02 / sqrt(2 n_layers), and the output layer std d_model^-1/2.
    Llama,
    /// `llama_depth`: as `llama`, with the residual projections std 0.02 / sqrt(2 (layer + 1)).
    LlamaDepth,
    /// `fan_in`: every matrix std fan_in^-1/2, the embeddings N(0, 1), the output layer
    /// d_model^-1/2.
    FanIn,
}

/// OLMo-core's init of its Llama-like transformer (`TransformerConfig.init_method`), on
/// [`Layout::Llama`]'s names (OLMo's `w1`, `w2`, `w3` are `gate_proj`, `down_proj`,
/// `up_proj`). Every matrix is a truncated normal cut at +-3 of its std.
///
/// ```
/// use init_candle::recipes::{self, OlmoInit};
/// let r = recipes::olmo(OlmoInit::LlamaDepth, 2048, 16);
/// assert!(r.name().contains("llama_depth"));
/// ```
pub fn olmo(method: OlmoInit, d_model: usize, n_layers: usize) -> Recipe {
    const STD: f64 = 0.02;
    let trunc = |std: f64| Init::TruncNormal {
        mean: 0.0,
        std,
        a: -3.0 * std,
        b: 3.0 * std,
    };
    let fan_in =
        move |t: &crate::build::TensorInfo<'_>| Some(trunc((t.fan_in()? as f64).powf(-0.5)));
    let layers = "model.layers.{layer}";
    let mut rules = vec![Rule::new(
        "model.embed_tokens.weight",
        match method {
            OlmoInit::Normal => trunc(STD),
            _ => normal(1.0),
        },
    )];
    // The input projections: 0.02, or fan_in^-1/2.
    for proj in [
        "self_attn.q_proj",
        "self_attn.k_proj",
        "self_attn.v_proj",
        "mlp.gate_proj",
    ] {
        let pattern = format!("{layers}.{proj}.weight");
        rules.push(match method {
            OlmoInit::FanIn => Rule::with(pattern, fan_in),
            _ => Rule::new(pattern, trunc(STD)),
        });
    }
    // The residual projections.
    for proj in ["self_attn.o_proj", "mlp.up_proj", "mlp.down_proj"] {
        let pattern = format!("{layers}.{proj}.weight");
        rules.push(match method {
            OlmoInit::Normal => Rule::new(pattern, trunc(STD)),
            OlmoInit::Llama => Rule::new(pattern, trunc(STD / (2.0 * n_layers as f64).sqrt())),
            OlmoInit::LlamaDepth => Rule::with(pattern, move |t| {
                Some(trunc(STD / (2.0 * (t.number("layer")? + 1) as f64).sqrt()))
            }),
            OlmoInit::FanIn => Rule::with(pattern, fan_in),
        });
    }
    rules.push(Rule::new(
        "lm_head.weight",
        match method {
            OlmoInit::Normal => trunc(STD),
            _ => trunc((d_model as f64).powf(-0.5)),
        },
    ));
    let name = match method {
        OlmoInit::Normal => "normal",
        OlmoInit::Llama => "llama",
        OlmoInit::LlamaDepth => "llama_depth",
        OlmoInit::FanIn => "fan_in",
    };
    Recipe::new(
        format!("olmo {name} (d_model={d_model}, n_layers={n_layers})"),
        "ai2-olmo-core: olmo_core/nn/transformer/init.py, InitMethod",
        rules,
    )
}

/// The shapes of a base model, by parameter path: muP's `set_base_shapes(model, base)`. A
/// dimension of the model that differs from the base's is a width ("infinite") dimension.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BaseShapes {
    shapes: std::collections::BTreeMap<String, Vec<usize>>,
}

/// One dimension against its base: `(dim, Some(base))` when it is a width dimension.
type InfShape = Vec<(usize, Option<usize>)>;

/// muP's per-tensor multipliers of the learning rate and weight decay
/// ([`BaseShapes::multipliers`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Multiplier {
    /// The tensor's path.
    pub path: String,
    /// Multiplies the optimizer's learning rate for this tensor.
    pub lr: f64,
    /// Multiplies the optimizer's weight decay for this tensor.
    pub weight_decay: f64,
}

/// The optimizers muP (Microsoft's `mup`) scales the learning rate for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MupOptimizer {
    /// `MuAdam` / `MuAdamW`: a matrix-like tensor (two width dimensions) gets lr / width_mult
    /// (its fan_in's) and weight decay x width_mult; the others are unchanged.
    Adam,
    /// `MuSGD`: a vector-like tensor (one width dimension) gets lr x width_mult and weight
    /// decay / width_mult; a matrix-like one lr / (fan_in mult / fan_out mult).
    Sgd,
}

impl BaseShapes {
    /// From `(path, dims)` pairs.
    ///
    /// ```
    /// use init_candle::recipes::BaseShapes;
    /// let base = BaseShapes::new([("fc.weight".to_owned(), vec![64, 16])]);
    /// assert_eq!(base.get("fc.weight"), Some(&[64, 16][..]));
    /// ```
    pub fn new(shapes: impl IntoIterator<Item = (String, Vec<usize>)>) -> BaseShapes {
        BaseShapes {
            shapes: shapes.into_iter().collect(),
        }
    }

    /// The shapes of the base model `constructor` builds (on the CPU, in f32, every tensor 0:
    /// a base model is small).
    ///
    /// # Errors
    /// The constructor's.
    ///
    /// ```
    /// use init_candle::recipes::BaseShapes;
    /// # fn main() -> init_candle::Result<()> {
    /// let base = BaseShapes::of(|vb| candle_nn::linear(16, 64, vb.pp("fc")))?;
    /// assert_eq!(base.get("fc.bias"), Some(&[64][..]));
    /// # Ok(())
    /// # }
    /// ```
    pub fn of<M: 'static>(
        constructor: impl FnOnce(candle_nn::VarBuilder<'_>) -> candle_core::Result<M>,
    ) -> crate::Result<BaseShapes> {
        let built = ModelBuilder::new(0)
            .preset(crate::build::Preset::Zeros)
            .build(candle_core::DType::F32, &candle_core::Device::Cpu, |vb| {
                Ok(crate::build::Opaque(constructor(vb)?))
            })?;
        Ok(BaseShapes::new(
            built.report.tensors.into_iter().map(|t| (t.path, t.shape)),
        ))
    }

    /// The base shape of `path`.
    pub fn get(&self, path: &str) -> Option<&[usize]> {
        self.shapes.get(path).map(Vec::as_slice)
    }

    fn infshape(&self, path: &str, dims: &[usize]) -> Option<InfShape> {
        let base = self.shapes.get(path)?;
        (base.len() == dims.len()).then(|| {
            dims.iter()
                .zip(base)
                .map(|(&d, &b)| (d, (d != b).then_some(b)))
                .collect()
        })
    }

    /// The learning-rate and weight-decay multipliers `optimizer`'s muP version gives each
    /// tensor of a model built with these base shapes (`report`: the model's build report), in
    /// the report's order: a table for the optimizer's parameter groups.
    ///
    /// # Errors
    /// A tensor with no base shape, or one of another rank ([`crate::Error::Strict`], listing
    /// them), or with more than two width dimensions (muP defines none).
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use init_candle::build::ModelBuilder;
    /// use init_candle::recipes::{BaseShapes, MupOptimizer};
    /// # fn main() -> init_candle::Result<()> {
    /// let mlp = |w: usize| move |vb: candle_nn::VarBuilder| candle_nn::linear(w, w, vb.pp("hidden"));
    /// let base = BaseShapes::of(mlp(64))?;
    /// let built = ModelBuilder::new(0).build(DType::F32, &Device::Cpu, mlp(256))?;
    /// let table = base.multipliers(&built.report, MupOptimizer::Adam)?;
    /// assert_eq!(table[0].lr, 0.25); // hidden.weight: 1 / width_mult
    /// # Ok(())
    /// # }
    /// ```
    pub fn multipliers(
        &self,
        report: &crate::build::BuildReport,
        optimizer: MupOptimizer,
    ) -> crate::Result<Vec<Multiplier>> {
        let mut problems = Vec::new();
        let mut table = Vec::with_capacity(report.tensors.len());
        for t in &report.tensors {
            let Some(inf) = self.infshape(&t.path, &t.shape) else {
                problems.push(format!(
                    "`{}` {:?} has no base shape of its rank ({:?})",
                    t.path,
                    t.shape,
                    self.get(&t.path)
                ));
                continue;
            };
            let mult = |(d, b): (usize, Option<usize>)| b.map_or(1.0, |b| d as f64 / b as f64);
            let ninf = inf.iter().filter(|(_, b)| b.is_some()).count();
            // The main width dimension: the last one (a matrix's fan_in).
            let main = inf
                .iter()
                .rev()
                .find(|(_, b)| b.is_some())
                .map_or(1.0, |&x| mult(x));
            let lr = match (optimizer, ninf) {
                (_, n) if n > 2 => {
                    problems.push(format!(
                        "`{}` {:?} has {n} width dimensions; muP defines at most 2",
                        t.path, t.shape
                    ));
                    continue;
                }
                (MupOptimizer::Adam, 2) => 1.0 / main,
                (MupOptimizer::Adam, _) => 1.0,
                (MupOptimizer::Sgd, 1) => main,
                (MupOptimizer::Sgd, 2) => mult(inf[0]) / mult(inf[1]),
                (MupOptimizer::Sgd, _) => 1.0,
            };
            table.push(Multiplier {
                path: t.path.clone(),
                lr,
                weight_decay: 1.0 / lr,
            });
        }
        if !problems.is_empty() {
            return Err(crate::Error::Strict { problems });
        }
        Ok(table)
    }
}

/// muP's initialization (Microsoft's `mup`: `set_base_shapes(model, base)` on a model of
/// `nn.Linear` layers and a `MuReadout`): the layers' PyTorch defaults (the preset
/// `Preset::PyTorch` gives them; hidden weights U(+-1/sqrt(fan_in)) already scale as muP
/// asks), with each Linear's bias U(+-1/sqrt(base fan_in)) (mup's `rescale_linear_bias`), and
/// the readout layer (`readout`, its module's path) zero (`readout_zero_init`) or
/// U(+-1/sqrt(base fan_in)) (mup's `MuReadout._rescale_parameters`). Embeddings are left
/// alone, as mup leaves them. The learning rates come from
/// [`BaseShapes::multipliers`]; the readout's `1 / width_mult` output multiplier is the
/// model's forward, not its init.
///
/// ```
/// use init_candle::recipes::{self, BaseShapes};
/// # fn main() -> init_candle::Result<()> {
/// let base = BaseShapes::of(|vb| candle_nn::linear(64, 10, vb.pp("readout")))?;
/// let r = recipes::mup(&base, "readout", true);
/// assert!(r.name().contains("readout_zero_init=true"));
/// # Ok(())
/// # }
/// ```
pub fn mup(base: &BaseShapes, readout: &str, readout_zero_init: bool) -> Recipe {
    let base_fan_in = |base: &BaseShapes, weight: &str| -> Option<usize> {
        let dims = base.get(weight)?;
        (dims.len() >= 2).then(|| dims[1..].iter().product())
    };
    let bound = |fan_in: usize| {
        let b = 1.0 / (fan_in as f64).sqrt();
        Init::Uniform { low: -b, high: b }
    };
    let mut rules = Vec::new();
    for name in ["weight", "bias"] {
        let shapes = base.clone();
        let readout_weight = format!("{readout}.weight");
        rules.push(Rule::with(format!("{readout}.{name}"), move |_| {
            if readout_zero_init {
                return Some(Init::Zeros);
            }
            Some(bound(base_fan_in(&shapes, &readout_weight)?))
        }));
    }
    let shapes = base.clone();
    rules.push(
        Rule::with("*.bias", move |t| {
            let weight = format!("{}.weight", t.path().strip_suffix(".bias")?);
            Some(bound(base_fan_in(&shapes, &weight)?))
        })
        .rank(1),
    );
    Recipe::new(
        format!("mup (readout `{readout}`, readout_zero_init={readout_zero_init})"),
        "mup: mup/shape.py set_base_shapes (rescale_linear_bias, MuReadout._rescale_parameters), mup/layer.py MuReadout, mup/optim.py MuAdam, MuSGD",
        rules,
    )
}

/// PEFT's LoRA inits that read the base weight (`init_lora_weights="pissa"`,
/// `"pissa_niter_K"` or `"olora"`), for [`lora_from_base`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoraFromBase {
    /// PiSSA: with the base weight's SVD W = U S V^T, `A = sqrt(S_r / scaling) V_r^T`,
    /// `B = U_r sqrt(S_r / scaling)` (the top `r` singular triplets), and the base weight
    /// replaced by `W - scaling B A` (its other components).
    Pissa,
    /// PiSSA on a randomized SVD (`"pissa_niter_K"`, PEFT's fast PiSSA: `torch.svd_lowrank`
    /// with q = r, Halko, Martinsson and Tropp's range finder): with T the base weight turned
    /// tall (transposed when it has fewer rows than columns) and G a standard normal
    /// (T's columns) x r matrix, Q = orth(T G), then `niter` times Q = orth(T orth(T^T Q));
    /// the SVD of Q^T T (r x T's columns) gives approximate top-r singular triplets, from
    /// which A and B are made as [`Pissa`](Self::Pissa) makes them, and the base weight is
    /// replaced by `W - scaling B A`. The layer's output is unchanged whatever G was; how
    /// close A and B come to PiSSA's depends on the gap after the r-th singular value and on
    /// `niter` (the error shrinks about as (s_{r+1} / s_r)^(2 niter + 1)).
    ///
    /// G comes from `Generator::new(seed)`, on the stream of each adapter's `A` path: the same
    /// seed gives the same adapters, whatever else the model holds. PEFT draws G from torch's
    /// global RNG, so the values differ from PEFT's run to run; their distribution is the
    /// same (`tests/recipes.rs` compares the distance to the exact top-r subspaces over 256
    /// seeds with PEFT's).
    ///
    /// ```
    /// use candle_core::{DType, Device};
    /// use candle_nn::{VarBuilder, VarMap};
    /// use init_candle::recipes::{lora_from_base, LoraFromBase};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let build = || -> candle_core::Result<VarMap> {
    ///     let varmap = VarMap::new();
    ///     let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    ///     vb.get_with_hints((16, 24), "proj.base_layer.weight", candle_nn::init::ONE)?;
    ///     vb.get((4, 24), "proj.lora_A.default.weight")?;
    ///     vb.get((16, 4), "proj.lora_B.default.weight")?;
    ///     Ok(varmap)
    /// };
    /// let fast = LoraFromBase::PissaNiter { niter: 4, seed: 0 };
    /// let (first, second) = (build()?, build()?);
    /// lora_from_base(&first, fast, 2.0)?;
    /// lora_from_base(&second, fast, 2.0)?;
    /// let a = |vm: &VarMap| vm.data().lock().unwrap()["proj.lora_A.default.weight"]
    ///     .as_tensor().to_vec2::<f32>();
    /// assert_eq!(a(&first)?, a(&second)?); // the same seed, the same adapters
    /// # Ok(())
    /// # }
    /// ```
    PissaNiter {
        /// PEFT's K: the subspace iterations (`niter` of `svd_lowrank`).
        niter: usize,
        /// Seeds the Gaussian test matrix.
        seed: u64,
    },
    /// OLoRA: with the base weight's QR W = Q R, `A = R[:r]`, `B = Q[:, :r]`, and the base
    /// weight replaced by `W - scaling B A`.
    Olora,
}

/// One adapter pair and its base weight, by path.
struct Adapter {
    base: String,
    a: String,
    b: String,
}

/// Initializes every LoRA adapter in `varmap` from its base weight, as PEFT's `pissa`,
/// `pissa_niter_K` and `olora` do, and replaces the base weight by its residual, so the layer's output
/// (`W x + scaling B A x`) is the base weight's (`W x`). Adapters are found by PEFT's names:
/// `{layer}.lora_A.{adapter}.weight` and `{layer}.lora_B.{adapter}.weight`, with the base
/// weight `{layer}.base_layer.weight` (PEFT's) or `{layer}.weight`. Build the model from its
/// checkpoint first (the base weights loaded, the adapters any values), then call this.
///
/// `scaling` is PEFT's `lora_alpha / r` (`lora_alpha / sqrt(r)` with rsLoRA). The factors
/// are computed in f64 (PEFT computes in f32) and written in each variable's dtype. Each
/// rank-one component's sign is the SVD's or QR's (LAPACK's and faer's conventions may
/// differ): `B A`, and so the output, does not depend on it. Returns the base weights
/// replaced.
///
/// # Errors
/// Every pair is checked before anything is written: an `A` or `B` without its partner or
/// base weight, shapes that disagree (`A` r x in, `B` out x r, the base out x in), a rank
/// above min(out, in), a scaling that is not finite and positive: [`crate::Error::Strict`]
/// listing each. Nothing is written then.
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::{VarBuilder, VarMap};
/// use init_candle::recipes::{lora_from_base, LoraFromBase};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let base = candle_nn::linear_no_bias(24, 16, vb.pp("proj.base_layer"))?;
/// let a = candle_nn::linear_no_bias(24, 4, vb.pp("proj.lora_A.default"))?;
/// let b = candle_nn::linear_no_bias(4, 16, vb.pp("proj.lora_B.default"))?;
/// let x = Tensor::randn(0f32, 1.0, (3, 24), &Device::Cpu)?;
/// let before = x.matmul(&base.weight().t()?)?;
/// lora_from_base(&varmap, LoraFromBase::Pissa, 2.0)?;
/// let lora = x.matmul(&a.weight().t()?)?.matmul(&b.weight().t()?)?;
/// let after = (x.matmul(&base.weight().t()?)? + (lora * 2.0)?)?;
/// let diff = (after - before)?.abs()?.max_all()?.to_scalar::<f32>()?;
/// assert!(diff < 1e-4, "{diff}");
/// # Ok(())
/// # }
/// ```
pub fn lora_from_base(
    varmap: &candle_nn::VarMap,
    init: LoraFromBase,
    scaling: f64,
) -> crate::Result<Vec<String>> {
    let vars = varmap
        .data()
        .lock()
        .map_err(|_| crate::Error::VarMapPoisoned)?
        .clone();
    let mut problems = Vec::new();
    if !(scaling.is_finite() && scaling > 0.0) {
        problems.push(format!(
            "scaling {scaling} must be finite and positive (PEFT's lora_alpha / r)"
        ));
    }
    let mut adapters = Vec::new();
    for a in vars
        .keys()
        .filter(|p| p.contains(".lora_A.") && p.ends_with(".weight"))
    {
        let Some((layer, rest)) = a.split_once(".lora_A.") else {
            continue;
        };
        let b = format!("{layer}.lora_B.{rest}");
        let base = [
            format!("{layer}.base_layer.weight"),
            format!("{layer}.weight"),
        ]
        .into_iter()
        .find(|p| vars.contains_key(p));
        match (vars.contains_key(&b), base) {
            (true, Some(base)) => adapters.push(Adapter {
                base,
                a: a.clone(),
                b,
            }),
            (false, _) => problems.push(format!("`{a}` has no `{b}`")),
            (_, None) => problems.push(format!(
                "`{a}` has no base weight (`{layer}.base_layer.weight` or `{layer}.weight`)"
            )),
        }
    }
    for b in vars
        .keys()
        .filter(|p| p.contains(".lora_B.") && p.ends_with(".weight"))
    {
        let a = b.replacen(".lora_B.", ".lora_A.", 1);
        if !vars.contains_key(&a) {
            problems.push(format!("`{b}` has no `{a}`"));
        }
    }
    adapters.sort_by(|x, y| x.a.cmp(&y.a));
    // Checked, then computed, for every pair; written only when all are.
    let mut writes: Vec<(&str, candle_core::Tensor)> = Vec::new();
    let mut computed = Vec::new();
    for ad in &adapters {
        let (w, a, b) = (&vars[&ad.base], &vars[&ad.a], &vars[&ad.b]);
        let (wd, ad_, bd) = (w.dims(), a.dims(), b.dims());
        let ok = wd.len() == 2
            && ad_.len() == 2
            && bd.len() == 2
            && ad_[1] == wd[1]
            && bd[0] == wd[0]
            && ad_[0] == bd[1]
            && ad_[0] <= wd[0].min(wd[1]);
        if !ok {
            problems.push(format!(
                "`{}` {ad_:?} and `{}` {bd:?} do not fit the base `{}` {wd:?} (A r x in, B out x r, r <= min(out, in))",
                ad.a, ad.b, ad.base
            ));
            continue;
        }
        if problems.is_empty() {
            computed.push((ad, factor(w.as_tensor(), ad_[0], init, scaling, &ad.a)?));
        }
    }
    if !problems.is_empty() {
        return Err(crate::Error::Strict { problems });
    }
    for (ad, (a, b, residual)) in &computed {
        writes.push((&ad.a, a.clone()));
        writes.push((&ad.b, b.clone()));
        writes.push((&ad.base, residual.clone()));
    }
    for (path, t) in writes {
        let var = &vars[path];
        var.set(&t.to_dtype(var.dtype())?.to_device(var.device())?)?;
    }
    Ok(computed.iter().map(|(ad, _)| ad.base.clone()).collect())
}

/// `(A, B, residual)` of the base weight `w` (out x in) for rank `r`, in f64; `stream` (the
/// `A` path) names the random stream of [`LoraFromBase::PissaNiter`].
fn factor(
    w: &candle_core::Tensor,
    r: usize,
    init: LoraFromBase,
    scaling: f64,
    stream: &str,
) -> crate::Result<(
    candle_core::Tensor,
    candle_core::Tensor,
    candle_core::Tensor,
)> {
    use candle_core::Tensor;
    let (out, inp) = w.dims2()?;
    let values = w.to_dtype(candle_core::DType::F64)?.to_vec2::<f64>()?;
    let m = faer::Mat::<f64>::from_fn(out, inp, |i, j| values[i][j]);
    // PiSSA's factors from r singular triplets (U out x r, S, V in x r): A = sqrt(S / scaling)
    // V^T, B = U sqrt(S / scaling).
    let pissa = |u: faer::MatRef<'_, f64>, s: &[f64], v: faer::MatRef<'_, f64>| {
        let root: Vec<f64> = s.iter().map(|s| (s / scaling).sqrt()).collect();
        let a = faer::Mat::<f64>::from_fn(r, inp, |k, j| root[k] * v[(j, k)]);
        let b = faer::Mat::<f64>::from_fn(out, r, |i, k| u[(i, k)] * root[k]);
        (a, b)
    };
    // a: r x in, b: out x r.
    let (a, b) = match init {
        LoraFromBase::Pissa => {
            let svd = thin_svd(&m)?;
            let s: Vec<f64> = (0..r).map(|k| svd.S().column_vector()[k]).collect();
            pissa(svd.U().subcols(0, r), &s, svd.V().subcols(0, r))
        }
        LoraFromBase::PissaNiter { niter, seed } => {
            let mut rng = init_core::Generator::new(seed).for_path(stream);
            let (u, s, v) = randomized_svd(m.as_ref(), r, niter, &mut rng)?;
            pissa(u.as_ref(), &s, v.as_ref())
        }
        LoraFromBase::Olora => {
            let qr = m.qr();
            let q = qr.compute_thin_Q();
            let rr = qr.thin_R();
            let a = faer::Mat::<f64>::from_fn(r, inp, |k, j| if j >= k { rr[(k, j)] } else { 0.0 });
            let b = faer::Mat::<f64>::from_fn(out, r, |i, k| q[(i, k)]);
            (a, b)
        }
    };
    let ba = &b * &a;
    let residual = faer::Mat::<f64>::from_fn(out, inp, |i, j| m[(i, j)] - scaling * ba[(i, j)]);
    let tensor = |x: &faer::Mat<f64>| -> candle_core::Result<Tensor> {
        let data: Vec<f64> = (0..x.nrows())
            .flat_map(|i| (0..x.ncols()).map(move |j| (i, j)))
            .map(|(i, j)| x[(i, j)])
            .collect();
        Tensor::from_vec(data, (x.nrows(), x.ncols()), &candle_core::Device::Cpu)
    };
    Ok((tensor(&a)?, tensor(&b)?, tensor(&residual)?))
}

/// The thin SVD of `m`, or an error naming its size.
fn thin_svd(m: &faer::Mat<f64>) -> crate::Result<faer::linalg::solvers::Svd<f64>> {
    m.thin_svd().map_err(|e| crate::Error::Strict {
        problems: vec![format!(
            "the SVD of a {} x {} base weight did not converge: {e:?}",
            m.nrows(),
            m.ncols()
        )],
    })
}

/// Approximate top-`r` singular triplets of `m` (rows x cols) by a randomized range finder with
/// `niter` subspace iterations and no oversampling (Halko, Martinsson and Tropp 2009,
/// algorithms 4.4 and 5.1, as `torch.svd_lowrank(m, q = r, niter)` runs them): `(U, s, V)`
/// with U rows x r and V cols x r orthonormal, `m ~ U diag(s) V^T`.
fn randomized_svd(
    m: faer::MatRef<'_, f64>,
    r: usize,
    niter: usize,
    rng: &mut init_core::Generator,
) -> crate::Result<(faer::Mat<f64>, Vec<f64>, faer::Mat<f64>)> {
    // Work on the tall orientation t (n rows >= k columns): the range of t is then the larger
    // side, and the test matrix the smaller.
    let wide = m.nrows() < m.ncols();
    let t = if wide { m.transpose() } else { m };
    let k = t.ncols();
    let g = {
        let draws =
            candle_core::Var::zeros((k, r), candle_core::DType::F64, &candle_core::Device::Cpu)?;
        normal(1.0).apply(draws.as_tensor(), rng)?;
        let g = draws.as_tensor().to_vec2::<f64>()?;
        faer::Mat::<f64>::from_fn(k, r, |i, j| g[i][j])
    };
    let orth = |x: faer::Mat<f64>| x.qr().compute_thin_Q();
    let mut q = orth(t * &g);
    for _ in 0..niter {
        let z = orth(t.transpose() * &q);
        q = orth(t * &z);
    }
    // t ~ q q^T t, and q^T t (r x k) = U' S V^T, so t ~ (q U') S V^T.
    let small: faer::Mat<f64> = q.transpose() * t;
    let svd = thin_svd(&small)?;
    let s: Vec<f64> = (0..r).map(|i| svd.S().column_vector()[i]).collect();
    let left = &q * svd.U();
    let right = svd.V().to_owned();
    // m = t^T when it is wide: its left vectors are t's right ones.
    Ok(if wide {
        (right, s, left)
    } else {
        (left, s, right)
    })
}

/// JAX/Flax's initializers as a recipe: `init` for every weight of 2 or more dimensions, as
/// Flax initializes its kernels (Flax's `Dense` and `Conv` default is
/// [`Init::lecun_normal`]). JAX's initializers are [`Init`] values like PyTorch's
/// (`variance_scaling`, `lecun_*`, `he_*`, `glorot_*`, `orthogonal(column_axis)`,
/// `delta_orthogonal`; in the derive's grammar too, `#[init(lecun_normal)]`); this names the
/// usual set. Their axes default to PyTorch's layout, the layout of a candle weight (see
/// [`Init`]). Weights of fewer dimensions (norms) are left to the next rule or the preset.
///
/// ```
/// use candle_core::{DType, Device};
/// use init_candle::build::{ModelBuilder, Opaque};
/// use init_candle::{recipes, Init};
///
/// # fn main() -> init_candle::Result<()> {
/// let built = ModelBuilder::new(0)
///     .recipe(&recipes::flax(Init::lecun_normal()))
///     .build(DType::F32, &Device::Cpu, |vb| {
///         Ok(Opaque(candle_nn::linear_no_bias(96, 128, vb.pp("dense"))?))
///     })?;
/// let dense = built.report.get("dense.weight").expect("dense");
/// assert_eq!(dense.init.as_ref().map(|i| i.name()), Some("lecun_normal"));
/// # Ok(())
/// # }
/// ```
pub fn flax(init: Init) -> Recipe {
    let name = format!("flax {init}");
    Recipe::new(
        name,
        "jax: jax/_src/nn/initializers.py (flax.linen.initializers)",
        vec![Rule::with("*.weight", move |t| {
            (t.dims().len() >= 2).then(|| init.clone())
        })],
    )
}

/// PEFT's `init_lora_weights="orthogonal"`: each adapter pair drawn so that `B A = 0` (the
/// layer's output unchanged) while neither is 0: with Q the QR factor of an r x r standard
/// normal matrix, `A = (G1 Q_odd)^T / 10` and `B = (G2^T Q_even) / 10`, G1 (in x r/2) and
/// G2 (r/2 x out) standard normal, Q_odd and Q_even Q's rows 0, 2, .. and 1, 3, .. (mutually
/// orthogonal). Values come from `Generator::new(seed)`, the streams of the adapter's paths.
/// Adapters are found as [`lora_from_base`] finds them (no base weight needed). Returns the
/// `A` paths written.
///
/// # Errors
/// Every pair is checked before anything is written: an `A` without its `B` (or the other
/// way), shapes that disagree, an odd rank (PEFT's own condition): [`crate::Error::Strict`]
/// listing each.
///
/// ```
/// use candle_core::{DType, Device};
/// use candle_nn::{VarBuilder, VarMap};
/// use init_candle::recipes::lora_orthogonal;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let varmap = VarMap::new();
/// let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
/// let a = candle_nn::linear_no_bias(24, 4, vb.pp("proj.lora_A.default"))?;
/// let b = candle_nn::linear_no_bias(4, 16, vb.pp("proj.lora_B.default"))?;
/// lora_orthogonal(&varmap, 0)?;
/// let ba = b.weight().matmul(a.weight())?.abs()?.max_all()?.to_scalar::<f32>()?;
/// assert!(ba < 1e-6, "{ba}");
/// # Ok(())
/// # }
/// ```
pub fn lora_orthogonal(varmap: &candle_nn::VarMap, seed: u64) -> crate::Result<Vec<String>> {
    use candle_core::{DType, Device, Tensor};
    let vars = varmap
        .data()
        .lock()
        .map_err(|_| crate::Error::VarMapPoisoned)?
        .clone();
    let mut problems = Vec::new();
    let mut pairs = Vec::new();
    for a in vars
        .keys()
        .filter(|p| p.contains(".lora_A.") && p.ends_with(".weight"))
    {
        let b = a.replacen(".lora_A.", ".lora_B.", 1);
        match vars.get(&b) {
            None => problems.push(format!("`{a}` has no `{b}`")),
            Some(bv) => {
                let (ad, bd) = (vars[a].dims(), bv.dims());
                if ad.len() != 2 || bd.len() != 2 || ad[0] != bd[1] {
                    problems.push(format!(
                        "`{a}` {ad:?} and `{b}` {bd:?} are not an r x in and an out x r"
                    ));
                } else if ad[0] % 2 != 0 {
                    problems.push(format!(
                        "`{a}` has rank {}: orthogonal LoRA needs an even rank (PEFT's condition)",
                        ad[0]
                    ));
                } else {
                    pairs.push((a.clone(), b));
                }
            }
        }
    }
    for b in vars
        .keys()
        .filter(|p| p.contains(".lora_B.") && p.ends_with(".weight"))
    {
        let a = b.replacen(".lora_B.", ".lora_A.", 1);
        if !vars.contains_key(&a) {
            problems.push(format!("`{b}` has no `{a}`"));
        }
    }
    if !problems.is_empty() {
        return Err(crate::Error::Strict { problems });
    }
    pairs.sort();
    let rng = init_core::Generator::new(seed);
    let standard = |rows: usize, cols: usize, path: &str| -> crate::Result<Tensor> {
        let t = candle_core::Var::zeros((rows, cols), DType::F64, &Device::Cpu)?;
        normal(1.0).apply(t.as_tensor(), &mut rng.for_path(path))?;
        Ok(t.as_tensor().clone())
    };
    let mut writes = Vec::new();
    for (a, b) in &pairs {
        let (r, inp) = vars[a].dims2()?;
        let out = vars[b].dims()[0];
        let x = standard(r, r, &format!("{a}#q"))?.to_vec2::<f64>()?;
        let q = faer::Mat::<f64>::from_fn(r, r, |i, j| x[i][j])
            .qr()
            .compute_thin_Q();
        let rows = |parity: usize| -> crate::Result<Tensor> {
            let data: Vec<f64> = (0..r / 2)
                .flat_map(|m| (0..r).map(move |k| (m, k)))
                .map(|(m, k)| q[(2 * m + parity, k)])
                .collect();
            Ok(Tensor::from_vec(data, (r / 2, r), &Device::Cpu)?)
        };
        let (q_odd, q_even) = (rows(0)?, rows(1)?);
        let g1 = standard(inp, r / 2, a)?;
        let g2 = standard(r / 2, out, b)?;
        let a_value = (g1.matmul(&q_odd)?.t()?.contiguous()? / 10.0)?;
        let b_value = (g2.t()?.matmul(&q_even)? / 10.0)?;
        writes.push((a.clone(), a_value));
        writes.push((b.clone(), b_value));
    }
    for (path, t) in &writes {
        let var = &vars[path];
        var.set(&t.to_dtype(var.dtype())?.to_device(var.device())?)?;
    }
    Ok(pairs.into_iter().map(|(a, _)| a).collect())
}

#[cfg(test)]
mod tests {
    use super::randomized_svd;

    /// A rank-`rank` matrix rows x cols with singular values 3 (2/3)^k: 3, 2, 4/3, ... (U and
    /// V from the QR of fixed, deterministic matrices).
    fn low_rank(rows: usize, cols: usize, rank: usize) -> faer::Mat<f64> {
        let fill = |n: usize, salt: usize| {
            faer::Mat::<f64>::from_fn(n, rank, |i, j| {
                (((i * 31 + j * 17 + salt) * 7919) % 101) as f64 / 50.0 - 1.0
            })
            .qr()
            .compute_thin_Q()
        };
        let (u, v) = (fill(rows, 1), fill(cols, 2));
        let s = faer::Mat::<f64>::from_fn(rank, rank, |i, j| {
            if i == j {
                3.0 * (2.0f64 / 3.0).powi(i as i32)
            } else {
                0.0
            }
        });
        &u * &s * v.transpose()
    }

    /// On a matrix of rank r the range finder is exact at once (niter 0), tall or wide: the
    /// triplets rebuild it and the singular values are its own.
    #[test]
    fn randomized_svd_is_exact_at_rank_r() {
        for (rows, cols) in [(16, 24), (24, 16)] {
            let m = low_rank(rows, cols, 3);
            let mut rng = init_core::Generator::new(1);
            let (u, s, v) = randomized_svd(m.as_ref(), 3, 0, &mut rng).unwrap();
            assert_eq!(
                (u.nrows(), u.ncols(), v.nrows(), v.ncols()),
                (rows, 3, cols, 3)
            );
            for (k, want) in [3.0, 2.0, 4.0 / 3.0].into_iter().enumerate() {
                assert!(
                    (s[k] - want).abs() < 1e-10,
                    "{rows} x {cols}: s[{k}] = {}",
                    s[k]
                );
            }
            let sd = faer::Mat::<f64>::from_fn(3, 3, |i, j| if i == j { s[i] } else { 0.0 });
            let back = &u * &sd * v.transpose();
            let err = (0..rows)
                .flat_map(|i| (0..cols).map(move |j| (i, j)))
                .map(|(i, j)| (back[(i, j)] - m[(i, j)]).abs())
                .fold(0.0, f64::max);
            assert!(err < 1e-10, "{rows} x {cols}: rebuilt {err} off");
            let utu = u.transpose() * &u;
            for i in 0..3 {
                for j in 0..3 {
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((utu[(i, j)] - want).abs() < 1e-10);
                }
            }
        }
    }

    /// With subspace iterations the top-r singular values of a full-rank matrix converge to the
    /// exact ones (each singular value 2/3 of the one before: (2/3)^(2 * 40 + 1) is below
    /// 1e-14).
    #[test]
    fn randomized_svd_converges_with_iterations() {
        let m = low_rank(20, 12, 6);
        let exact = m.thin_svd().unwrap();
        let mut rng = init_core::Generator::new(7);
        let (_, s, _) = randomized_svd(m.as_ref(), 2, 40, &mut rng).unwrap();
        for (k, got) in s.iter().enumerate() {
            let want = exact.S().column_vector()[k];
            assert!((got - want).abs() < 1e-10, "s[{k}] = {got}, exact {want}");
        }
    }
}
