//! The tutorial's nested net (three `Sequential(Linear, ReLU)` blocks): `children()` and
//! `modules()` printed as PyTorch prints them, every `Linear` found through `modules()`
//! re-initialized, and one weight replaced by user-supplied values (shape checked).
//!
//! Run: `cargo run --release --example children_vs_modules`

use std::error::Error;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, VarBuilder, VarMap};
use init_candle::nn::{ReLU, Sequential};
use init_candle::{Generator, InitWeights, InitWeightsExt};

#[derive(InitWeights)]
struct Net {
    block1: Sequential,
    block2: Sequential,
    block3: Sequential,
}

fn block(i: usize, o: usize, vb: VarBuilder) -> candle_core::Result<Sequential> {
    Ok(Sequential::new()
        .add(candle_nn::linear(i, o, vb.pp(0))?)
        .add(ReLU))
}

fn main() -> Result<(), Box<dyn Error>> {
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let net = Net {
        block1: block(10, 20, vb.pp("block1"))?,
        block2: block(20, 20, vb.pp("block2"))?,
        block3: block(20, 4, vb.pp("block3"))?,
    };

    println!("for child in net.children(): print(child)");
    for child in net.children() {
        println!("{}", child.module_repr());
    }
    println!("\nfor module in net.modules(): print(module)");
    for module in net.modules() {
        println!("{}", module.module_repr());
    }
    println!("\nnamed_modules():");
    for (name, module) in net.named_modules() {
        println!(
            "  {:<10} {}",
            if name.is_empty() { "(root)" } else { &name },
            module.class_name()
        );
    }

    // for m in net.modules(): if isinstance(m, nn.Linear): normal_(m.weight, 0, 0.02); zeros_(m.bias)
    let rng = Generator::new(3);
    let mut count = 0;
    for (path, m) in net.named_modules() {
        if let Some(fc) = m.downcast_ref::<Linear>() {
            init_candle::init::normal(
                fc.weight(),
                0.0,
                0.02,
                &mut rng.for_path(&format!("{path}.weight")),
            )?;
            if let Some(b) = fc.bias() {
                init_candle::init::zeros(b)?;
            }
            count += 1;
        }
    }
    println!("\nre-initialized {count} Linear layers found through modules(): N(0, 0.02) weights, zero biases");

    // Replace block3's weight with values of our own: the shape is checked first.
    let wrong = Tensor::ones((4, 10), DType::F32, &device)?;
    match net.set_parameter("block3.0.weight", &wrong) {
        Ok(()) => return Err("a (4, 10) tensor was accepted for a (4, 20) weight".into()),
        Err(e) => println!("set_parameter with a (4, 10) tensor: error: {e}"),
    }
    let values: Vec<f32> = (0..4 * 20).map(|i| (i % 20) as f32 / 100.0).collect();
    let mine = Tensor::from_vec(values, (4, 20), &device)?;
    net.set_parameter("block3.0.weight", &mine)?;
    let now = net
        .parameter("block3.0.weight")
        .ok_or("block3.0.weight is missing")?;
    println!(
        "set_parameter(\"block3.0.weight\", (4, 20)): row 0 is now {:?}",
        now.get(0)?.to_vec1::<f32>()?
    );
    let var = varmap
        .data()
        .lock()
        .map_err(|_| "poisoned")?
        .get("block3.0.weight")
        .cloned();
    let in_varmap = var.ok_or("the VarMap has no block3.0.weight")?;
    println!(
        "the VarMap sees it too: {}",
        in_varmap.as_tensor().get(0)?.to_vec1::<f32>()? == now.get(0)?.to_vec1::<f32>()?
    );

    let x = Tensor::randn(0f32, 1.0, (2, 10), &device)?;
    let y = net
        .block3
        .forward(&net.block2.forward(&net.block1.forward(&x)?)?)?;
    println!(
        "\nforward {:?} -> {:?}: {:?}",
        x.dims(),
        y.dims(),
        y.to_vec2::<f32>()?
    );
    Ok(())
}
