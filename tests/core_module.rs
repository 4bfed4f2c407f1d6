//! Module algebra: `+`, `include`, `overridden_by`, set elements joining.

mod core_common;

use std::sync::Arc;

use core_common::{at, problems};
use distage::{
    Activation, BindingRole, DIKey, Error, Injector, Mode, Module, ModuleBuilder, PlannerInput,
    Problem,
};

#[derive(Debug, PartialEq)]
struct Service(&'static str);

#[derive(Debug, PartialEq)]
struct Config(u32);

/// The same declarations every time: calling it twice gives identical bindings (same origins).
fn base() -> Module {
    Module::build(|m| {
        m.make::<Service>().from_fn(|| Service("base"));
        m.make::<Config>().from_value(Config(1));
        m.many::<u32>().add_value(10).add_value(20);
    })
}

fn produce(module: Module) -> distage::Locator {
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(module)).expect("plans");
    injector.produce(&plan).expect("produces")
}

#[test]
fn plus_deduplicates_identical_bindings() {
    let one = base();
    assert_eq!(one.len(), 5, "decl + 2 elements + 2 makes: {one}");
    let twice = one.clone() + one.clone();
    assert_eq!(twice.len(), one.len(), "{twice}");
    let thrice = one.clone() + &one + twice.clone();
    assert_eq!(thrice.len(), one.len());
    let mut assigned = one.clone();
    assigned += one.clone();
    assert_eq!(assigned.len(), one.len());
    let included = Module::build(|m| {
        m.include(one.clone());
        m.include(twice.clone());
    });
    assert_eq!(included.len(), one.len());

    // No duplicate-binding conflict, and the set elements are not doubled.
    let locator = produce(twice);
    assert_eq!(*locator.get::<Service>().unwrap(), Service("base"));
    let set = locator.get_set::<u32>().unwrap();
    let values: Vec<u32> = set.iter().map(|v| **v).collect();
    assert_eq!(values, vec![10, 20]);
}

#[test]
fn building_a_module_twice_gives_distinct_bindings_and_a_clear_duplicate() {
    // A value (here `Config(1)`) could differ between builds, so joining two builds of the same
    // declarations is a duplicate the planner names, with a hint. (`Service`, made by a closure
    // that captures nothing, is provably the same binding and is kept once.)
    let twice = base() + base();
    assert_eq!(twice.len(), 9, "{twice}");
    let err = Injector::new()
        .plan(&PlannerInput::new(twice).roots::<Config>())
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("duplicate binding: `Config` is bound 2 times"),
        "{text}"
    );
    assert!(
        text.contains("the same declaration was added twice"),
        "{text}"
    );
}

/// distage treats a module as a set of bindings: where two bindings provably do the same thing,
/// `+` keeps one.
#[test]
fn plus_deduplicates_bindings_fixed_by_their_types() {
    struct Bye;
    impl distage::Injectable for Bye {
        fn dependencies() -> Vec<distage::Dependency> {
            Vec::new()
        }
        fn construct(_: &mut distage::__private::Args<'_>) -> Result<Self, distage::BoxError> {
            Ok(Bye)
        }
    }
    fn make_service(c: Arc<Config>) -> Service {
        Service(if c.0 == 1 { "one" } else { "other" })
    }
    let mk = || {
        Module::build(|b| {
            b.make::<Bye>().from::<Bye>();
            b.make::<Service>().from_fn(make_service);
            b.make::<Config>().from_fn(|| Config(1));
            b.make::<Config>()
                .named("tagged")
                .from_fn(|| Config(2))
                .tagged(Mode::Test);
        })
    };
    let twice = mk() + mk();
    assert_eq!(twice.len(), 4, "{twice}");
    let locator = produce(twice);
    assert!(locator.get::<Bye>().is_ok());
    assert_eq!(*locator.get::<Service>().unwrap(), Service("one"));

    // What cannot be proven the same stays two bindings, and a duplicate: a closure that
    // captures something, a different tag, a parameter with another id.
    let capturing = |n: u32| {
        Module::build(move |b| {
            b.make::<Config>().from_fn(move || Config(n));
        })
    };
    assert_eq!((capturing(1) + capturing(1)).len(), 2);
    let tagged = |mode: Mode| {
        Module::build(move |b| {
            b.make::<Bye>().from::<Bye>().tagged(mode);
        })
    };
    assert_eq!((tagged(Mode::Prod) + tagged(Mode::Test)).len(), 2);
    let named = |id: &'static str| {
        Module::build(move |b| {
            b.make::<Service>()
                .from_fn(distage::Functoid::of(make_service).named(0, id));
        })
    };
    assert_eq!((named("a") + named("a")).len(), 1);
    assert_eq!((named("a") + named("b")).len(), 2);

    // A module keeps what it was built with, wherever it goes.
    let three = Module::build(|b| {
        for _ in 0..3 {
            b.many::<u32>().add_fn(|| 5u32);
        }
    });
    assert_eq!((Module::new() + three.clone()).len(), three.len());
}

