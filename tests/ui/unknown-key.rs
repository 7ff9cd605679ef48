use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(xavier_normal, bais = zeros)]
    fc: Linear,
}

fn main() {}
