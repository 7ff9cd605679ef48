//! The LeNet-style `Net` of the PyTorch tutorials (conv 3->6 k5, max pool, conv 6->16 k5, max
//! pool, fc 400->120->84->10, with BatchNorm after each convolution), initialized like their
//! `initialize_weights`: xavier_normal conv weights, zero biases, BatchNorm 1/0, normal(0, 0.01)
//! linear weights. Done twice: declared with `#[init(...)]`, and by hand with `modules()`; both
//! give the same bytes, because each parameter draws from its own stream (seed, path).
//!
//! Run: `cargo run --release --example net`

use std::error::Error;

use candle_core::{DType, Device, Module, ModuleT, Tensor};
use candle_nn::{BatchNorm, Conv2d, Linear, VarBuilder, VarMap};
use init_candle::nn::MaxPool2d;
use init_candle::{Generator, InitWeights, InitWeightsExt};

#[derive(InitWeights)]
struct Net {
    #[init(xavier_normal, bias = zeros)]
    conv1: Conv2d,
    bn1: BatchNorm,
    #[init(xavier_normal, bias = zeros)]
    conv2: Conv2d,
    bn2: BatchNorm,
    #[init(skip)]
    pool: MaxPool2d,
    #[init(normal(std = 0.01), bias = zeros)]
    fc1: Linear,
    #[init(normal(std = 0.01), bias = zeros)]
    fc2: Linear,
    #[init(normal(std = 0.01), bias = zeros)]
    fc3: Linear,
}

impl Net {
    fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            conv1: candle_nn::conv2d(3, 6, 5, Default::default(), vb.pp("conv1"))?,
            bn1: candle_nn::batch_norm(6, 1e-5, vb.pp("bn1"))?,
            conv2: candle_nn::conv2d(6, 16, 5, Default::default(), vb.pp("conv2"))?,
            bn2: candle_nn::batch_norm(16, 1e-5, vb.pp("bn2"))?,
            pool: MaxPool2d::square(2)?,
            fc1: candle_nn::linear(16 * 5 * 5, 120, vb.pp("fc1"))?,
            fc2: candle_nn::linear(120, 84, vb.pp("fc2"))?,
            fc3: candle_nn::linear(84, 10, vb.pp("fc3"))?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self
            .pool
            .forward(&self.bn1.forward_t(&self.conv1.forward(x)?, false)?.relu()?)?;
        let x = self.pool.forward(
            &self
                .bn2
                .forward_t(&self.conv2.forward(&x)?, false)?
                .relu()?,
        )?;
        let x = x.flatten_from(1)?;
        let x = self.fc1.forward(&x)?.relu()?;
        let x = self.fc2.forward(&x)?.relu()?;
        self.fc3.forward(&x)
    }

    /// The tutorial's `initialize_weights`, by hand: walk `modules()`, test the layer type, call
    /// init-core on its weight and bias. Each parameter gets the stream of its path.
    fn initialize_weights(&self, seed: u64) -> init_candle::Result<()> {
        let rng = Generator::new(seed);
        for (path, m) in self.named_modules() {
            let stream = |name: &str| rng.for_path(&format!("{path}.{name}"));
            if let Some(conv) = m.downcast_ref::<Conv2d>() {
                init_candle::init::xavier_normal(conv.weight(), 1.0, &mut stream("weight"))?;
                if let Some(bias) = conv.bias() {
                    init_candle::init::zeros(bias)?;
                }
            } else if let Some(bn) = m.downcast_ref::<BatchNorm>() {
                if let Some((weight, bias)) = bn.weight_and_bias() {
                    init_candle::init::ones(weight)?;
                    init_candle::init::zeros(bias)?;
                }
                init_candle::init::zeros(bn.running_mean())?;
                init_candle::init::ones(bn.running_var())?;
            } else if let Some(fc) = m.downcast_ref::<Linear>() {
                init_candle::init::normal(fc.weight(), 0.0, 0.01, &mut stream("weight"))?;
                if let Some(bias) = fc.bias() {
                    init_candle::init::zeros(bias)?;
                }
            }
        }
        Ok(())
    }
}

fn stats(t: &Tensor) -> candle_core::Result<(f32, f32)> {
    let t = t.flatten_all()?.to_dtype(DType::F32)?;
    let n = t.elem_count() as f64;
    let mean = (t.sum_all()?.to_scalar::<f32>()? as f64) / n;
    let var = (t.sqr()?.sum_all()?.to_scalar::<f32>()? as f64) / n - mean * mean;
    Ok((mean as f32, var.max(0.0).sqrt() as f32))
}

fn main() -> Result<(), Box<dyn Error>> {
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let net = Net::new(VarBuilder::from_varmap(&varmap, DType::F32, &device))?;
    println!("{}\n", net.module_repr());

    let seed = 42;
    let report = net.init_weights(seed)?;
    println!(
        "init_weights({seed}) from the #[init] attributes: {} tensors, {} values",
        report.parameters, report.elements
    );
    net.check_varmap(&varmap)?;
    println!("every parameter is the VarMap's own storage: ok\n");

    println!(
        "{:<16} {:>14} {:>10} {:>10}   expected std",
        "parameter", "shape", "mean", "std"
    );
    for (name, t) in net.named_parameters() {
        let (mean, std) = stats(&t)?;
        let expected = match name.as_str() {
            n if n.starts_with("conv") && n.ends_with("weight") => {
                let (fan_in, fan_out) = init_candle::calculate_fan_in_and_fan_out(t.dims())?;
                format!("{:.4} (xavier)", (2.0 / (fan_in + fan_out) as f64).sqrt())
            }
            n if n.starts_with("fc") && n.ends_with("weight") => "0.0100".into(),
            n if n.starts_with("bn") && n.ends_with("weight") => "0 (all 1)".into(),
            _ => "0 (all 0)".into(),
        };
        println!(
            "{name:<16} {:>14} {mean:>10.5} {std:>10.5}   {expected}",
            format!("{:?}", t.dims())
        );
    }

    let declared: Vec<Vec<f32>> = net
        .parameters()
        .iter()
        .map(|t| t.flatten_all()?.to_vec1::<f32>())
        .collect::<candle_core::Result<_>>()?;
    net.initialize_weights(seed)?;
    let by_hand: Vec<Vec<f32>> = net
        .parameters()
        .iter()
        .map(|t| t.flatten_all()?.to_vec1::<f32>())
        .collect::<candle_core::Result<_>>()?;
    println!(
        "\ninitialize_weights({seed}) by hand with modules(): {}",
        if declared == by_hand {
            "identical to the attributes, bit for bit"
        } else {
            "DIFFERENT from the attributes"
        }
    );
    if declared != by_hand {
        return Err("the two initializations differ".into());
    }

    let batch = Tensor::randn(0f32, 1.0, (4, 3, 32, 32), &device)?;
    let logits = net.forward(&batch)?;
    println!(
        "\nforward pass on a batch of {:?}: logits {:?}",
        batch.dims(),
        logits.dims()
    );
    for (i, row) in logits.to_vec2::<f32>()?.iter().enumerate() {
        let shown: Vec<String> = row.iter().map(|v| format!("{v:+.4}")).collect();
        println!("  sample {i}: [{}]", shown.join(" "));
    }
    Ok(())
}
