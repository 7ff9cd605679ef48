//! C3D (Tran et al. 2015, "Learning Spatiotemporal Features with 3D Convolutional Networks"):
//! 8 Conv3d k3 p1, 5 max pools, fc6 8192->4096, fc7 4096->4096, fc8 4096->487 (Sports-1M),
//! about 78M parameters, initialized with the PyTorch port's `weights_init` applied by layer class
//! (xavier_normal weights, zero biases), then a forward pass on one 16-frame 112x112 clip.
//!
//! Run: `cargo run --release --example c3d` (`-- --frames 8 --size 56` for a smaller clip).

use std::error::Error;
use std::time::Instant;

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Linear, VarBuilder, VarMap};
use init_candle::nn::{conv3d, Conv3d, Conv3dConfig, MaxPool3d};
use init_candle::{Init, InitWeights, InitWeightsExt, ModuleInit};

#[derive(InitWeights)]
struct C3d {
    conv1: Conv3d,
    conv2: Conv3d,
    conv3a: Conv3d,
    conv3b: Conv3d,
    conv4a: Conv3d,
    conv4b: Conv3d,
    conv5a: Conv3d,
    conv5b: Conv3d,
    pool1: MaxPool3d,
    pool2: MaxPool3d,
    pool3: MaxPool3d,
    pool4: MaxPool3d,
    pool5: MaxPool3d,
    fc6: Linear,
    fc7: Linear,
    fc8: Linear,
}

