use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(xavier_norml)]
    fc: Linear,
}

fn main() {}
