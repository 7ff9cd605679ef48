//! muP's coordinate check (Yang et al., "Tensor Programs V"; Microsoft's `mup` ships one): an
//! MLP (32 -> width -> width -> width -> 10, ReLU) trained a few Adam steps at widths 128 to
//! 2048, once in the standard parametrization (PyTorch's default init, one learning rate) and
//! once in muP (`recipes::mup` with base width 128, each tensor's learning rate scaled by
//! `BaseShapes::multipliers`, the readout's output divided by the width multiplier). It prints
//! and plots the size of the last hidden layer's coordinates (mean |h|) after each step against
//! the width: in the standard parametrization it grows with the width once training starts; in
//! muP it stays put, which is what lets a learning rate tuned at width 128 carry to width 2048.
//!
//! Run: `cargo run --release --example mup_coord_check` (`-- --out DIR` for the PNG,
//! `docs/images/mup_coord_check.png` by default; `-- --quick` for widths 128 to 512).

use std::error::Error;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Linear, Module, Optimizer, ParamsAdamW, VarBuilder};
use init_candle::build::{ModelBuilder, Opaque};
use init_candle::recipes::{self, BaseShapes, MupOptimizer};
use init_candle::{Generator, Init};
use plotters::prelude::*;

/// DejaVu Sans cut down to ASCII and a few symbols (see `assets/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("assets/DejaVuSans-subset.ttf");

const BASE: usize = 128;
const INPUT: usize = 32;
const CLASSES: usize = 10;
const BATCH: usize = 64;
const STEPS: usize = 4;
const LR: f64 = 0.01;

