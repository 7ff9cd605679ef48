//! A LLaMA-shaped model split over N ranks, tensor-parallel (column-parallel q/k/v/gate/up,
//! row-parallel o/down, vocab-parallel embedding and head, replicated norms). Each rank is its
//! own process: it builds only its shards with `ModelBuilder::build_sharded` and runs one
//! forward step, summing the row-parallel layers' partial outputs with an all-reduce. The
//! launcher then checks that the shards put together equal the single-device build bit for bit,
//! and that the logits the ranks computed together equal the single-device model's (to float
//! rounding: the all-reduce adds the same products in another order).
//!
//! Run: `cargo run --release --example tensor_parallel_init` (4 CPU processes talking over
//! local TCP, a small config). Flags: `--world-size N` (N dividing 8), `--size 1b` (the 953M
//! shape), `--dtype bf16`, `--skip-check` (build and time only), `--sequential` (the ranks one
//! after the other in this process, each on all cores: how BENCHMARKS.md times a rank).
//!
//! With `--features nccl` (CUDA and NCCL), `--nccl` runs one process per GPU (rank r on device
//! r): each rank builds its shards on its GPU and the all-reduce is NCCL's; the launcher's TCP
//! channel only hands out NCCL's unique id and collects the logits.

use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command};
use std::time::Instant;

use candle_core::{DType, Device, Tensor, D};
use candle_nn::var_builder::{Backend, Shard, SimpleBackend, VarBuilderArgs};
use candle_nn::VarMap;
use init_candle::build::{ModelBuilder, Opaque, Preset};
use init_candle::Init;

type Res<T> = Result<T, Box<dyn Error>>;

#[derive(Clone, Copy)]
struct Config {
    hidden: usize,
    heads: usize,
    inter: usize,
    vocab: usize,
    layers: usize,
}

impl Config {
    fn named(size: &str) -> Res<Config> {
        match size {
            "small" => Ok(Config {
                hidden: 256,
                heads: 8,
                inter: 688,
                vocab: 32000,
                layers: 2,
            }),
            "1b" => Ok(Config {
                hidden: 2048,
                heads: 16,
                inter: 5632,
                vocab: 32000,
                layers: 16,
            }),
            other => Err(format!("--size {other}: expected small or 1b").into()),
        }
    }

    /// (path, full shape, split dim: None = replicated).
    fn params(&self) -> Vec<(String, Vec<usize>, Option<usize>)> {
        let (h, i) = (self.hidden, self.inter);
        let mut p = vec![(
            "model.embed_tokens.weight".into(),
            vec![self.vocab, h],
            Some(0),
        )];
        for l in 0..self.layers {
            let at = |n: &str| format!("model.layers.{l}.{n}");
            p.push((at("input_layernorm.weight"), vec![h], None));
            for n in ["q_proj", "k_proj", "v_proj"] {
                p.push((at(&format!("self_attn.{n}.weight")), vec![h, h], Some(0)));
            }
            p.push((at("self_attn.o_proj.weight"), vec![h, h], Some(1)));
            p.push((at("post_attention_layernorm.weight"), vec![h], None));
            p.push((at("mlp.gate_proj.weight"), vec![i, h], Some(0)));
            p.push((at("mlp.up_proj.weight"), vec![i, h], Some(0)));
            p.push((at("mlp.down_proj.weight"), vec![h, i], Some(1)));
        }
        p.push(("model.norm.weight".into(), vec![h], None));
        p.push(("lm_head.weight".into(), vec![self.vocab, h], Some(0)));
        p
    }
}

/// How a backend is asked for a tensor split along `dim` (None: replicated): tensor-parallel
/// code gives candle's `Shard` hint, single-device code candle-nn's init hint.
trait Split: Backend {
    fn hint(dims: &[usize], dim: Option<usize>, rank: usize, world_size: usize) -> Self::Hints;
}

impl Split for init_candle::build::ShardedInit {
    fn hint(_: &[usize], dim: Option<usize>, rank: usize, world_size: usize) -> Shard {
        dim.map_or_else(Shard::default, |dim| Shard {
            dim,
            rank,
            world_size,
        })
    }
}

