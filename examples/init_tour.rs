//! The `torch.nn.init` tour: every example call of PyTorch's `torch.nn.init` documentation, in
//! its order and with its arguments, each tensor printed as `print(w)` prints it in PyTorch.
//! One generator serves every call in turn, as PyTorch's global one does.
//!
//! Run: `cargo run --release --example init_tour`

use std::error::Error;

use candle_core::{DType, Device, Tensor};
use init_candle::init;
use init_candle::{tensor_repr, FanMode, Generator, Nonlinearity};

fn show(call: &str, w: &Tensor) -> Result<(), Box<dyn Error>> {
    println!(">>> {call}\n>>> print(w)\n{}\n", tensor_repr(w)?);
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dev = Device::Cpu;
    let mut rng = Generator::new(0);
    // torch.empty: Candle has no uninitialized tensors, zeros stand in for them.
    let empty = |shape: &[usize]| Tensor::zeros(shape, DType::F32, &dev);

    let gain = init_candle::calculate_gain(Nonlinearity::LeakyRelu {
        negative_slope: 0.2,
    })?;
    println!(">>> gain = nn.init.calculate_gain(\"leaky_relu\", 0.2)\n>>> print(gain)\n{gain}\n");

    let w = empty(&[3, 5])?;
    init::uniform(&w, 0.0, 1.0, &mut rng)?;
    show("w = torch.empty(3, 5)\n>>> nn.init.uniform_(w)", &w)?;
    init::normal(&w, 0.0, 1.0, &mut rng)?;
    show("nn.init.normal_(w)", &w)?;
    init::trunc_normal(&w, 0.0, 1.0, -2.0, 2.0, &mut rng)?;
    show("nn.init.trunc_normal_(w)", &w)?;
    init::constant(&w, 0.3)?;
    show("nn.init.constant_(w, 0.3)", &w)?;
    init::ones(&w)?;
    show("nn.init.ones_(w)", &w)?;
    init::zeros(&w)?;
    show("nn.init.zeros_(w)", &w)?;
    init::eye(&w)?;
    show("nn.init.eye_(w)", &w)?;

    let w = empty(&[3, 16, 5, 5])?;
    init::dirac(&w, 1)?;
    show("w = torch.empty(3, 16, 5, 5)\n>>> nn.init.dirac_(w)", &w)?;
    let w = empty(&[3, 24, 5, 5])?;
    init::dirac(&w, 3)?;
    show("w = torch.empty(3, 24, 5, 5)\n>>> nn.init.dirac_(w, 3)", &w)?;

    let w = empty(&[3, 5])?;
    let relu_gain = init_candle::calculate_gain(Nonlinearity::Relu)?;
    init::xavier_uniform(&w, relu_gain, &mut rng)?;
    show(
        "w = torch.empty(3, 5)\n>>> nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain(\"relu\"))",
        &w,
    )?;
    init::xavier_normal(&w, 1.0, &mut rng)?;
    show("nn.init.xavier_normal_(w)", &w)?;
    init::kaiming_uniform(&w, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng)?;
    show(
        "nn.init.kaiming_uniform_(w, mode=\"fan_in\", nonlinearity=\"relu\")",
        &w,
    )?;
    init::kaiming_normal(&w, 0.0, FanMode::FanOut, Nonlinearity::Relu, &mut rng)?;
    show(
        "nn.init.kaiming_normal_(w, mode=\"fan_out\", nonlinearity=\"relu\")",
        &w,
    )?;
    init::orthogonal(&w, 1.0, &mut rng)?;
    show("nn.init.orthogonal_(w)", &w)?;
    // sparse_'s default std is 0.01.
    init::sparse(&w, 0.1, 0.01, &mut rng)?;
    show("nn.init.sparse_(w, sparsity=0.1)", &w)?;
    Ok(())
}
