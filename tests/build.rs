//! `ModelBuilder`: models initialized where they are built. Each candle-nn constructor gets
//! PyTorch's `reset_parameters` under the pytorch preset; values depend only on (seed, path);
//! rules win over presets, unused rules are reported and strict makes them errors; a derived
//! model gets the bytes `init_weights` writes; checkpoints load what they hold (bit for bit) and
//! the rest is initialized and reported.

mod common;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Conv2d, Linear, VarBuilder};
use common::{assert_ks, normal_cdf, temp_dir, uniform_cdf, values, varmap};
use init_candle::build::{Checkpoint, ModelBuilder, Opaque, Preset, Rule};
use init_candle::{Error, Init, InitWeights, InitWeightsExt, ValueSource};
use init_testkit::bits;

/// One of each candle-nn constructor (the model holds them all; the test reads some).
#[allow(dead_code)]
struct Zoo {
    fc: Linear,
    conv: Conv2d,
    deconv: candle_nn::ConvTranspose2d,
    emb: candle_nn::Embedding,
    ln: candle_nn::LayerNorm,
    bn: candle_nn::BatchNorm,
    lstm: candle_nn::LSTM,
    gru: candle_nn::GRU,
    prelu: candle_nn::PReLU,
}

fn zoo(vb: VarBuilder) -> candle_core::Result<Zoo> {
    Ok(Zoo {
        fc: candle_nn::linear(300, 200, vb.pp("fc"))?,
        conv: candle_nn::conv2d(16, 32, 3, Default::default(), vb.pp("conv"))?,
        deconv: candle_nn::conv_transpose2d(8, 12, 3, Default::default(), vb.pp("deconv"))?,
        emb: candle_nn::embedding(500, 64, vb.pp("emb"))?,
        ln: candle_nn::layer_norm(64, 1e-5, vb.pp("ln"))?,
        bn: candle_nn::batch_norm(32, 1e-5, vb.pp("bn"))?,
        lstm: candle_nn::lstm(20, 50, Default::default(), vb.pp("lstm"))?,
        gru: candle_nn::gru(20, 40, Default::default(), vb.pp("gru"))?,
        prelu: candle_nn::prelu(Some(32), vb.pp("prelu"))?,
    })
}

fn init_of<'r>(report: &'r init_candle::build::BuildReport, path: &str) -> &'r Init {
    report
        .get(path)
        .and_then(|t| t.init.as_ref())
        .unwrap_or_else(|| panic!("{path} initialized"))
}

fn uniform(bound: f64) -> Init {
    Init::Uniform {
        low: -bound,
        high: bound,
    }
}

#[test]
fn pytorch_preset_is_each_constructors_reset_parameters() {
    let built = ModelBuilder::new(3)
        .build(DType::F32, &Device::Cpu, |vb| Ok(Opaque(zoo(vb)?)))
        .unwrap();
    let r = &built.report;
    let b = |fan_in: usize| uniform(1.0 / (fan_in as f64).sqrt());
    assert_eq!(init_of(r, "fc.weight"), &b(300));
    assert_eq!(init_of(r, "fc.bias"), &b(300));
    assert_eq!(init_of(r, "conv.weight"), &b(16 * 9));
    // PyTorch's bias bound uses the weight's fan_in (candle-nn's hint uses in_channels).
    assert_eq!(init_of(r, "conv.bias"), &b(16 * 9));
    // ConvTranspose2d weight (in, out, k, k): fan_in = out * k * k, as PyTorch computes it.
    assert_eq!(built.model.deconv.weight().dims(), &[8, 12, 3, 3]);
    assert_eq!(init_of(r, "deconv.weight"), &b(12 * 9));
    assert_eq!(init_of(r, "deconv.bias"), &b(12 * 9));
    assert_eq!(
        init_of(r, "emb.weight"),
        &Init::Normal {
            mean: 0.0,
            std: 1.0
        }
    );
    assert_eq!(init_of(r, "ln.weight"), &Init::Constant { value: 1.0 });
    assert_eq!(init_of(r, "ln.bias"), &Init::Constant { value: 0.0 });
    assert_eq!(init_of(r, "bn.running_var"), &Init::Constant { value: 1.0 });
    assert_eq!(init_of(r, "prelu.weight"), &Init::Constant { value: 0.25 });
    for p in ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"] {
        assert_eq!(init_of(r, &format!("lstm.{p}")), &b(50), "lstm.{p}");
        assert_eq!(init_of(r, &format!("gru.{p}")), &b(40), "gru.{p}");
    }
    assert!(r.unrecognized().next().is_none(), "{r}");
    for t in &r.tensors {
        assert_eq!(
            t.source,
            ValueSource::Preset {
                preset: "pytorch".into()
            },
            "{}",
            t.path
        );
    }
    // The values follow the reported initializers.
    let m = &built.model;
    let bound = 1.0 / 300f64.sqrt();
    assert_ks(
        "fc.weight",
        &values(m.fc.weight()),
        uniform_cdf(-bound, bound),
    );
    assert_ks(
        "emb.weight",
        &values(m.emb.embeddings()),
        normal_cdf(0.0, 1.0),
    );
    let bound = 1.0 / 50f64.sqrt();
    let vars = built.varmap.data().lock().unwrap();
    assert_ks(
        "lstm.weight_hh_l0",
        &values(vars["lstm.weight_hh_l0"].as_tensor()),
        uniform_cdf(-bound, bound),
    );
    assert!(values(m.ln.weight()).iter().all(|&v| v == 1.0));
    assert!(values(&m.prelu.weight().clone()).iter().all(|&v| v == 0.25));
    // Every tensor is a variable of the VarMap: the model computes with them.
    assert_eq!(vars.len(), r.tensors.len());
    let x = Tensor::ones((2, 300), DType::F32, &Device::Cpu).unwrap();
    assert_eq!(m.fc.forward(&x).unwrap().dims(), &[2, 200]);
}

