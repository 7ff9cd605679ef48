//! The table is consistent with itself: defaults and examples resolve, names are unique and
//! follow the variant naming convention, cross-references point at existing parameters.

use init_spec::{
    resolve, variant_name, Arg, At, Axes, DefaultValue, DistributionKind, FanModeKind, InitKind,
    NonlinearityKind, ParamKind, Value, VarianceModeKind, DISTRIBUTIONS, FAN_MODES, INITS,
    NONLINEARITIES, VARIANCE_MODES,
};

/// `name(key = value, ...)` split into the name and its arguments (the examples' syntax).
fn parse_example(example: &str) -> (&str, Vec<(&str, Arg<'_>)>) {
    let Some((name, rest)) = example.split_once('(') else {
        return (example, Vec::new());
    };
    let args = rest
        .trim_end_matches(')')
        .split(',')
        .map(|item| {
            let (key, value) = item.split_once('=').expect("key = value");
            let value = value.trim();
            let arg = if let Ok(n) = value.parse::<i64>() {
                Arg::Int(n)
            } else if let Ok(v) = value.parse::<f64>() {
                Arg::Float(v)
            } else {
                Arg::Name(value)
            };
            (key.trim(), arg)
        })
        .collect();
    (name, args)
}

#[test]
fn kinds_and_rows_agree() {
    assert_eq!(InitKind::ALL.len(), INITS.len());
    for (kind, def) in InitKind::ALL.iter().zip(INITS) {
        assert_eq!(kind.def(), def);
        assert_eq!(InitKind::from_name(def.name), Some(*kind));
        assert_eq!(variant_name(def.name), format!("{kind:?}"));
    }
    for (kind, def) in NonlinearityKind::ALL.iter().zip(NONLINEARITIES) {
        assert_eq!(NonlinearityKind::from_name(def.name), Some(*kind));
        assert_eq!(variant_name(def.name), format!("{kind:?}"));
    }
    for (kind, def) in FanModeKind::ALL.iter().zip(FAN_MODES) {
        assert_eq!(FanModeKind::from_name(def.name), Some(*kind));
        assert_eq!(variant_name(def.name), format!("{kind:?}"));
    }
    for (kind, def) in VarianceModeKind::ALL.iter().zip(VARIANCE_MODES) {
        assert_eq!(VarianceModeKind::from_name(def.name), Some(*kind));
        assert_eq!(variant_name(def.name), format!("{kind:?}"));
    }
    for (kind, def) in DistributionKind::ALL.iter().zip(DISTRIBUTIONS) {
        assert_eq!(DistributionKind::from_name(def.name), Some(*kind));
        assert_eq!(variant_name(def.name), format!("{kind:?}"));
    }
}

#[test]
fn instances_name_their_general_row_and_its_parameters() {
    let instances: Vec<_> = INITS.iter().filter(|d| d.instance_of.is_some()).collect();
    assert_eq!(instances.len(), 6);
    for def in instances {
        let instance = def.instance_of.unwrap();
        let general = InitKind::from_name(instance.of).unwrap().def();
        // The instance's parameters and the fixed ones are the general row's, once each.
        let mut names: Vec<&str> = def.params.iter().map(|p| p.name).collect();
        names.extend(instance.fixed.iter().map(|(name, _)| *name));
        let mut all: Vec<&str> = general.params.iter().map(|p| p.name).collect();
        names.sort_unstable();
        all.sort_unstable();
        assert_eq!(names, all, "{}", def.name);
        for param in def.params {
            assert!(
                general.params.contains(param),
                "{}.{}",
                def.name,
                param.name
            );
        }
        let args = resolve(def.name, &[("in_axis", Arg::Int(-2))]).unwrap();
        let canonical = args.canonical().unwrap();
        assert_eq!(canonical.kind().name(), instance.of);
        assert_eq!(canonical.axes("in_axis"), Some(Axes::one(-2)));
        assert_eq!(canonical.axes("out_axis"), Some(Axes::one(0)));
        // The same values as the general row given them by name.
        let mut explicit: Vec<(&str, Arg<'_>)> = instance
            .fixed
            .iter()
            .map(|(name, value)| match value {
                DefaultValue::Float(v) => (*name, Arg::Float(*v)),
                DefaultValue::Name(n) => (*name, Arg::Name(n)),
                other => panic!("{other:?}"),
            })
            .collect();
        explicit.push(("in_axis", Arg::Int(-2)));
        assert_eq!(resolve(instance.of, &explicit).unwrap(), canonical);
    }
    let lecun = resolve("lecun_normal", &[]).unwrap().canonical().unwrap();
    assert_eq!(lecun.float("scale"), Some(1.0));
    assert_eq!(lecun.variance_mode("mode"), Some(VarianceModeKind::FanIn));
    assert_eq!(
        lecun.distribution("distribution"),
        Some(DistributionKind::TruncatedNormal)
    );
    // A row that is no instance is its own canonical form.
    let normal = resolve("normal", &[]).unwrap();
    assert_eq!(normal.canonical(), Some(normal));
}

#[test]
fn axes_are_integers_or_lists_of_them() {
    let axes = Axes::new(&[0, -1]).unwrap();
    let args = resolve(
        "variance_scaling",
        &[
            ("mode", Arg::Name("fan_geo_avg")),
            ("distribution", Arg::Name("uniform")),
            ("in_axis", Arg::Int(-2)),
            ("batch_axis", Arg::Axes(axes)),
        ],
    )
    .unwrap();
    assert_eq!(args.axes("in_axis"), Some(Axes::one(-2)));
    assert_eq!(args.axes("batch_axis"), Some(axes));
    assert_eq!(args.float("scale"), Some(1.0));
    let orthogonal = resolve("orthogonal", &[("column_axis", Arg::Int(-1))]).unwrap();
    assert_eq!(orthogonal.axis("column_axis"), Some(-1));
    assert_eq!(
        resolve("orthogonal", &[]).unwrap().axis("column_axis"),
        Some(0)
    );
    assert_eq!(
        messages("orthogonal", &[("column_axis", Arg::Float(1.0))]),
        [(
            At::Value(0),
            "`column_axis` of `orthogonal` expects an axis (an integer; negative counts from \
             the end), found the number `1.0`"
                .to_owned()
        )]
    );
    assert_eq!(
        messages("orthogonal", &[("column_axis", Arg::Axes(axes))]),
        [(
            At::Value(0),
            "`column_axis` of `orthogonal` expects an axis (an integer; negative counts from \
             the end), found the axes `[0, -1]`"
                .to_owned()
        )]
    );
    let deferred = messages("lecun_normal", &[("in_axis", Arg::Deferred)]);
    assert!(
        deferred[0]
            .1
            .contains("written as integer literals (e.g. `in_axis = [0, 1]`)"),
        "{}",
        deferred[0].1
    );
    assert_eq!(
        messages("variance_scaling", &[("mode", Arg::Name("fan_average"))]),
        [
            (
                At::Value(0),
                "unknown mode `fan_average`; expected one of: `fan_in`, `fan_out`, `fan_avg` or \
                 `fan_geo_avg`"
                    .to_owned()
            ),
            (
                At::Name,
                "`variance_scaling` requires `distribution`, e.g. `variance_scaling(scale = \
                 2.0, mode = fan_in, distribution = truncated_normal)`"
                    .to_owned()
            ),
        ]
    );
    assert_eq!(
        messages(
            "variance_scaling",
            &[
                ("scale", Arg::Float(0.0)),
                ("mode", Arg::Name("fan_in")),
                ("distribution", Arg::Name("gaussian"))
            ]
        ),
        [
            (
                At::Value(0),
                "`scale` of `variance_scaling` must be a positive number, found `0.0`".to_owned()
            ),
            (
                At::Value(2),
                "unknown distribution `gaussian`; expected one of: `truncated_normal`, `normal` \
                 or `uniform`"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn examples_resolve() {
    for def in INITS {
        let (name, args) = parse_example(def.example);
        assert_eq!(name, def.name, "example of {}", def.name);
        if let Err(e) = resolve(name, &args) {
            panic!("example `{}` does not resolve: {e}", def.example);
        }
    }
}

#[test]
fn defaults_resolve_and_are_valid_values() {
    for def in INITS {
        let required = def
            .params
            .iter()
            .filter(|p| p.default == DefaultValue::Required)
            .count();
        let omitted = resolve(def.name, &[]);
        assert_eq!(omitted.is_ok(), required == 0, "{}", def.name);
        for param in def.params {
            let arg = match param.default {
                DefaultValue::Required => continue,
                DefaultValue::Float(v) => Arg::Float(v),
                DefaultValue::Count(n) => Arg::Int(n as i64),
                DefaultValue::Name(name) => Arg::Name(name),
                DefaultValue::Axis(axis) => Arg::Int(axis),
                DefaultValue::Axes(list) => Arg::Axes(Axes::new(list).unwrap()),
            };
            let (_, mut args) = parse_example(def.example);
            args.retain(|(key, _)| *key != param.name);
            let implicit = resolve(def.name, &args).unwrap();
            args.push((param.name, arg));
            let explicit = resolve(def.name, &args)
                .unwrap_or_else(|e| panic!("default of {}.{}: {e}", def.name, param.name));
            assert_eq!(explicit, implicit, "{}.{}", def.name, param.name);
        }
    }
}

/// Lowercase snake_case: a Rust field name, and a variant name once camel-cased.
fn is_snake_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

#[test]
fn names_are_identifiers() {
    let params = INITS.iter().flat_map(|d| d.params.iter().map(|p| p.name));
    let nonlinearity_params = NONLINEARITIES
        .iter()
        .filter_map(|n| n.param.map(|p| p.name));
    let names = INITS
        .iter()
        .map(|d| d.name)
        .chain(NONLINEARITIES.iter().map(|d| d.name))
        .chain(FAN_MODES.iter().map(|d| d.name))
        .chain(params)
        .chain(nonlinearity_params);
    for name in names {
        assert!(is_snake_case(name), "`{name}`");
    }
}

#[test]
fn names_are_unique_and_references_exist() {
    let mut names: Vec<&str> = INITS.iter().map(|d| d.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), INITS.len());
    for def in INITS {
        let params: Vec<&str> = def.params.iter().map(|p| p.name).collect();
        let mut unique = params.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), params.len(), "{}", def.name);
        for relation in def.relations {
            assert!(params.contains(&relation.low) && params.contains(&relation.high));
        }
        for param in def.params {
            if let ParamKind::Nonlinearity {
                param_from: Some(from),
            } = param.kind
            {
                assert!(params.contains(&from), "{}.{}", def.name, param.name);
            }
        }
    }
}

#[test]
fn leaky_relu_takes_its_slope_from_a() {
    let args = resolve("kaiming_normal", &[("a", Arg::Float(0.3))]).unwrap();
    assert_eq!(
        args.get("nonlinearity"),
        Some(&Value::Nonlinearity {
            kind: NonlinearityKind::LeakyRelu,
            param: Some(0.3)
        })
    );
    let relu = resolve("kaiming_normal", &[("nonlinearity", Arg::Name("relu"))]).unwrap();
    assert_eq!(
        relu.nonlinearity("nonlinearity"),
        Some((NonlinearityKind::Relu, None))
    );
    assert_eq!(relu.fan_mode("mode"), Some(FanModeKind::FanIn));
}

fn messages(name: &str, args: &[(&str, Arg<'_>)]) -> Vec<(At, String)> {
    resolve(name, args)
        .unwrap_err()
        .errors()
        .iter()
        .map(|e| (e.at, e.message.clone()))
        .collect()
}

#[test]
fn every_problem_is_reported_where_it_is() {
    assert_eq!(
        messages(
            "normal",
            &[
                ("sd", Arg::Float(0.1)),
                ("std", Arg::Float(-1.0)),
                ("std", Arg::Float(1.0))
            ]
        ),
        [
            (
                At::Key(0),
                "`normal` has no parameter `sd`; did you mean `std`?".to_owned()
            ),
            (
                At::Value(1),
                "`std` of `normal` must be a non-negative number, found `-1.0`".to_owned()
            ),
            (At::Key(2), "duplicate parameter `std`".to_owned()),
        ]
    );
    assert_eq!(
        messages("sparse", &[]),
        [(
            At::Name,
            "`sparse` requires `sparsity`, e.g. `sparse(sparsity = 0.1, std = 0.01)`".to_owned()
        )]
    );
    assert_eq!(
        messages("zeros", &[("value", Arg::Float(1.0))]),
        [(
            At::Key(0),
            "`zeros` takes no parameters; write `zeros`".to_owned()
        )]
    );
    assert_eq!(
        messages(
            "uniform",
            &[("low", Arg::Float(0.5)), ("high", Arg::Float(-0.5))]
        ),
        [(
            At::Value(1),
            "`uniform` needs `low <= high`, found low = 0.5, high = -0.5".to_owned()
        )]
    );
    assert_eq!(
        messages("trunc_normal", &[("a", Arg::Float(3.0))]),
        [(
            At::Name,
            "`trunc_normal` needs `a < b` (the truncation interval), found a = 3.0, b = 2.0"
                .to_owned()
        )]
    );
    assert_eq!(
        messages("kaiming_normal", &[("mode", Arg::Name("fan_inn"))]),
        [(
            At::Value(0),
            "unknown mode `fan_inn`; did you mean `fan_in`?".to_owned()
        )]
    );
    assert_eq!(
        messages("kaiming_normal", &[("nonlinearity", Arg::Float(1.0))]),
        [(
            At::Value(0),
            "`nonlinearity` of `kaiming_normal` expects a nonlinearity such as `relu` or \
             `leaky_relu` (the negative_slope of `leaky_relu` is `a`), found the number `1.0`"
                .to_owned()
        )]
    );
    assert_eq!(
        messages("dirac", &[("groups", Arg::Float(2.0))]),
        [(
            At::Value(0),
            "`groups` of `dirac` must be an integer of at least 1, found `2.0`".to_owned()
        )]
    );
    assert_eq!(
        messages("dirac", &[("groups", Arg::Int(0))]),
        [(
            At::Value(0),
            "`groups` of `dirac` must be an integer of at least 1, found `0`".to_owned()
        )]
    );
    assert_eq!(
        messages("normal", &[("std", Arg::Other("a string literal"))]),
        [(
            At::Value(0),
            "`std` of `normal` expects a number, e.g. `std = 0.5`; found a string literal"
                .to_owned()
        )]
    );
    assert_eq!(
        messages("normal", &[("mean", Arg::Float(f64::NAN))]),
        [(
            At::Value(0),
            "`mean` of `normal` must be a finite number, found `NaN`".to_owned()
        )]
    );
    let unknown = resolve("xavier", &[]).unwrap_err();
    assert!(unknown.is_unknown_init());
}

#[test]
fn deferred_values_are_checked_for_everything_but_their_value() {
    // A deferred number is accepted, and the relations it takes part in wait for its value.
    let args = resolve(
        "uniform",
        &[("low", Arg::Float(2.0)), ("high", Arg::Deferred)],
    )
    .unwrap();
    assert!(args.has_deferred());
    assert_eq!(args.get("high"), Some(&Value::Deferred));
    assert_eq!(args.float("low"), Some(2.0));
    // Keys, literal values and names are still checked.
    assert_eq!(
        messages(
            "normal",
            &[("stdev", Arg::Deferred), ("mean", Arg::Float(f64::NAN))]
        ),
        [
            (
                At::Key(0),
                "`normal` has no parameter `stdev`; did you mean `std`?".to_owned()
            ),
            (
                At::Value(1),
                "`mean` of `normal` must be a finite number, found `NaN`".to_owned()
            ),
        ]
    );
    let names = messages("kaiming_normal", &[("mode", Arg::Deferred)]);
    assert_eq!(names[0].0, At::Value(0));
    assert!(names[0].1.contains("found an expression"), "{}", names[0].1);
}
