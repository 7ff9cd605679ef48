use init_candle::InitWeights;

#[derive(InitWeights)]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
