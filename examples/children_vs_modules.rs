//! Document 004 (`../shared/seeds/004_e80546a90292aa0a.txt`), parameter initialization by hand:
//! `net1[0].weight` printed, then replaced NumPy-style (the parameter becomes float64, as in
//! PyTorch), every `Linear` of `net1` replaced by iterating it, `sim_net`'s `children()` and
//! `modules()` printed and every `Linear` found by `modules()` replaced, and
//! `init.xavier_uniform_` on `net1[0].weight` (`examples/tutorials/children_vs_modules.rs` has
//! the models and the Python they follow).
//!
//! Run: `cargo run --release --example children_vs_modules`

#[path = "tutorials/children_vs_modules.rs"]
mod tutorial;

use std::error::Error;

use candle_core::{DType, Device};
use candle_nn::{Linear, VarBuilder, VarMap};
use init_candle::{init, parameter_repr, Generator, Init, InitWeightsExt};
use tutorial::{for_layer_in_net1, numpy_random, set_linear_weight, sim_net};

fn main() -> Result<(), Box<dyn Error>> {
    let device = Device::Cpu;
    // NumPy's and PyTorch's global generators: one seeded generator here.
    let mut rng = Generator::new(4);
    let varmap1 = VarMap::new();
    let mut net1 = tutorial::net1(&VarBuilder::from_varmap(&varmap1, DType::F32, &device))?;
    // PyTorch's nn.Linear starts from its reset_parameters (U(-1/sqrt(in), 1/sqrt(in))),
    // candle's linear() from other values: reset to PyTorch's first.
    net1.reset_parameters(4)?;

    // w1 = net1[0].weight; b1 = net1[0].bias (typed access: net1[0] is a `dyn Layer`)
    let w1 = net1.get::<Linear>(0)?.weight().clone();
    let b1 = net1.get::<Linear>(0)?.bias().cloned();
    println!("print(w1)\n{}\n", parameter_repr(&w1)?);
    println!("b1: {:?}\n", b1.map(|b| b.dims().to_vec()));

    // net1[0].weight.data = torch.from_numpy(np.random.uniform(3, 5, size=(40, 30)))
    let values = numpy_random(
        Init::Uniform {
            low: 3.0,
            high: 5.0,
        },
        &[40, 30],
        &mut rng,
    )?;
    set_linear_weight(&mut net1, 0, &values, &varmap1, "0.weight")?;
    println!(
        "print(net1[0].weight)\n{}\n",
        parameter_repr(net1.get::<Linear>(0)?.weight())?
    );

    // for layer in net1: if isinstance(layer, nn.Linear): layer.weight.data = N(0, 0.5) values
    for_layer_in_net1(&mut net1, &varmap1, &mut rng)?;
    for layer in &net1 {
        if let Some(linear) = layer.downcast_ref::<Linear>() {
            println!("{layer}: weight {:?}", linear.weight().dtype());
        }
    }

    // net2 = sim_net()
    let varmap2 = VarMap::new();
    let mut net2 = sim_net::new(
        VarBuilder::from_varmap(&varmap2, DType::F32, &device),
        &mut rng,
    )?;
    println!("\nfor i in net2.children(): print(i)");
    for i in net2.children() {
        println!("{i}");
    }
    println!("\nfor i in net2.modules(): print(i)");
    for i in net2.modules() {
        println!("{i}");
    }
    net2.for_layer_in_modules(&varmap2, &mut rng)?;
    let replaced: Vec<String> = net2
        .named_parameters()
        .into_iter()
        .filter(|(path, _)| path.ends_with("weight"))
        .map(|(path, t)| format!("{path} {:?}", t.dtype()))
        .collect();
    println!(
        "\nfor layer in net2.modules(): every Linear reached, nested or not: {}",
        replaced.join(", ")
    );

    // from torch.nn import init
    // print(net1[0].weight); init.xavier_uniform_(net1[0].weight)
    let w = net1.get::<Linear>(0)?.weight();
    println!("\nprint(net1[0].weight)\n{}", parameter_repr(w)?);
    init::xavier_uniform(w, 1.0, &mut rng)?;
    println!(
        "init.xavier_uniform_(net1[0].weight)\n{}",
        parameter_repr(w)?
    );
    // The VarMaps hold the float64 variables the models compute with.
    net1.check_varmap(&varmap1)?;
    net2.check_varmap(&varmap2)?;
    Ok(())
}