impl Split for Box<dyn SimpleBackend + '_> {
    fn hint(dims: &[usize], _: Option<usize>, _: usize, _: usize) -> candle_nn::Init {
        if dims.len() == 1 {
            candle_nn::Init::Const(1.0)
        } else {
            candle_nn::init::DEFAULT_KAIMING_NORMAL
        }
    }
}

/// One rank's tensors, by the order of `Config::params`.
struct Llama {
    cfg: Config,
    rank: usize,
    world_size: usize,
    tensors: Vec<Tensor>,
}

impl Llama {
    fn new<B: Split>(
        vb: VarBuilderArgs<'_, B>,
        cfg: Config,
        rank: usize,
        world_size: usize,
    ) -> candle_core::Result<Llama> {
        let tensors = cfg
            .params()
            .into_iter()
            .map(|(path, dims, dim)| {
                let hint = B::hint(&dims, dim, rank, world_size);
                vb.get_with_hints(dims, &path, hint)
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Llama {
            cfg,
            rank,
            world_size,
            tensors,
        })
    }

    fn held(&self) -> usize {
        self.tensors.iter().map(Tensor::elem_count).sum()
    }

    /// Logits of `tokens` (batch x seq), in f32, all vocabulary entries.
    fn forward(&self, tokens: &Tensor, comm: &mut dyn Comm) -> Res<Tensor> {
        let w: Vec<Tensor> = self
            .tensors
            .iter()
            .map(|t| t.to_dtype(DType::F32))
            .collect::<candle_core::Result<_>>()?;
        let (b, s) = tokens.dims2()?;
        let (h, ws) = (self.cfg.hidden, self.world_size);
        let heads = self.cfg.heads / ws;
        let hd = h / self.cfg.heads;
        let vocab_part = self.cfg.vocab / ws;
        let dev = tokens.device();
        // Vocab-parallel embedding: rows this rank holds, zeros elsewhere, summed over ranks.
        let lo = (self.rank * vocab_part) as i64;
        let ids = tokens.flatten_all()?.to_dtype(DType::I64)?;
        let local = ids.broadcast_sub(&Tensor::new(lo, dev)?)?;
        let inside = local.ge(0i64)?.mul(&local.lt(vocab_part as i64)?)?;
        let index = (local.clamp(0i64, vocab_part as i64 - 1)?).to_dtype(DType::U32)?;
        let mask = inside.to_dtype(DType::F32)?.unsqueeze(1)?;
        let rows = w[0].index_select(&index, 0)?.broadcast_mul(&mask)?;
        let mut x = comm.all_reduce(&rows.reshape((b, s, h))?)?;
        let causal = {
            let m: Vec<f32> = (0..s * s)
                .map(|k| {
                    if k % s > k / s {
                        f32::NEG_INFINITY
                    } else {
                        0.0
                    }
                })
                .collect();
            Tensor::from_vec(m, (s, s), dev)?
        };
        let norm = |x: &Tensor, w: &Tensor| candle_nn::ops::rms_norm(x, w, 1e-5);
        let lin = |x: &Tensor, w: &Tensor| x.broadcast_matmul(&w.t()?);
        for l in 0..self.cfg.layers {
            let p = &w[1 + 9 * l..1 + 9 * (l + 1)];
            let y = norm(&x, &p[0])?;
            let split = |x: Tensor| x.reshape((b, s, heads, hd))?.transpose(1, 2);
            let (q, k, v) = (
                split(lin(&y, &p[1])?)?,
                split(lin(&y, &p[2])?)?,
                split(lin(&y, &p[3])?)?.contiguous()?,
            );
            let scores = (q.contiguous()?.matmul(&k.t()?.contiguous()?)? / (hd as f64).sqrt())?
                .broadcast_add(&causal)?;
            let attn = candle_nn::ops::softmax_last_dim(&scores)?.matmul(&v)?;
            let attn = attn.transpose(1, 2)?.reshape((b, s, heads * hd))?;
            x = (x + comm.all_reduce(&lin(&attn, &p[4])?)?)?;
            let y = norm(&x, &p[5])?;
            let gated = (candle_nn::ops::silu(&lin(&y, &p[6])?)? * lin(&y, &p[7])?)?;
            x = (x + comm.all_reduce(&lin(&gated, &p[8])?)?)?;
        }
        let n = w.len();
        let y = norm(&x, &w[n - 2])?;
        // Vocab-parallel head: each rank's columns of the logits, gathered by summing zero-padded
        // copies (the simplest collective that every channel here has).
        let part = lin(&y, &w[n - 1])?;
        let before = self.rank * vocab_part;
        let after = self.cfg.vocab - before - vocab_part;
        let padded = Tensor::cat(
            &[
                Tensor::zeros((b, s, before), DType::F32, dev)?,
                part,
                Tensor::zeros((b, s, after), DType::F32, dev)?,
            ],
            D::Minus1,
        )?;
        comm.all_reduce(&padded)
    }
}

fn builder() -> ModelBuilder {
    ModelBuilder::new(0)
        .preset(Preset::hf(0.02))
        .rule("*norm.weight", Init::Ones)
}

fn tokens(cfg: &Config, device: &Device) -> Res<Tensor> {
    let ids: Vec<u32> = (0..2 * 16u32)
        .map(|i| (i * 7919 + 13) % cfg.vocab as u32)
        .collect();
    Ok(Tensor::from_vec(ids, (2, 16), device)?)
}

// ---- collectives ----

/// The sum over ranks of a tensor each rank holds (same shape everywhere).
trait Comm {
    fn all_reduce(&mut self, t: &Tensor) -> Res<Tensor>;
}

/// One rank: the sum is the tensor.
struct Alone;

impl Comm for Alone {
    fn all_reduce(&mut self, t: &Tensor) -> Res<Tensor> {
        Ok(t.clone())
    }
}

/// A rank's TCP connection to the launcher, which adds the ranks' f32 values in rank order
/// and sends the sum back to every rank.
struct Tcp(TcpStream);

fn send(stream: &mut TcpStream, values: &[f32]) -> std::io::Result<()> {
    stream.write_all(&(values.len() as u64).to_le_bytes())?;
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    stream.write_all(&bytes)
}

/// The next message, or None when the peer has closed the connection.
fn receive(stream: &mut TcpStream) -> std::io::Result<Option<Vec<f32>>> {
    let mut len = [0u8; 8];
    match stream.read_exact(&mut len) {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    let mut bytes = vec![0u8; u64::from_le_bytes(len) as usize * 4];
    stream.read_exact(&mut bytes)?;
    Ok(Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    ))
}

impl Tcp {
    fn exchange(&mut self, values: &[f32]) -> Res<Vec<f32>> {
        send(&mut self.0, values)?;
        receive(&mut self.0)?.ok_or_else(|| "the launcher closed the connection".into())
    }
}

impl Comm for Tcp {
    fn all_reduce(&mut self, t: &Tensor) -> Res<Tensor> {
        let sum = self.exchange(&t.flatten_all()?.to_vec1::<f32>()?)?;
        Ok(Tensor::from_vec(sum, t.shape(), t.device())?)
    }
}

/// The launcher's side: sums each round of messages over the ranks, in rank order, until the
/// ranks close their connections; returns the last sum (the logits).
fn reduce_rounds(mut ranks: Vec<TcpStream>) -> Res<Vec<f32>> {
    let mut last = Vec::new();
    loop {
        let round = ranks
            .iter_mut()
            .map(receive)
            .collect::<std::io::Result<Vec<_>>>()?;
        if round.iter().all(Option::is_none) {
            return Ok(last);
        }
        let mut sum: Option<Vec<f32>> = None;
        for (rank, values) in round.into_iter().enumerate() {
            let values =
                values.ok_or_else(|| format!("rank {rank} left in the middle of a round"))?;
            match sum.as_mut() {
                None => sum = Some(values),
                Some(s) if s.len() == values.len() => {
                    s.iter_mut().zip(values).for_each(|(a, b)| *a += b)
                }
                Some(s) => {
                    return Err(format!(
                        "rank {rank} sent {} values, rank 0 {}",
                        values.len(),
                        s.len()
                    )
                    .into())
                }
            }
        }
        let sum = sum.unwrap_or_default();
        for stream in &mut ranks {
            send(stream, &sum)?;
        }
        last = sum;
    }
}

#[cfg(feature = "nccl")]
mod nccl {
    //! NCCL's all-reduce on the ranks' GPUs, as a candle custom op.
    use std::rc::Rc;

