//! Document 000 (`../shared/seeds/000_aa2b69f0b30de700.txt`), "weight initialization in two
//! steps": define which layer type gets which initializer (`initialize_weights`, a loop over
//! `self.modules()` with `isinstance`), then build the model and call it. Then the document's
//! list of `torch.nn.init` functions, each called with the defaults its signature shows.
//! (`examples/tutorials/initialize_weights.rs` has the model and the Python it follows.)
//!
//! Run: `cargo run --release --example initialize_weights`

#[path = "tutorials/initialize_weights.rs"]
mod tutorial;

use std::error::Error;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use init_candle::{Generator, InitWeightsExt, Nonlinearity};
use tutorial::{listed_functions, Net};

fn main() -> Result<(), Box<dyn Error>> {
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let seed = 42;

    // Step 2: instantiate a model, then run the function.
    let net = Net::new(VarBuilder::from_varmap(&varmap, DType::F32, &device))?;
    println!("print(net)\n{}\n", net.module_repr());
    // The generator is explicit: Rust has no global one.
    net.initialize_weights(&Generator::new(seed))?;

    // Extra, not in the document: the same initialization declared with `#[init]` on the
    // fields gives the same bytes, and its report shows each tensor's expected std next to the
    // measured one.
    let by_hand = values(&net)?;
    let report = net.init_weights(seed)?;
    if values(&net)? != by_hand {
        return Err("init_weights differs from initialize_weights".into());
    }
    println!(
        "net.initialize_weights() and net.init_weights({seed}) (the #[init] attributes) wrote \
         the same bytes into {} tensors:\n{}",
        report.parameters,
        report.measured(&net)?
    );
    net.check_varmap(&varmap)?;

    let x = Tensor::randn(0f32, 1.0, (4, 3, 32, 32), &device)?;
    println!(
        "net(torch.randn(4, 3, 32, 32)).shape = {:?}\n",
        net.forward(&x)?.dims()
    );

    // The document's list of initializers, on w = torch.empty(64, 64) (zeros stand in for
    // empty: Candle has no uninitialized tensors).
    println!(
        "{:<88} {:>9} {:>9}",
        "the document's signature", "mean", "std"
    );
    let mut rng = Generator::new(seed);
    for (signature, call, init) in listed_functions() {
        let w = Tensor::zeros((64, 64), DType::F32, &device)?;
        init.apply(&w, &mut rng)?;
        let v = w.flatten_all()?.to_vec1::<f32>()?;
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        println!(
            "{signature:<88} {mean:>9.4} {:>9.4}\n    {call}",
            var.sqrt()
        );
    }
    let gain = init_candle::calculate_gain(Nonlinearity::Tanh)?;
    println!(
        "torch.nn.init.calculate_gain(nonlinearity, param=None)\n    \
         init_candle::calculate_gain(Nonlinearity::Tanh) = {gain}"
    );
    Ok(())
}

fn values(net: &Net) -> candle_core::Result<Vec<Vec<f32>>> {
    net.parameters()
        .iter()
        .map(|t| t.flatten_all()?.to_vec1::<f32>())
        .collect()
}
