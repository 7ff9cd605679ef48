use candle_nn::{LayerNorm, Linear};
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Block {
    #[init(xavier_normal)]
    ln: LayerNorm,
    #[init(normal(std = 0.02), bias = kaiming_uniform)]
    fc: Linear,
}

fn main() {}
