use candle_nn::{Conv2d, Linear};
use init_candle::InitWeights;

#[derive(InitWeights)]
enum Layer {
    Dense(Linear),
    Conv(Conv2d),
}

fn main() {}
