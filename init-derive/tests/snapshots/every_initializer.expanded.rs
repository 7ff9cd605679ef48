#[automatically_derived]
impl ::init_candle::InitWeights for Every {
    fn class_name(&self) -> &'static str {
        "Every"
    }
    fn visit_own_parameters<'__m>(
        &'__m self,
        __visit: &mut dyn ::core::ops::FnMut(
            &str,
            &'__m ::init_candle::__private::Tensor,
        ),
    ) {
        __visit("uniform", ::init_candle::__private::as_parameter(&self.uniform));
        __visit("normal", ::init_candle::__private::as_parameter(&self.normal));
        __visit(
            "trunc_normal",
            ::init_candle::__private::as_parameter(&self.trunc_normal),
        );
        __visit("constant", ::init_candle::__private::as_parameter(&self.constant));
        __visit("zeros", ::init_candle::__private::as_parameter(&self.zeros));
        __visit("ones", ::init_candle::__private::as_parameter(&self.ones));
        __visit("eye", ::init_candle::__private::as_parameter(&self.eye));
        __visit("dirac", ::init_candle::__private::as_parameter(&self.dirac));
        __visit(
            "xavier_uniform",
            ::init_candle::__private::as_parameter(&self.xavier_uniform),
        );
        __visit(
            "xavier_normal",
            ::init_candle::__private::as_parameter(&self.xavier_normal),
        );
        __visit(
            "kaiming_uniform",
            ::init_candle::__private::as_parameter(&self.kaiming_uniform),
        );
        __visit(
            "kaiming_normal",
            ::init_candle::__private::as_parameter(&self.kaiming_normal),
        );
        __visit("orthogonal", ::init_candle::__private::as_parameter(&self.orthogonal));
        __visit("sparse", ::init_candle::__private::as_parameter(&self.sparse));
    }
    fn own_inits(
        &self,
    ) -> ::init_candle::__private::Result<
        ::init_candle::__private::Vec<::init_candle::__private::ParamInit>,
    > {
        ::core::result::Result::Ok(
            ::init_candle::__private::vec![
                ::init_candle::__private::ParamInit::new("uniform",
                ::init_candle::__private::as_parameter(& self.uniform),
                ::init_candle::__private::Init::Uniform { low : - 0.1f64, high : 0.1f64
                },), ::init_candle::__private::ParamInit::new("normal",
                ::init_candle::__private::as_parameter(& self.normal),
                ::init_candle::__private::Init::Normal { mean : 0f64, std : 0.01f64 },),
                ::init_candle::__private::ParamInit::new("trunc_normal",
                ::init_candle::__private::as_parameter(& self.trunc_normal),
                ::init_candle::__private::Init::TruncNormal { mean : 0f64, std : 0.02f64,
                a : - 0.04f64, b : 0.04f64 },),
                ::init_candle::__private::ParamInit::new("constant",
                ::init_candle::__private::as_parameter(& self.constant),
                ::init_candle::__private::Init::Constant { value : 0.1f64 },),
                ::init_candle::__private::ParamInit::new("zeros",
                ::init_candle::__private::as_parameter(& self.zeros),
                ::init_candle::__private::Init::Zeros,),
                ::init_candle::__private::ParamInit::new("ones",
                ::init_candle::__private::as_parameter(& self.ones),
                ::init_candle::__private::Init::Ones,),
                ::init_candle::__private::ParamInit::new("eye",
                ::init_candle::__private::as_parameter(& self.eye),
                ::init_candle::__private::Init::Eye,),
                ::init_candle::__private::ParamInit::new("dirac",
                ::init_candle::__private::as_parameter(& self.dirac),
                ::init_candle::__private::Init::Dirac { groups : 2usize },),
                ::init_candle::__private::ParamInit::new("xavier_uniform",
                ::init_candle::__private::as_parameter(& self.xavier_uniform),
                ::init_candle::__private::Init::XavierUniform { gain : 1f64 },),
                ::init_candle::__private::ParamInit::new("xavier_normal",
                ::init_candle::__private::as_parameter(& self.xavier_normal),
                ::init_candle::__private::Init::XavierNormal { gain : 1f64 },),
                ::init_candle::__private::ParamInit::new("kaiming_uniform",
                ::init_candle::__private::as_parameter(& self.kaiming_uniform),
                ::init_candle::__private::Init::KaimingUniform { a : 0f64, mode :
                ::init_candle::__private::FanMode::FanIn, nonlinearity :
                ::init_candle::__private::Nonlinearity::Relu },),
                ::init_candle::__private::ParamInit::new("kaiming_normal",
                ::init_candle::__private::as_parameter(& self.kaiming_normal),
                ::init_candle::__private::Init::KaimingNormal { a : 0f64, mode :
                ::init_candle::__private::FanMode::FanOut, nonlinearity :
                ::init_candle::__private::Nonlinearity::Relu },),
                ::init_candle::__private::ParamInit::new("orthogonal",
                ::init_candle::__private::as_parameter(& self.orthogonal),
                ::init_candle::__private::Init::Orthogonal { gain : 1f64 },),
                ::init_candle::__private::ParamInit::new("sparse",
                ::init_candle::__private::as_parameter(& self.sparse),
                ::init_candle::__private::Init::Sparse { sparsity : 0.1f64, std : 0.01f64
                },)
            ],
        )
    }
}
