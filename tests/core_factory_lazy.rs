//! `Factory<T>` (assisted injection) and `Lazy<T>` (cycles broken without leaks).

mod core_common;

use std::sync::Arc;

use core_common::{Drops, problems};
use distage::__private::Args;
use distage::{
    AssistedCreate, AssistedInjectable, BoxError, DIKey, Dependency, Error, Factory, Inject,
    Injector, Lazy, Module, PlannerInput, Problem, StepTarget,
};

struct Db {
    url: String,
}

/// Counts `create` calls.
#[derive(Default)]
struct Serials(std::sync::atomic::AtomicUsize);

struct Session {
    db: Arc<Db>,
    user: String,
    id: u32,
    serial: usize,
}

/// What `#[derive(Injectable)]` would write for `Session { db, #[di(assisted)] user, #[di(assisted)] id }`.
impl AssistedInjectable for Session {
    type Assisted = (String, u32);
    type Captured = (Arc<Db>, Arc<Serials>);
    fn dependencies() -> Vec<Dependency> {
        vec![
            <Arc<Db> as Inject>::dependency(None),
            <Arc<Serials> as Inject>::dependency(None),
        ]
    }
    fn capture(args: &mut Args<'_>) -> Result<Self::Captured, BoxError> {
        Ok((args.take()?, args.take()?))
    }
}

impl AssistedCreate for Session {
    fn create((db, serials): &Self::Captured, (user, id): (String, u32)) -> Self {
        let serial = serials.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        Session {
            db: db.clone(),
            user,
            id,
            serial,
        }
    }
}

struct Server {
    sessions: Factory<Session>,
}

#[test]
fn a_factory_makes_a_new_value_per_call_with_shared_dependencies() {
    let built = Drops::new();
    let b = built.clone();
    let module = Module::build(move |m| {
        let b = b.clone();
        m.make::<Db>().from_fn(move || {
            b.bump();
            Db { url: "pg".into() }
        });
        m.make::<Serials>().from_fn(Serials::default);
        m.make::<Factory<Session>>().from_factory();
        m.make::<Server>()
            .from_fn(|sessions: Factory<Session>| Server { sessions });
    });
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(module).roots::<Server>())
        .unwrap();
    // The factory depends on Db, so Db is planned before it.
    let keys: Vec<String> = plan
        .steps()
        .iter()
        .map(|s| s.target().to_string())
        .collect();
    assert_eq!(keys, ["Db", "Serials", "Factory<Session>", "Server"]);
    let locator = injector.produce(&plan).unwrap();
    let server = locator.get::<Server>().unwrap();
    let db = locator.get::<Db>().unwrap();

    let alice = server.sessions.create(("alice".into(), 1));
    let bob = server.sessions.create(("bob".into(), 2));
    let alice2 = server.sessions.create(("alice".into(), 1));
    assert_eq!((alice.user.as_str(), alice.id), ("alice", 1));
    assert_eq!((bob.user.as_str(), bob.id), ("bob", 2));
    // A new value per call (create ran three times)...
    assert_eq!((alice.serial, bob.serial, alice2.serial), (1, 2, 3));
    assert_eq!((alice2.user.as_str(), alice2.id), ("alice", 1));
    // ...sharing the one Db singleton.
    assert!(Arc::ptr_eq(&alice.db, &db));
    assert!(Arc::ptr_eq(&bob.db, &db));
    assert!(Arc::ptr_eq(&alice2.db, &db));
    assert_eq!(alice.db.url, "pg");
    assert_eq!(built.count(), 1);

    // The factory itself is a singleton too.
    let f = locator.get::<Factory<Session>>().unwrap();
    let from_locator = f.create(("carol".into(), 3));
    assert!(Arc::ptr_eq(&from_locator.db, &db));
    assert_eq!(from_locator.serial, 4);
}

