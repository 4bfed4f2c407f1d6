//! Producing plans and using locators: singletons, lookups, function injection, closing.

mod core_common;

use std::sync::Arc;

use core_common::{Drops, problems};
use distage::__private::Args;
use distage::{
    BoxError, DIKey, Dependency, Error, Inject, Injectable, Injector, Lazy, Locator, Module,
    PlannerInput, Problem, Set, Value,
};

#[derive(Debug)]
struct Db {
    url: String,
}

struct Repo {
    db: Arc<Db>,
}

struct Service {
    repo: Arc<Repo>,
    db: Arc<Db>,
}

/// Implemented by hand, as `#[derive(Injectable)]` would.
impl Injectable for Service {
    fn dependencies() -> Vec<Dependency> {
        vec![
            <Arc<Repo> as Inject>::dependency(None),
            <Arc<Db> as Inject>::dependency(None),
        ]
    }
    fn construct(args: &mut Args<'_>) -> Result<Self, BoxError> {
        Ok(Service {
            repo: args.take()?,
            db: args.take()?,
        })
    }
}

trait Greeter: Send + Sync {
    fn greet(&self) -> String;
}

struct English {
    db: Arc<Db>,
}

impl Injectable for English {
    fn dependencies() -> Vec<Dependency> {
        vec![<Arc<Db> as Inject>::dependency(None)]
    }
    fn construct(args: &mut Args<'_>) -> Result<Self, BoxError> {
        Ok(English { db: args.take()? })
    }
}

impl Greeter for English {
    fn greet(&self) -> String {
        format!("hello from {}", self.db.url)
    }
}

fn module(constructed: &Drops) -> Module {
    let c = constructed.clone();
    Module::build(move |m| {
        let c = c.clone();
        m.make::<Db>().from_fn(move || {
            c.bump();
            Db {
                url: "pg://db".into(),
            }
        });
        m.make::<Repo>().from_fn(|db: Arc<Db>| Repo { db });
        m.make::<Service>().from::<Service>();
        m.make::<dyn Greeter>().from_impl::<English>(|e| e);
    })
}

fn produce(module: Module) -> Locator {
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(module)).unwrap();
    injector.produce(&plan).unwrap()
}

#[test]
fn one_instance_per_key_shared_by_every_dependent() {
    let constructed = Drops::new();
    let locator = produce(module(&constructed));
    assert_eq!(constructed.count(), 1);
    let db = locator.get::<Db>().unwrap();
    let repo = locator.get::<Repo>().unwrap();
    let service = locator.get::<Service>().unwrap();
    assert!(Arc::ptr_eq(&db, &repo.db));
    assert!(Arc::ptr_eq(&db, &service.db));
    assert!(Arc::ptr_eq(&repo, &service.repo));
    assert!(Arc::ptr_eq(&db, &locator.get::<Db>().unwrap()));
    assert!(Arc::ptr_eq(&service, &locator.get::<Service>().unwrap()));
    assert_eq!(
        locator.get::<dyn Greeter>().unwrap().greet(),
        "hello from pg://db"
    );
}

#[test]
fn producing_a_plan_twice_gives_fresh_instances() {
    let constructed = Drops::new();
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(module(&constructed)))
        .unwrap();
    let first = injector.produce(&plan).unwrap();
    let second = injector.produce(&plan).unwrap();
    assert_eq!(constructed.count(), 2);
    let (db1, db2) = (first.get::<Db>().unwrap(), second.get::<Db>().unwrap());
    assert!(!Arc::ptr_eq(&db1, &db2));
    assert!(Arc::ptr_eq(&db1, &first.get::<Service>().unwrap().db));
    assert!(Arc::ptr_eq(&db2, &second.get::<Service>().unwrap().db));
    assert!(!Arc::ptr_eq(
        &first.get::<Service>().unwrap(),
        &second.get::<Service>().unwrap()
    ));
}

#[test]
fn get_find_has_and_not_found() {
    struct NotBound;
    let locator = produce(module(&Drops::new()));
    assert!(locator.has::<Db>());
    assert!(locator.has::<dyn Greeter>());
    assert!(locator.has_key(&DIKey::of::<Repo>()));
    assert!(!locator.has::<NotBound>());
    assert!(locator.find::<Repo>().is_some());
    assert!(locator.find::<NotBound>().is_none());
    let err = locator.get::<NotBound>().err().unwrap();
    assert!(
        matches!(&err, Error::NotFound { key, needed_by: None } if *key == DIKey::of::<NotBound>()),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "no instance of `NotBound` in this locator");
}

