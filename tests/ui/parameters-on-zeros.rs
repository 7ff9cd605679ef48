use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(xavier_normal, bias = zeros(value = 1.0))]
    fc: Linear,
}

fn main() {}
