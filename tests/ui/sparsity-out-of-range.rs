use candle_nn::Linear;
use init_candle::InitWeights;

#[derive(InitWeights)]
struct Net {
    #[init(sparse(sparsity = 1.5))]
    fc: Linear,
}

fn main() {}