#[test]
fn values_depend_only_on_seed_and_path() {
    let a = ModelBuilder::new(11)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok((
                candle_nn::linear(30, 20, vb.pp("a"))?,
                candle_nn::linear(20, 10, vb.pp("b"))?,
            ))
        })
        .unwrap();
    // Other order, and another tensor first.
    let b = ModelBuilder::new(11)
        .build(DType::F32, &Device::Cpu, |vb| {
            let _extra = candle_nn::linear(5, 5, vb.pp("extra"))?;
            let b = candle_nn::linear(20, 10, vb.pp("b"))?;
            Ok((candle_nn::linear(30, 20, vb.pp("a"))?, b))
        })
        .unwrap();
    assert_eq!(bits(a.model.0.weight()), bits(b.model.0.weight()));
    assert_eq!(bits(a.model.1.weight()), bits(b.model.1.weight()));
    assert_eq!(
        bits(a.model.1.bias().unwrap()),
        bits(b.model.1.bias().unwrap())
    );
    let c = ModelBuilder::new(12)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(30, 20, vb.pp("a"))
        })
        .unwrap();
    assert_ne!(bits(a.model.0.weight()), bits(c.model.weight()));
}

#[test]
fn rules_come_first_in_order_and_unused_ones_are_reported() {
    let proj = Init::Normal {
        mean: 0.0,
        std: 0.02 / (2.0 * 12f64).sqrt(),
    };
    let built = ModelBuilder::new(0)
        .preset(Preset::hf(0.02))
        .rule("*.c_proj.weight", proj.clone())
        .rule("*.weight", Init::Zeros) // after the first: c_proj keeps its rule
        .with_rule(Rule::new("*.bias", Init::Ones).rank(2)) // no 2-D bias: unused
        .rule("*.c_porj.weight", Init::Zeros) // a typo: unused
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok((
                candle_nn::linear(64, 64, vb.pp("h.0.attn.c_proj"))?,
                candle_nn::linear(64, 64, vb.pp("h.0.attn.c_attn"))?,
            ))
        })
        .unwrap();
    let r = &built.report;
    assert_eq!(init_of(r, "h.0.attn.c_proj.weight"), &proj);
    assert_eq!(
        r.get("h.0.attn.c_proj.weight").unwrap().source,
        ValueSource::Rule {
            pattern: "*.c_proj.weight".into()
        }
    );
    assert_eq!(init_of(r, "h.0.attn.c_attn.weight"), &Init::Zeros);
    assert_eq!(init_of(r, "h.0.attn.c_attn.bias"), &Init::Zeros); // hf: biases 0
    assert_eq!(r.unused_rules, ["*.bias", "*.c_porj.weight"]);
    assert!(r.warnings().contains("*.c_porj.weight"));
    assert_ks(
        "c_proj",
        &values(built.model.0.weight()),
        normal_cdf(0.0, 0.02 / 24f64.sqrt()),
    );

    // Strict: the unused rules are an error, listing each.
    let err = ModelBuilder::new(0)
        .rule("*.c_porj.weight", Init::Zeros)
        .strict(true)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(4, 4, vb.pp("c_proj"))
        })
        .err()
        .expect("strict");
    assert!(matches!(err, Error::Strict { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("rule `*.c_porj.weight` matched no tensor"),
        "{err}"
    );
}

#[test]
fn unrecognized_requests_get_candles_hint_or_fail_when_strict() {
    let custom = |vb: VarBuilder| {
        let t = vb.get_with_hints(8, "mystery", candle_nn::Init::Uniform { lo: -0.5, up: 0.5 })?;
        Ok(Opaque(t))
    };
    let built = ModelBuilder::new(0)
        .build(DType::F32, &Device::Cpu, custom)
        .unwrap();
    assert_eq!(built.report.unrecognized().collect::<Vec<_>>(), ["mystery"]);
    assert_eq!(init_of(&built.report, "mystery"), &uniform(0.5));
    let err = ModelBuilder::new(0)
        .strict(true)
        .build(DType::F32, &Device::Cpu, custom)
        .err()
        .expect("strict");
    assert!(
        matches!(&err, Error::Strict { problems } if problems[0].contains("`mystery`")),
        "{err}"
    );
    // A rule makes it known.
    let built = ModelBuilder::new(0)
        .strict(true)
        .rule("mystery", Init::Ones)
        .build(DType::F32, &Device::Cpu, custom)
        .unwrap();
    assert!(values(&built.model).iter().all(|&v| v == 1.0));
}

#[test]
fn a_bad_rule_is_an_error_naming_the_path() {
    let err = ModelBuilder::new(0)
        .rule("*.bias", Init::xavier_normal()) // 1-D: xavier needs 2 dimensions
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(4, 4, vb.pp("fc"))
        })
        .err()
        .expect("xavier on a bias");
    assert!(err.to_string().contains("fc.bias"), "{err}");
}

