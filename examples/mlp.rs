//! A `Sequential` MLP initialized the two ways of the tutorial (`examples/tutorials/mlp.rs` has
//! the models and the Python they follow): method 1, the model loops over its own `modules()` in
//! its constructor; method 2, `net.apply(init_weights)` on an `nn.Sequential`.
//!
//! Run: `cargo run --release --example mlp`

#[path = "tutorials/mlp.rs"]
mod tutorial;

use std::error::Error;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use init_candle::nn::Sequential;
use init_candle::{Generator, InitWeights, InitWeightsExt};
use tutorial::{init_weights, MLP};

fn summary(model: &dyn InitWeights) -> Result<(), Box<dyn Error>> {
    for (name, t) in model.named_parameters() {
        let v = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        let expected = if name.ends_with("weight") {
            let (fi, fo) = init_candle::calculate_fan_in_and_fan_out(t.dims())?;
            format!("xavier_normal_: std {:.5}", (2.0 / (fi + fo) as f64).sqrt())
        } else {
            "fill_(0)".into()
        };
        println!(
            "  {name:<16} {:>12} mean {mean:+.5} std {std:.5}  ({expected})",
            format!("{:?}", t.dims())
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let device = Device::Cpu;
    let seed = 7;

    // Method 1: model = MLP() (the constructor initializes; the generator is explicit).
    let varmap1 = VarMap::new();
    let model = MLP::new(
        VarBuilder::from_varmap(&varmap1, DType::F32, &device),
        &Generator::new(seed),
    )?;
    println!("{}", model.module_repr());
    summary(&model)?;

    // Method 2: net = nn.Sequential(...); net.apply(init_weights)
    let varmap2 = VarMap::new();
    let net: Sequential =
        tutorial::sequential(&VarBuilder::from_varmap(&varmap2, DType::F32, &device))?;
    // init_with is apply planned: init_weights runs on every module (children first, as
    // PyTorch's apply), every write is checked before the first one happens.
    let report = net.init_with(seed, &mut init_weights)?;
    println!("\n{net}");
    println!("net.apply(init_weights): {} tensors", report.parameters);
    summary(&net)?;

    let x = Tensor::randn(0f32, 1.0, (8, 784), &device)?;
    let (y1, y2) = (model.forward(&x)?, net.forward(&x)?);
    println!(
        "\nforward {:?}: method 1 -> {:?}, method 2 -> {:?}",
        x.dims(),
        y1.dims(),
        y2.dims()
    );
    Ok(())
}
