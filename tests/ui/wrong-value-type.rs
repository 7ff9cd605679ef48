use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(normal(std = "0.01"))]
    fc: Linear,
}

fn main() {}
