//! Document 002 (`../shared/seeds/002_df0d8a0dede4cd44.txt`), "two ways to initialize
//! parameters": a single `Conv2d` initialized by hand (and `xavier_uniform_(conv.bias, 0)`
//! refused, as PyTorch refuses it), method 1 (`model.apply(weight_init)`), method 2 (the
//! `self.modules()` loop in the constructor), then the Xavier, Kaiming, orthogonal and constant
//! loops over a conv net's modules (`examples/tutorials/apply_or_modules.rs` has the models and
//! the Python they follow).
//!
//! Run: `cargo run --release --example apply_or_modules`

#[path = "tutorials/apply_or_modules.rs"]
mod tutorial;

use std::error::Error;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use init_candle::{Generator, InitWeights, InitWeightsExt};
use tutorial::{method1, method2, SIZES};

/// Each parameter's shape, mean and std, one line each.
fn summary(model: &dyn InitWeights) -> Result<(), Box<dyn Error>> {
    for (name, t) in model.named_parameters() {
        let v = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        println!(
            "  {name:<16} {:>12} mean {mean:+.5} std {std:.5}",
            format!("{:?}", t.dims())
        );
    }
    Ok(())
}

fn vb(varmap: &VarMap) -> VarBuilder<'_> {
    VarBuilder::from_varmap(varmap, DType::F32, &Device::Cpu)
}

fn main() -> Result<(), Box<dyn Error>> {
    let device = Device::Cpu;
    let seed = 2;
    // Rust has no global generator: one seeded generator stands in for PyTorch's.
    let mut rng = Generator::new(seed);

    // 1. One layer by hand.
    let varmap = VarMap::new();
    let (conv, refused) = tutorial::single_layer(vb(&varmap), &mut rng)?;
    println!("conv = {}", conv.module_repr());
    println!("torch.nn.init.xavier_uniform_(conv.weight): done");
    match refused {
        Err(e) => println!(
            "torch.nn.init.xavier_uniform_(conv.bias, 0): refused, as PyTorch refuses it \
             (ValueError): {e}\n"
        ),
        Ok(()) => return Err("xavier_uniform_ on a 1-D bias must be refused".into()),
    }

    // 2. Method 1: model = Net(in_dim, n_hidden_1, n_hidden_2, out_dim); model.apply(weight_init)
    let varmap = VarMap::new();
    let model = method1::Net::new(vb(&varmap), SIZES)?;
    let report = model.init_with(seed, &mut method1::weight_init)?;
    println!(
        "method 1: model.apply(weight_init) wrote {} tensors",
        report.parameters
    );
    println!("{}", model.module_repr());
    summary(&model)?;

    // Method 2: the loop over self.modules() in the constructor.
    let varmap = VarMap::new();
    let model2 = method2::Net::new(vb(&varmap), SIZES, seed)?;
    println!(
        "\nmethod 2: the self.modules() loop found no Conv2d, BatchNorm2d or GroupNorm, so the \
         Linear layers keep PyTorch's default U(-1/sqrt(in_features), 1/sqrt(in_features)):"
    );
    summary(&model2)?;
    let x = Tensor::randn(0f32, 1.0, (8, SIZES.0), &device)?;
    println!(
        "model(x) for x of shape {:?}: method 1 {:?}, method 2 {:?}",
        x.dims(),
        model.forward(&x)?.dims(),
        model2.forward(&x)?.dims()
    );

    // 3. The initializer loops over net.modules().
    let varmap = VarMap::new();
    let net = tutorial::conv_net(vb(&varmap))?;
    println!("\nnet = {net}");
    for (call, written) in tutorial::initializer_loops(&net, &mut rng)? {
        let paths: Vec<&str> = written.iter().map(|(path, _)| path.as_str()).collect();
        println!("for m in net.modules(): {call}  ->  {}", paths.join(", "));
    }
    summary(&net)?;
    let x = Tensor::randn(0f32, 1.0, (2, 3, 8, 8), &device)?;
    println!(
        "net(x) for x of shape {:?}: {:?}",
        x.dims(),
        net.forward(&x)?.dims()
    );
    Ok(())
}