#[test]
fn plus_keeps_distinct_bindings_of_one_key() {
    let mut a = ModuleBuilder::new();
    let line_a = line!() + 1;
    a.make::<Service>().from_fn(|| Service("a"));
    let mut b = ModuleBuilder::new();
    let line_b = line!() + 1;
    b.make::<Service>().from_fn(|| Service("b"));
    let sum = a.build() + b.build();
    assert_eq!(sum.len(), 2);
    assert_eq!(sum.keys(), vec![&DIKey::of::<Service>()]);
    let origins: Vec<u32> = sum.bindings().iter().map(|b| b.origin().line()).collect();
    assert_eq!(origins, vec![line_a, line_b]);

    let err = Injector::new()
        .plan(&PlannerInput::new(sum).roots::<Service>())
        .unwrap_err();
    let [
        Problem::Conflict {
            key, candidates, ..
        },
    ] = problems(&err)
    else {
        panic!("expected one conflict, got {err}");
    };
    assert_eq!(*key, DIKey::of::<Service>());
    let lines: Vec<u32> = candidates.iter().map(|c| c.origin.line()).collect();
    assert_eq!(lines, vec![line_a, line_b]);
    let text = err.to_string();
    assert!(
        text.contains("duplicate binding: `Service` is bound 2 times"),
        "{text}"
    );
    assert!(text.contains(&at(file!(), line_a)), "{text}");
    assert!(text.contains(&at(file!(), line_b)), "{text}");
}

#[test]
fn plus_is_a_union_of_different_keys() {
    let a = Module::build(|m| {
        m.make::<Service>().from_fn(|| Service("a"));
    });
    let b = Module::build(|m| {
        m.make::<Config>().from_value(Config(7));
    });
    let sum = a + b;
    assert_eq!(
        sum.keys(),
        vec![&DIKey::of::<Service>(), &DIKey::of::<Config>()]
    );
    let locator = produce(sum);
    assert_eq!(*locator.get::<Config>().unwrap(), Config(7));
    assert_eq!(*locator.get::<Service>().unwrap(), Service("a"));
}

#[test]
fn overridden_by_replaces_every_binding_of_the_key_including_tagged_ones() {
    let original = Module::build(|m| {
        m.make::<Service>().from_fn(|| Service("default"));
        m.make::<Service>()
            .tagged(Mode::Prod)
            .from_fn(|| Service("prod"));
        m.make::<Service>()
            .tagged(Mode::Test)
            .from_fn(|| Service("test"));
        m.make::<Config>().from_value(Config(1));
    });
    let mut over = ModuleBuilder::new();
    let line_over = line!() + 1;
    over.make::<Service>().from_fn(|| Service("override"));
    let merged = original.overridden_by(&over.build());

    let services: Vec<_> = merged
        .bindings()
        .iter()
        .filter(|b| *b.key() == DIKey::of::<Service>())
        .collect();
    assert_eq!(services.len(), 1, "{merged}");
    assert_eq!(services[0].origin().line(), line_over);
    assert!(services[0].tags().is_empty());
    // Other keys are untouched.
    assert_eq!(merged.len(), 2, "{merged}");

    for activation in [
        Activation::new(),
        Activation::new().with(Mode::Prod),
        Activation::new().with(Mode::Test),
    ] {
        let injector = Injector::new();
        let plan = injector
            .plan(&PlannerInput::new(merged.clone()).activation(activation.clone()))
            .unwrap_or_else(|e| panic!("{activation}: {e}"));
        let locator = injector.produce(&plan).unwrap();
        assert_eq!(*locator.get::<Service>().unwrap(), Service("override"));
        assert_eq!(*locator.get::<Config>().unwrap(), Config(1));
    }
}