#[test]
fn tied_paths_are_one_variable_written_once() {
    let built = ModelBuilder::new(5)
        .build(DType::F32, &Device::Cpu, |vb| {
            let emb = candle_nn::embedding(100, 16, vb.pp("wte"))?;
            // GPT-2's lm_head: the same tensor asked for again by path.
            let head = vb.pp("wte").get((100, 16), "weight")?;
            Ok(Opaque((emb, head)))
        })
        .unwrap();
    assert_eq!(built.report.tensors.len(), 1);
    assert_eq!(bits(built.model.0 .0.embeddings()), bits(&built.model.0 .1));
    let err = ModelBuilder::new(5)
        .build(DType::F32, &Device::Cpu, |vb| {
            let _ = candle_nn::embedding(100, 16, vb.pp("wte"))?;
            Ok(Opaque(vb.pp("wte").get((16, 100), "weight")?))
        })
        .err()
        .expect("shapes differ");
    assert!(matches!(err, Error::TiedShape { .. }), "{err}");
}

#[test]
fn bf16_and_f16_are_written_through_fresh_pages() {
    for dtype in [DType::BF16, DType::F16, DType::F64] {
        let built = ModelBuilder::new(1)
            .build(dtype, &Device::Cpu, |vb| candle_nn::linear(256, 128, vb))
            .unwrap();
        assert_eq!(built.model.weight().dtype(), dtype);
        let bound = 1.0 / 16.0;
        let v = values(built.model.weight());
        assert!(v.iter().all(|x| x.abs() <= bound), "{dtype:?}");
        assert!(v.iter().any(|&x| x != 0.0), "{dtype:?}");
        assert_ks(&format!("{dtype:?}"), &v, uniform_cdf(-bound, bound));
    }
}

// ---- derived models: the same bytes as VarMap + init_weights ----

#[derive(InitWeights)]
struct Block {
    #[init(kaiming_normal(mode = fan_out, nonlinearity = relu), bias = zeros)]
    conv: Conv2d,
    bn: candle_nn::BatchNorm,
}

#[derive(InitWeights)]
struct Net {
    blocks: Vec<Block>,
    #[init(normal(std = 0.01), bias = constant(value = 0.5))]
    head: Linear,
    aux: Linear,
}

fn net(vb: VarBuilder) -> candle_core::Result<Net> {
    let block = |cin, cout, vb: VarBuilder| -> candle_core::Result<Block> {
        Ok(Block {
            conv: candle_nn::conv2d(cin, cout, 3, Default::default(), vb.pp("conv"))?,
            bn: candle_nn::batch_norm(cout, 1e-5, vb.pp("bn"))?,
        })
    };
    Ok(Net {
        blocks: vec![
            block(3, 8, vb.pp("blocks.0"))?,
            block(8, 8, vb.pp("blocks.1"))?,
        ],
        head: candle_nn::linear(8, 4, vb.pp("head"))?,
        aux: candle_nn::linear(8, 2, vb.pp("aux"))?,
    })
}