impl C3d {
    fn new(vb: VarBuilder) -> candle_core::Result<Self> {
        let same = Conv3dConfig {
            padding: 1,
            ..Default::default()
        };
        let conv = |i: usize, o: usize, name: &str| conv3d(i, o, 3, same, vb.pp(name));
        Ok(Self {
            conv1: conv(3, 64, "conv1")?,
            conv2: conv(64, 128, "conv2")?,
            conv3a: conv(128, 256, "conv3a")?,
            conv3b: conv(256, 256, "conv3b")?,
            conv4a: conv(256, 512, "conv4a")?,
            conv4b: conv(512, 512, "conv4b")?,
            conv5a: conv(512, 512, "conv5a")?,
            conv5b: conv(512, 512, "conv5b")?,
            pool1: MaxPool3d::new((1, 2, 2), (1, 2, 2), (0, 0, 0))?,
            pool2: MaxPool3d::new((2, 2, 2), (2, 2, 2), (0, 0, 0))?,
            pool3: MaxPool3d::new((2, 2, 2), (2, 2, 2), (0, 0, 0))?,
            pool4: MaxPool3d::new((2, 2, 2), (2, 2, 2), (0, 0, 0))?,
            pool5: MaxPool3d::new((2, 2, 2), (2, 2, 2), (0, 1, 1))?,
            fc6: candle_nn::linear(8192, 4096, vb.pp("fc6"))?,
            fc7: candle_nn::linear(4096, 4096, vb.pp("fc7"))?,
            fc8: candle_nn::linear(4096, 487, vb.pp("fc8"))?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = self.pool1.forward(&self.conv1.forward(x)?.relu()?)?;
        let x = self.pool2.forward(&self.conv2.forward(&x)?.relu()?)?;
        let x = self.conv3a.forward(&x)?.relu()?;
        let x = self.pool3.forward(&self.conv3b.forward(&x)?.relu()?)?;
        let x = self.conv4a.forward(&x)?.relu()?;
        let x = self.pool4.forward(&self.conv4b.forward(&x)?.relu()?)?;
        let x = self.conv5a.forward(&x)?.relu()?;
        let x = self.pool5.forward(&self.conv5b.forward(&x)?.relu()?)?;
        let x = x.flatten_from(1)?;
        let x = self.fc6.forward(&x)?.relu()?;
        let x = self.fc7.forward(&x)?.relu()?;
        self.fc8.forward(&x)
    }
}

/// The PyTorch port's `weights_init(m)`: `classname = m.__class__.__name__; if
/// classname.find('Conv') != -1 or classname.find('Linear') != -1: xavier_normal_(m.weight);
/// zeros_(m.bias)`.
fn weights_init(m: &mut ModuleInit<'_>) -> init_candle::Result<()> {
    let classname = m.class_name();
    if classname.contains("Conv") || classname.contains("Linear") {
        m.init_weight(Init::xavier_normal());
        m.init_bias(Init::Zeros);
    }
    Ok(())
}

fn arg(name: &str, default: usize) -> Result<usize, Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => {
            let value = args.get(i + 1).ok_or(format!("{name} needs a value"))?;
            Ok(value.parse().map_err(|e| format!("{name} {value}: {e}"))?)
        }
        None => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let frames = arg("--frames", 16)?;
    let size = arg("--size", 112)?;
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let t = Instant::now();
    let model = C3d::new(VarBuilder::from_varmap(&varmap, DType::F32, &device))?;
    let build = t.elapsed();
    println!("{}\n", model.module_repr());
    let params = model.num_parameters();
    println!(
        "parameters: {params} ({:.1}M) in {} tensors",
        params as f64 / 1e6,
        model.parameters().len()
    );
    println!(
        "built (candle's VarMap fill) in {:.0} ms",
        build.as_secs_f64() * 1e3
    );

    let t = Instant::now();
    let report = model.init_with(2015, &mut weights_init)?;
    let init = t.elapsed();
    println!(
        "model.apply(weights_init): {} tensors, {} values in {:.0} ms ({:.0} M values/s)",
        report.parameters,
        report.elements,
        init.as_secs_f64() * 1e3,
        report.elements as f64 / init.as_secs_f64() / 1e6
    );
    model.check_varmap(&varmap)?;

    let w = model.fc6.weight().flatten_all()?;
    let n = w.elem_count() as f64;
    let mean = w.sum_all()?.to_scalar::<f32>()? as f64 / n;
    let std = (w.sqr()?.sum_all()?.to_scalar::<f32>()? as f64 / n - mean * mean).sqrt();
    println!(
        "fc6.weight: mean {mean:+.2e}, std {std:.6} (xavier: sqrt(2 / (8192 + 4096)) = {:.6})",
        (2.0f64 / (8192.0 + 4096.0)).sqrt()
    );

    if size % 16 != 0 || frames % 8 != 0 || frames == 0 || size == 0 {
        return Err(format!(
            "--frames must be a multiple of 8 and --size of 16, got {frames} and {size}"
        )
        .into());
    }
    if (frames, size) != (16, 112) {
        println!("(a {frames}x{size}x{size} clip does not give fc6's 8192 inputs; only the convolutions run)");
    }
    let clip = Tensor::randn(0f32, 1.0, (1, 3, frames, size, size), &device)?;
    let t = Instant::now();
    if (frames, size) == (16, 112) {
        let logits = model.forward(&clip)?;
        let elapsed = t.elapsed();
        let probs = candle_nn::ops::softmax(&logits, D::Minus1)?
            .squeeze(0)?
            .to_vec1::<f32>()?;
        let mut top: Vec<(usize, f32)> = probs.into_iter().enumerate().collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        println!(
            "forward on a {:?} clip: logits {:?} in {:.0} ms",
            clip.dims(),
            logits.dims(),
            elapsed.as_secs_f64() * 1e3
        );
        let shown: Vec<String> = top
            .iter()
            .take(5)
            .map(|(i, p)| format!("class {i}: {p:.5}"))
            .collect();
        println!(
            "top-5 (untrained, so close to uniform 1/487 = {:.5}): {}",
            1.0 / 487.0,
            shown.join(", ")
        );
    } else {
        let mut x = clip.clone();
        let convs = [
            &model.conv1,
            &model.conv2,
            &model.conv3a,
            &model.conv3b,
            &model.conv4a,
            &model.conv4b,
            &model.conv5a,
            &model.conv5b,
        ];
        let pools = [
            &model.pool1,
            &model.pool2,
            &model.pool3,
            &model.pool4,
            &model.pool5,
        ];
        let pool_after = [0usize, 1, 3, 5, 7];
        for (i, conv) in convs.iter().enumerate() {
            x = conv.forward(&x)?.relu()?;
            if let Some(p) = pool_after.iter().position(|&j| j == i) {
                x = pools[p].forward(&x)?;
            }
        }
        println!(
            "convolutions on a {:?} clip: features {:?} in {:.0} ms",
            clip.dims(),
            x.dims(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