    use candle_core::backend::BackendStorage;
    use candle_core::cuda_backend::cudarc::nccl::safe::{Comm, Id, ReduceOp};
    use candle_core::{CpuStorage, CudaStorage, CustomOp1, Layout, Shape, Tensor};

    use super::Res;

    pub struct Nccl(Rc<Comm>);

    impl Nccl {
        /// Rank `rank`'s communicator; `exchange` hands rank 0's unique id to every rank.
        pub fn new(
            device: &candle_core::Device,
            rank: usize,
            world_size: usize,
            exchange: impl FnOnce(&[f32]) -> Res<Vec<f32>>,
        ) -> Res<Nccl> {
            let candle_core::Device::Cuda(dev) = device else {
                return Err("NCCL needs a CUDA device".into());
            };
            // Rank 0's id, the others' zeros: the sum is rank 0's id.
            let mine: Vec<f32> = if rank == 0 {
                let id = Id::new().map_err(|e| format!("NCCL id: {e:?}"))?;
                id.internal().iter().map(|&c| c as u8 as f32).collect()
            } else {
                vec![0.0; 128]
            };
            let bytes = exchange(&mine)?;
            let mut internal = [0 as std::ffi::c_char; 128];
            for (c, v) in internal.iter_mut().zip(bytes) {
                *c = v as u8 as std::ffi::c_char;
            }
            let comm = Comm::from_rank(dev.cuda_stream(), rank, world_size, Id::uninit(internal))
                .map_err(|e| format!("NCCL communicator: {e:?}"))?;
            Ok(Nccl(Rc::new(comm)))
        }
    }

