//! Document 001 (`../shared/seeds/001_68c039f6c632a741.txt`): `weights_init(m)` by class name
//! (Conv3d and Linear: xavier_normal_ weights, biases 0.0), applied with `model = C3D();
//! model.apply(weights_init)`, then the document's tour of `torch.nn.init` on
//! `w = torch.empty(3, 5)`. The document never defines C3D: this is the common PyTorch port
//! (Tran et al. 2015, `examples/tutorials/c3d.rs`): 8 Conv3d, 5 MaxPool3d, fc6 8192->4096, fc7
//! 4096->4096, fc8 4096->487 (Sports-1M), dropout, ReLU and softmax modules, about 80M
//! parameters. Extra, not in the document: the port's `forward` on one 16-frame 112x112 clip.
//!
//! Run: `cargo run --release --example c3d` (`-- --frames 16 --size 56` for a smaller clip: the
//! convolutions and pools only, since fc6 takes exactly the 8192 features of a 16x112x112 clip).
//! C3D needs at least 16 frames: pool2..pool5 halve the depth, and pool5's kernel is 2 deep.

#[path = "tutorials/tour.rs"]
#[allow(dead_code)] // the other document's tour
mod tour;
#[path = "tutorials/c3d.rs"]
mod tutorial;

use std::error::Error;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use init_candle::{Generator, InitWeightsExt};
use tutorial::{weights_init, C3D};

fn arg(name: &str, default: usize) -> Result<usize, Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    for a in &args {
        if a.starts_with("--") && a != "--frames" && a != "--size" {
            return Err(
                format!("unknown option {a}; the options are --frames N and --size N").into(),
            );
        }
    }
    match args.iter().position(|a| a == name) {
        Some(i) => {
            let value = args.get(i + 1).ok_or(format!("{name} needs a value"))?;
            Ok(value
                .parse()
                .map_err(|e| format!("{name} {value}: {e} (a positive integer)"))?)
        }
        None => Ok(default),
    }
}

/// The clip's shape after `pool5`, or why C3D cannot take it (checked before the model is
/// built, with the same rule as the pools: floor((n + 2 * padding - kernel) / stride) + 1).
fn pool5_shape(frames: usize, size: usize) -> Result<(usize, usize), String> {
    let pool = |n: usize, k: usize, s: usize, p: usize| {
        (n + 2 * p >= k && n > 0).then(|| (n + 2 * p - k) / s + 1)
    };
    let mut d = frames;
    let mut h = size;
    // pool1: (1, 2, 2); pool2..pool4: 2; pool5: 2 with padding (0, 1, 1).
    let pools = [
        (1, 2, 0, 0),
        (2, 2, 0, 0),
        (2, 2, 0, 0),
        (2, 2, 0, 0),
        (2, 2, 0, 1),
    ];
    for (i, &(kd, kh, pd, ph)) in pools.iter().enumerate() {
        let (Some(nd), Some(nh)) = (pool(d, kd, kd, pd), pool(h, kh, kh, ph)) else {
            return Err(format!(
                "--frames {frames} --size {size}: pool{} gets a {d}x{h}x{h} input (frames x \
                 height x width), smaller than its kernel ({kd}, {kh}, {kh}) with padding \
                 ({pd}, {ph}, {ph}) (PyTorch fails the same way: \"Output size is too small\"); \
                 C3D needs at least 16 frames and a size of at least 16, e.g. --frames 16 --size 56",
                i + 1
            ));
        };
        (d, h) = (nd, nh);
    }
    Ok((d, h))
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let frames = arg("--frames", 16)?;
    let size = arg("--size", 112)?;
    let (d5, h5) = pool5_shape(frames, size)?;
    let device = Device::Cpu;
    let varmap = VarMap::new();
    let t = Instant::now();
    // model = C3D()
    let model = C3D::new(VarBuilder::from_varmap(&varmap, DType::F32, &device))?;
    let build = t.elapsed();
    // print(model)
    println!("{}\n", model.module_repr());
    let params = model.num_parameters();
    println!(
        "parameters: {params} ({:.1}M) in {} tensors, built (candle's VarMap fill) in {:.0} ms",
        params as f64 / 1e6,
        model.parameters().len(),
        build.as_secs_f64() * 1e3
    );

    // model.apply(weights_init): planned (checked for every module first), seeded.
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

    let clip = Tensor::randn(0f32, 1.0, (1, 3, frames, size, size), &device)?;
    let t = Instant::now();
    if 512 * d5 * h5 * h5 == 8192 {
        // model.eval(); probs = model(clip) (the port's forward ends with its softmax)
        let probs = model.forward_t(&clip, false)?;
        let elapsed = t.elapsed();
        let values = probs.squeeze(0)?.to_vec1::<f32>()?;
        let mut top: Vec<(usize, f32)> = values.into_iter().enumerate().collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        println!(
            "forward on a {:?} clip: probabilities {:?} in {:.0} ms",
            clip.dims(),
            probs.dims(),
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
        let features = model.features(&clip)?;
        println!(
            "convolutions and pools on a {:?} clip: features {:?} in {:.0} ms ({} values per \
             clip; fc6 takes 8192, the features of a 16x112x112 clip, so the classifier is not run)",
            clip.dims(),
            features.dims(),
            t.elapsed().as_secs_f64() * 1e3,
            features.elem_count()
        );
    }

    // The document's tour of torch.nn.init (one generator for every call, as PyTorch's global
    // one; print(w) after each call, which the document leaves out).
    println!("\ntorch.nn.init, as document 001 calls it:\n");
    tour::print(&tour::post_tour(&mut Generator::new(2015))?)?;
    Ok(())
}
