use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
#[init(xavier_normal)]
struct Net {
    fc: Linear,
}

fn main() {}