    struct AllReduce(Rc<Comm>);

    impl CustomOp1 for AllReduce {
        fn name(&self) -> &'static str {
            "nccl-all-reduce"
        }

        fn cpu_fwd(&self, _: &CpuStorage, _: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
            candle_core::bail!("the NCCL all-reduce runs on CUDA tensors only")
        }

        fn cuda_fwd(
            &self,
            s: &CudaStorage,
            l: &Layout,
        ) -> candle_core::Result<(CudaStorage, Shape)> {
            let Some((start, end)) = l.contiguous_offsets() else {
                candle_core::bail!("the NCCL all-reduce needs a contiguous tensor")
            };
            let src = s.as_cuda_slice::<f32>()?.slice(start..end);
            let dev = s.device().clone();
            let mut dst = dev.alloc_zeros::<f32>(end - start)?;
            self.0
                .all_reduce(&src, &mut dst, &ReduceOp::Sum)
                .map_err(|e| candle_core::Error::Msg(format!("NCCL all-reduce: {e:?}")))?;
            Ok((CudaStorage::wrap_cuda_slice(dst, dev), l.shape().clone()))
        }
    }

    impl super::Comm for Nccl {
        fn all_reduce(&mut self, t: &Tensor) -> Res<Tensor> {
            Ok(t.contiguous()?
                .apply_op1_no_bwd(&AllReduce(self.0.clone()))?)
        }
    }
}

// ---- ranks and launcher ----

struct Args {
    world_size: usize,
    dtype: DType,
    cfg: Config,
    check: bool,
    nccl: bool,
    sequential: bool,
    worker: Option<(usize, u16, String)>,
}

