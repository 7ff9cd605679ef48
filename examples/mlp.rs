//! A `Sequential` MLP (Linear/ReLU stack) initialized with `apply`, as PyTorch's
//! `model.apply(init_weights)`: xavier_normal weights and zero biases for every `Linear`.
//!
//! Run: `cargo run --release --example mlp`

use std::error::Error;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, VarBuilder, VarMap};
use init_candle::nn::{ReLU, Sequential};
use init_candle::{Generator, InitWeightsExt};

fn main() -> Result<(), Box<dyn Error>> {
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let sizes = [784, 256, 128, 10];
    let mut mlp = Sequential::new();
    for (i, pair) in sizes.windows(2).enumerate() {
        mlp.push(candle_nn::linear(pair[0], pair[1], vb.pp(2 * i))?);
        if i + 2 < sizes.len() {
            mlp.push(ReLU);
        }
    }
    println!("{}\n", mlp.module_repr());

    // def init_weights(m):
    //     if isinstance(m, nn.Linear):
    //         torch.nn.init.xavier_normal_(m.weight); m.bias.data.fill_(0)
    let rng = Generator::new(7);
    let mut visited = Vec::new();
    mlp.apply_named(&mut |path, m| {
        visited.push(format!("{}({path})", m.class_name()));
        if let Some(fc) = m.downcast_ref::<Linear>() {
            init_candle::init::xavier_normal(
                fc.weight(),
                1.0,
                &mut rng.for_path(&format!("{path}.weight")),
            )?;
            if let Some(bias) = fc.bias() {
                init_candle::init::zeros(bias)?;
            }
        }
        Ok(())
    })?;
    println!("apply visits (post-order): {}\n", visited.join(" -> "));

    for (name, t) in mlp.named_parameters() {
        let v = t.flatten_all()?.to_vec1::<f32>()?;
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let std = (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        let expected = if name.ends_with("weight") {
            let (fi, fo) = init_candle::calculate_fan_in_and_fan_out(t.dims())?;
            format!("xavier std {:.5}", (2.0 / (fi + fo) as f64).sqrt())
        } else {
            "zeros".into()
        };
        println!(
            "{name:<10} {:>12} mean {mean:+.5} std {std:.5}  ({expected})",
            format!("{:?}", t.dims())
        );
    }

    let x = Tensor::randn(0f32, 1.0, (8, 784), &device)?;
    let y = mlp.forward(&x)?;
    println!(
        "\nforward {:?} -> {:?}; first row: {:?}",
        x.dims(),
        y.dims(),
        y.get(0)?.to_vec1::<f32>()?
    );
    Ok(())
}