/// Ids of any length, bound from a `&'static str`, a `String` or an `Arc<str>`, are found by
/// any of them (short ids are stored inside the key, long ones are not).
#[test]
fn named_keys_are_found_whatever_the_id_length_or_source() {
    let long = "a-connection-string-name-longer-than-twenty-two-bytes";
    let module = Module::build(|m| {
        m.make::<String>()
            .named("short")
            .from_value("s".to_string());
        m.make::<String>()
            .named(long.to_string())
            .from_value("l".to_string());
        m.make::<u8>()
            .named(Arc::<str>::from("exactly-22-bytes-long!"))
            .from_value(22);
        m.make::<u8>()
            .named("exactly-23-bytes-long!!")
            .from_value(23);
    });
    let locator = produce(module);
    assert_eq!(*locator.get_named::<String>("short").unwrap(), "s");
    assert_eq!(*locator.get_named::<String>(long).unwrap(), "l");
    assert_eq!(
        *locator.get_named::<u8>("exactly-22-bytes-long!").unwrap(),
        22
    );
    assert_eq!(
        *locator.get_named::<u8>("exactly-23-bytes-long!!").unwrap(),
        23
    );
    assert!(locator.has_key(&DIKey::named::<String>(long.to_string())));
    assert!(locator.find_named::<String>(&long[..22]).is_none());
    assert!(locator.find_named::<u8>("exactly-22-bytes-long").is_none());
}

/// Ids that differ only by trailing zero bytes hash apart, and keys whose 64-bit hashes are
/// equal would still be told apart: each is found, in its locator and from a child's.
#[test]
fn ids_differing_only_by_trailing_zero_bytes_are_different_keys() {
    let module = Module::build(|m| {
        m.make::<u8>().named("a").from_value(1);
        m.make::<u8>().named("a\0").from_value(2);
        m.make::<u8>().named("a\0\0\0\0\0\0\0").from_value(3);
    });
    let parent = produce(module);
    assert_ne!(
        DIKey::named::<u8>("a"),
        DIKey::named::<u8>("a\0"),
        "different ids"
    );
    let injector = Injector::inherit(&parent);
    let child = injector
        .produce(
            &injector
                .plan(&PlannerInput::new(Module::default()))
                .unwrap(),
        )
        .unwrap();
    for locator in [&parent, &child] {
        assert_eq!(*locator.get_named::<u8>("a").unwrap(), 1);
        assert_eq!(*locator.get_named::<u8>("a\0").unwrap(), 2);
        assert_eq!(*locator.get_named::<u8>("a\0\0\0\0\0\0\0").unwrap(), 3);
        assert!(locator.find_named::<u8>("a\0\0").is_none());
    }
}

#[test]
fn named_and_unnamed_keys_never_match_each_other() {
    let module = Module::build(|m| {
        m.make::<String>()
            .named("db-url")
            .from_value("pg://named".to_string());
        m.make::<String>()
            .named("other")
            .from_value("other".to_string());
        m.make::<u32>().from_value(7);
    });
    let locator = produce(module);
    assert_eq!(
        *locator.get_named::<String>("db-url").unwrap(),
        "pg://named"
    );
    assert_eq!(*locator.get_named::<String>("other").unwrap(), "other");
    assert!(locator.get::<String>().is_err());
    assert!(locator.find::<String>().is_none());
    assert!(!locator.has::<String>());
    assert!(locator.has_key(&DIKey::named::<String>("db-url")));
    assert!(!locator.has_key(&DIKey::named::<String>("nope")));
    assert!(locator.find_named::<String>("nope").is_none());
    assert!(locator.get_named::<u32>("x").is_err());
    assert_eq!(*locator.get::<u32>().unwrap(), 7);
    let err = locator.get_named::<String>("nope").unwrap_err();
    assert_eq!(
        err.to_string(),
        "no instance of `String @ \"nope\"` in this locator"
    );

    // The planner agrees: an unnamed dependency is not satisfied by a named binding.
    let module = Module::build(|m| {
        m.make::<String>()
            .named("db-url")
            .from_value("x".to_string());
        m.make::<Db>().from_fn(|url: String| Db { url });
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(module).roots::<Db>())
        .unwrap_err();
    assert!(
        matches!(problems(&err), [Problem::Missing { key, .. }] if *key == DIKey::of::<String>()),
        "{err}"
    );
}

#[test]
fn run_injects_several_kinds_of_parameters() {
    struct Absent;
    let module = Module::build(|m| {
        m.make::<Db>().from_fn(|| Db { url: "u".into() });
        m.make::<String>().from_value("hello".to_string());
        m.make::<u32>().from_value(42);
        m.many::<u8>().add_value(1).add_value(2);
    });
    let locator = produce(module);
    let db = locator.get::<Db>().unwrap();
    let out = locator
        .run(
            |d: Arc<Db>,
             s: String,
             n: u32,
             set: Set<u8>,
             absent: Option<Arc<Absent>>,
             present: Option<Arc<Db>>| {
                assert!(absent.is_none());
                let present = present.expect("bound");
                assert!(Arc::ptr_eq(&d, &present));
                let items: Vec<u8> = set.iter().map(|x| **x).collect();
                (d, format!("{s} {n} {items:?}"))
            },
        )
        .unwrap();
    assert!(Arc::ptr_eq(&out.0, &db));
    assert_eq!(out.1, "hello 42 [1, 2]");

    // A missing parameter is an error naming it.
    let err = locator.run(|_: Arc<Absent>| ()).unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { key, .. } if *key == DIKey::of::<Absent>()),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("needed by a function given to `run`"),
        "{err}"
    );
}

