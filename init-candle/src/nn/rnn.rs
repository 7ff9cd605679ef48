//! Recurrent layers with reachable parameters: [`Lstm`] and [`Gru`], PyTorch's layout
//! (`num_layers`, `bidirectional`, parameters `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
//! `bias_hh_l{k}`, `_reverse` for the backward direction).
//!
//! candle-nn's `LSTM`/`GRU` keep their tensors private (and `GRU` only knows layer 0's names).
//! These wrappers get every tensor from the `VarBuilder` themselves, under PyTorch's names, and
//! build one candle cell per layer and direction from a `VarBuilder::from_tensors` holding those
//! very tensors (same dtype and device, so the same storage: no copy). The forward pass therefore
//! reads what initialization writes.
//!
//! PyTorch's default: every parameter `U(-1/sqrt(hidden), 1/sqrt(hidden))` (candle's own default
//! is Kaiming-uniform weights and zero biases); it is also the hint given to the `VarBuilder`.
//!
//! ```
//! # use candle_core::{DType, Device, Tensor};
//! # use candle_nn::{VarBuilder, VarMap};
//! use init_candle::nn::{lstm, RnnConfig};
//! use init_candle::InitWeightsExt;
//! # let varmap = VarMap::new();
//! # let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
//! let rnn = lstm(10, 20, RnnConfig { num_layers: 2, bidirectional: true, bias: true }, vb.pp("rnn"))?;
//! assert_eq!(rnn.named_parameters().len(), 16);
//! rnn.init_weights(0)?;
//! rnn.check_varmap_prefixed(&varmap, "rnn")?;
//! let ys = rnn.forward(&Tensor::zeros((3, 5, 10), DType::F32, &Device::Cpu)?)?;
//! assert_eq!(ys.dims(), &[3, 5, 40]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;

use candle_core::{Device, Tensor};
use candle_nn::{VarBuilder, RNN};

use crate::defaults::uniform_bound;
use crate::error::{Error, Result};
use crate::module::{InitWeights, Parameter};
use crate::varmap::check_tensors;

/// Shape of a recurrent stack, as PyTorch's constructor arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RnnConfig {
    /// Stacked layers (PyTorch `num_layers`), at least 1.
    pub num_layers: usize,
    /// A backward direction too (`_reverse` parameters), outputs concatenated.
    pub bidirectional: bool,
    /// `bias_ih` / `bias_hh` parameters.
    pub bias: bool,
}

impl Default for RnnConfig {
    fn default() -> Self {
        Self {
            num_layers: 1,
            bidirectional: false,
            bias: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Lstm,
    Gru,
}

impl Kind {
    fn gates(self) -> usize {
        match self {
            Kind::Lstm => 4,
            Kind::Gru => 3,
        }
    }

    fn class_name(self) -> &'static str {
        match self {
            Kind::Lstm => "LSTM",
            Kind::Gru => "GRU",
        }
    }
}

#[derive(Clone, Debug)]
enum Cell {
    Lstm(candle_nn::LSTM),
    Gru(candle_nn::GRU),
}

#[derive(Clone, Debug)]
struct Stack {
    input_size: usize,
    hidden_size: usize,
    config: RnnConfig,
    params: Vec<(String, Tensor)>,
    cells: Vec<Cell>,
}

impl Stack {
    fn new(
        kind: Kind,
        input_size: usize,
        hidden_size: usize,
        config: RnnConfig,
        vb: VarBuilder,
    ) -> Result<Self> {
        if config.num_layers == 0 {
            return Err(Error::invalid_layer(
                kind.class_name(),
                "num_layers must be at least 1, got 0",
            ));
        }
        if hidden_size == 0 {
            return Err(Error::invalid_layer(
                kind.class_name(),
                "hidden_size must be at least 1, got 0",
            ));
        }
        let bound = 1.0 / (hidden_size as f64).sqrt();
        let hint = candle_nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let gates = kind.gates() * hidden_size;
        let dirs = if config.bidirectional { 2 } else { 1 };
        let mut params = Vec::new();
        let mut cells = Vec::new();
        for layer in 0..config.num_layers {
            let layer_in = if layer == 0 {
                input_size
            } else {
                hidden_size * dirs
            };
            for dir in 0..dirs {
                let sfx = if dir == 1 { "_reverse" } else { "" };
                let w_ih = vb.get_with_hints(
                    (gates, layer_in),
                    &format!("weight_ih_l{layer}{sfx}"),
                    hint,
                )?;
                let w_hh = vb.get_with_hints(
                    (gates, hidden_size),
                    &format!("weight_hh_l{layer}{sfx}"),
                    hint,
                )?;
                let mut map = HashMap::new();
                map.insert("weight_ih_l0".to_owned(), w_ih.clone());
                map.insert("weight_hh_l0".to_owned(), w_hh.clone());
                params.push((format!("weight_ih_l{layer}{sfx}"), w_ih));
                params.push((format!("weight_hh_l{layer}{sfx}"), w_hh));
                if config.bias {
                    let b_ih = vb.get_with_hints(gates, &format!("bias_ih_l{layer}{sfx}"), hint)?;
                    let b_hh = vb.get_with_hints(gates, &format!("bias_hh_l{layer}{sfx}"), hint)?;
                    map.insert("bias_ih_l0".to_owned(), b_ih.clone());
                    map.insert("bias_hh_l0".to_owned(), b_hh.clone());
                    params.push((format!("bias_ih_l{layer}{sfx}"), b_ih));
                    params.push((format!("bias_hh_l{layer}{sfx}"), b_hh));
                }
                // The same tensors, same dtype and device: candle's cell shares their storage.
                let cell_vb = VarBuilder::from_tensors(map, vb.dtype(), vb.device());
                let bias_init = config.bias.then_some(candle_nn::Init::Const(0.));
                let cell = match kind {
                    Kind::Lstm => Cell::Lstm(candle_nn::LSTM::new(
                        layer_in,
                        hidden_size,
                        candle_nn::LSTMConfig {
                            w_ih_init: hint,
                            w_hh_init: hint,
                            b_ih_init: bias_init,
                            b_hh_init: bias_init,
                            layer_idx: 0,
                            direction: candle_nn::rnn::Direction::Forward,
                        },
                        cell_vb,
                    )?),
                    Kind::Gru => Cell::Gru(candle_nn::GRU::new(
                        layer_in,
                        hidden_size,
                        candle_nn::GRUConfig {
                            w_ih_init: hint,
                            w_hh_init: hint,
                            b_ih_init: bias_init,
                            b_hh_init: bias_init,
                        },
                        cell_vb,
                    )?),
                };
                cells.push(cell);
            }
        }
        Ok(Self {
            input_size,
            hidden_size,
            config,
            params,
            cells,
        })
    }