#[derive(InitWeights)]
struct TiedLm {
    #[init(normal(std = 0.02))]
    wte: candle_nn::Embedding,
    lm_head: Linear,
}

fn tied_lm(vb: VarBuilder) -> candle_core::Result<TiedLm> {
    let wte = candle_nn::embedding(100, 16, vb.pp("wte"))?;
    let lm_head = Linear::new(wte.embeddings().clone(), None);
    Ok(TiedLm { wte, lm_head })
}

#[test]
fn a_rule_on_either_path_of_a_tied_tensor_decides_for_the_tensor() {
    for path in ["wte.weight", "lm_head.weight"] {
        let built = ModelBuilder::new(3)
            .rule(path, Init::Constant { value: 0.5 })
            .strict(true)
            .build(DType::F32, &Device::Cpu, tied_lm)
            .unwrap();
        let v = values(built.model.lm_head.weight());
        assert!(v.iter().all(|&x| x == 0.5), "rule on {path}");
        assert!(bits(built.model.wte.embeddings()) == bits(built.model.lm_head.weight()));
    }
}

#[test]
fn a_derived_model_gets_the_bytes_of_init_weights() {
    let (_varmap, vb) = varmap();
    let reference = net(vb).unwrap();
    reference.init_weights(21).unwrap();

    let built = ModelBuilder::new(21)
        .build(DType::F32, &Device::Cpu, net)
        .unwrap();
    let ours = built.model.named_parameters();
    let theirs = reference.named_parameters();
    assert_eq!(ours.len(), theirs.len());
    for ((p, a), (q, b)) in ours.iter().zip(&theirs) {
        assert_eq!(p, q);
        assert_eq!(bits(a), bits(b), "{p}");
    }
    let buffers = built.model.named_buffers();
    assert!(!buffers.is_empty());
    for ((p, a), (q, b)) in buffers.iter().zip(reference.named_buffers()) {
        assert_eq!(p, &q);
        assert_eq!(bits(a), bits(&b), "{p}");
    }
    let r = &built.report;
    assert_eq!(
        r.get("head.weight").unwrap().source,
        ValueSource::Attribute {
            field: "head".into()
        }
    );
    assert_eq!(
        r.get("aux.weight").unwrap().source,
        ValueSource::LayerDefault
    );
    assert_eq!(
        init_of(r, "blocks.0.conv.bias"),
        &Init::Zeros,
        "the attribute's bias"
    );

    // A rule overrides the attribute.
    let built = ModelBuilder::new(21)
        .rule("head.weight", Init::Ones)
        .build(DType::F32, &Device::Cpu, net)
        .unwrap();
    assert!(values(built.model.head.weight()).iter().all(|&v| v == 1.0));
    assert_eq!(
        built.report.get("head.weight").unwrap().source,
        ValueSource::Rule {
            pattern: "head.weight".into()
        }
    );
    // init_weights reports the same table.
    let (_varmap, vb) = varmap();
    let again = net(vb).unwrap().init_weights(21).unwrap();
    assert_eq!(again.tensors.len(), again.parameters);
    assert!(again.to_string().contains("head.weight"));
}

// ---- checkpoints ----

fn backbone(vb: &VarBuilder) -> candle_core::Result<(Linear, Linear)> {
    Ok((
        candle_nn::linear(16, 32, vb.pp("body.fc1"))?,
        candle_nn::linear(32, 32, vb.pp("body.fc2"))?,
    ))
}

