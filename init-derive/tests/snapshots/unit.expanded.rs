#[automatically_derived]
impl ::init_candle::InitWeights for Identity {
    fn class_name(&self) -> &'static str {
        "Identity"
    }
}