    fn run_cell(cell: &Cell, xs: &Tensor) -> candle_core::Result<Tensor> {
        match cell {
            Cell::Lstm(c) => {
                let states = c.seq(xs)?;
                c.states_to_tensor(&states)
            }
            Cell::Gru(c) => {
                let states = c.seq(xs)?;
                c.states_to_tensor(&states)
            }
        }
    }

    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let (_, seq_len, _) = xs.dims3()?;
        let dirs = if self.config.bidirectional { 2 } else { 1 };
        let reverse = reverse_index(seq_len, xs.device())?;
        let mut input = xs.clone();
        for layer in 0..self.config.num_layers {
            let mut outs = Vec::with_capacity(dirs);
            for dir in 0..dirs {
                let cell = &self.cells[layer * dirs + dir];
                let out = if dir == 0 {
                    Self::run_cell(cell, &input)?
                } else {
                    let rev = input.index_select(&reverse, 1)?;
                    Self::run_cell(cell, &rev)?.index_select(&reverse, 1)?
                };
                outs.push(out);
            }
            input = if outs.len() == 1 {
                outs.remove(0)
            } else {
                Tensor::cat(&outs, 2)?
            };
        }
        Ok(input)
    }

    fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
        let init = uniform_bound(1.0 / (self.hidden_size as f64).sqrt());
        for (name, t) in &self.params {
            visit(Parameter::new(name, t, init.clone()));
        }
    }

    fn extra_repr(&self) -> String {
        let mut s = format!("{}, {}", self.input_size, self.hidden_size);
        if self.config.num_layers != 1 {
            s.push_str(&format!(", num_layers={}", self.config.num_layers));
        }
        if !self.config.bias {
            s.push_str(", bias=False");
        }
        s.push_str(", batch_first=True");
        if self.config.bidirectional {
            s.push_str(", bidirectional=True");
        }
        s
    }
}

fn reverse_index(len: usize, device: &Device) -> candle_core::Result<Tensor> {
    let idx: Vec<u32> = (0..len as u32).rev().collect();
    Tensor::new(idx.as_slice(), device)
}

macro_rules! rnn_type {
    ($(#[$doc:meta])* $ty:ident, $ctor:ident, $kind:expr, $class:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $ty(Stack);

        #[doc = concat!("Builds a [`", stringify!($ty), "`] whose parameters live under `vb`'s prefix.")]
        pub fn $ctor(input_size: usize, hidden_size: usize, config: RnnConfig, vb: VarBuilder) -> Result<$ty> {
            Stack::new($kind, input_size, hidden_size, config, vb).map($ty)
        }

        impl $ty {
            /// Runs the whole stack on `xs` of shape `(batch, seq_len, input_size)` from zero
            /// states; returns `(batch, seq_len, hidden_size * directions)`.
            pub fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
                self.0.forward(xs)
            }
            /// The configuration.
            pub fn config(&self) -> RnnConfig {
                self.0.config
            }
            /// Hidden size.
            pub fn hidden_size(&self) -> usize {
                self.0.hidden_size
            }
            /// Checks that every parameter is the `VarMap` variable at `prefix.name` (see
            /// [`InitWeightsExt::check_varmap`](crate::InitWeightsExt::check_varmap) for whole
            /// models).
            pub fn check_varmap_prefixed(&self, varmap: &candle_nn::VarMap, prefix: &str) -> Result<()> {
                check_tensors(varmap, self.0.params.iter().map(|(n, t)| (n.as_str(), t)), prefix)
            }
        }

        impl candle_core::Module for $ty {
            fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
                self.0.forward(xs)
            }
        }

        impl InitWeights for $ty {
            fn class_name(&self) -> &'static str {
                $class
            }
            fn visit_parameters<'m>(&'m self, visit: &mut dyn FnMut(Parameter<'m>)) {
                self.0.visit_parameters(visit)
            }
            fn extra_repr(&self) -> String {
                self.0.extra_repr()
            }
        }
    };
}

rnn_type!(
    /// A (multi-layer, optionally bidirectional) LSTM, batch first, with reachable parameters.
    Lstm, lstm, Kind::Lstm, "LSTM"
);
rnn_type!(
    /// A (multi-layer, optionally bidirectional) GRU, batch first, with reachable parameters.
    Gru, gru, Kind::Gru, "GRU"
);
