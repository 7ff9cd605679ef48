use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(skip, bias = zeros)]
    fc: Linear,
}

fn main() {}
