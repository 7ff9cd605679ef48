use candle_nn::Linear;
use init_candle::InitWeights;

const MODE: &str = "fan_out";

#[derive(InitWeights)]
struct Net {
    #[init(kaiming_normal(mode = MODE, nonlinearity = self.nonlinearity()))]
    fc: Linear,
}

fn main() {}
