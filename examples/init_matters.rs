//! Why initialization matters, as pictures: a batch pushed through a deep MLP (50 layers of
//! 256, tanh or ReLU) whose weights are drawn from N(0, 1), N(0, 0.01), Xavier normal or
//! Kaiming normal (fan_in, ReLU gain), biases zero; then each configuration trained for a few
//! hundred full-batch SGD steps on a three-armed spiral with an MLP of 15 hidden layers.
//!
//! Prints, per init, the first layer's expected and measured weight std
//! (`InitReport::measured`), then the activation std at a few depths and the final training
//! loss per configuration, and writes four PNGs: `activation_std.png` (std per layer, log scale), `histograms_tanh.png`
//! and `histograms_relu.png` (the first layer's weights and the activations of three layers
//! under each init) and `loss_curves.png`.
//!
//! Run: `cargo run --release --example init_matters` (writes into `docs/images`);
//! flags: `--out DIR`, `--seed N`, `--quick` (smaller and shorter, for CI).

use std::error::Error;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{Linear, Optimizer, VarBuilder, VarMap, SGD};
use init_candle::{
    FanMode, Generator, Init, InitReport, InitWeights, InitWeightsExt, Nonlinearity,
};
use plotters::coord::Shift;
use plotters::prelude::*;

/// DejaVu Sans cut down to ASCII and a few symbols (see `assets/DejaVuSans-LICENSE.txt`):
/// plotters' `ab_glyph` backend draws text with it, so no system font library is needed.
static FONT: &[u8] = include_bytes!("assets/DejaVuSans-subset.ttf");

/// An MLP as a list of Linear layers (`layers.0`, `layers.1`, ...); the activation is applied
/// in `forward`, so one model type serves tanh and ReLU.
#[derive(InitWeights)]
struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    /// Linear layers `sizes[0] -> sizes[1] -> ...`, registered in `varmap`.
    fn new(varmap: &VarMap, sizes: &[usize], device: &Device) -> candle_core::Result<Mlp> {
        let vb = VarBuilder::from_varmap(varmap, DType::F32, device).pp("layers");
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, pair)| candle_nn::linear(pair[0], pair[1], vb.pp(i)))
            .collect::<candle_core::Result<_>>()?;
        Ok(Mlp { layers })
    }

    /// `init` for every Linear weight, zeros for every bias: PyTorch's
    /// `model.apply(weights_init)`, planned and checked before anything is written.
    fn initialize(&self, seed: u64, init: &Init) -> init_candle::Result<InitReport> {
        self.init_with(seed, &mut |m| {
            if m.is::<Linear>() {
                m.init_weight(init.clone());
                m.init_bias(Init::Zeros);
            }
            Ok(())
        })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Act {
    Tanh,
    Relu,
}

impl Act {
    fn name(self) -> &'static str {
        match self {
            Act::Tanh => "tanh",
            Act::Relu => "ReLU",
        }
    }

    fn apply(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Act::Tanh => x.tanh(),
            Act::Relu => x.relu(),
        }
    }
}