#[test]
fn produce_run_roots_the_plan_at_the_parameters() {
    let constructed = Drops::new();
    let c = constructed.clone();
    let unused = Drops::new();
    let u = unused.clone();
    struct Unused;
    let module = Module::build(move |m| {
        let c = c.clone();
        m.make::<Db>().from_fn(move || {
            c.bump();
            Db { url: "u".into() }
        });
        m.make::<Repo>().from_fn(|db: Arc<Db>| Repo { db });
        let u = u.clone();
        m.make::<Unused>().from_fn(move || {
            u.bump();
            Unused
        });
    });
    let url = Injector::new()
        .produce_run(&PlannerInput::new(module), |r: Arc<Repo>| r.db.url.clone())
        .unwrap();
    assert_eq!(url, "u");
    assert_eq!(constructed.count(), 1);
    assert_eq!(unused.count(), 0);
}

#[test]
fn produce_run_with_an_unbound_optional_parameter_gets_none() {
    struct Absent;
    let module = Module::build(|m| {
        m.make::<u32>().from_value(5);
    });
    let out = Injector::new()
        .produce_run(
            &PlannerInput::new(module),
            |n: Arc<u32>, a: Option<Arc<Absent>>| (*n, a.is_none()),
        )
        .unwrap();
    assert_eq!(out, (5, true));
}

#[test]
fn lookups_after_close_fail_with_closed() {
    let locator = produce(module(&Drops::new()));
    let handle = locator.locator_ref();
    assert!(handle.get::<Db>().is_ok());
    assert!(!locator.is_closed());
    locator.close().unwrap();
    let err = handle.get::<Db>().unwrap_err();
    assert!(matches!(err, Error::Closed { .. }), "{err:?}");
    assert!(handle.find::<Db>().is_none());
}

#[test]
fn get_and_run_on_a_closed_locator_fail_with_closed() {
    // Keep the closed state reachable: a child locator holds its parent.
    let parent = produce(module(&Drops::new()));
    let child = Injector::inherit(&parent);
    let plan = child
        .plan(&PlannerInput::new(Module::build(|m| {
            m.make::<u8>().from_value(1);
        })))
        .unwrap();
    let child_locator = child.produce(&plan).unwrap();
    assert!(child_locator.get::<Db>().is_ok());
    parent.close().unwrap();
    let err = child_locator.get::<Db>().unwrap_err();
    assert!(
        matches!(&err, Error::Closed { key: Some(k) } if *k == DIKey::of::<Db>()),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the locator is closed: `Db` can no longer be obtained"
    );
    assert!(matches!(
        child_locator.run(|_: Arc<Db>| ()).unwrap_err(),
        Error::Closed { .. }
    ));
    // Closing the parent closed the child first: its own instances are gone too.
    assert!(child_locator.is_closed());
    assert!(matches!(
        child_locator.get::<u8>().unwrap_err(),
        Error::Closed { .. }
    ));
}