#[test]
fn fine_tuning_loads_the_checkpoint_and_initializes_only_the_new_head() {
    let dir = temp_dir("finetune");
    let pretrained = ModelBuilder::new(1)
        .build(DType::F32, &Device::Cpu, |vb| backbone(&vb))
        .unwrap();
    let file = dir.join("model.safetensors");
    pretrained.varmap.save(&file).unwrap();

    // SAFETY: the file is not modified while mapped.
    let checkpoint = unsafe { Checkpoint::mmap(&[&file]) }.unwrap();
    let built = ModelBuilder::new(2)
        .checkpoint(checkpoint)
        .rule(
            "head.weight",
            Init::Normal {
                mean: 0.0,
                std: 0.01,
            },
        )
        .rule("head.bias", Init::Zeros)
        .strict(true)
        .build(DType::F32, &Device::Cpu, |vb| {
            let body = backbone(&vb)?;
            Ok((body, candle_nn::linear(32, 3, vb.pp("head"))?))
        })
        .unwrap();
    let r = &built.report;
    let initialized: Vec<&str> = r.initialized().map(|t| t.path.as_str()).collect();
    assert_eq!(initialized, ["head.weight", "head.bias"]);
    let loaded: Vec<&str> = r.loaded().map(|t| t.path.as_str()).collect();
    assert_eq!(loaded.len(), 4);
    let ((fc1, fc2), _head) = &built.model;
    let ((p1, p2), ()) = (&pretrained.model, ());
    assert_eq!(bits(fc1.weight()), bits(p1.weight()));
    assert_eq!(bits(fc1.bias().unwrap()), bits(p1.bias().unwrap()));
    assert_eq!(bits(fc2.weight()), bits(p2.weight()));
    assert!(r
        .warnings()
        .contains("newly initialized: [head.weight, head.bias]"));

    // Strict without a rule for the head: an error that names it.
    // SAFETY: as above.
    let checkpoint = unsafe { Checkpoint::mmap(&[&file]) }.unwrap();
    let err = ModelBuilder::new(2)
        .checkpoint(checkpoint)
        .strict(true)
        .build(DType::F32, &Device::Cpu, |vb| {
            let body = backbone(&vb)?;
            Ok((body, candle_nn::linear(32, 3, vb.pp("head"))?))
        })
        .err()
        .expect("strict: the head is missing");
    assert!(err.to_string().contains("head.weight"), "{err}");

    // Unexpected keys: a smaller model.
    // SAFETY: as above.
    let checkpoint = unsafe { Checkpoint::mmap(&[&file]) }.unwrap();
    let built = ModelBuilder::new(2)
        .checkpoint(checkpoint)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(16, 32, vb.pp("body.fc1"))
        })
        .unwrap();
    assert_eq!(
        built.report.unexpected_keys,
        ["body.fc2.bias", "body.fc2.weight"]
    );

    // A shape mismatch names the path and both shapes.
    // SAFETY: as above.
    let checkpoint = unsafe { Checkpoint::mmap(&[&file]) }.unwrap();
    let err = ModelBuilder::new(2)
        .checkpoint(checkpoint)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(16, 48, vb.pp("body.fc1"))
        })
        .err()
        .expect("shape mismatch");
    assert!(
        matches!(&err, Error::CheckpointShape { path, model, checkpoint }
            if path == "body.fc1.weight" && model == &[48, 16] && checkpoint == &[32, 16]),
        "{err}"
    );

    // Loaded to the requested dtype.
    // SAFETY: as above.
    let checkpoint = unsafe { Checkpoint::mmap(&[&file]) }.unwrap();
    let built = ModelBuilder::new(2)
        .checkpoint(checkpoint)
        .build(DType::BF16, &Device::Cpu, |vb| {
            candle_nn::linear(16, 32, vb.pp("body.fc1"))
        })
        .unwrap();
    let expect = p1.weight().to_dtype(DType::BF16).unwrap();
    assert_eq!(bits(built.model.weight()), bits(&expect));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_sharded_hugging_face_checkpoint_loads_through_its_index() {
    let dir = temp_dir("index");
    let pretrained = ModelBuilder::new(4)
        .build(DType::F32, &Device::Cpu, |vb| backbone(&vb))
        .unwrap();
    let ((fc1, fc2), ()) = (&pretrained.model, ());
    let save = |name: &str, l: &Linear, prefix: &str| {
        let tensors = [
            (format!("{prefix}.weight"), l.weight().clone()),
            (format!("{prefix}.bias"), l.bias().unwrap().clone()),
        ];
        candle_core::safetensors::save(
            &tensors
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
            dir.join(name),
        )
        .unwrap();
    };
    save("model-00001-of-00002.safetensors", fc1, "body.fc1");
    save("model-00002-of-00002.safetensors", fc2, "body.fc2");
    let index = serde_json::json!({
        "metadata": {"total_size": 0},
        "weight_map": {
            "body.fc1.weight": "model-00001-of-00002.safetensors",
            "body.fc1.bias": "model-00001-of-00002.safetensors",
            "body.fc2.weight": "model-00002-of-00002.safetensors",
            "body.fc2.bias": "model-00002-of-00002.safetensors",
        }
    });
    let index_path = dir.join("model.safetensors.index.json");
    std::fs::write(&index_path, index.to_string()).unwrap();
    // SAFETY: the files are not modified while mapped.
    let checkpoint = unsafe { Checkpoint::mmap(&[&index_path]) }.unwrap();
    assert_eq!(checkpoint.keys().count(), 4);
    let built = ModelBuilder::new(9)
        .checkpoint(checkpoint)
        .build(DType::F32, &Device::Cpu, |vb| backbone(&vb))
        .unwrap();
    assert_eq!(built.report.loaded().count(), 4);
    assert_eq!(bits(built.model.1.weight()), bits(fc2.weight()));
    let src = &built.report.get("body.fc2.weight").unwrap().source;
    assert!(
        matches!(src, ValueSource::Checkpoint { file } if file.ends_with("model-00002-of-00002.safetensors")),
        "{src:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_report_serializes_and_prints_a_table() {
    let built = ModelBuilder::new(0)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(8, 4, vb.pp("fc"))
        })
        .unwrap();
    let json = serde_json::to_value(&built.report).unwrap();
    assert_eq!(json["tensors"][0]["path"], "fc.weight");
    assert_eq!(json["tensors"][0]["fan_in"], 8);
    // A Linear is a module: its own default decides (PyTorch's `reset_parameters`).
    assert_eq!(json["tensors"][0]["source"]["kind"], "layer_default");
    assert_eq!(json["tensors"][0]["init"]["kind"], "uniform");
    let text = built.report.to_string();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("path"), "{text}");
    // The summary rounds to 4 significant digits, `{:#}` prints full precision.
    assert!(text.contains("uniform(low=-0.3536, high=0.3536)"), "{text}");
    let full = format!("{:#}", built.report);
    assert!(full.contains("uniform(low=-0.35355339"), "{full}");
    let low = json["tensors"][0]["init"]["low"].as_f64().unwrap();
    assert!(
        (low + 1.0 / 8f64.sqrt()).abs() < 1e-16,
        "serde keeps full precision: {low}"
    );
}

