//! The two tours of `torch.nn.init` in the source documents, as lists of steps (the code and
//! what it shows), shared by the examples that print them and `tests/tutorials.rs` (which
//! compares the fixed values with PyTorch's print and the random ones by distribution):
//! [`post_tour`], the calls of document 001 on `w = torch.empty(3, 5)` (in `examples/c3d.rs`),
//! and [`notebook_tour`], the cells of document 003 on `X = torch.empty(2, 3)`
//! (`examples/init_tour.rs`). One generator serves every call in turn, as PyTorch's global one
//! does. `torch.empty` is `Tensor::zeros`: Candle has no uninitialized tensors.

use candle_core::{DType, Device, Tensor};
use init_candle::init;
use init_candle::{calculate_gain, tensor_repr, FanMode, Generator, Nonlinearity};

/// What a step shows: a gain (a Python float) or a tensor.
pub enum Shown {
    Gain(f64),
    Tensor(Tensor),
}

/// One call of a tour: its Python code, as the document writes it, and what it shows.
pub struct Step {
    pub code: &'static str,
    pub shown: Shown,
}

impl Step {
    fn tensor(code: &'static str, t: &Tensor) -> init_candle::Result<Self> {
        // A copy: later steps write into the same tensor, as the notebook's do.
        Ok(Self {
            code,
            shown: Shown::Tensor(t.copy()?),
        })
    }

    /// The text Python shows for it (`repr`).
    pub fn text(&self) -> init_candle::Result<String> {
        match &self.shown {
            // Python's repr of a float: the shortest round trip, with `.0` when integral.
            Shown::Gain(g) if g.fract() == 0.0 => Ok(format!("{g:.1}")),
            Shown::Gain(g) => Ok(g.to_string()),
            Shown::Tensor(t) => tensor_repr(t),
        }
    }
}

fn empty(shape: &[usize]) -> candle_core::Result<Tensor> {
    Tensor::zeros(shape, DType::F32, &Device::Cpu)
}

/// Document 001's calls, in its order, each on a new `w = torch.empty(3, 5)` (the document
/// writes `torch.empty(3, 5)` without `w =` before `constant_`; the new tensor is evidently
/// meant, and the values are the same either way).
pub fn post_tour(rng: &mut Generator) -> init_candle::Result<Vec<Step>> {
    let mut steps = Vec::new();
    let gain = calculate_gain(Nonlinearity::LEAKY_RELU)?;
    steps.push(Step {
        code: "1: gain = nn.init.calculate_gain('leaky_relu')",
        shown: Shown::Gain(gain),
    });
    let w = empty(&[3, 5])?;
    init::uniform(&w, 0.0, 1.0, rng)?;
    steps.push(Step::tensor(
        "2: w = torch.empty(3, 5); nn.init.uniform_(w)",
        &w,
    )?);
    let w = empty(&[3, 5])?;
    init::normal(&w, 0.0, 1.0, rng)?;
    steps.push(Step::tensor(
        "3: w = torch.empty(3, 5); nn.init.normal_(w)",
        &w,
    )?);
    let w = empty(&[3, 5])?;
    init::constant(&w, 0.3)?;
    steps.push(Step::tensor(
        "4: w = torch.empty(3, 5); nn.init.constant_(w, 0.3)",
        &w,
    )?);
    let w = empty(&[3, 5])?;
    init::eye(&w)?;
    steps.push(Step::tensor(
        "5: w = torch.empty(3, 5); nn.init.eye_(w)",
        &w,
    )?);
    let w = empty(&[3, 16, 5, 5])?;
    init::dirac(&w, 1)?;
    steps.push(Step::tensor(
        "6: w = torch.empty(3, 16, 5, 5); nn.init.dirac_(w)",
        &w,
    )?);
    let w = empty(&[3, 5])?;
    init::xavier_uniform(&w, calculate_gain(Nonlinearity::Relu)?, rng)?;
    steps.push(Step::tensor(
        "7: w = torch.empty(3, 5); nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('relu'))",
        &w,
    )?);
    let w = empty(&[3, 5])?;
    init::xavier_normal(&w, 1.0, rng)?;
    steps.push(Step::tensor(
        "8: w = torch.empty(3, 5); nn.init.xavier_normal_(w)",
        &w,
    )?);
    let w = empty(&[3, 5])?;
    init::kaiming_uniform(&w, 0.0, FanMode::FanIn, Nonlinearity::Relu, rng)?;
    steps.push(Step::tensor(
        "9: w = torch.empty(3, 5); nn.init.kaiming_uniform_(w, mode='fan_in', nonlinearity='relu')",
        &w,
    )?);
    let w = empty(&[3, 5])?;
    init::kaiming_normal(&w, 0.0, FanMode::FanOut, Nonlinearity::Relu, rng)?;
    steps.push(Step::tensor(
        "10: w = torch.empty(3, 5); nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')",
        &w,
    )?);
    let w = empty(&[3, 5])?;
    init::orthogonal(&w, 1.0, rng)?;
    steps.push(Step::tensor(
        "11: w = torch.empty(3, 5); nn.init.orthogonal_(w)",
        &w,
    )?);
    let w = empty(&[3, 5])?;
    // sparse_'s default std is 0.01.
    init::sparse(&w, 0.1, 0.01, rng)?;
    steps.push(Step::tensor(
        "12: w = torch.empty(3, 5); nn.init.sparse_(w, sparsity=0.1)",
        &w,
    )?);
    Ok(steps)
}