#[test]
fn a_lazy_handle_after_the_locator_is_gone_is_closed() {
    let module = Module::build(|m| {
        m.make::<Db>().from_fn(|| Db { url: "u".into() });
    });
    let locator = produce(module);
    let lazy: Lazy<Db> = locator.run(|l: Lazy<Db>| l).unwrap();
    assert_eq!(lazy.get().unwrap().url, "u");
    assert_eq!(*lazy.key(), DIKey::of::<Db>());
    locator.close().unwrap();
    assert!(matches!(lazy.get().unwrap_err(), Error::Closed { .. }));
}

#[test]
fn values_are_shared_by_every_locator_but_functions_are_not() {
    let module = Module::build(|m| {
        m.make::<String>().from_value("shared".to_string());
        m.make::<Db>().from_fn(|| Db {
            url: "fresh".into(),
        });
    });
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(module)).unwrap();
    let (a, b) = (
        injector.produce(&plan).unwrap(),
        injector.produce(&plan).unwrap(),
    );
    assert!(Arc::ptr_eq(
        &a.get::<String>().unwrap(),
        &b.get::<String>().unwrap()
    ));
    assert!(!Arc::ptr_eq(
        &a.get::<Db>().unwrap(),
        &b.get::<Db>().unwrap()
    ));
}

#[test]
fn a_function_can_return_an_arc_or_a_box_for_a_trait_object() {
    let module = Module::build(|m| {
        m.make::<Db>().from_fn(|| Db { url: "x".into() });
        m.make::<dyn Greeter>()
            .from_fn(|db: Arc<Db>| Box::new(English { db }) as Box<dyn Greeter>);
    });
    let locator = produce(module);
    assert_eq!(
        locator.get::<dyn Greeter>().unwrap().greet(),
        "hello from x"
    );
    let plan = locator.plan();
    assert_eq!(plan.steps().len(), 2);
}

#[test]
fn locators_plans_modules_and_injectors_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Locator>();
    check::<distage::Plan>();
    check::<Module>();
    check::<Injector>();
    check::<distage::LocatorRef>();
    check::<Lazy<Db>>();
    check::<Set<dyn Greeter>>();
    check::<Error>();
}

#[test]
fn a_locator_can_be_shared_across_threads() {
    let locator = Arc::new(produce(module(&Drops::new())));
    let db = locator.get::<Db>().unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let l = locator.clone();
            std::thread::spawn(move || l.get::<Db>().unwrap())
        })
        .collect();
    for h in handles {
        assert!(Arc::ptr_eq(&h.join().unwrap(), &db));
    }
}

#[test]
fn a_locator_ref_used_during_construction_sees_only_what_is_produced() {
    struct Early(String);
    struct Later;
    let module = Module::build(|m| {
        m.make::<Db>().from_fn(|| Db { url: "u".into() });
        m.make::<Early>()
            .from_fn(|_: Arc<Db>, l: distage::LocatorRef| {
                let db = l.get::<Db>().map(|d| d.url.clone());
                let later = l.get::<Later>().err().map(|e| e.to_string());
                Early(format!("{db:?} / {later:?}"))
            });
        m.make::<Later>().from_fn(|_: Arc<Early>| Later);
    });
    let locator = produce(module);
    assert_eq!(
        locator.get::<Early>().unwrap().0,
        "Ok(\"u\") / Some(\"`Later` is not produced yet: it cannot be used while the constructors it depends on are running\")"
    );
}

#[test]
fn a_value_parameter_is_cloned_from_a_made_or_a_given_instance_leaving_it_shared() {
    #[derive(Clone, Debug, PartialEq)]
    struct Name(String);
    struct Greeting(String);
    let given = Arc::new(Name("given".into()));
    let module = Module::build(|m| {
        m.make::<Name>().from_fn(|| Name("made".into()));
        m.make::<Name>().named("given").from_arc(given.clone());
        m.make::<Greeting>().from_fn(
            distage::Functoid::of(|a: Value<Name>, b: Value<Name>| {
                Greeting(format!("{} {}", a.0.0, b.0.0))
            })
            .named(1, "given"),
        );
    });
    let locator = produce(module);
    assert_eq!(locator.get::<Greeting>().unwrap().0, "made given");
    let made = locator.get::<Name>().unwrap();
    // Cloned out of the instances: only the locator (and the binding, for the value given)
    // hold them besides this test.
    assert_eq!(Arc::strong_count(&made), 2);
    assert_eq!(Arc::strong_count(&given), 3);
    drop((made, locator));
    assert_eq!(Arc::strong_count(&given), 1);
}

