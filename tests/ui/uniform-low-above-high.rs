use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(uniform(low = 0.5, high = -0.5))]
    fc: Linear,
}

fn main() {}
