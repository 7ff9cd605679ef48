use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(xavier_normal, bias = zeros, bias = ones)]
    fc: Linear,
}

fn main() {}
