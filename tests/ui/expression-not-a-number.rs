use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(normal(std = self.label))]
    fc: Linear,
    #[init(skip)]
    label: &'static str,
}

fn main() {}
