use candle_core::Tensor;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Embeddings {
    #[init(normal(std = 0.02), bias = zeros)]
    positions: Tensor,
}

fn main() {}
