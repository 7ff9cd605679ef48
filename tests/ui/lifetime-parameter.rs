use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net<'a> {
    #[init(skip)]
    name: &'a str,
    fc: Linear,
}

fn main() {}
