#[automatically_derived]
impl ::init_candle::__private::InitWeights for Block {
    fn class_name(&self) -> &'static str {
        "Block"
    }
    fn visit_children<'__m>(
        &'__m self,
        __visit: &mut dyn ::core::ops::FnMut(
            &str,
            &'__m dyn ::init_candle::__private::InitWeights,
        ),
    ) {
        ::init_candle::__private::visit_field(&self.c_fc, "c_fc", __visit);
        ::init_candle::__private::visit_field(&self.c_proj, "c_proj", __visit);
        ::init_candle::__private::visit_field(&self.conv, "conv", __visit);
        ::init_candle::__private::visit_field(&self.head, "head", __visit);
    }
    fn visit_parameters<'__m>(
        &'__m self,
        __visit: &mut dyn ::core::ops::FnMut(::init_candle::__private::Parameter<'__m>),
    ) {
        __visit(
            ::init_candle::__private::tensor_field_computed(
                &self.pos,
                "pos",
                ::init_candle::__private::Init::from_args(
                        "trunc_normal",
                        &[
                            ("std", ::init_candle::__private::arg(self.cfg.std)),
                            ("a", ::init_candle::__private::arg(-2.0 * self.cfg.std)),
                            ("b", ::init_candle::__private::arg(2.0 * self.cfg.std)),
                        ],
                    )
                    .map_err(::init_candle::__private::Error::from),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field_computed(
                &self.kernels,
                "kernels",
                ::init_candle::__private::Init::from_args(
                        "variance_scaling",
                        &[
                            ("scale", ::init_candle::__private::arg(self.cfg.scale)),
                            ("mode", ::init_candle::__private::Arg::Name("fan_avg")),
                            (
                                "distribution",
                                ::init_candle::__private::Arg::Name("truncated_normal"),
                            ),
                            ("in_axis", ::init_candle::__private::Arg::Int(-2i64)),
                            ("out_axis", ::init_candle::__private::Arg::Int(-1i64)),
                            ("batch_axis", ::init_candle::__private::axes(&[0i64])),
                        ],
                    )
                    .map_err(::init_candle::__private::Error::from),
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
                ("c_fc", ::init_candle::__private::FieldInit { weight :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::declared("c_fc",
                "weight", ::init_candle::__private::Init::from_args("normal", & [("std",
                ::init_candle::__private::arg(STD))])
                .map_err(::init_candle::__private::Error::from)) ?)), bias :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::declared("c_fc",
                "bias", ::init_candle::__private::Init::from_args("constant", &
                [("value", ::init_candle::__private::arg(consts::BIAS))])
                .map_err(::init_candle::__private::Error::from)) ?)), padding_idx :
                ::core::option::Option::None }), ("c_proj",
                ::init_candle::__private::FieldInit { weight :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::declared("c_proj",
                "weight", ::init_candle::__private::Init::from_args("normal", & [("mean",
                ::init_candle::__private::Arg::Float(0f64)), ("std",
                ::init_candle::__private::arg(0.02 / (2.0 * self.cfg.n_layer as f64)
                .sqrt()))]).map_err(::init_candle::__private::Error::from)) ?)), bias :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::Init::Zeros)),
                padding_idx : ::core::option::Option::None }), ("conv",
                ::init_candle::__private::FieldInit { weight :
                ::core::option::Option::Some(::init_candle::__private::Declared::Init(::init_candle::__private::declared("conv",
                "weight", ::init_candle::__private::Init::from_args("kaiming_uniform", &
                [("a", ::init_candle::__private::arg(self.slope)), ("mode",
                ::init_candle::__private::Arg::Name("fan_out")), ("nonlinearity",
                ::init_candle::__private::Arg::Name("leaky_relu"))])
                .map_err(::init_candle::__private::Error::from)) ?)), bias :
                ::core::option::Option::None, padding_idx : ::core::option::Option::None
                }), ("head", ::init_candle::__private::FieldInit { weight :
                ::core::option::Option::Some(::init_candle::__private::with_declared(self,
                "head", "weight", ::init_candle::__private::InitWeights::as_field(& self
                .head), Block::head_init,) ?), bias :
                ::core::option::Option::Some(::init_candle::__private::with_declared(self,
                "head", "bias", ::init_candle::__private::InitWeights::as_field(& self
                .head), zero_bias,) ?), padding_idx : ::core::option::Option::None })
            ],
        )
    }
}