#[test]
fn a_factory_with_a_missing_dependency_is_a_plan_error() {
    let module = Module::build(|m| {
        m.make::<Serials>().from_fn(Serials::default);
        m.make::<Factory<Session>>().from_factory();
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(module))
        .unwrap_err();
    let [Problem::Missing { key, needed_by, .. }] = problems(&err) else {
        panic!("{err}");
    };
    assert_eq!(*key, DIKey::of::<Db>());
    assert_eq!(
        needed_by[0].target,
        Some(StepTarget::Key(DIKey::of::<Factory<Session>>()))
    );
}

struct A {
    b: Lazy<B>,
    drops: Drops,
}

struct B {
    a: Arc<A>,
    drops: Drops,
}

impl Drop for A {
    fn drop(&mut self) {
        self.drops.bump();
    }
}

impl Drop for B {
    fn drop(&mut self) {
        self.drops.bump();
    }
}

fn lazy_cycle(drops: &Drops) -> Module {
    let (da, db) = (drops.clone(), drops.clone());
    Module::build(move |m| {
        let da = da.clone();
        m.make::<A>().from_fn(move |b: Lazy<B>| A {
            b,
            drops: da.clone(),
        });
        let db = db.clone();
        m.make::<B>().from_fn(move |a: Arc<A>| B {
            a,
            drops: db.clone(),
        });
    })
}

#[test]
fn a_lazy_edge_breaks_a_cycle_and_nothing_leaks() {
    let drops = Drops::new();
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(lazy_cycle(&drops)).roots::<A>())
        .unwrap_or_else(|e| panic!("a lazy edge must break the cycle: {e}"));
    // B is reachable only through the lazy edge, and is still planned, after A.
    let keys: Vec<String> = plan
        .steps()
        .iter()
        .map(|s| s.target().to_string())
        .collect();
    assert_eq!(keys, ["A", "B"]);

    let locator = injector.produce(&plan).unwrap();
    let a = locator.get::<A>().unwrap();
    let b = locator.get::<B>().unwrap();
    let lazy_b = a.b.get().unwrap();
    assert!(Arc::ptr_eq(&lazy_b, &b));
    assert!(Arc::ptr_eq(&b.a, &a));
    assert!(Arc::ptr_eq(&lazy_b.a, &a));
    assert_eq!(*a.b.key(), DIKey::of::<B>());
    drop((a, b, lazy_b));
    assert_eq!(drops.count(), 0);
    drop(locator);
    assert_eq!(
        drops.count(),
        2,
        "both ends of a lazy cycle are dropped with the locator"
    );
}

#[test]
fn a_lazy_cycle_is_released_by_close_too() {
    let drops = Drops::new();
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(lazy_cycle(&drops)))
        .unwrap();
    let locator = injector.produce(&plan).unwrap();
    let a = locator.get::<A>().unwrap();
    assert!(a.b.get().is_ok());
    drop(a);
    locator.close().unwrap();
    assert_eq!(drops.count(), 2);
}

#[test]
fn a_lazy_dependency_used_during_construction_is_not_produced_yet() {
    struct Early(Result<(), String>);
    struct Later;
    let module = Module::build(|m| {
        m.make::<Early>()
            .from_fn(|l: Lazy<Later>| Early(l.get().map(|_| ()).map_err(|e| e.to_string())));
        m.make::<Later>().from_fn(|_: Arc<Early>| Later);
    });
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(module)).unwrap();
    let locator = injector.produce(&plan).unwrap();
    let early = locator.get::<Early>().unwrap();
    assert_eq!(
        early.0,
        Err("`Later` is not produced yet: it cannot be used while the constructors it depends on are running".to_string())
    );
}

#[test]
fn a_cycle_without_a_lazy_edge_stays_an_error() {
    struct P;
    struct Q;
    let module = Module::build(|m| {
        m.make::<P>().from_fn(|_: Arc<Q>| P);
        m.make::<Q>().from_fn(|_: Arc<P>| Q);
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(module).roots::<P>())
        .unwrap_err();
    assert!(matches!(err, Error::Plan(_)));
    assert!(
        matches!(problems(&err), [Problem::Cycle { path }] if path.len() == 3),
        "{err}"
    );
    assert!(
        err.to_string().contains("dependency cycle: P -> Q -> P"),
        "{err}"
    );
}

#[test]
fn a_lazy_dependency_on_an_unbound_key_is_missing() {
    struct Holder;
    struct Nobody;
    let module = Module::build(|m| {
        m.make::<Holder>().from_fn(|_: Lazy<Nobody>| Holder);
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(module))
        .unwrap_err();
    assert!(
        matches!(problems(&err), [Problem::Missing { key, .. }] if *key == DIKey::of::<Nobody>()),
        "{err}"
    );
}
