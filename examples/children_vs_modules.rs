//! The tutorial on parameter initialization that compares `children()` with `modules()`
//! (`examples/tutorials/children_vs_modules.rs` has the models and the Python they follow):
//! `net1` (a `Sequential`), its first weight printed and replaced NumPy-style, every `Linear`
//! found by iterating `net1`; then `sim_net` with `children()` and `modules()` printed, every
//! `Linear` found by `modules()` re-initialized, and `init.xavier_uniform` on `net1[0]`.
//!
//! Run: `cargo run --release --example children_vs_modules`

#[path = "tutorials/children_vs_modules.rs"]
mod tutorial;

use std::error::Error;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, VarBuilder, VarMap};
use init_candle::{parameter_repr, Generator, InitWeightsExt};
use tutorial::sim_net;

/// `torch.from_numpy(np.random.normal(mean, std, size=shape))`: float64 values, as NumPy's.
fn numpy_normal(mean: f64, std: f64, shape: &[usize]) -> candle_core::Result<Tensor> {
    Tensor::randn(mean, std, shape, &Device::Cpu)
}

fn main() -> Result<(), Box<dyn Error>> {
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let net1 = tutorial::net1(&vb)?;
    // PyTorch's nn.Linear starts from its reset_parameters (U(-1/sqrt(in), 1/sqrt(in))),
    // candle's linear() from another distribution: reset to PyTorch's first.
    net1.reset_parameters(0)?;

    // w1 = net1[0].weight; b1 = net1[0].bias (typed access: net1[0] is a `dyn Layer`)
    let w1 = net1.get::<Linear>(0)?.weight();
    let b1 = net1.get::<Linear>(0)?.bias().ok_or("net1[0] has no bias")?;
    println!("print(w1)\n{}\n", parameter_repr(w1)?);
    println!("b1 has shape {:?}", b1.dims());

    // net1[0].weight.data = torch.from_numpy(np.random.uniform(3, 5, size=(40, 30)))
    // NumPy gives float64; the Candle variable stays f32 (the VarMap, optimizers and checkpoints
    // hold it), so the values are converted with to_dtype and written into it in place.
    let float64 = Tensor::rand(3f64, 5f64, (40, 30), &device)?;
    println!(
        "\nthe new values are {:?}; the parameter is {:?}: converted with to_dtype, written in place",
        float64.dtype(),
        w1.dtype()
    );
    net1.set_parameter("0.weight", &float64.to_dtype(w1.dtype())?)?;
    println!("print(net1[0].weight)\n{}\n", parameter_repr(w1)?);

    // for layer in net1:
    //     if isinstance(layer, nn.Linear):
    //         param_shape = layer.weight.shape
    //         layer.weight.data = torch.from_numpy(np.random.normal(0, 0.5, size=param_shape))
    for (i, layer) in (&net1).into_iter().enumerate() {
        if let Some(linear) = layer.downcast_ref::<Linear>() {
            let param_shape = linear.weight().dims();
            let values = numpy_normal(0.0, 0.5, param_shape)?.to_dtype(linear.weight().dtype())?;
            net1.set_parameter(&format!("{i}.weight"), &values)?;
            println!("net1[{i}] ({layer}): weight replaced by N(0, 0.5) values");
        }
    }

    // net2 = sim_net()
    let net2 = sim_net::new(vb.pp("net2"))?;
    println!("\nprint(net2)\n{}", net2.module_repr());
    // for i in net2.children(): print(i)
    println!("\nfor i in net2.children(): print(i)");
    for i in net2.children() {
        println!("{i}");
    }
    // for i in net2.modules(): print(i)
    println!("\nfor i in net2.modules(): print(i)");
    for i in net2.modules() {
        println!("{i}");
    }

    // for layer in net2.modules():
    //     if isinstance(layer, nn.Linear):
    //         layer.weight.data = torch.from_numpy(np.random.normal(0, 0.5, size=param_shape))
    let mut replaced = Vec::new();
    for (path, layer) in net2.named_modules() {
        if let Some(linear) = layer.downcast_ref::<Linear>() {
            let w = linear.weight();
            let values = numpy_normal(0.0, 0.5, w.dims())?.to_dtype(w.dtype())?;
            net2.set_parameter(&format!("{path}.weight"), &values)?;
            replaced.push(path);
        }
    }
    println!(
        "\nmodules() reached every Linear, nested or not: {}",
        replaced.join(", ")
    );

    // from torch.nn import init
    // print(net1[0].weight); init.xavier_uniform(net1[0].weight); print(net1[0].weight)
    println!("\nprint(net1[0].weight)\n{}", parameter_repr(w1)?);
    init_candle::init::xavier_uniform(w1, 1.0, &mut Generator::new(0))?;
    println!(
        "init.xavier_uniform(net1[0].weight)\nprint(net1[0].weight)\n{}",
        parameter_repr(w1)?
    );
    net1.check_varmap(&varmap)?;

    let x = Tensor::randn(0f32, 1.0, (2, 30), &device)?;
    println!(
        "\nnet1({:?}) -> {:?}, net2({:?}) -> {:?}",
        x.dims(),
        net1.forward(&x)?.dims(),
        x.dims(),
        net2.forward(&x)?.dims()
    );
    Ok(())
}
