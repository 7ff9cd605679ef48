use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(with = std_of)]
    fc: Linear,
}

fn std_of(_: &Net) -> f64 {
    0.02
}

fn main() {}
