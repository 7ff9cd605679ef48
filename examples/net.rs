//! The LeNet-style `Net` of the PyTorch tutorials with its `initialize_weights`
//! (`examples/tutorials/net.rs` has the model and the Python it follows): `net = Net()`,
//! `print(net)`, the values each parameter got, then the same initialization declared with
//! `#[init(...)]` attributes (`init_weights`), which gives the same bytes, and a forward pass.
//!
//! Run: `cargo run --release --example net`

#[path = "tutorials/net.rs"]
mod tutorial;

use std::error::Error;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use init_candle::{Generator, InitWeightsExt};
use tutorial::Net;

fn stats(t: &Tensor) -> candle_core::Result<(f64, f64, f64)> {
    let v = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let max_abs = v.iter().fold(0f64, |m, x| m.max(x.abs()));
    Ok((mean, std, max_abs))
}

fn main() -> Result<(), Box<dyn Error>> {
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let seed = 42;
    // net = Net() (its __init__ calls self.initialize_weights(); the generator is explicit).
    let net = Net::new(
        VarBuilder::from_varmap(&varmap, DType::F32, &device),
        &Generator::new(seed),
    )?;
    // print(net)
    println!("{net}\n", net = net.module_repr());

    println!(
        "{:<12} {:>14} {:>10} {:>9} {:>9}   what initialize_weights wrote",
        "parameter", "shape", "mean", "std", "max |w|"
    );
    for (name, t) in net.named_parameters() {
        let (mean, std, max_abs) = stats(&t)?;
        let expected = if name.starts_with("conv") && name.ends_with("weight") {
            let (fan_in, _) = init_candle::calculate_fan_in_and_fan_out(t.dims())?;
            let bound = 6f64.sqrt() / (fan_in as f64).sqrt();
            format!("kaiming_uniform_: U(-{bound:.4}, {bound:.4})")
        } else if name.ends_with("weight") {
            "normal_(0, 0.01)".into()
        } else {
            "constant_(0)".into()
        };
        println!(
            "{name:<12} {:>14} {mean:>10.5} {std:>9.5} {max_abs:>9.5}   {expected}",
            format!("{:?}", t.dims())
        );
    }

    // Extra, not in the tutorial: the same initialization declared on the fields.
    let by_hand: Vec<Vec<f32>> = net
        .parameters()
        .iter()
        .map(|t| t.flatten_all()?.to_vec1::<f32>())
        .collect::<candle_core::Result<_>>()?;
    let report = net.init_weights(seed)?;
    let declared: Vec<Vec<f32>> = net
        .parameters()
        .iter()
        .map(|t| t.flatten_all()?.to_vec1::<f32>())
        .collect::<candle_core::Result<_>>()?;
    println!(
        "\nnet.init_weights({seed}) from the #[init] attributes ({} tensors): {}",
        report.parameters,
        if declared == by_hand {
            "identical to initialize_weights, bit for bit"
        } else {
            "DIFFERENT from initialize_weights"
        }
    );
    if declared != by_hand {
        return Err("the two initializations differ".into());
    }
    net.check_varmap(&varmap)?;

    let batch = Tensor::randn(0f32, 1.0, (4, 3, 32, 32), &device)?;
    let logits = net.forward(&batch)?;
    println!(
        "\nforward pass on a batch of {:?}: logits {:?}",
        batch.dims(),
        logits.dims()
    );
    Ok(())
}
