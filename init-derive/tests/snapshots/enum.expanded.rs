::core::compile_error! {
    "`InitWeights` can only be derived for structs: an enum's variants do not all hold the same modules; wrap the layers in a struct, or implement `InitWeights` by hand"
}
#[automatically_derived]
impl ::init_candle::__private::InitWeights for Layer {
    fn class_name(&self) -> &'static str {
        "Layer"
    }
}