#[test]
fn a_tagged_override_removes_the_alternatives_it_does_not_mention() {
    let original = Module::build(|m| {
        m.make::<Service>()
            .tagged(Mode::Prod)
            .from_fn(|| Service("prod"));
        m.make::<Service>()
            .tagged(Mode::Test)
            .from_fn(|| Service("test"));
    });
    let over = Module::build(|m| {
        m.make::<Service>()
            .tagged(Mode::Prod)
            .from_fn(|| Service("new prod"));
    });
    let merged = original.overridden_by(&over);
    assert_eq!(merged.len(), 1, "{merged}");

    let injector = Injector::new();
    let prod = injector
        .plan(
            &PlannerInput::new(merged.clone())
                .activation(Activation::new().with(Mode::Prod))
                .roots::<Service>(),
        )
        .unwrap();
    let locator = injector.produce(&prod).unwrap();
    assert_eq!(*locator.get::<Service>().unwrap(), Service("new prod"));

    // The Test alternative was replaced too: under Test nothing is left.
    let err = injector
        .plan(
            &PlannerInput::new(merged)
                .activation(Activation::new().with(Mode::Test))
                .roots::<Service>(),
        )
        .unwrap_err();
    let [Problem::Missing { key, ruled_out, .. }] = problems(&err) else {
        panic!("expected one missing key, got {err}");
    };
    assert_eq!(*key, DIKey::of::<Service>());
    assert_eq!(ruled_out.len(), 1);
    assert_eq!(ruled_out[0].tags.to_string(), "[Mode::Prod]");
}

#[test]
fn overridden_by_keeps_set_elements_of_both_and_replaces_nothing_else() {
    let a = Module::build(|m| {
        m.many::<u32>().add_value(1);
        m.make::<Config>().from_value(Config(1));
    });
    let b = Module::build(|m| {
        m.many::<u32>().add_value(2);
    });
    let merged = a.overridden_by(&b);
    let locator = produce(merged);
    let values: Vec<u32> = locator
        .get_set::<u32>()
        .unwrap()
        .iter()
        .map(|v| **v)
        .collect();
    assert_eq!(values, vec![1, 2]);
    assert_eq!(*locator.get::<Config>().unwrap(), Config(1));
}

#[test]
fn set_elements_from_several_modules_join() {
    let a = Module::build(|m| {
        m.many::<u32>().add_value(1).add_fn(|| 2u32);
    });
    let b = Module::build(|m| {
        m.many::<u32>().add_value(3);
    });
    let c = Module::build(|m| {
        m.many::<u32>().add_arc(Arc::new(4));
    });
    let locator = produce(a + b + c);
    let values: Vec<u32> = locator
        .get_set::<u32>()
        .unwrap()
        .iter()
        .map(|v| **v)
        .collect();
    assert_eq!(values, vec![1, 2, 3, 4]);
}

#[test]
fn module_roles_keys_and_display() {
    let m = base();
    let roles: Vec<BindingRole> = m.bindings().iter().map(|b| b.role()).collect();
    assert_eq!(
        roles,
        vec![
            BindingRole::Single,
            BindingRole::Single,
            BindingRole::SetDeclaration,
            BindingRole::SetElement { weak: false },
            BindingRole::SetElement { weak: false },
        ]
    );
    assert_eq!(
        m.keys(),
        vec![
            &DIKey::of::<Service>(),
            &DIKey::of::<Config>(),
            &DIKey::set_of::<u32>()
        ]
    );
    let text = m.to_string();
    assert!(text.starts_with("module with 5 bindings"), "{text}");
    assert!(
        text.contains("make Service := fn at tests/core_module.rs:"),
        "{text}"
    );
    assert!(text.contains("many Set<u32> += value u32"), "{text}");
    assert!(Module::new().is_empty());
}

/// Bindings written on one line of a loop share an origin, but they are not the same binding:
/// their values differ. Deduplicating them silently drops set elements.
#[test]
fn set_elements_added_in_a_loop_are_all_kept() {
    let module = Module::build(|m| {
        for v in [1u32, 2, 3] {
            m.many::<u32>().add_value(v);
        }
    });
    let locator = produce(module);
    let values: Vec<u32> = locator
        .get_set::<u32>()
        .unwrap()
        .iter()
        .map(|v| **v)
        .collect();
    assert_eq!(values, vec![1, 2, 3]);
}

/// Two modules from one helper with different values are different bindings of one key: a
/// conflict, not a silent pick of the first value.
#[test]
fn values_from_one_helper_with_different_arguments_are_distinct_bindings() {
    fn config(v: u32) -> Module {
        Module::build(|m| {
            m.make::<Config>().from_value(Config(v));
        })
    }
    let sum = config(1) + config(2);
    assert_eq!(sum.len(), 2, "{sum}");
    let err = Injector::new()
        .plan(&PlannerInput::new(sum).roots::<Config>())
        .unwrap_err();
    assert!(
        matches!(problems(&err), [Problem::Conflict { .. }]),
        "{err}"
    );
}

#[test]
fn plan_error_is_the_plan_variant() {
    let module = Module::build(|m| {
        m.make::<Service>().from_fn(|_: Arc<Config>| Service("x"));
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(module))
        .unwrap_err();
    assert!(matches!(err, Error::Plan(_)));
}
