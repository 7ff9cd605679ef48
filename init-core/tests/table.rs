//! `Init`, `Nonlinearity` and `FanMode` agree with init-spec's table: every row builds, with the
//! name, randomness, variant name and serialized fields the table gives it (the derive writes
//! `Init` values from the table by these conventions).

use init_core::{FanMode, Init, InitError, Nonlinearity};
use init_spec::{
    variant_name, Arg, DefaultValue, FanModeKind, InitKind, NonlinearityKind, ParamKind, FAN_MODES,
    INITS, NONLINEARITIES,
};

/// Each row built with its required parameters only (the values of its example).
fn build(kind: InitKind) -> Init {
    let def = kind.def();
    let args: Vec<(&str, Arg<'_>)> = def
        .params
        .iter()
        .filter(|p| p.default == DefaultValue::Required)
        .map(|p| match p.kind {
            ParamKind::VarianceMode => (p.name, Arg::Name("fan_avg")),
            ParamKind::Distribution => (p.name, Arg::Name("normal")),
            _ => (p.name, Arg::Float(0.5)),
        })
        .collect();
    Init::from_args(def.name, &args).unwrap_or_else(|e| panic!("{}: {e}", def.name))
}

#[test]
fn every_row_builds_the_variant_it_names() {
    assert_eq!(InitKind::ALL.len(), INITS.len());
    for &kind in InitKind::ALL {
        let def = kind.def();
        let init = build(kind);
        assert_eq!(init.kind(), kind);
        assert_eq!(init.name(), def.name);
        assert_eq!(init.is_random(), def.random, "{}", def.name);
        // A named instance is its general row's variant, with all of that row's fields.
        let variant = def.instance_of.map_or(def, |i| {
            InitKind::from_name(i.of)
                .expect("an instance of a row")
                .def()
        });
        let debug = format!("{init:?}");
        assert!(
            debug == variant_name(variant.name)
                || debug.starts_with(&(variant_name(variant.name) + " {")),
            "{debug} is not named after {}",
            variant.name
        );
        let json = serde_json::to_value(&init).unwrap();
        let object = json.as_object().unwrap();
        assert_eq!(object["kind"], variant.name);
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.retain(|k| *k != "kind");
        keys.sort_unstable();
        let mut params: Vec<&str> = variant.params.iter().map(|p| p.name).collect();
        params.sort_unstable();
        assert_eq!(keys, params, "fields of {}", def.name);
    }
}

#[test]
fn defaults_match_the_constructors() {
    let defaults = [
        Init::uniform(),
        Init::normal(),
        Init::trunc_normal(),
        Init::Zeros,
        Init::Ones,
        Init::eye(),
        Init::dirac(),
        Init::xavier_uniform(),
        Init::xavier_normal(),
        Init::orthogonal(),
        Init::lecun_normal(),
        Init::lecun_uniform(),
        Init::he_normal(),
        Init::he_uniform(),
        Init::glorot_normal(),
        Init::glorot_uniform(),
        Init::delta_orthogonal(),
    ];
    for init in defaults {
        assert_eq!(Init::from_args(init.name(), &[]).unwrap(), init);
    }
    // kaiming's default leaky_relu takes its slope from `a` (0), as `Init::plan` does.
    assert_eq!(
        Init::from_args("kaiming_uniform", &[]).unwrap(),
        Init::KaimingUniform {
            a: 0.0,
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LeakyRelu {
                negative_slope: 0.0
            }
        }
    );
    assert_eq!(
        Init::from_args("sparse", &[("sparsity", 0.1.into())]).unwrap(),
        Init::sparse(0.1)
    );
    assert_eq!(
        Init::from_args("dirac", &[("groups", 2.into())]).unwrap(),
        Init::Dirac { groups: 2 }
    );
}

#[test]
fn nonlinearities_and_modes_follow_the_table() {
    for (&kind, def) in NonlinearityKind::ALL.iter().zip(NONLINEARITIES) {
        let nl = Nonlinearity::from_name(def.name, None).unwrap();
        assert_eq!(nl.kind(), kind);
        assert_eq!(nl.name(), def.name);
        let debug = format!("{nl:?}");
        assert!(debug.starts_with(&variant_name(def.name)), "{debug}");
        let json = serde_json::to_value(nl).unwrap();
        let serialized = match &json {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(o) => o.keys().next().unwrap().clone(),
            other => panic!("{other}"),
        };
        assert_eq!(serialized, def.name);
        if let Some(param) = def.param {
            assert!(json.to_string().contains(param.name), "{json}");
        }
    }
    for (&kind, def) in FanModeKind::ALL.iter().zip(FAN_MODES) {
        let mode: FanMode = def.name.parse().unwrap();
        assert_eq!(mode.kind(), kind);
        assert_eq!(mode.name(), def.name);
        assert_eq!(serde_json::to_value(mode).unwrap(), def.name);
    }
}

#[test]
fn errors_list_and_suggest_from_the_table() {
    let err = Nonlinearity::from_name("rellu", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported nonlinearity `rellu`; did you mean `relu`?"
    );
    let err = Nonlinearity::from_name("banana", None).unwrap_err();
    for def in NONLINEARITIES {
        assert!(
            err.to_string().contains(&format!("`{}`", def.name)),
            "{err}"
        );
    }
    let err = "fan_avg".parse::<FanMode>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "mode `fan_avg` not supported; expected one of: `fan_in` or `fan_out`"
    );
    let err = Init::from_args("orthogonl", &[]).unwrap_err();
    assert!(matches!(err, InitError::UnknownInit(ref name) if name == "orthogonl"));
    assert_eq!(
        err.to_string(),
        "unknown initializer `orthogonl`; did you mean `orthogonal`?"
    );
    let err =
        Init::from_args("sparse", &[("sparsity", 1.5.into()), ("sd", 0.1.into())]).unwrap_err();
    assert!(matches!(err, InitError::InvalidArgs(_)));
    assert_eq!(
        err.to_string(),
        "`sparsity` of `sparse` must be a number between 0 and 1, found `1.5`; also, \
         `sparse` has no parameter `sd`; did you mean `std`?"
    );
}

