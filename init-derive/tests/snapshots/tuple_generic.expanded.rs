#[automatically_derived]
impl<A, B: Clone, C> ::init_candle::__private::InitWeights for Pair<A, B, C>
where
    C: Default,
    A: ::init_candle::__private::InitWeights,
    B: ::init_candle::__private::InitWeights,
    C: 'static,
{
    fn class_name(&self) -> &'static str {
        "Pair"
    }
    fn visit_children<'__m>(
        &'__m self,
        __visit: &mut dyn ::core::ops::FnMut(
            &str,
            &'__m dyn ::init_candle::__private::InitWeights,
        ),
    ) {
        ::init_candle::__private::visit_field(&self.0, "0", __visit);
        ::init_candle::__private::visit_field(&self.1, "1", __visit);
    }
}