fn args() -> Res<Args> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let world_size: usize = value("--world-size").unwrap_or("4").parse()?;
    if world_size == 0 || 8 % world_size != 0 {
        return Err(format!("--world-size {world_size}: expected 1, 2, 4 or 8").into());
    }
    let dtype = match value("--dtype").unwrap_or("f32") {
        "f32" => DType::F32,
        "bf16" => DType::BF16,
        other => return Err(format!("--dtype {other}: expected f32 or bf16").into()),
    };
    if has("--nccl") && !cfg!(feature = "nccl") {
        return Err("--nccl needs the example built with `--features nccl` (CUDA and NCCL)".into());
    }
    let worker = match (value("--rank"), value("--port"), value("--dir")) {
        (Some(rank), Some(port), Some(dir)) => Some((rank.parse()?, port.parse()?, dir.into())),
        _ => None,
    };
    Ok(Args {
        world_size,
        dtype,
        cfg: Config::named(value("--size").unwrap_or("small"))?,
        check: !has("--skip-check"),
        nccl: has("--nccl"),
        sequential: has("--sequential"),
        worker,
    })
}

fn device_of(args: &Args, rank: usize) -> Res<Device> {
    if args.nccl {
        Ok(Device::new_cuda(rank)?)
    } else {
        Ok(Device::Cpu)
    }
}

/// Builds rank `rank`'s shards: the model, its variables, the seconds it took.
fn build_rank(args: &Args, rank: usize, device: &Device) -> Res<(Llama, VarMap, f64)> {
    let start = Instant::now();
    let built = builder().build_sharded(args.dtype, device, |vb| {
        Llama::new(vb, args.cfg, rank, args.world_size)
    })?;
    device.synchronize()?;
    Ok((built.model, built.varmap, start.elapsed().as_secs_f64()))
}

/// A rank, in its own process.
fn worker(args: &Args, rank: usize, port: u16, dir: &str) -> Res<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(&(rank as u32).to_le_bytes())?;
    let mut tcp = Tcp(stream);
    let device = device_of(args, rank)?;
    let (model, varmap, secs) = build_rank(args, rank, &device)?;
    if args.check {
        varmap.save(std::path::Path::new(dir).join(format!("rank{rank}.safetensors")))?;
    }
    let start = Instant::now();
    let mut comm: Box<dyn Comm> = if args.nccl {
        nccl_comm(&device, rank, args.world_size, &mut tcp)?
    } else {
        Box::new(Tcp(tcp.0.try_clone()?))
    };
    let logits = model.forward(&tokens(&args.cfg, &device)?, comm.as_mut())?;
    if args.nccl {
        // The launcher gathers over TCP: rank 0 sends the logits, the others zeros.
        let mine = if rank == 0 {
            logits.flatten_all()?.to_vec1::<f32>()?
        } else {
            vec![0.0; logits.elem_count()]
        };
        tcp.exchange(&mine)?;
    }
    println!(
        "rank {rank}: {:.1}M values in its shards, built in {secs:.3} s, forward step {:.3} s",
        model.held() as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(feature = "nccl")]
fn nccl_comm(device: &Device, rank: usize, world_size: usize, tcp: &mut Tcp) -> Res<Box<dyn Comm>> {
    Ok(Box::new(nccl::Nccl::new(device, rank, world_size, |id| {
        tcp.exchange(id)
    })?))
}

#[cfg(not(feature = "nccl"))]
fn nccl_comm(_: &Device, _: usize, _: usize, _: &mut Tcp) -> Res<Box<dyn Comm>> {
    Err("--nccl needs the example built with `--features nccl`".into())
}

/// Starts the ranks as processes, sums their rounds, returns the logits.
fn launch(args: &Args, dir: &std::path::Path) -> Res<Vec<f32>> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let port = listener.local_addr()?.port().to_string();
    let exe = std::env::current_exe()?;
    let mut children: Vec<Child> = Vec::new();
    for rank in 0..args.world_size {
        let mut cmd = Command::new(&exe);
        cmd.args(std::env::args().skip(1))
            .args(["--rank", &rank.to_string(), "--port", &port])
            .arg("--dir")
            .arg(dir);
        children.push(cmd.spawn()?);
    }
    let mut ranks: Vec<Option<TcpStream>> = (0..args.world_size).map(|_| None).collect();
    for _ in 0..args.world_size {
        let (mut stream, _) = listener.accept()?;
        let mut rank = [0u8; 4];
        stream.read_exact(&mut rank)?;
        let rank = u32::from_le_bytes(rank) as usize;
        *ranks
            .get_mut(rank)
            .ok_or_else(|| format!("a worker said it is rank {rank}"))? = Some(stream);
    }
    let ranks: Vec<TcpStream> = ranks
        .into_iter()
        .map(|s| s.ok_or("a rank is missing"))
        .collect::<Result<_, _>>()?;
    let logits = reduce_rounds(ranks);
    for mut child in children {
        if !child.wait()?.success() {
            return Err("a rank failed".into());
        }
    }
    logits
}

