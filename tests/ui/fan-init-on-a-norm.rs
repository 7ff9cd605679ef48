use candle_nn::{LayerNorm, Linear, RmsNorm};
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Block {
    #[init(xavier_normal)]
    ln: LayerNorm,
    #[init(normal(std = 0.02), bias = kaiming_uniform)]
    fc: Linear,
    // JAX's variance_scaling family counts fans too.
    #[init(lecun_normal)]
    rms: RmsNorm,
}

fn main() {}