/// Document 003's cells, in its order, numbered as the notebook numbers them (`In [10]` is not
/// in the document). Most write into the same `X`, as the notebook does.
pub fn notebook_tour(rng: &mut Generator) -> init_candle::Result<Vec<Step>> {
    let mut steps = Vec::new();
    let gain = calculate_gain(Nonlinearity::Relu)?;
    steps.push(Step {
        code: "In [3]: gain=nn.init.calculate_gain('relu')",
        shown: Shown::Gain(gain),
    });
    let x = empty(&[2, 3])?;
    init::uniform(&x, 0.0, 1.0, rng)?;
    steps.push(Step::tensor(
        "In [4]: X=torch.empty(2,3); nn.init.uniform_(X)",
        &x,
    )?);
    init::normal(&x, 0.0, 1.0, rng)?;
    steps.push(Step::tensor("In [5]: nn.init.normal_(X)", &x)?);
    init::constant(&x, 2.0)?;
    steps.push(Step::tensor("In [6]: nn.init.constant_(X,2)", &x)?);
    init::eye(&x)?;
    steps.push(Step::tensor("In [7]: nn.init.eye_(X)", &x)?);
    // reshape of a contiguous tensor is a view of the same storage, as in PyTorch.
    let x = x.reshape((3, 2))?;
    init::eye(&x)?;
    steps.push(Step::tensor(
        "In [8]: X=X.reshape(3,2); nn.init.eye_(X)",
        &x,
    )?);
    let x = empty(&[2, 3, 4])?;
    init::dirac(&x, 1)?;
    steps.push(Step::tensor(
        "In [9]: X=torch.empty(2,3,4); nn.init.dirac_(X)",
        &x,
    )?);
    let x = empty(&[2, 3])?;
    init::xavier_uniform(&x, calculate_gain(Nonlinearity::Relu)?, rng)?;
    steps.push(Step::tensor(
        "In [11]: X=torch.empty(2,3); nn.init.xavier_uniform_(X,gain=nn.init.calculate_gain('relu'))",
        &x,
    )?);
    init::xavier_normal(&x, calculate_gain(Nonlinearity::Sigmoid)?, rng)?;
    steps.push(Step::tensor(
        "In [12]: nn.init.xavier_normal_(X,gain=nn.init.calculate_gain('sigmoid'))",
        &x,
    )?);
    // kaiming_*'s defaults: a=0, mode='fan_in', nonlinearity='leaky_relu'.
    let leaky = Nonlinearity::LEAKY_RELU;
    init::kaiming_uniform(&x, 0.0, FanMode::FanIn, leaky, rng)?;
    steps.push(Step::tensor("In [13]: nn.init.kaiming_uniform_(X)", &x)?);
    init::kaiming_normal(&x, 0.0, FanMode::FanIn, leaky, rng)?;
    steps.push(Step::tensor("In [14]: nn.init.kaiming_normal_(X)", &x)?);
    init::orthogonal(&x, 1.0, rng)?;
    steps.push(Step::tensor("In [15]: nn.init.orthogonal_(X)", &x)?);
    init::sparse(&x, 0.5, 0.01, rng)?;
    steps.push(Step::tensor(
        "In [16]: nn.init.sparse_(X,sparsity=0.5)",
        &x,
    )?);
    Ok(steps)
}

/// Prints each step as the notebook shows a cell: the code, then its value.
pub fn print(steps: &[Step]) -> init_candle::Result<()> {
    for step in steps {
        println!(">>> {}\n{}\n", step.code, step.text()?);
    }
    Ok(())
}
