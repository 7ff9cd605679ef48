use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Head {
    #[init(normal(std = 0.02), padding_idx = 0)]
    fc: Linear,
}

fn main() {}
