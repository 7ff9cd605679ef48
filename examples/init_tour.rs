//! Every initializer of `torch.nn.init` applied to a small tensor, with the output printed.
//!
//! Run: `cargo run --release --example init_tour`

use std::error::Error;

use candle_core::{DType, Device, Tensor};
use init_candle::{FanMode, Generator, Init, Nonlinearity};

fn show(title: &str, t: &Tensor) -> Result<(), Box<dyn Error>> {
    println!("{title}  shape {:?}", t.dims());
    let cols = t.dims().last().copied().unwrap_or(1).max(1);
    let values = t.flatten_all()?.to_vec1::<f32>()?;
    for row in values.chunks(cols) {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:+.4}")).collect();
        println!("    [{}]", cells.join(" "));
    }
    println!();
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dev = Device::Cpu;
    let rng = Generator::new(0);
    let mat = || Tensor::zeros((3, 5), DType::F32, &dev);

    println!("calculate_gain:");
    for nl in [
        Nonlinearity::Linear,
        Nonlinearity::Conv2d,
        Nonlinearity::Sigmoid,
        Nonlinearity::Tanh,
        Nonlinearity::Relu,
        Nonlinearity::LeakyRelu {
            negative_slope: 0.2,
        },
        Nonlinearity::Selu,
    ] {
        println!("    {nl:?}: {:.6}", init_candle::calculate_gain(nl)?);
    }
    println!();

    let cases: Vec<(&str, Init)> = vec![
        (
            "uniform_(w, a=-1, b=1)",
            Init::Uniform {
                low: -1.0,
                high: 1.0,
            },
        ),
        ("normal_(w, mean=0, std=1)", Init::normal()),
        (
            "trunc_normal_(w, std=1, a=-1, b=1)",
            Init::TruncNormal {
                mean: 0.0,
                std: 1.0,
                a: -1.0,
                b: 1.0,
            },
        ),
        ("constant_(w, 0.3)", Init::Constant { value: 0.3 }),
        ("zeros_(w)", Init::Zeros),
        ("ones_(w)", Init::Ones),
        ("eye_(w)", Init::Eye),
        ("xavier_uniform_(w)", Init::xavier_uniform()),
        (
            "xavier_normal_(w, gain=calculate_gain('tanh'))",
            Init::XavierNormal { gain: 5.0 / 3.0 },
        ),
        (
            "kaiming_uniform_(w, mode='fan_in', nonlinearity='relu')",
            Init::KaimingUniform {
                a: 0.0,
                mode: FanMode::FanIn,
                nonlinearity: Nonlinearity::Relu,
            },
        ),
        (
            "kaiming_normal_(w, mode='fan_out', nonlinearity='relu')",
            Init::KaimingNormal {
                a: 0.0,
                mode: FanMode::FanOut,
                nonlinearity: Nonlinearity::Relu,
            },
        ),
        ("orthogonal_(w)", Init::orthogonal()),
        (
            "sparse_(w, sparsity=0.4, std=0.01)",
            Init::Sparse {
                sparsity: 0.4,
                std: 0.01,
            },
        ),
    ];
    for (i, (title, init)) in cases.iter().enumerate() {
        let w = mat()?;
        init.apply(&w, &mut rng.for_path(&format!("tour.{i}")))?;
        show(title, &w)?;
    }

    let conv = Tensor::zeros((2, 2, 3), DType::F32, &dev)?;
    init_candle::init::dirac(&conv, 1)?;
    show(
        "dirac_(w) on a Conv1d weight (out=2, in=2, k=3), printed per (out, in)",
        &conv,
    )?;

    let q = Tensor::zeros((3, 5), DType::F32, &dev)?;
    init_candle::init::orthogonal(&q, 1.0, &mut rng.for_path("tour.q"))?;
    let qqt = q.matmul(&q.t()?)?;
    show("orthogonal rows: W W^T (the identity)", &qqt)?;

    println!(
        "an initializer as JSON: {}",
        serde_json::to_string(&Init::xavier_normal())?
    );
    let bias = Tensor::zeros(5, DType::F32, &dev)?;
    match Init::orthogonal().apply(&bias, &mut rng.for_path("tour.bias")) {
        Ok(()) => return Err("orthogonal_ accepted a 1-D tensor".into()),
        Err(e) => println!("orthogonal_ on a 1-D tensor: error: {e} (and the tensor is untouched)"),
    }
    Ok(())
}
