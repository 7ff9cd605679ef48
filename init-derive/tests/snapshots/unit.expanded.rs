#[automatically_derived]
impl ::init_candle::__private::InitWeights for Identity {
    fn class_name(&self) -> &'static str {
        "Identity"
    }
}
