//! Child injectors: inheriting a parent locator, overriding locally, extending sets, levels.

mod core_common;

use std::sync::Arc;

use core_common::{Drops, Log, problems};
use distage::{DIKey, Injector, Locator, Module, PlannerInput, Problem};

#[derive(Debug)]
struct Config(&'static str);

struct Db {
    config: Arc<Config>,
}

struct Handler {
    db: Arc<Db>,
    config: Arc<Config>,
}

fn produce_with(injector: &Injector, module: Module) -> Locator {
    let plan = injector
        .plan(&PlannerInput::new(module))
        .unwrap_or_else(|e| panic!("{e}"));
    injector.produce(&plan).unwrap()
}

fn parent_module(built: &Drops) -> Module {
    let built = built.clone();
    Module::build(move |m| {
        m.make::<Config>().from_fn(|| Config("parent"));
        let built = built.clone();
        m.make::<Db>().from_fn(move |config: Arc<Config>| {
            built.bump();
            Db { config }
        });
        m.many::<&'static str>().add_value("p1").add_value("p2");
    })
}

#[test]
fn a_child_sees_the_parents_instances() {
    let built = Drops::new();
    let parent = produce_with(&Injector::new(), parent_module(&built));
    let child_injector = Injector::inherit(&parent);
    let child_module = Module::build(|m| {
        m.make::<Handler>()
            .from_fn(|db: Arc<Db>, config: Arc<Config>| Handler { db, config });
    });
    let plan = child_injector
        .plan(&PlannerInput::new(child_module))
        .unwrap();
    assert_eq!(plan.steps().len(), 1, "{plan}");
    assert_eq!(plan.imported(), &[DIKey::of::<Config>(), DIKey::of::<Db>()]);
    let child = child_injector.produce(&plan).unwrap();
    assert_eq!(built.count(), 1, "the parent's Db is reused, not rebuilt");

    let handler = child.get::<Handler>().unwrap();
    let parent_db = parent.get::<Db>().unwrap();
    assert!(Arc::ptr_eq(&handler.db, &parent_db));
    assert!(Arc::ptr_eq(&child.get::<Db>().unwrap(), &parent_db));
    assert!(Arc::ptr_eq(
        &handler.config,
        &parent.get::<Config>().unwrap()
    ));
    // The parent does not see the child's keys.
    assert!(parent.find::<Handler>().is_none());
}

#[test]
fn a_child_may_override_a_key_locally_without_changing_the_parent() {
    let built = Drops::new();
    let parent = produce_with(&Injector::new(), parent_module(&built));
    let child_module = Module::build(|m| {
        m.make::<Config>().from_fn(|| Config("child"));
        m.make::<Handler>()
            .from_fn(|db: Arc<Db>, config: Arc<Config>| Handler { db, config });
    });
    let child = produce_with(&Injector::inherit(&parent), child_module);

    assert_eq!(child.get::<Config>().unwrap().0, "child");
    assert_eq!(parent.get::<Config>().unwrap().0, "parent");
    let handler = child.get::<Handler>().unwrap();
    assert_eq!(handler.config.0, "child");
    // Db was produced by the parent, with the parent's Config; the child does not rebuild it.
    assert!(Arc::ptr_eq(&handler.db, &parent.get::<Db>().unwrap()));
    assert_eq!(handler.db.config.0, "parent");
    assert_eq!(built.count(), 1);
}

#[test]
fn a_childs_set_extends_the_parents_set() {
    let parent = produce_with(&Injector::new(), parent_module(&Drops::new()));
    let child = produce_with(
        &Injector::inherit(&parent),
        Module::build(|m| {
            m.many::<&'static str>().add_value("c1");
        }),
    );
    let items = |l: &Locator| -> Vec<&'static str> {
        l.get_set::<&'static str>()
            .unwrap()
            .iter()
            .map(|s| **s)
            .collect()
    };
    assert_eq!(items(&child), vec!["p1", "p2", "c1"]);
    assert_eq!(items(&parent), vec!["p1", "p2"]);
    let parent_set = parent.get_set::<&'static str>().unwrap();
    let child_set = child.get_set::<&'static str>().unwrap();
    assert!(Arc::ptr_eq(
        &parent_set.as_slice()[0],
        &child_set.as_slice()[0]
    ));

    // A child that does not declare the set sees the parent's.
    let plain = produce_with(
        &Injector::inherit(&parent),
        Module::build(|m| {
            m.make::<usize>()
                .from_fn(|s: distage::Set<&'static str>| s.len());
        }),
    );
    assert_eq!(*plain.get::<usize>().unwrap(), 2);
}

#[test]
fn several_levels_of_children() {
    struct Level2(Arc<Config>, Arc<Db>);
    struct Level3(Arc<Level2>, Arc<Db>, Arc<Config>);
    let built = Drops::new();
    let root = produce_with(&Injector::new(), parent_module(&built));
    let level2 = produce_with(
        &Injector::inherit(&root),
        Module::build(|m| {
            m.make::<Level2>()
                .from_fn(|c: Arc<Config>, d: Arc<Db>| Level2(c, d));
            m.many::<&'static str>().add_value("l2");
        }),
    );
    let level3 = produce_with(
        &Injector::inherit(&level2),
        Module::build(|m| {
            m.make::<Config>().from_fn(|| Config("level3"));
            m.make::<Level3>()
                .from_fn(|l: Arc<Level2>, d: Arc<Db>, c: Arc<Config>| Level3(l, d, c));
            m.many::<&'static str>().add_value("l3");
        }),
    );
    let l3 = level3.get::<Level3>().unwrap();
    let root_db = root.get::<Db>().unwrap();
    assert!(Arc::ptr_eq(&l3.1, &root_db));
    assert!(Arc::ptr_eq(&l3.0, &level2.get::<Level2>().unwrap()));
    assert!(Arc::ptr_eq(&l3.0.1, &root_db));
    assert_eq!(l3.2.0, "level3");
    assert_eq!(l3.0.0.0, "parent");
    assert_eq!(level2.get::<Config>().unwrap().0, "parent");
    assert_eq!(root.get::<Config>().unwrap().0, "parent");
    assert_eq!(built.count(), 1);
    let items: Vec<&str> = level3
        .get_set::<&'static str>()
        .unwrap()
        .iter()
        .map(|s| **s)
        .collect();
    assert_eq!(items, vec!["p1", "p2", "l2", "l3"]);
    assert_eq!(level2.get_set::<&'static str>().unwrap().len(), 3);
    assert_eq!(root.get_set::<&'static str>().unwrap().len(), 2);
}

#[test]
fn a_child_still_reports_what_neither_binds() {
    struct Missing;
    struct NeedsMissing;
    let parent = produce_with(&Injector::new(), parent_module(&Drops::new()));
    let err = Injector::inherit(&parent)
        .plan(&PlannerInput::new(Module::build(|m| {
            m.make::<NeedsMissing>()
                .from_fn(|_: Arc<Missing>, _: Arc<Db>| NeedsMissing);
        })))
        .unwrap_err();
    assert!(
        matches!(problems(&err), [Problem::Missing { key, .. }] if *key == DIKey::of::<Missing>()),
        "{err}"
    );
}

/// A parent holding a `Config` resource and a child holding a `u8` resource that uses it, both
/// logging their start and stop.
fn parent_and_child(log: &Log) -> (Locator, Locator) {
    let (pl, cl) = (log.clone(), log.clone());
    let parent = produce_with(
        &Injector::new(),
        Module::build(move |m| {
            let pl = pl.clone();
            m.make::<Config>()
                .from_resource(move || pl.resource("parent", Config("p")));
        }),
    );
    let child = produce_with(
        &Injector::inherit(&parent),
        Module::build(move |m| {
            let cl = cl.clone();
            m.make::<u8>()
                .from_resource(move |_: Arc<Config>| cl.resource("child", 1u8));
        }),
    );
    (parent, child)
}

#[test]
fn dropping_a_child_releases_only_the_childs_resources() {
    let log = Log::new();
    let (parent, child) = parent_and_child(&log);
    drop(child);
    assert_eq!(log.entries(), ["parent start", "child start", "child stop"]);
    assert!(parent.get::<Config>().is_ok());
    parent.close().unwrap();
    assert_eq!(
        log.entries(),
        ["parent start", "child start", "child stop", "parent stop"]
    );
}

#[test]
fn a_parent_outlives_its_children_even_when_its_handle_is_dropped_first() {
    let log = Log::new();
    let (parent, child) = parent_and_child(&log);
    drop(parent);
    assert_eq!(log.entries(), ["parent start", "child start"]);
    assert_eq!(child.get::<Config>().unwrap().0, "p");
    drop(child);
    assert_eq!(
        log.entries(),
        ["parent start", "child start", "child stop", "parent stop"]
    );
}

#[test]
fn closing_a_parent_releases_a_live_childs_resources_first_and_once() {
    let log = Log::new();
    let (parent, child) = parent_and_child(&log);
    let child_injector = Injector::inherit(&parent);
    parent.close().unwrap();
    // The child's resource uses the parent's: released first.
    assert_eq!(
        log.entries(),
        ["parent start", "child start", "child stop", "parent stop"]
    );
    assert!(child.is_closed());
    assert!(matches!(
        child.get::<u8>(),
        Err(distage::Error::Closed { .. })
    ));

    // Planning against a closed parent still works; producing from it fails before anything
    // is acquired.
    let plan = child_injector
        .plan(&PlannerInput::new(Module::build(|m| {
            m.make::<u16>().from_fn(|_: Arc<Config>| 2u16);
        })))
        .unwrap();
    match child_injector.produce(&plan) {
        Err(e @ distage::Error::ParentClosed) => {
            assert!(
                e.to_string().starts_with("the parent locator is closed"),
                "{e}"
            );
        }
        Err(other) => panic!("unexpected {other}"),
        Ok(_) => panic!("producing against a closed parent must fail"),
    }

    drop(child);
    assert_eq!(
        log.entries(),
        ["parent start", "child start", "child stop", "parent stop"],
        "released once"
    );
}

#[test]
fn a_child_can_take_a_parent_key_lazily() {
    struct Holder(distage::Lazy<Config>);
    let parent = produce_with(&Injector::new(), parent_module(&Drops::new()));
    let child = produce_with(
        &Injector::inherit(&parent),
        Module::build(|m| {
            m.make::<Holder>()
                .from_fn(|c: distage::Lazy<Config>| Holder(c));
        }),
    );
    let holder = child.get::<Holder>().unwrap();
    assert!(Arc::ptr_eq(
        &holder.0.get().unwrap(),
        &parent.get::<Config>().unwrap()
    ));
    let from_run = child
        .run(|c: distage::Lazy<Config>| c.get().unwrap())
        .unwrap();
    assert!(Arc::ptr_eq(&from_run, &parent.get::<Config>().unwrap()));
}

#[test]
fn a_weak_element_in_a_child_is_kept_when_the_referent_comes_from_the_parent() {
    trait Named: Send + Sync {
        fn name(&self) -> &'static str;
    }
    impl Named for Config {
        fn name(&self) -> &'static str {
            self.0
        }
    }
    struct UsesConfig;
    let parent = produce_with(&Injector::new(), parent_module(&Drops::new()));
    let child = produce_with(
        &Injector::inherit(&parent),
        Module::build(|m| {
            m.make::<UsesConfig>().from_fn(|_: Arc<Config>| UsesConfig);
            m.many::<dyn Named>().weak_impl::<Config>(None, |c| c);
        }),
    );
    let set = child.get_set::<dyn Named>().unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.as_slice()[0].name(), "parent");
}

/// Two levels up, strictly and lazily: what a grandchild's constructor gets is the root's
/// instance (read from the ancestor's slots while the grandchild is produced, before it exists).
#[test]
fn a_grandchild_reads_the_roots_instances_strictly_and_lazily() {
    struct Root(&'static str);
    struct Mid;
    struct Leaf(distage::Lazy<Root>, Arc<Root>);
    let root = produce_with(
        &Injector::new(),
        Module::build(|m| {
            m.make::<Root>().from_fn(|| Root("root"));
        }),
    );
    let mid = produce_with(
        &Injector::inherit(&root),
        Module::build(|m| {
            m.make::<Mid>().from_fn(|| Mid);
        }),
    );
    let leaf = produce_with(
        &Injector::inherit(&mid),
        Module::build(|m| {
            m.make::<Leaf>()
                .from_fn(|lazy: distage::Lazy<Root>, strict: Arc<Root>| Leaf(lazy, strict));
        }),
    );
    let made = leaf.get::<Leaf>().unwrap();
    let root_instance = root.get::<Root>().unwrap();
    assert!(Arc::ptr_eq(&made.0.get().unwrap(), &root_instance));
    assert!(Arc::ptr_eq(&made.1, &root_instance));
    assert_eq!(made.1.0, "root");
}