#[test]
fn a_strict_derived_build_from_a_checkpoint_accepts_what_attributes_name() {
    #[derive(InitWeights)]
    struct Tuned {
        body: Linear,
        #[init(normal(std = 0.01), bias = zeros)]
        head: Linear,
    }
    let dir = temp_dir("strict-derived");
    let pretrained = ModelBuilder::new(1)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(8, 8, vb.pp("body"))
        })
        .unwrap();
    let file = dir.join("model.safetensors");
    pretrained.varmap.save(&file).unwrap();
    let tuned = |vb: VarBuilder| {
        Ok(Tuned {
            body: candle_nn::linear(8, 8, vb.pp("body"))?,
            head: candle_nn::linear(8, 2, vb.pp("head"))?,
        })
    };
    // SAFETY: the file is not modified while mapped.
    let checkpoint = unsafe { Checkpoint::mmap(&[&file]) }.unwrap();
    let built = ModelBuilder::new(3)
        .checkpoint(checkpoint)
        .strict(true)
        .build(DType::F32, &Device::Cpu, tuned)
        .unwrap();
    let initialized: Vec<&str> = built
        .report
        .initialized()
        .map(|t| t.path.as_str())
        .collect();
    assert_eq!(initialized, ["head.weight", "head.bias"]);
    assert_eq!(
        bits(built.model.body.weight()),
        bits(pretrained.model.weight())
    );
    assert_eq!(
        built.report.get("head.weight").unwrap().source,
        ValueSource::Attribute {
            field: "head".into()
        }
    );

    // Without the attribute, the head has only a layer default: strict refuses.
    #[derive(InitWeights)]
    struct Plain {
        body: Linear,
        head: Linear,
    }
    // SAFETY: as above.
    let checkpoint = unsafe { Checkpoint::mmap(&[&file]) }.unwrap();
    let err = ModelBuilder::new(3)
        .checkpoint(checkpoint)
        .strict(true)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Plain {
                body: candle_nn::linear(8, 8, vb.pp("body"))?,
                head: candle_nn::linear(8, 2, vb.pp("head"))?,
            })
        })
        .err()
        .expect("strict");
    assert!(err.to_string().contains("`head.weight`"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

/// GPT-2's two declarations combined (the depth-scaled `c_proj` inside the block, N(0, 0.02)
/// on the outer `h`), built through the one entry point: the inner declaration decides, the
/// report names the outer one, and `Opaque` is the explicit way to build without them.
#[test]
fn build_keeps_a_derived_models_attributes_and_opaque_is_the_only_way_out() {
    #[derive(InitWeights)]
    struct Block {
        #[init(skip)]
        n_layer: usize,
        c_fc: Linear,
        #[init(normal(std = 0.02 / (2.0 * self.n_layer as f64).sqrt()))]
        c_proj: Linear,
    }
    #[derive(InitWeights)]
    struct Gpt {
        #[init(normal(std = 0.02), bias = zeros)]
        h: Vec<Block>,
    }
    let n_layer = 8;
    let gpt = |vb: VarBuilder| -> candle_core::Result<Gpt> {
        let h = (0..2)
            .map(|i| {
                let vb = vb.pp(format!("h.{i}"));
                Ok(Block {
                    n_layer,
                    c_fc: candle_nn::linear(64, 256, vb.pp("c_fc"))?,
                    c_proj: candle_nn::linear(256, 64 * 10, vb.pp("c_proj"))?,
                })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Gpt { h })
    };
    for strict in [false, true] {
        let built = ModelBuilder::new(3)
            .strict(strict)
            .build(DType::F32, &Device::Cpu, gpt)
            .unwrap();
        let proj = built.report.get("h.1.c_proj.weight").unwrap();
        assert_eq!(
            proj.source,
            ValueSource::Attribute {
                field: "h.1.c_proj".into()
            }
        );
        assert_eq!(
            proj.overridden,
            ["attribute on `h` (normal(mean=0, std=0.02))"]
        );
        assert_ks(
            "c_proj",
            &values(built.model.h[1].c_proj.weight()),
            normal_cdf(0.0, 0.005),
        );
        assert_ks(
            "c_fc",
            &values(built.model.h[0].c_fc.weight()),
            normal_cdf(0.0, 0.02),
        );
    }
    // Wrapped in `Opaque`, the builder sees only the requests: the preset decides.
    let built = ModelBuilder::new(3)
        .build(DType::F32, &Device::Cpu, |vb| Ok(Opaque(gpt(vb)?)))
        .unwrap();
    let proj = built.report.get("h.1.c_proj.weight").unwrap();
    assert!(
        matches!(proj.source, ValueSource::Preset { .. }),
        "{proj:?}"
    );
}

/// A layer returned from `vb.pp("fc")` (or a field asked for under a longer path) is planned
/// under the path it was asked for; only names that differ are refused.
#[test]
fn a_model_rooted_below_the_varbuilder_is_planned_under_the_requested_paths() {
    let built = ModelBuilder::new(1)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok((
                candle_nn::linear(4, 4, vb.pp("encoder.fc_a"))?,
                candle_nn::linear(4, 4, vb.pp("encoder.fc_b"))?,
            ))
        })
        .unwrap();
    let paths: Vec<&str> = built
        .report
        .tensors
        .iter()
        .map(|t| t.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "encoder.fc_a.weight",
            "encoder.fc_a.bias",
            "encoder.fc_b.weight",
            "encoder.fc_b.bias"
        ]
    );
    assert!(built
        .report
        .tensors
        .iter()
        .all(|t| t.source == ValueSource::LayerDefault));
    // The same bytes as a standalone build of each layer at its path.
    let alone = ModelBuilder::new(1)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(4, 4, vb.pp("encoder.fc_b"))
        })
        .unwrap();
    assert_eq!(bits(built.model.1.weight()), bits(alone.model.weight()));

    #[derive(InitWeights)]
    struct Net {
        fc: Linear,
    }
    let ok = ModelBuilder::new(0).build(DType::F32, &Device::Cpu, |vb| {
        Ok(Net {
            fc: candle_nn::linear(4, 2, vb.pp("model.fc"))?,
        })
    });
    assert_eq!(ok.unwrap().report.tensors[0].path, "model.fc.weight");
    let err = ModelBuilder::new(0)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Net {
                fc: candle_nn::linear(4, 2, vb.pp("model.fc2"))?,
            })
        })
        .err()
        .expect("fc asked for as fc2");
    assert!(
        matches!(&err, Error::PathMismatch { model, varbuilder } if model == "fc.weight" && varbuilder == "model.fc2.weight"),
        "{err}"
    );
}

