use candle_nn::Conv2d;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(kaiming_uniform(nonlinearity = rellu))]
    conv: Conv2d,
}

fn main() {}