/// The four initializations compared, with their colors in every chart.
fn schemes() -> [(&'static str, Init, RGBColor); 4] {
    [
        (
            "N(0, 1)",
            Init::Normal {
                mean: 0.0,
                std: 1.0,
            },
            RGBColor(214, 39, 40),
        ),
        (
            "N(0, 0.01)",
            Init::Normal {
                mean: 0.0,
                std: 0.01,
            },
            RGBColor(148, 103, 189),
        ),
        (
            "Xavier normal",
            Init::xavier_normal(),
            RGBColor(31, 119, 180),
        ),
        (
            "Kaiming normal (fan_in, ReLU)",
            Init::KaimingNormal {
                a: 0.0,
                mode: FanMode::FanIn,
                nonlinearity: Nonlinearity::Relu,
            },
            RGBColor(44, 160, 44),
        ),
    ]
}

/// Sizes of the two experiments.
struct Config {
    /// Layers of the deep MLP whose activations are measured.
    depth: usize,
    /// Its width (inputs, outputs and every hidden layer).
    width: usize,
    /// Rows of the standard-normal batch pushed through it.
    batch: usize,
    /// The layers whose activations are shown as histograms (1-based).
    hist_layers: [usize; 3],
    /// The layers whose activation std is printed (1-based).
    table_layers: [usize; 4],
    /// Hidden layers of the MLP trained on the spiral.
    train_depth: usize,
    /// Their width.
    train_width: usize,
    /// Points per spiral arm (class).
    points_per_class: usize,
    /// Full-batch SGD steps.
    steps: usize,
    /// SGD's learning rate.
    learning_rate: f64,
}

impl Config {
    fn new(quick: bool) -> Config {
        if quick {
            Config {
                depth: 20,
                width: 128,
                batch: 128,
                hist_layers: [1, 5, 20],
                table_layers: [1, 5, 10, 20],
                train_depth: 8,
                train_width: 32,
                points_per_class: 50,
                steps: 60,
                learning_rate: 0.05,
            }
        } else {
            Config {
                depth: 50,
                width: 256,
                batch: 512,
                hist_layers: [1, 10, 50],
                table_layers: [1, 10, 25, 50],
                train_depth: 15,
                train_width: 64,
                points_per_class: 100,
                steps: 500,
                learning_rate: 0.02,
            }
        }
    }
}

struct Args {
    out: PathBuf,
    seed: u64,
    quick: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("docs/images"),
        seed: 0,
        quick: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--out" => args.out = it.next().ok_or("--out needs a directory")?.into(),
            "--seed" => {
                let v = it.next().ok_or("--seed needs a value")?;
                args.seed = v
                    .parse()
                    .map_err(|_| format!("--seed: `{v}` is not a non-negative integer"))?;
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`; expected --out DIR, --seed N, --quick"
                ))
            }
        }
    }
    Ok(args)
}

/// One (activation, init) configuration: what the deep forward pass and the training showed.
struct Run {
    act: Act,
    scheme: usize,
    /// Activation std after each layer (index 0 = layer 1).
    stds: Vec<f64>,
    /// The first layer's weights.
    weights: Vec<f32>,
    /// The activations after each of `Config::hist_layers`.
    activations: Vec<Vec<f32>>,
    /// Training loss per step, up to the first non-finite one.
    losses: Vec<f64>,
    /// Training accuracy after the last step.
    accuracy: f64,
}

/// A tensor of `shape` filled by `init` from `rng`'s stream `name`.
fn random(shape: &[usize], init: Init, rng: &Generator, name: &str) -> init_candle::Result<Tensor> {
    let t = Var::zeros(shape, DType::F32, &Device::Cpu)?;
    init.apply(t.as_tensor(), &mut rng.for_path(name))?;
    Ok(t.as_tensor().clone())
}

/// The population std of `t`, in f64 (so that activations of 1e30 do not overflow).
fn std_of(t: &Tensor) -> candle_core::Result<f64> {
    let v = t.flatten_all()?.to_dtype(DType::F64)?;
    let mean = v.mean_all()?;
    v.broadcast_sub(&mean)?
        .sqr()?
        .mean_all()?
        .sqrt()?
        .to_scalar::<f64>()
}

/// Pushes `x` through the deep MLP, recording the std after every layer and the values after
/// the `keep` layers.
fn deep_forward(
    mlp: &Mlp,
    act: Act,
    x: &Tensor,
    keep: &[usize],
) -> candle_core::Result<(Vec<f64>, Vec<Vec<f32>>)> {
    let mut h = x.clone();
    let (mut stds, mut kept) = (Vec::new(), Vec::new());
    for (i, layer) in mlp.layers.iter().enumerate() {
        h = act.apply(&candle_core::Module::forward(layer, &h)?)?;
        stds.push(std_of(&h)?);
        if keep.contains(&(i + 1)) {
            kept.push(h.flatten_all()?.to_vec1::<f32>()?);
        }
    }
    Ok((stds, kept))
}

/// Three interleaved spiral arms in the plane, one class each: inputs (3n, 2), labels (3n).
fn spiral(n: usize, rng: &Generator) -> init_candle::Result<(Tensor, Tensor)> {
    let noise = random(
        &[3 * n],
        Init::Normal {
            mean: 0.0,
            std: 0.2,
        },
        rng,
        "spiral.noise",
    )?
    .to_vec1::<f32>()?;
    let (mut xs, mut ys) = (Vec::with_capacity(6 * n), Vec::with_capacity(3 * n));
    for class in 0..3 {
        for i in 0..n {
            let r = i as f32 / n as f32;
            let theta = class as f32 * 4.0 + r * 4.0 + noise[class * n + i];
            xs.extend([r * theta.sin(), r * theta.cos()]);
            ys.push(class as u32);
        }
    }
    Ok((
        Tensor::from_vec(xs, (3 * n, 2), &Device::Cpu)?,
        Tensor::from_vec(ys, 3 * n, &Device::Cpu)?,
    ))
}

/// Full-batch SGD on the spiral; returns the loss per step (stopping at the first non-finite
/// loss) and the final accuracy.
fn train(
    cfg: &Config,
    act: Act,
    init: &Init,
    seed: u64,
    data: &(Tensor, Tensor),
) -> Result<(Vec<f64>, f64), Box<dyn Error>> {
    let varmap = VarMap::new();
    let mut sizes = vec![2];
    sizes.extend(std::iter::repeat_n(cfg.train_width, cfg.train_depth));
    sizes.push(3);
    let mlp = Mlp::new(&varmap, &sizes, &Device::Cpu)?;
    mlp.initialize(seed, init)?;
    let forward = |x: &Tensor| -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        let last = mlp.layers.len() - 1;
        for (i, layer) in mlp.layers.iter().enumerate() {
            h = candle_core::Module::forward(layer, &h)?;
            if i < last {
                h = act.apply(&h)?;
            }
        }
        Ok(h)
    };
    let (x, y) = data;
    let mut opt = SGD::new(varmap.all_vars(), cfg.learning_rate)?;
    let mut losses = Vec::with_capacity(cfg.steps);
    for _ in 0..cfg.steps {
        let loss = candle_nn::loss::cross_entropy(&forward(x)?, y)?;
        let value = f64::from(loss.to_scalar::<f32>()?);
        if !value.is_finite() {
            break;
        }
        losses.push(value);
        opt.backward_step(&loss)?;
    }
    let predicted = forward(x)?.argmax(1)?;
    let correct = predicted.eq(y)?.to_dtype(DType::F32)?.mean_all()?;
    Ok((losses, f64::from(correct.to_scalar::<f32>()?)))
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("init_matters: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let cfg = Config::new(args.quick);
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the bundled font is not a valid TrueType file")?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;

    let rng = Generator::new(args.seed);
    let x = random(
        &[cfg.batch, cfg.width],
        Init::Normal {
            mean: 0.0,
            std: 1.0,
        },
        &rng,
        "input",
    )?;
    let data = spiral(cfg.points_per_class, &rng)?;
    let mut runs = Vec::new();
    for act in [Act::Tanh, Act::Relu] {
        for (scheme, (label, init, _)) in schemes().into_iter().enumerate() {
            let varmap = VarMap::new();
            let mlp = Mlp::new(&varmap, &vec![cfg.width; cfg.depth + 1], &Device::Cpu)?;
            let report = mlp.initialize(args.seed, &init)?;
            if act == Act::Tanh {
                // What the initializer promises next to what the first layer holds.
                let mut measured = report.measured(&mlp)?;
                measured.tensors.truncate(1);
                println!("{label}:\n{measured}");
            }
            let (stds, activations) = deep_forward(&mlp, act, &x, &cfg.hist_layers)?;
            let weights = mlp.layers[0].weight().flatten_all()?.to_vec1::<f32>()?;
            let (losses, accuracy) = train(&cfg, act, &init, args.seed, &data)?;
            runs.push(Run {
                act,
                scheme,
                stds,
                weights,
                activations,
                losses,
                accuracy,
            });
        }
    }

    print_table(&cfg, &runs);
    let written = [
        ("activation_std.png", plot_stds(&cfg, &runs, &args.out)?),
        (
            "histograms_tanh.png",
            plot_histograms(&cfg, &runs, Act::Tanh, &args.out)?,
        ),
        (
            "histograms_relu.png",
            plot_histograms(&cfg, &runs, Act::Relu, &args.out)?,
        ),
        ("loss_curves.png", plot_losses(&cfg, &runs, &args.out)?),
    ];
    for (name, bytes) in written {
        println!(
            "wrote {} ({} KB)",
            args.out.join(name).display(),
            bytes / 1024
        );
    }
    Ok(())
}

fn print_table(cfg: &Config, runs: &[Run]) {
    println!(
        "activation std after layer L ({} layers of {}, batch {}); training on the spiral \
         ({} hidden layers of {}, {} SGD steps, lr {})",
        cfg.depth,
        cfg.width,
        cfg.batch,
        cfg.train_depth,
        cfg.train_width,
        cfg.steps,
        cfg.learning_rate
    );
    let mut header = format!("{:<5} {:<30}", "act", "init");
    for l in cfg.table_layers {
        header.push_str(&format!(" {:>10}", format!("L{l}")));
    }
    header.push_str(&format!(" {:>11} {:>9}", "final loss", "accuracy"));
    println!("{header}");
    let schemes = schemes();
    for run in runs {
        let mut line = format!("{:<5} {:<30}", run.act.name(), schemes[run.scheme].0);
        for l in cfg.table_layers {
            line.push_str(&format!(" {:>10.3e}", run.stds[l - 1]));
        }
        let loss = if run.losses.len() < cfg.steps {
            format!("NaN@step {}", run.losses.len() + 1)
        } else {
            format!("{:.4}", run.losses[run.losses.len() - 1])
        };
        line.push_str(&format!(" {loss:>11} {:>8.1}%", 100.0 * run.accuracy));
        println!("{line}");
    }
}

/// Renders `draw` on a `size` bitmap and writes it to `path` as a PNG; returns its bytes.
fn save_png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), Box<dyn Error>>,
) -> Result<u64, Box<dyn Error>> {
    let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    let file = File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), size.0, size.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(std::fs::metadata(path)?.len())
}

/// The finite, positive points of `ys` against 1, 2, ..., up to the first other value.
fn log_points(ys: &[f64]) -> Vec<(f64, f64)> {
    ys.iter()
        .enumerate()
        .map(|(i, &y)| ((i + 1) as f64, y))
        .take_while(|&(_, y)| y.is_finite() && y > 0.0)
        .collect()
}

/// The range of the plotted values, widened to whole powers of ten.
fn log_range(series: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = series.fold((f64::INFINITY, 0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    if lo > hi {
        return 0.1..10.0;
    }
    10f64.powf(lo.log10().floor())..10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0))
}

fn plot_stds(cfg: &Config, runs: &[Run], out: &Path) -> Result<u64, Box<dyn Error>> {
    let schemes = schemes();
    save_png(&out.join("activation_std.png"), (1200, 520), |root| {
        let root = root.titled(
            &format!(
                "Activation std after each layer: {} layers of {}, batch {}, biases 0",
                cfg.depth, cfg.width, cfg.batch
            ),
            ("sans-serif", 22),
        )?;
        let panels = root.split_evenly((1, 2));
        for (panel, act) in panels.iter().zip([Act::Tanh, Act::Relu]) {
            let mine: Vec<&Run> = runs.iter().filter(|r| r.act == act).collect();
            // log10 of the std on a linear axis, so that the ticks are whole decades.
            let decades = log_range(
                mine.iter()
                    .flat_map(|r| log_points(&r.stds))
                    .map(|(_, y)| y),
            );
            let range = decades.start.log10()..decades.end.log10();
            let mut chart = ChartBuilder::on(panel)
                .caption(act.name(), ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(1f64..cfg.depth as f64, range)?;
            chart
                .configure_mesh()
                .x_desc("layer")
                .y_desc("activation std (log scale)")
                .y_label_formatter(&|v| format!("1e{v:.0}"))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 16))
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for run in mine {
                let (label, _, color) = &schemes[run.scheme];
                let points = log_points(&run.stds);
                let ended = if points.len() < run.stds.len() {
                    let last = run.stds[points.len()];
                    let what = if last == 0.0 { "0" } else { "inf/NaN" };
                    format!(" (std {what} from layer {})", points.len() + 1)
                } else {
                    String::new()
                };
                let color = *color;
                chart
                    .draw_series(LineSeries::new(
                        points.into_iter().map(|(x, y)| (x, y.log10())),
                        color.stroke_width(3),
                    ))?
                    .label(format!("{label}{ended}"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 14))
                .draw()?;
        }
        Ok(())
    })
}

/// Bins `values` into `bins` equal bins over `range`; returns each bin's share of the values.
fn histogram(values: &[f64], range: (f64, f64), bins: usize) -> Vec<f64> {
    let mut counts = vec![0usize; bins];
    let width = (range.1 - range.0) / bins as f64;
    for &v in values {
        if v.is_finite() && width > 0.0 {
            let i = ((v - range.0) / width)
                .floor()
                .clamp(0.0, (bins - 1) as f64) as usize;
            counts[i] += 1;
        }
    }
    counts
        .iter()
        .map(|&c| c as f64 / values.len().max(1) as f64)
        .collect()
}

/// A short label for an axis tick: fixed point in [0.01, 1000), else scientific; 0 for
/// rounding noise (below a millionth of `span`).
fn tick(v: f64, span: f64) -> String {
    let a = v.abs();
    if a <= span * 1e-6 {
        "0".to_owned()
    } else if (0.01..1000.0).contains(&a) {
        let fixed = format!("{v:.2}");
        fixed.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{v:.0e}")
    }
}

/// What one histogram panel shows.
struct Panel {
    caption: String,
    /// The values to bin (already log10 for ReLU activations).
    values: Vec<f64>,
    range: (f64, f64),
    log: bool,
}

/// The panels of a row: the first layer's weights (their own symmetric range), then the
/// activations: tanh's on [-1, 1]; ReLU's positive ones as log10, on the range `log_range`
/// shared by the whole figure, with the share of exact zeros in the caption.
fn panels(cfg: &Config, run: &Run, label: &str, log_range: (f64, f64)) -> Vec<Panel> {
    let max = run
        .weights
        .iter()
        .fold(0f64, |m, &v| m.max(f64::from(v).abs()))
        .max(f64::MIN_POSITIVE);
    let mut panels = vec![Panel {
        caption: format!("{label}: layer 1 weights"),
        values: run.weights.iter().map(|&v| f64::from(v)).collect(),
        range: (-max, max),
        log: false,
    }];
    for (l, values) in cfg.hist_layers.iter().zip(&run.activations) {
        let n = values.len().max(1) as f64;
        let panel = match run.act {
            Act::Tanh => Panel {
                caption: format!("after layer {l}"),
                values: values.iter().map(|&v| f64::from(v)).collect(),
                range: (-1.0, 1.0),
                log: false,
            },
            Act::Relu => {
                let zeros = values.iter().filter(|&&v| v == 0.0).count() as f64;
                let bad = values.iter().filter(|v| !v.is_finite()).count() as f64;
                // Activations that overflowed f32 become inf, then NaN (inf - inf), which
                // candle's ReLU (a max with 0) turns into 0.
                let overflow = run.stds[..*l].iter().position(|s| !s.is_finite());
                let caption = match overflow {
                    Some(k) => format!("after layer {l}: overflowed at layer {}", k + 1),
                    None if zeros == n => format!("after layer {l}: all 0 (f32 underflow)"),
                    None if bad > 0.0 => format!(
                        "after layer {l}: {:.0}% = 0, {:.0}% inf/NaN",
                        100.0 * zeros / n,
                        100.0 * bad / n
                    ),
                    None => format!("after layer {l}: {:.0}% = 0", 100.0 * zeros / n),
                };
                Panel {
                    caption,
                    values: values
                        .iter()
                        .filter(|v| v.is_finite() && **v > 0.0)
                        .map(|&v| f64::from(v).log10())
                        .collect(),
                    range: log_range,
                    log: true,
                }
            }
        };
        panels.push(panel);
    }
    panels
}

fn plot_histograms(
    cfg: &Config,
    runs: &[Run],
    act: Act,
    out: &Path,
) -> Result<u64, Box<dyn Error>> {
    let schemes = schemes();
    let mine: Vec<&Run> = runs.iter().filter(|r| r.act == act).collect();
    // The decades the positive ReLU activations span, over the whole figure.
    let (lo, hi) = mine
        .iter()
        .flat_map(|r| r.activations.iter().flatten())
        .filter(|v| v.is_finite() && **v > 0.0)
        .map(|&v| f64::from(v).log10())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let log_range = if lo <= hi {
        (lo.floor(), hi.ceil().max(lo.floor() + 1.0))
    } else {
        (-1.0, 1.0)
    };
    let name = format!("histograms_{}.png", act.name().to_lowercase());
    let subtitle = match act {
        Act::Tanh => "activations on [-1, 1]",
        Act::Relu => "positive activations by decade (log10), same axis in every panel",
    };
    save_png(&out.join(name), (1200, 900), |root| {
        let root = root.titled(
            &format!(
                "{}: weights of layer 1 (own x range each) and {subtitle}",
                act.name()
            ),
            ("sans-serif", 19),
        )?;
        let areas = root.split_evenly((mine.len(), 4));
        for (row, run) in mine.iter().enumerate() {
            let (label, _, color) = &schemes[run.scheme];
            for (col, panel) in panels(cfg, run, label, log_range).into_iter().enumerate() {
                let (lo, hi) = panel.range;
                let shares = histogram(&panel.values, panel.range, 48);
                let top = shares.iter().cloned().fold(0.0, f64::max).max(1e-6) * 1.1;
                let mut chart = ChartBuilder::on(&areas[row * 4 + col])
                    .caption(&panel.caption, ("sans-serif", 13))
                    .margin(10)
                    .x_label_area_size(22)
                    .y_label_area_size(8)
                    .build_cartesian_2d(lo..hi, 0f64..top)?;
                let ticks = |v: &f64| {
                    if panel.log {
                        format!("1e{v:.0}")
                    } else {
                        tick(*v, hi - lo)
                    }
                };
                chart
                    .configure_mesh()
                    .disable_mesh()
                    .y_labels(0)
                    .x_labels(5)
                    .x_label_formatter(&ticks)
                    .label_style(("sans-serif", 11))
                    .draw()?;
                let width = (hi - lo) / shares.len() as f64;
                let color = *color;
                chart.draw_series(shares.iter().enumerate().map(|(i, &share)| {
                    let x0 = lo + i as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width, share)], color.filled())
                }))?;
            }
        }
        Ok(())
    })
}

fn plot_losses(cfg: &Config, runs: &[Run], out: &Path) -> Result<u64, Box<dyn Error>> {
    let schemes = schemes();
    let chance = 3f64.ln();
    save_png(&out.join("loss_curves.png"), (1200, 520), |root| {
        let root = root.titled(
            &format!(
                "Training loss on a 3-class spiral: {} hidden layers of {}, full-batch SGD, lr {}",
                cfg.train_depth, cfg.train_width, cfg.learning_rate
            ),
            ("sans-serif", 22),
        )?;
        let panels = root.split_evenly((1, 2));
        for (panel, act) in panels.iter().zip([Act::Tanh, Act::Relu]) {
            let mine: Vec<&Run> = runs.iter().filter(|r| r.act == act).collect();
            // Losses above 100 (a diverging run) are drawn at 100, so that the others keep
            // the height of the chart.
            let cap = 100.0;
            let range = log_range(
                mine.iter()
                    .flat_map(|r| log_points(&r.losses))
                    .map(|(_, y)| y.min(cap))
                    .chain([chance]),
            );
            let mut chart = ChartBuilder::on(panel)
                .caption(act.name(), ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(1f64..cfg.steps as f64, range.log_scale())?;
            chart
                .configure_mesh()
                .x_desc("SGD step")
                .y_desc("cross-entropy (log scale)")
                .y_label_formatter(&|v| tick(*v, 0.0))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 16))
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            let gray = RGBColor(120, 120, 120);
            chart
                .draw_series(LineSeries::new(
                    [(1.0, chance), (cfg.steps as f64, chance)],
                    gray.stroke_width(1),
                ))?
                .label("chance (ln 3)")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], gray));
            for run in mine {
                let (label, _, color) = &schemes[run.scheme];
                let points: Vec<(f64, f64)> = log_points(&run.losses)
                    .into_iter()
                    .map(|(x, y)| (x, y.min(cap)))
                    .collect();
                let ended = if run.losses.len() < cfg.steps {
                    format!(" (diverged at step {})", run.losses.len() + 1)
                } else {
                    format!(" ({:.0}% accuracy)", 100.0 * run.accuracy)
                };
                let color = *color;
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(3)))?
                    .label(format!("{label}{ended}"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 14))
                .draw()?;
        }
        Ok(())
    })
}
