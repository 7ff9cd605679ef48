::core::compile_error! {
    "unknown key `bais`; did you mean `bias`?"
}
::core::compile_error! {
    "`InitWeights` models must be `'static` (layers are found by downcasting, which uses `Any`): remove this lifetime parameter and own the layers (or hold an `Arc`)"
}
::core::compile_error! {
    "unknown initializer `xavier_norml`; did you mean `xavier_normal`?"
}
::core::compile_error! {
    "`normal` has no parameter `stdev`; did you mean `std`?"
}
#[automatically_derived]
impl<'a, T> ::init_candle::__private::InitWeights for Bad<'a, T>
where
    T: 'static,
    'a: 'static,
{
    fn class_name(&self) -> &'static str {
        "Bad"
    }
}