/// An error with a cause, as a database driver's error has.
#[derive(Debug)]
struct OpenFailed(std::io::Error);

impl std::fmt::Display for OpenFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cannot open the database")
    }
}

impl std::error::Error for OpenFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// What `fn main() -> Result<(), distage::Error>` prints after `Error: ` is the `Debug` text.
#[test]
fn debug_of_an_error_reads_like_display_then_its_causes() {
    let module = Module::build(|m| {
        m.make::<Db>().from_try_fn(|| {
            Err::<Db, _>(OpenFailed(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "app.db: permission denied",
            )))
        });
    });
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(module).roots::<Db>())
        .unwrap();
    let err = injector.produce(&plan).unwrap_err();
    let debug = format!("{err:?}");
    let lines: Vec<&str> = debug.lines().collect();
    assert!(
        lines[0].starts_with("failed to produce `Db` (bound at tests/core_producer.rs:"),
        "{debug}"
    );
    assert!(lines[0].ends_with(": cannot open the database"), "{debug}");
    assert_eq!(
        lines[1..],
        ["", "Caused by:", "    0: app.db: permission denied"]
    );
    assert_eq!(debug.lines().next(), err.to_string().lines().next());

    // The structure is still there for whoever wants it.
    let structure = format!("{err:#?}");
    assert!(
        structure.starts_with("Produce(\n    ProduceError {"),
        "{structure}"
    );
    match err {
        Error::Produce(e) => assert_eq!(e.target.to_string(), "Db"),
        other => panic!("expected a produce error, got {other}"),
    }
}

#[test]
fn debug_of_a_plan_error_is_its_message() {
    let injector = Injector::new();
    let err = injector
        .plan(&PlannerInput::new(Module::new()).roots::<Db>())
        .unwrap_err();
    assert_eq!(format!("{err:?}"), err.to_string());
    assert!(format!("{err:?}").starts_with("cannot plan: missing binding: `Db`"));
}

/// A `Logger` bound in the module is what components get; without one, each gets its own.
#[test]
fn an_explicit_logger_binding_wins_over_the_automatic_one() {
    struct Svc(distage::Logger);
    let automatic = Module::build(|m| {
        m.make::<Svc>().from_fn(Svc);
    });
    let explicit = automatic.clone()
        + Module::build(|m| {
            m.make::<distage::Logger>()
                .from_value(distage::Logger::new("custom"));
        });
    let svc = produce(automatic).get::<Svc>().unwrap();
    assert_eq!(svc.0.component(), "Svc");
    // Rooted at the component, so the binding is kept only because the component needs it.
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(explicit).roots::<Svc>())
        .unwrap();
    let svc = injector.produce(&plan).unwrap().get::<Svc>().unwrap();
    assert_eq!(svc.0.component(), "custom");
}

/// `run` takes a `Functoid` whose parameters have ids, as chibi's
/// `test_locator_run_with_named_dependencies` does; so does `produce_run`.
#[test]
fn run_takes_a_functoid_with_named_parameters() {
    let module = Module::build(|m| {
        m.make::<String>()
            .named("primary-db")
            .from_value("pg://primary".to_string());
        m.make::<String>().from_value("unnamed".to_string());
    });
    let locator = produce(module.clone());
    let len = locator
        .run(distage::Functoid::of(|p: String| p.len()).named(0, "primary-db"))
        .unwrap();
    assert_eq!(len, "pg://primary".len());
    let both = locator
        .run(
            distage::Functoid::of(|p: String, u: String| format!("{p} {u}")).named(0, "primary-db"),
        )
        .unwrap();
    assert_eq!(both, "pg://primary unnamed");

    let injector = Injector::new();
    let url = injector
        .produce_run(
            &PlannerInput::new(module),
            distage::Functoid::of(|p: String| p).named(0, "primary-db"),
        )
        .unwrap();
    assert_eq!(url, "pg://primary");

    // A `Clone` type of the user's own is a `Value<T>` parameter (the compile error says so).
    #[derive(Clone)]
    struct Name(&'static str);
    let named = produce(Module::build(|m| {
        m.make::<Name>().from_value(Name("alice"));
    }));
    let name = named.run(|n: distage::Value<Name>| n.0.0).unwrap();
    assert_eq!(name, "alice");

    // A name nothing binds is a `NotFound` naming the key.
    let err = locator
        .run(distage::Functoid::of(|p: String| p).named(0, "replica"))
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no instance of `String @ \"replica\"`"),
        "{err}"
    );
}
