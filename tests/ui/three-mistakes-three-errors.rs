use candle_nn::{Conv2d, Linear};
use init_candle::{InitWeights, InitWeightsExt};

#[derive(InitWeights)]
struct Net {
    #[init(xavier_unifrom)]
    conv: Conv2d,
    #[init(normal(mean = 0.0, sd = 0.1))]
    fc1: Linear,
    #[init(sparse)]
    fc2: Linear,
}

fn main() {
    // The fallback impl keeps this call from adding a fourth error.
    let _ = |net: &Net| net.init_weights(0);
}