/// The MLP's layers, `input`, `hidden1`, `hidden2`, `readout`.
fn mlp(width: usize) -> impl Fn(VarBuilder<'_>) -> candle_core::Result<Vec<Linear>> {
    move |vb| {
        Ok(vec![
            candle_nn::linear(INPUT, width, vb.pp("input"))?,
            candle_nn::linear(width, width, vb.pp("hidden1"))?,
            candle_nn::linear(width, width, vb.pp("hidden2"))?,
            candle_nn::linear(width, CLASSES, vb.pp("readout"))?,
        ])
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Param {
    Standard,
    Mup,
}

impl Param {
    fn name(self) -> &'static str {
        match self {
            Param::Standard => "standard parametrization",
            Param::Mup => "muP",
        }
    }
}

/// Mean |h| of the last hidden layer after each of `STEPS` Adam steps (the first: at init).
fn run(param: Param, width: usize, base: &BaseShapes) -> Result<Vec<f64>, Box<dyn Error>> {
    let mut builder = ModelBuilder::new(7);
    if param == Param::Mup {
        builder = builder.recipe(&recipes::mup(base, "readout", false));
    }
    let built = builder.build(DType::F32, &Device::Cpu, |vb| Ok(Opaque(mlp(width)(vb)?)))?;
    // One Adam per learning rate: muP's multipliers, or 1 for every tensor.
    let vars = built
        .varmap
        .data()
        .lock()
        .map_err(|_| "VarMap lock")?
        .clone();
    let multipliers = base.multipliers(&built.report, MupOptimizer::Adam)?;
    let mut groups: Vec<(f64, Vec<Var>)> = Vec::new();
    for m in multipliers {
        let lr = if param == Param::Mup { m.lr } else { 1.0 };
        let var = vars[&m.path].clone();
        match groups.iter_mut().find(|(g, _)| *g == lr) {
            Some((_, vs)) => vs.push(var),
            None => groups.push((lr, vec![var])),
        }
    }
    let mut optimizers = groups
        .into_iter()
        .map(|(mult, vs)| {
            AdamW::new(
                vs,
                ParamsAdamW {
                    lr: LR * mult,
                    weight_decay: 0.0,
                    ..Default::default()
                },
            )
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    let readout_mult = match param {
        Param::Standard => 1.0,
        Param::Mup => BASE as f64 / width as f64,
    };
    let rng = Generator::new(11);
    let x = random(&[BATCH, INPUT], &rng, "x")?;
    let targets = (random(&[BATCH], &rng, "y")?.abs()? * (CLASSES as f64 / 4.0))?
        .clamp(0.0, (CLASSES - 1) as f64)?
        .to_dtype(DType::U32)?;
    let layers = &built.model.0;
    let mut sizes = Vec::new();
    for _ in 0..STEPS {
        let mut h = x.clone();
        for layer in &layers[..3] {
            h = layer.forward(&h)?.relu()?;
        }
        sizes.push(h.abs()?.mean_all()?.to_scalar::<f32>()? as f64);
        let logits = (layers[3].forward(&h)? * readout_mult)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &targets)?;
        let grads = loss.backward()?;
        for opt in &mut optimizers {
            opt.step(&grads)?;
        }
    }
    Ok(sizes)
}

fn random(shape: &[usize], rng: &Generator, name: &str) -> init_candle::Result<Tensor> {
    let t = Var::zeros(shape, DType::F32, &Device::Cpu)?;
    let normal = Init::Normal {
        mean: 0.0,
        std: 1.0,
    };
    normal.apply(t.as_tensor(), &mut rng.for_path(name))?;
    Ok(t.as_tensor().clone())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| PathBuf::from("docs/images"), PathBuf::from);
    let widths: &[usize] = if quick {
        &[128, 256, 512]
    } else {
        &[128, 256, 512, 1024, 2048]
    };
    let base = BaseShapes::of(mlp(BASE))?;
    let mut results = Vec::new();
    for param in [Param::Standard, Param::Mup] {
        println!(
            "{}: mean |h| of the last hidden layer, steps 0..{STEPS}",
            param.name()
        );
        let mut rows = Vec::new();
        for &width in widths {
            let sizes = run(param, width, &base)?;
            let text: Vec<String> = sizes.iter().map(|s| format!("{s:8.3}")).collect();
            println!("  width {width:5}: {}", text.join(" "));
            rows.push((width, sizes));
        }
        results.push((param, rows));
    }
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the bundled font is not a valid TrueType file")?;
    std::fs::create_dir_all(&out)?;
    let path = out.join("mup_coord_check.png");
    plot(&path, &results)?;
    println!("wrote {}", path.display());
    Ok(())
}

type Results = [(Param, Vec<(usize, Vec<f64>)>)];

fn plot(path: &Path, results: &Results) -> Result<(), Box<dyn Error>> {
    let size = (1200u32, 520u32);
    let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(
            "Coordinate check: mean |h| of the last hidden layer after each Adam step, vs width",
            ("sans-serif", 22),
        )?;
        let top = results
            .iter()
            .flat_map(|(_, rows)| rows.iter().flat_map(|(_, s)| s.iter().copied()))
            .fold(0f64, f64::max);
        let (lo, hi) = (
            BASE as f64,
            results[0].1.last().map_or(BASE, |r| r.0) as f64,
        );
        for (panel, (param, rows)) in root.split_evenly((1, 2)).iter().zip(results) {
            let mut chart = ChartBuilder::on(panel)
                .caption(param.name(), ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(lo.log2()..hi.log2(), 0f64..top * 1.1)?;
            chart
                .configure_mesh()
                .x_desc("width")
                .x_labels(rows.len())
                .y_desc("mean |h|")
                .x_label_formatter(&|v| format!("{:.0}", 2f64.powf(*v)))
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 16))
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for step in 0..STEPS {
                let color = Palette99::pick(step).to_rgba();
                chart
                    .draw_series(LineSeries::new(
                        rows.iter().map(|(w, s)| ((*w as f64).log2(), s[step])),
                        color.stroke_width(3),
                    ))?
                    .label(format!("step {step}"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 14))
                .draw()?;
        }
        root.present()?;
    }
    let file = File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), size.0, size.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(())
}