fn main() -> Res<()> {
    let args = args()?;
    if let Some((rank, port, dir)) = &args.worker {
        return worker(&args, *rank, *port, dir);
    }
    let total: usize = args
        .cfg
        .params()
        .iter()
        .map(|p| p.1.iter().product::<usize>())
        .sum();
    println!(
        "LLaMA-shaped, {:.0}M parameters, {:?}, world_size {}, {}",
        total as f64 / 1e6,
        args.dtype,
        args.world_size,
        match (args.sequential, args.nccl) {
            (true, _) => "ranks one after the other in this process",
            (false, true) => "one process per GPU, NCCL",
            (false, false) => "one process per rank (CPU)",
        }
    );
    if args.sequential {
        for rank in 0..args.world_size {
            let (model, _, secs) = build_rank(&args, rank, &Device::Cpu)?;
            println!(
                "rank {rank}: {:.1}M values in its shards, built in {secs:.3} s",
                model.held() as f64 / 1e6
            );
        }
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("tensor-parallel-init-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let logits = launch(&args, &dir);
    let checked = logits.and_then(|logits| {
        if args.check {
            check(&args, &dir, &logits)
        } else {
            Ok(())
        }
    });
    std::fs::remove_dir_all(&dir).ok();
    checked
}

/// The shards against the single-device build, the ranks' logits against its forward step.
fn check(args: &Args, dir: &std::path::Path, logits: &[f32]) -> Res<()> {
    let start = Instant::now();
    let single = builder()
        .build(args.dtype, &Device::Cpu, |vb| {
            Ok(Opaque(Llama::new(vb, args.cfg, 0, 1)?))
        })?
        .model
        .into_inner();
    println!(
        "single device: built in {:.3} s",
        start.elapsed().as_secs_f64()
    );
    let ranks: Vec<_> = (0..args.world_size)
        .map(|r| {
            candle_core::safetensors::load(dir.join(format!("rank{r}.safetensors")), &Device::Cpu)
        })
        .collect::<candle_core::Result<_>>()?;
    for (i, (path, _, dim)) in args.cfg.params().into_iter().enumerate() {
        let joined = match dim {
            Some(dim) => Tensor::cat(&ranks.iter().map(|r| &r[&path]).collect::<Vec<_>>(), dim)?,
            None => ranks[0][&path].clone(),
        };
        let bits = |t: &Tensor| -> candle_core::Result<Vec<u32>> {
            Ok(t.to_dtype(DType::F32)?
                .flatten_all()?
                .to_vec1::<f32>()?
                .iter()
                .map(|v| v.to_bits())
                .collect())
        };
        if bits(&joined)? != bits(&single.tensors[i])? {
            return Err(format!("{path}: the shards differ from the single-device tensor").into());
        }
    }
    println!("the shards put together equal the single-device model bit for bit");
    let want = single
        .forward(&tokens(&args.cfg, &Device::Cpu)?, &mut Alone)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    if want.len() != logits.len() {
        return Err(format!(
            "{} logits from the ranks, {} expected",
            logits.len(),
            want.len()
        )
        .into());
    }
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    let worst = want
        .iter()
        .zip(logits)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    println!("forward step: the ranks' logits differ from the single-device model's by at most {:.1e} (largest logit {scale:.3})", worst);
    if worst > 1e-4 * scale.max(1.0) {
        return Err(format!("the logits differ by {worst}, more than float rounding").into());
    }
    Ok(())
}
