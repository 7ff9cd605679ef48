use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(constant)]
    fc: Linear,
}

fn main() {}
