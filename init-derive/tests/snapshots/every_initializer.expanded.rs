#[automatically_derived]
impl ::init_candle::__private::InitWeights for Every {
    fn class_name(&self) -> &'static str {
        "Every"
    }
    fn visit_parameters<'__m>(
        &'__m self,
        __visit: &mut dyn ::core::ops::FnMut(::init_candle::__private::Parameter<'__m>),
    ) {
        __visit(
            ::init_candle::__private::tensor_field(
                &self.uniform,
                "uniform",
                ::core::option::Option::Some(::init_candle::__private::Init::Uniform {
                    low: -0.1f64,
                    high: 0.1f64,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.normal,
                "normal",
                ::core::option::Option::Some(::init_candle::__private::Init::Normal {
                    mean: 0f64,
                    std: 0.01f64,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.trunc_normal,
                "trunc_normal",
                ::core::option::Option::Some(::init_candle::__private::Init::TruncNormal {
                    mean: 0f64,
                    std: 0.02f64,
                    a: -0.04f64,
                    b: 0.04f64,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.constant,
                "constant",
                ::core::option::Option::Some(::init_candle::__private::Init::Constant {
                    value: 0.1f64,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.zeros,
                "zeros",
                ::core::option::Option::Some(::init_candle::__private::Init::Zeros),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.ones,
                "ones",
                ::core::option::Option::Some(::init_candle::__private::Init::Ones),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.eye,
                "eye",
                ::core::option::Option::Some(::init_candle::__private::Init::Eye),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.dirac,
                "dirac",
                ::core::option::Option::Some(::init_candle::__private::Init::Dirac {
                    groups: 2usize,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.xavier_uniform,
                "xavier_uniform",
                ::core::option::Option::Some(::init_candle::__private::Init::XavierUniform {
                    gain: 1f64,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.xavier_normal,
                "xavier_normal",
                ::core::option::Option::Some(::init_candle::__private::Init::XavierNormal {
                    gain: 1f64,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.kaiming_uniform,
                "kaiming_uniform",
                ::core::option::Option::Some(::init_candle::__private::Init::KaimingUniform {
                    a: 0f64,
                    mode: ::init_candle::__private::FanMode::FanIn,
                    nonlinearity: ::init_candle::__private::Nonlinearity::Relu,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.kaiming_normal,
                "kaiming_normal",
                ::core::option::Option::Some(::init_candle::__private::Init::KaimingNormal {
                    a: 0f64,
                    mode: ::init_candle::__private::FanMode::FanOut,
                    nonlinearity: ::init_candle::__private::Nonlinearity::Relu,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.orthogonal,
                "orthogonal",
                ::core::option::Option::Some(::init_candle::__private::Init::Orthogonal {
                    gain: 1f64,
                    column_axis: 0i64,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.sparse,
                "sparse",
                ::core::option::Option::Some(::init_candle::__private::Init::Sparse {
                    sparsity: 0.1f64,
                    std: 0.01f64,
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.variance_scaling,
                "variance_scaling",
                ::core::option::Option::Some(::init_candle::__private::Init::VarianceScaling {
                    scale: 2f64,
                    mode: ::init_candle::__private::VarianceMode::FanIn,
                    distribution: ::init_candle::__private::Distribution::TruncatedNormal,
                    in_axis: ::init_candle::__private::Axes::from_array([1i8]),
                    out_axis: ::init_candle::__private::Axes::from_array([0i8]),
                    batch_axis: ::init_candle::__private::Axes::from_array([]),
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.lecun_normal,
                "lecun_normal",
                ::core::option::Option::Some(::init_candle::__private::Init::VarianceScaling {
                    scale: 1f64,
                    mode: ::init_candle::__private::VarianceMode::FanIn,
                    distribution: ::init_candle::__private::Distribution::TruncatedNormal,
                    in_axis: ::init_candle::__private::Axes::from_array([1i8]),
                    out_axis: ::init_candle::__private::Axes::from_array([0i8]),
                    batch_axis: ::init_candle::__private::Axes::from_array([]),
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.lecun_uniform,
                "lecun_uniform",
                ::core::option::Option::Some(::init_candle::__private::Init::VarianceScaling {
                    scale: 1f64,
                    mode: ::init_candle::__private::VarianceMode::FanIn,
                    distribution: ::init_candle::__private::Distribution::Uniform,
                    in_axis: ::init_candle::__private::Axes::from_array([1i8]),
                    out_axis: ::init_candle::__private::Axes::from_array([0i8]),
                    batch_axis: ::init_candle::__private::Axes::from_array([]),
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.he_normal,
                "he_normal",
                ::core::option::Option::Some(::init_candle::__private::Init::VarianceScaling {
                    scale: 2f64,
                    mode: ::init_candle::__private::VarianceMode::FanIn,
                    distribution: ::init_candle::__private::Distribution::TruncatedNormal,
                    in_axis: ::init_candle::__private::Axes::from_array([1i8]),
                    out_axis: ::init_candle::__private::Axes::from_array([0i8]),
                    batch_axis: ::init_candle::__private::Axes::from_array([]),
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.he_uniform,
                "he_uniform",
                ::core::option::Option::Some(::init_candle::__private::Init::VarianceScaling {
                    scale: 2f64,
                    mode: ::init_candle::__private::VarianceMode::FanIn,
                    distribution: ::init_candle::__private::Distribution::Uniform,
                    in_axis: ::init_candle::__private::Axes::from_array([1i8]),
                    out_axis: ::init_candle::__private::Axes::from_array([0i8]),
                    batch_axis: ::init_candle::__private::Axes::from_array([]),
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.glorot_normal,
                "glorot_normal",
                ::core::option::Option::Some(::init_candle::__private::Init::VarianceScaling {
                    scale: 1f64,
                    mode: ::init_candle::__private::VarianceMode::FanAvg,
                    distribution: ::init_candle::__private::Distribution::TruncatedNormal,
                    in_axis: ::init_candle::__private::Axes::from_array([1i8]),
                    out_axis: ::init_candle::__private::Axes::from_array([0i8]),
                    batch_axis: ::init_candle::__private::Axes::from_array([]),
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.glorot_uniform,
                "glorot_uniform",
                ::core::option::Option::Some(::init_candle::__private::Init::VarianceScaling {
                    scale: 1f64,
                    mode: ::init_candle::__private::VarianceMode::FanAvg,
                    distribution: ::init_candle::__private::Distribution::Uniform,
                    in_axis: ::init_candle::__private::Axes::from_array([1i8]),
                    out_axis: ::init_candle::__private::Axes::from_array([0i8]),
                    batch_axis: ::init_candle::__private::Axes::from_array([]),
                }),
            ),
        );
        __visit(
            ::init_candle::__private::tensor_field(
                &self.delta_orthogonal,
                "delta_orthogonal",
                ::core::option::Option::Some(::init_candle::__private::Init::DeltaOrthogonal {
                    scale: 1f64,
                }),
            ),
        );
    }
}