/// Precedence in one model: rule > attribute > preset (other than PyTorch's) > layer default;
/// with `Preset::PyTorch` the layers' defaults are the preset.
#[test]
fn a_preset_decides_over_layer_defaults_and_attributes_over_the_preset() {
    #[derive(InitWeights)]
    struct Net {
        ln: candle_nn::LayerNorm,
        fc: Linear,
        #[init(xavier_uniform, bias = zeros)]
        head: Linear,
        out: Linear,
    }
    let net = |vb: VarBuilder| -> candle_core::Result<Net> {
        Ok(Net {
            ln: candle_nn::layer_norm(32, 1e-5, vb.pp("ln"))?,
            fc: candle_nn::linear(32, 32, vb.pp("fc"))?,
            head: candle_nn::linear(32, 8, vb.pp("head"))?,
            out: candle_nn::linear(8, 8, vb.pp("out"))?,
        })
    };
    let built = ModelBuilder::new(2)
        .preset(Preset::hf(0.02))
        .rule("out.weight", Init::Ones)
        .build(DType::F32, &Device::Cpu, net)
        .unwrap();
    let r = &built.report;
    let hf = ValueSource::Preset {
        preset: "hf(0.02)".into(),
    };
    assert_eq!(r.get("fc.weight").unwrap().source, hf);
    assert_eq!(
        init_of(r, "fc.weight"),
        &Init::Normal {
            mean: 0.0,
            std: 0.02
        }
    );
    assert_eq!(init_of(r, "fc.bias"), &Init::Zeros);
    assert_eq!(r.get("ln.weight").unwrap().source, hf);
    assert_eq!(init_of(r, "ln.weight"), &Init::Constant { value: 1.0 });
    assert_eq!(
        r.get("head.weight").unwrap().source,
        ValueSource::Attribute {
            field: "head".into()
        }
    );
    assert_eq!(
        r.get("out.weight").unwrap().source,
        ValueSource::Rule {
            pattern: "out.weight".into()
        }
    );
    assert!(values(built.model.out.weight()).iter().all(|&v| v == 1.0));
    let pytorch = ModelBuilder::new(2)
        .build(DType::F32, &Device::Cpu, net)
        .unwrap();
    assert_eq!(
        pytorch.report.get("fc.weight").unwrap().source,
        ValueSource::LayerDefault
    );
}

