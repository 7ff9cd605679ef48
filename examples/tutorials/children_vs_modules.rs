//! Document 004 (`../shared/seeds/004_e80546a90292aa0a.txt`): a `Sequential`'s parameters read
//! (`net1[0].weight`) and replaced by NumPy values (`.weight.data = torch.from_numpy(...)`, which
//! makes the parameter float64), every `Linear` found by `for layer in net1`, then `sim_net`'s
//! `children()` against its `modules()`. Shared by `examples/children_vs_modules.rs` and
//! `tests/tutorials.rs` (which compares the prints and dtypes with PyTorch's and the values by
//! distribution).
//!
//! ```python
//! net1 = nn.Sequential(
//!     nn.Linear(30, 40),
//!     nn.ReLU(),
//!     nn.Linear(40, 50),
//!     nn.ReLU(),
//!     nn.Linear(50, 10)
//! )
//! w1 = net1[0].weight
//! b1 = net1[0].bias
//! print(w1)
//! net1[0].weight.data = torch.from_numpy(np.random.uniform(3, 5, size=(40, 30)))
//! print(net1[0].weight)
//! for layer in net1:
//!     if isinstance(layer, nn.Linear):
//!         param_shape = layer.weight.shape
//!         layer.weight.data = torch.from_numpy(np.random.normal(0, 0.5, size=param_shape))
//!
//! class sim_net(nn.Module):
//!     def __init__(self):
//!         super(sim_net, self).__init__()
//!         self.l1 = nn.Sequential(nn.Linear(30, 40), nn.ReLU())
//!         self.l1[0].weight.data = torch.randn(40, 30)
//!         self.l2 = nn.Sequential(nn.Linear(40, 50), nn.ReLU())
//!         self.l3 = nn.Sequential(nn.Linear(50, 10), nn.ReLU())
//!
//!     def forward(self, x):
//!         x = self.l1(x)
//!         x =self.l2(x)
//!         x = self.l3(x)
//!         return x
//!
//! net2 = sim_net()
//! for i in net2.children():
//!     print(i)
//! for i in net2.modules():
//!     print(i)
//! for layer in net2.modules():
//!     if isinstance(layer, nn.Linear):
//!         param_shape = layer.weight.shape
//!         layer.weight.data = torch.from_numpy(np.random.normal(0, 0.5, size=param_shape))
//!
//! from torch.nn import init
//! print(net1[0].weight)
//! init.xavier_uniform_(net1[0].weight)
//! ```

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{Linear, VarBuilder, VarMap};
use init_candle::nn::{ReLU, Sequential};
use init_candle::{init, Generator, Init, InitWeights, InitWeightsExt};

/// `net1`; layer `i` under `vb.pp(i)`, as PyTorch names it.
pub fn net1(vb: &VarBuilder) -> init_candle::Result<Sequential> {
    Ok(Sequential::new()
        .add(candle_nn::linear(30, 40, vb.pp(0))?)
        .add(ReLU)
        .add(candle_nn::linear(40, 50, vb.pp(2))?)
        .add(ReLU)
        .add(candle_nn::linear(50, 10, vb.pp(4))?))
}

/// `np.random.uniform(..)` / `np.random.normal(..)` with `size=shape`: float64, as NumPy's,
/// drawn as `init` draws. Rust has no global generator: the values come from `rng`.
pub fn numpy_random(
    init: Init,
    shape: &[usize],
    rng: &mut Generator,
) -> init_candle::Result<Tensor> {
    let t = Tensor::zeros(shape, DType::F64, &Device::Cpu)?;
    init.apply(&t, rng)?;
    Ok(t)
}

/// `np.random.normal(0, 0.5, size=shape)`, the values both loops of the document assign.
fn normal_05(shape: &[usize], rng: &mut Generator) -> init_candle::Result<Tensor> {
    numpy_random(
        Init::Normal {
            mean: 0.0,
            std: 0.5,
        },
        shape,
        rng,
    )
}

