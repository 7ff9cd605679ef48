use candle_nn::Embedding;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(normal(std = 0.02), bias = zeros)]
    wte: Embedding,
}

fn main() {}
