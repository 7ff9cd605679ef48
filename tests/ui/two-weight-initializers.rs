use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(xavier_normal, kaiming_normal)]
    fc: Linear,
}

fn main() {}