/// `seq[i].weight.data = values`: PyTorch swaps the parameter's tensor for `values`, whatever
/// its dtype. Here the `Linear` at `i` is replaced by one whose weight is a new variable holding
/// `values` (its bias kept), and `varmap` holds that variable under `name`, so a checkpoint
/// saved from it has the new dtype too.
pub fn set_linear_weight(
    seq: &mut Sequential,
    i: usize,
    values: &Tensor,
    varmap: &VarMap,
    name: &str,
) -> init_candle::Result<()> {
    let bias = seq.get::<Linear>(i)?.bias().cloned();
    let weight = Var::from_tensor(values)?;
    seq.set(i, Linear::new(weight.as_tensor().clone(), bias))?;
    varmap
        .data()
        .lock()
        .map_err(|_| candle_core::Error::Msg("the VarMap's lock is poisoned".into()))?
        .insert(name.to_owned(), weight);
    Ok(())
}

/// `for layer in net1: if isinstance(layer, nn.Linear): layer.weight.data = N(0, 0.5) values`.
/// Rust lends the layers of a loop immutably: the loop finds each Linear, then sets it.
pub fn for_layer_in_net1(
    net1: &mut Sequential,
    varmap: &VarMap,
    rng: &mut Generator,
) -> init_candle::Result<()> {
    for i in 0..net1.len() {
        let Some(layer) = net1[i].downcast_ref::<Linear>() else {
            continue;
        };
        let param_shape = layer.weight().dims().to_vec();
        let values = normal_05(&param_shape, rng)?;
        set_linear_weight(net1, i, &values, varmap, &format!("{i}.weight"))?;
    }
    Ok(())
}

/// The tutorial's class name, printed as `sim_net(...)`.
#[allow(non_camel_case_types)]
#[derive(InitWeights)]
pub struct sim_net {
    pub l1: Sequential,
    pub l2: Sequential,
    pub l3: Sequential,
}

fn block(i: usize, o: usize, vb: VarBuilder) -> init_candle::Result<Sequential> {
    Ok(Sequential::new()
        .add(candle_nn::linear(i, o, vb.pp(0))?)
        .add(ReLU))
}

impl sim_net {
    /// `sim_net()`, including `self.l1[0].weight.data = torch.randn(40, 30)`: float32 like the
    /// parameter, so the values are written into it in place (`set_parameter`).
    pub fn new(vb: VarBuilder, rng: &mut Generator) -> init_candle::Result<Self> {
        let net = Self {
            l1: block(30, 40, vb.pp("l1"))?,
            l2: block(40, 50, vb.pp("l2"))?,
            l3: block(50, 10, vb.pp("l3"))?,
        };
        let randn = Tensor::zeros((40, 30), DType::F32, &Device::Cpu)?;
        init::normal(&randn, 0.0, 1.0, rng)?;
        net.set_parameter("l1.0.weight", &randn)?;
        Ok(net)
    }

    #[allow(dead_code)] // the document defines it and never calls it
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.l1.forward(x)?;
        let x = self.l2.forward(&x)?;
        self.l3.forward(&x)
    }

    /// `for layer in net2.modules(): if isinstance(layer, nn.Linear): layer.weight.data =
    /// N(0, 0.5) values`. `modules()` lends the modules immutably: the loop collects the paths
    /// of the Linear layers (`l1.0`), then sets each in its `Sequential`.
    pub fn for_layer_in_modules(
        &mut self,
        varmap: &VarMap,
        rng: &mut Generator,
    ) -> init_candle::Result<()> {
        let linears: Vec<(String, Vec<usize>)> = self
            .named_modules()
            .into_iter()
            .filter_map(|(path, m)| {
                let layer = m.downcast_ref::<Linear>()?;
                Some((path, layer.weight().dims().to_vec()))
            })
            .collect();
        for (path, param_shape) in linears {
            let values = normal_05(&param_shape, rng)?;
            let (seq, i) = self.parent_of(&path)?;
            set_linear_weight(seq, i, &values, varmap, &format!("{path}.weight"))?;
        }
        Ok(())
    }

    /// The `Sequential` holding the module at `path` (`l2.0`) and its index there.
    fn parent_of(&mut self, path: &str) -> init_candle::Result<(&mut Sequential, usize)> {
        let missing = || candle_core::Error::Msg(format!("sim_net has no layer {path}"));
        let (field, index) = path.split_once('.').ok_or_else(missing)?;
        let index = index.parse().map_err(|_| missing())?;
        let seq = match field {
            "l1" => &mut self.l1,
            "l2" => &mut self.l2,
            "l3" => &mut self.l3,
            _ => return Err(missing().into()),
        };
        Ok((seq, index))
    }
}
