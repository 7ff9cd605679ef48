use candle_core::Tensor;
use candle_nn::{Conv2d, Linear};
use init_candle::InitWeights;

const AXIS: i64 = 1;

#[derive(InitWeights)]
struct Net {
    #[init(variance_scaling(scale = 2.0, mode = fan_average, distribution = gaussian))]
    a: Linear,
    #[init(lecun_normal(in_axis = 1.5, batch_axis = [0, x]))]
    b: Conv2d,
    #[init(orthogonal(column_axis = AXIS))]
    c: Tensor,
    #[init(he_normal(scale = 2.0))]
    d: Linear,
}

fn main() {}
