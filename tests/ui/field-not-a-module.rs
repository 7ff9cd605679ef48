use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    fc: Linear,
    dropout: f32,
}

fn main() {}
