#[automatically_derived]
impl ::init_candle::__private::InitWeights for Net {
    fn class_name(&self) -> &'static str {
        "Net"
    }
    fn visit_children<'__m>(
        &'__m self,
        __visit: &mut dyn ::core::ops::FnMut(
            &str,
            &'__m dyn ::init_candle::__private::InitWeights,
        ),
    ) {
        ::init_candle::__private::visit_field(&self.conv1, "conv1", __visit);
        ::init_candle::__private::visit_field(&self.conv2, "conv2", __visit);
        ::init_candle::__private::visit_field(&self.fc, "fc", __visit);
        ::init_candle::__private::visit_field(&self.bn, "bn", __visit);
        ::init_candle::__private::visit_field(&self.layers, "features", __visit);
    }
    fn visit_parameters<'__m>(
        &'__m self,
        __visit: &mut dyn ::core::ops::FnMut(::init_candle::__private::Parameter<'__m>),
    ) {
        __visit(
            ::init_candle::__private::tensor_field(
                &self.pos_embedding,
                "pos_embedding",
                ::core::option::Option::Some(::init_candle::__private::Init::TruncNormal {
                    mean: 0f64,
                    std: 0.02f64,
                    a: -0.04f64,
                    b: 0.04f64,
                }),
            ),
        );
    }
    fn declared_inits(
        &self,
    ) -> ::init_candle::__private::Result<
        ::init_candle::__private::Vec<
            (&'static str, ::init_candle::__private::FieldInit),
        >,
    > {
        ::core::result::Result::Ok(
            ::init_candle::__private::vec![
                ("conv1", ::init_candle::__private::FieldInit { weight :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::Init::XavierNormal
                { gain : 1f64 })), bias :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::Init::Zeros)),
                padding_idx : ::core::option::Option::None }), ("conv2",
                ::init_candle::__private::FieldInit { weight :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::Init::KaimingNormal
                { a : 0f64, mode : ::init_candle::__private::FanMode::FanOut,
                nonlinearity : ::init_candle::__private::Nonlinearity::Relu })), bias :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::Init::Constant
                { value : 0.1f64 })), padding_idx : ::core::option::Option::None }),
                ("fc", ::init_candle::__private::FieldInit { weight :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::Init::Normal
                { mean : 0f64, std : 0.01f64 })), bias : ::core::option::Option::None,
                padding_idx : ::core::option::Option::None })
            ],
        )
    }
}
