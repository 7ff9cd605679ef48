//! Checkpoints users download from the internet: a safetensors file or index that is truncated,
//! corrupted or lies is a typed error naming the file, never a panic, and no model is returned;
//! an index cannot name files outside its own directory.

mod common;

use std::path::{Path, PathBuf};

use common::temp_dir;

use candle_core::{DType, Device};
use init_candle::build::{Checkpoint, ModelBuilder};
use init_candle::Error;

/// A small valid checkpoint of `fc` (Linear 6 -> 4), as bytes.
fn valid_bytes(dir: &Path) -> Vec<u8> {
    let built = ModelBuilder::new(1)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(6, 4, vb.pp("fc"))
        })
        .unwrap();
    let file = dir.join("valid.safetensors");
    built.varmap.save(&file).unwrap();
    std::fs::read(&file).unwrap()
}

/// Loads `file` into the model `fc` as a build would: `Ok` only with a whole model.
fn load(file: &Path) -> init_candle::Result<()> {
    // SAFETY: each file is written once, before it is mapped, and never changed.
    let checkpoint = unsafe { Checkpoint::mmap(&[file]) }?;
    ModelBuilder::new(2)
        .checkpoint(checkpoint)
        .strict(true)
        .build(DType::F32, &Device::Cpu, |vb| {
            candle_nn::linear(6, 4, vb.pp("fc"))
        })
        .map(|_| ())
}

/// A small deterministic generator (no dependency for a test's byte flips).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn thousands_of_corrupted_files_are_errors_not_panics() {
    let dir = temp_dir("mutations");
    let valid = valid_bytes(&dir);
    let header_len = u64::from_le_bytes(valid[..8].try_into().unwrap()) as usize;
    let mut cases: Vec<Vec<u8>> = Vec::new();
    // Every truncation.
    for len in 0..valid.len() {
        cases.push(valid[..len].to_vec());
    }
    // Byte flips in the header (its JSON: names, dtypes, shapes, offsets) and its length.
    let mut rng = Lcg(7);
    for _ in 0..2500 {
        let mut bytes = valid.clone();
        for _ in 0..=(rng.next() % 3) {
            let at = (rng.next() as usize) % (8 + header_len);
            bytes[at] = (rng.next() % 256) as u8;
        }
        cases.push(bytes);
    }
    // Headers that lie, written out.
    let lies = [
        r#"{"fc.weight":{"dtype":"F32","shape":[4,6],"data_offsets":[0,999999]}}"#,
        r#"{"fc.weight":{"dtype":"F32","shape":[4,6],"data_offsets":[0,96]},"fc.bias":{"dtype":"F32","shape":[4],"data_offsets":[80,96]}}"#,
        r#"{"fc.weight":{"dtype":"F32","shape":[4,6],"data_offsets":[16,112]},"fc.bias":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
        r#"{"fc.weight":{"dtype":"F32","shape":[4,7],"data_offsets":[0,96]},"fc.bias":{"dtype":"F32","shape":[4],"data_offsets":[96,112]}}"#,
        r#"{"fc.weight":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,96]},"fc.bias":{"dtype":"F32","shape":[4],"data_offsets":[96,112]}}"#,
        r#"{"fc.weight":{"dtype":"Q4","shape":[4,6],"data_offsets":[0,96]},"fc.bias":{"dtype":"F32","shape":[4],"data_offsets":[96,112]}}"#,
        r#"{"fc.weight":{"dtype":"F32","shape":[4,6],"data_offsets":[0,96]},"fc.weight":{"dtype":"F32","shape":[4],"data_offsets":[96,112]}}"#,
        r#"not json"#,
        r#"{"fc.weight":{"dtype":"F32","shape":[4,6],"data_offsets":[96,0]},"fc.bias":{"dtype":"F32","shape":[4],"data_offsets":[96,112]}}"#,
    ];
    for header in lies {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend(std::iter::repeat_n(0u8, 112));
        cases.push(bytes);
    }
    let (mut refused, mut loaded) = (0, 0);
    for (i, bytes) in cases.iter().enumerate() {
        let file = dir.join(format!("case-{i}.safetensors"));
        std::fs::write(&file, bytes).unwrap();
        let outcome = std::panic::catch_unwind(|| load(&file));
        match outcome {
            Err(_) => panic!("case {i} ({} bytes) panicked", bytes.len()),
            Ok(Err(e)) => {
                refused += 1;
                let text = e.to_string();
                assert!(!text.is_empty());
                if let Error::Checkpoint { file: named, .. } = &e {
                    assert!(named.ends_with(&format!("case-{i}.safetensors")), "{text}");
                }
            }
            // A flip inside a value (or a name's letter case the model does not ask for is
            // caught by strict mode): a whole, consistent file.
            Ok(Ok(())) => loaded += 1,
        }
        std::fs::remove_file(&file).ok();
    }
    assert!(cases.len() > 2500);
    // Every truncation and every lie is refused.
    assert!(
        refused >= valid.len() + lies.len(),
        "{refused} refused, {loaded} loaded"
    );
    eprintln!(
        "{} corrupted files: {refused} refused, {loaded} loaded whole",
        cases.len()
    );
    std::fs::remove_dir_all(dir).ok();
}

fn index(dir: &Path, map: &str) -> PathBuf {
    let file = dir.join("model.safetensors.index.json");
    std::fs::write(
        &file,
        format!(r#"{{"metadata": {{}}, "weight_map": {map}}}"#),
    )
    .unwrap();
    file
}

fn mmap_err(file: &Path) -> String {
    // SAFETY: the files are not changed while mapped.
    match unsafe { Checkpoint::mmap(&[file]) } {
        Ok(_) => panic!("{} was accepted", file.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_index_names_only_files_beside_it_that_hold_what_it_says() {
    let dir = temp_dir("index");
    let valid = valid_bytes(&dir);
    std::fs::write(dir.join("model-00001-of-00001.safetensors"), &valid).unwrap();
    for name in [
        "../model-00001-of-00001.safetensors",
        "/etc/passwd",
        "sub/x.safetensors",
        "..",
    ] {
        let file = index(&dir, &format!(r#"{{"fc.weight": "{name}"}}"#));
        let err = mmap_err(&file);
        assert!(
            err.contains(&format!(
                "`weight_map.fc.weight` names `{name}`, which is not a file beside the index"
            )),
            "{name}: {err}"
        );
    }
    let file = index(&dir, r#"{"fc.weight": "missing.safetensors"}"#);
    assert!(mmap_err(&file).contains("missing.safetensors"));
    let file = index(
        &dir,
        r#"{"fc.weight": "model-00001-of-00001.safetensors", "lm_head.weight": "model-00001-of-00001.safetensors"}"#,
    );
    assert!(
        mmap_err(&file).contains(
            "the index puts tensor `lm_head.weight` in this file, which does not hold it"
        ),
        "{}",
        mmap_err(&file)
    );
    let file = index(&dir, r#"{"fc.weight": 3}"#);
    assert!(mmap_err(&file).contains("`weight_map.fc.weight` is not a file name"));
    // The honest index loads.
    let file = index(
        &dir,
        r#"{"fc.weight": "model-00001-of-00001.safetensors", "fc.bias": "model-00001-of-00001.safetensors"}"#,
    );
    load(&file).unwrap();
    std::fs::remove_dir_all(dir).ok();
}
