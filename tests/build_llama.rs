//! A model we did not write: candle-transformers' `Llama` (small config) built with the
//! `hf(0.02)` preset gets what transformers' `LlamaPreTrainedModel._init_weights` gives
//! `LlamaForCausalLM`: every Linear and Embedding weight N(0, 0.02) (KS-tested one by one),
//! every RMSNorm weight 1; and it runs.

mod common;

use candle_core::{DType, Device, Tensor};
use candle_transformers::models::llama::{Cache, Llama, LlamaConfig};
use common::{assert_ks, normal_cdf, values};
use init_candle::build::{ModelBuilder, Opaque, Preset};
use init_candle::{Init, ValueSource};

fn config(tie: bool) -> candle_transformers::models::llama::Config {
    let mut json = init_testkit::small_llama_json();
    json["tie_word_embeddings"] = tie.into();
    let cfg: LlamaConfig = serde_json::from_value(json).unwrap();
    cfg.into_config(false)
}

#[test]
fn llama_with_hf_init_matches_transformers_init_weights() {
    let cfg = config(false);
    let built = ModelBuilder::new(0)
        .preset(Preset::hf(0.02))
        .strict(true)
        .build(DType::F32, &Device::Cpu, |vb| {
            Ok(Opaque(Llama::load(vb, &cfg)?))
        })
        .unwrap();
    let report = &built.report;
    // 1 embedding + 2 x (4 attention + 3 mlp + 2 norms) + final norm + lm_head
    assert_eq!(report.tensors.len(), 1 + 2 * 9 + 1 + 1);
    let vars = built.varmap.data().lock().unwrap();
    for t in &report.tensors {
        assert_eq!(
            t.source,
            ValueSource::Preset {
                preset: "hf(0.02)".into()
            },
            "{}",
            t.path
        );
        let v = values(vars[&t.path].as_tensor());
        if t.path.ends_with("norm.weight") {
            assert_eq!(t.init, Some(Init::Constant { value: 1.0 }), "{}", t.path);
            assert!(v.iter().all(|&x| x == 1.0), "{}", t.path);
        } else {
            assert_eq!(t.shape.len(), 2, "{}", t.path);
            assert_eq!(t.expected_std, Some(0.02), "{}", t.path);
            assert_ks(&t.path, &v, normal_cdf(0.0, 0.02));
        }
    }
    drop(vars);
    // It runs: one forward step.
    let mut cache = Cache::new(true, DType::F32, &cfg, &Device::Cpu).unwrap();
    let tokens = Tensor::new(&[[1u32, 5, 7, 9]], &Device::Cpu).unwrap();
    let logits = built.model.forward(&tokens, 0, &mut cache).unwrap();
    assert_eq!(logits.dims(), &[1, 300]);
    let logits = values(&logits);
    assert!(logits.iter().all(|x| x.is_finite()));
}

#[test]
fn tied_llama_writes_the_embedding_once() {
    let cfg = config(true);
    let built = ModelBuilder::new(0)
        .preset(Preset::hf(0.02))
        .build(DType::BF16, &Device::Cpu, |vb| {
            Ok(Opaque(Llama::load(vb, &cfg)?))
        })
        .unwrap();
    assert!(built.report.get("lm_head.weight").is_none());
    assert_eq!(built.report.tensors.len(), 1 + 2 * 9 + 1);
    let emb = built.report.get("model.embed_tokens.weight").unwrap();
    assert_eq!(emb.dtype, "bf16");
}
