use candle_nn::Conv2d;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(kaiming_normal(mode = fan_inn))]
    conv: Conv2d,
}

fn main() {}