/// `VarBuilder::get_unchecked` (no shape) takes the shape of the tensor's earlier request or the
/// checkpoint's, in every backend (`build`, `build_flat`, `seed_checkpoint`); a tensor neither
/// knows is `Error::UnknownShape`, never a guessed shape.
#[test]
fn get_unchecked_takes_a_known_shape_or_names_the_tensor() {
    use init_candle::build::SeedCheckpoint;

    let dir = temp_dir("unchecked");
    let pretrained = ModelBuilder::new(1)
        .build(DType::F32, &Device::Cpu, |vb| backbone(&vb))
        .unwrap();
    let file = dir.join("model.safetensors");
    pretrained.varmap.save(&file).unwrap();
    // SAFETY (each mmap below): the file is not modified while mapped.
    let with_checkpoint =
        || ModelBuilder::new(2).checkpoint(unsafe { Checkpoint::mmap(&[&file]) }.unwrap());
    let known = |vb: VarBuilder<'_>| -> candle_core::Result<Opaque<(Tensor, Tensor, Tensor)>> {
        let fresh = vb.get((3, 5), "fresh")?;
        let loaded = vb.get_unchecked("body.fc1.weight")?;
        Ok(Opaque((fresh, loaded, vb.get_unchecked("fresh")?)))
    };
    let unknown = |vb: VarBuilder<'_>| vb.get_unchecked("nowhere").map(Opaque);
    fn is_unknown<T>(r: init_candle::Result<T>) -> bool {
        matches!(&r, Err(Error::UnknownShape { path }) if path == "nowhere")
    }

    let built = with_checkpoint()
        .build(DType::F32, &Device::Cpu, known)
        .unwrap();
    let (fresh, loaded, again) = &built.model.0;
    assert_eq!(bits(loaded), bits(pretrained.model.0.weight()));
    assert_eq!(again.dims(), [3, 5]);
    assert_eq!(bits(again), bits(fresh));
    assert!(is_unknown(with_checkpoint().build(
        DType::F32,
        &Device::Cpu,
        unknown
    )));

    let flat = with_checkpoint()
        .build_flat(DType::F32, &Device::Cpu, 1, 2, known)
        .unwrap();
    let dims: Vec<(&str, &[usize])> = flat
        .params
        .iter()
        .map(|p| (p.path.as_str(), p.dims.as_slice()))
        .collect();
    assert_eq!(
        dims,
        [("fresh", &[3, 5][..]), ("body.fc1.weight", &[32, 16][..])]
    );
    assert!(is_unknown(with_checkpoint().build_flat(
        DType::F32,
        &Device::Cpu,
        1,
        2,
        unknown
    )));

    let out = SeedCheckpoint::new(dir.join("seed"));
    let seeded = with_checkpoint()
        .seed_checkpoint(DType::F32, &out, known)
        .unwrap();
    assert_eq!(
        seeded.report.get("fresh").map(|t| t.shape.clone()),
        Some(vec![3, 5])
    );
    assert!(is_unknown(with_checkpoint().seed_checkpoint(
        DType::F32,
        &out,
        unknown
    )));
}