/// `Display` and `args` speak the table: every row's text names its parameters as the table
/// does, in its order, and `from_args(kind, init.args())` makes the same initializer, for the
/// defaults and for other values.
#[test]
fn display_and_args_round_trip_through_the_table() {
    let others = [
        Init::Uniform {
            low: -0.25,
            high: 3.0,
        },
        Init::TruncNormal {
            mean: 1.0,
            std: 0.5,
            a: f64::NEG_INFINITY,
            b: 2.5,
        },
        Init::Dirac { groups: 3 },
        Init::KaimingNormal {
            a: 0.2,
            mode: FanMode::FanOut,
            nonlinearity: Nonlinearity::LeakyRelu {
                negative_slope: 0.2,
            },
        },
        Init::KaimingUniform {
            a: 0.0,
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::Tanh,
        },
        Init::Sparse {
            sparsity: 0.25,
            std: 0.5,
        },
        Init::Orthogonal {
            gain: 2.0,
            column_axis: -1,
        },
        Init::DeltaOrthogonal { scale: 0.5 },
        Init::he_normal()
            .with_axes(
                init_core::Axes::one(-2),
                init_core::Axes::one(-1),
                init_core::Axes::from_array([0, 1]),
            )
            .unwrap(),
        Init::variance_scaling(
            3.0,
            init_core::VarianceMode::FanGeoAvg,
            init_core::Distribution::TruncatedNormal,
        ),
    ];
    for init in InitKind::ALL.iter().map(|&k| build(k)).chain(others) {
        let args = init.args();
        let names: Vec<&str> = args.iter().map(|(n, _)| *n).collect();
        let table: Vec<&str> = init.kind().def().params.iter().map(|p| p.name).collect();
        assert_eq!(names, table, "{init}");
        assert_eq!(
            Init::from_args(init.kind().name(), &args).unwrap(),
            init,
            "{init}"
        );
        let text = init.to_string();
        assert!(text.starts_with(init.kind().name()), "{text}");
        for name in table {
            assert!(text.contains(&format!("{name}=")), "{text} names `{name}`");
        }
    }
}
