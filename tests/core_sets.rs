//! Set bindings: order, references, weak elements, empty sets, trait-object elements.

mod core_common;

use std::sync::Arc;

use core_common::{Drops, Log};
use distage::__private::Args;
use distage::{
    BoxError, DIKey, Dependency, ImplKind, Inject, Injectable, Injector, Locator, Module,
    PlannerInput, Set, StepTarget,
};

trait Handler: Send + Sync {
    fn name(&self) -> String;
}

struct Named(&'static str);

impl Handler for Named {
    fn name(&self) -> String {
        self.0.to_string()
    }
}

struct Audit {
    log: Arc<Log>,
}

impl Injectable for Audit {
    fn dependencies() -> Vec<Dependency> {
        vec![<Arc<Log> as Inject>::dependency(None)]
    }
    fn construct(args: &mut Args<'_>) -> Result<Self, BoxError> {
        let log: Arc<Log> = args.take()?;
        log.push("Audit constructed");
        Ok(Audit { log })
    }
}

impl Handler for Audit {
    fn name(&self) -> String {
        format!("audit({})", self.log.entries().len())
    }
}

fn produce(input: PlannerInput) -> Locator {
    let injector = Injector::new();
    let plan = injector.plan(&input).unwrap_or_else(|e| panic!("{e}"));
    injector.produce(&plan).unwrap()
}

fn names(set: &Set<dyn Handler>) -> Vec<String> {
    set.iter().map(|h| h.name()).collect()
}

#[test]
fn set_elements_come_in_plan_order() {
    struct Dep;
    let module = Module::build(|m| {
        m.make::<Log>().from_fn(Log::new);
        m.make::<Dep>().from_fn(|| Dep);
        m.many::<dyn Handler>()
            .add_arc(Arc::new(Named("first")))
            .add_impl::<Audit>(|a| a)
            .add_fn(|_: Arc<Dep>| Arc::new(Named("third")) as Arc<dyn Handler>)
            .add_fn(|| Box::new(Named("fourth")) as Box<dyn Handler>);
    });
    let locator = produce(PlannerInput::new(module).root_set::<dyn Handler>());
    let set = locator.get_set::<dyn Handler>().unwrap();
    assert_eq!(names(&set), ["first", "audit(1)", "third", "fourth"]);

    // The set's order is the order of its element steps in the plan, each after its deps.
    let plan = locator.plan();
    let element_steps: Vec<&ImplKind> = plan
        .steps()
        .iter()
        .filter(|s| matches!(s.target(), StepTarget::SetElement { .. }))
        .map(|s| s.implementation())
        .collect();
    assert_eq!(element_steps.len(), 4);
    assert!(matches!(element_steps[0], ImplKind::Value(_)));
    assert!(matches!(element_steps[1], ImplKind::Constructor(t) if t.short_name() == "Audit"));
    assert!(matches!(element_steps[2], ImplKind::Function));
    assert!(matches!(element_steps[3], ImplKind::Function));
    let set_step = plan
        .steps()
        .iter()
        .position(|s| s.target() == StepTarget::Key(DIKey::set_of::<dyn Handler>()))
        .unwrap();
    assert_eq!(set_step, plan.steps().len() - 1, "{plan}");
}

#[test]
fn ref_elements_are_the_identical_instance() {
    struct Db;
    let module = Module::build(|m| {
        m.make::<Db>().from_fn(|| Db);
        m.make::<Named>().from_fn(|| Named("shared"));
        m.many::<Db>().ref_::<Db>();
        m.many::<dyn Handler>()
            .ref_impl::<Named>(None, |n| n)
            .add_arc(Arc::new(Named("other")));
    });
    let locator = produce(PlannerInput::new(module));
    let db = locator.get::<Db>().unwrap();
    let dbs = locator.get_set::<Db>().unwrap();
    assert_eq!(dbs.len(), 1);
    assert!(Arc::ptr_eq(&db, &dbs.as_slice()[0]));

    let named = locator.get::<Named>().unwrap();
    let handlers = locator.get_set::<dyn Handler>().unwrap();
    assert_eq!(names(&handlers), ["shared", "other"]);
    let named_as_handler: Arc<dyn Handler> = named;
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(&named_as_handler),
        Arc::as_ptr(&handlers.as_slice()[0])
    ));
}

struct Used;
struct Unused;

impl Handler for Used {
    fn name(&self) -> String {
        "weak used".into()
    }
}

impl Handler for Unused {
    fn name(&self) -> String {
        "weak unused".into()
    }
}

#[test]
fn weak_elements_are_kept_only_when_something_else_needs_the_referent() {
    struct App;
    let built_used = Drops::new();
    let built_unused = Drops::new();
    let (bu, bn) = (built_used.clone(), built_unused.clone());
    let module = Module::build(move |m| {
        let bu = bu.clone();
        m.make::<Used>().from_fn(move || {
            bu.bump();
            Used
        });
        let bn = bn.clone();
        m.make::<Unused>().from_fn(move || {
            bn.bump();
            Unused
        });
        m.make::<App>()
            .from_fn(|_: Arc<Used>, _: Set<dyn Handler>| App);
        m.make::<Named>().from_fn(|| Named("strong"));
        m.many::<dyn Handler>()
            .weak_impl::<Used>(None, |u| u)
            .weak_impl::<Unused>(None, |u| u)
            .ref_impl::<Named>(None, |n| n);
    });
    let locator = produce(PlannerInput::new(module).roots::<App>());
    let set = locator.get_set::<dyn Handler>().unwrap();
    // Production order: `App` needs `Used` before its set, so `Used` is made before `Named`.
    assert_eq!(names(&set), ["weak used", "strong"]);
    let used: Arc<dyn Handler> = locator.get::<Used>().unwrap();
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(&used),
        Arc::as_ptr(&set.as_slice()[0])
    ));
    assert_eq!(built_used.count(), 1);
    assert_eq!(
        built_unused.count(),
        0,
        "a weak-only referent is never constructed"
    );
    assert!(locator.find::<Unused>().is_none());
    let plan = locator.plan();
    assert!(!plan.contains(&DIKey::of::<Unused>()));
    assert!(
        plan.removed()
            .iter()
            .any(|b| *b.key() == DIKey::of::<Unused>()),
        "{plan}"
    );
}

#[test]
fn weak_elements_with_the_referent_as_the_only_other_user_being_a_root() {
    struct Db;
    let module = Module::build(|m| {
        m.make::<Db>().from_fn(|| Db);
        m.many::<Db>().weak::<Db>();
    });
    // Only the set is a root: its weak element does not pull Db in.
    let locator = produce(PlannerInput::new(module.clone()).root_set::<Db>());
    assert!(locator.get_set::<Db>().unwrap().is_empty());
    assert!(locator.find::<Db>().is_none());

    // With Db a root too, the element is kept and is Db's instance.
    let locator = produce(PlannerInput::new(module).root_set::<Db>().roots::<Db>());
    let set = locator.get_set::<Db>().unwrap();
    assert_eq!(set.len(), 1);
    assert!(Arc::ptr_eq(
        &set.as_slice()[0],
        &locator.get::<Db>().unwrap()
    ));
}

#[test]
fn a_weak_reference_to_an_absent_key_is_ignored() {
    struct NotBound;
    let module = Module::build(|m| {
        m.many::<dyn Handler>()
            .weak_impl::<NotBound>(None, |_| -> Arc<dyn Handler> { unreachable!() })
            .add_arc(Arc::new(Named("kept")));
    });
    let locator = produce(PlannerInput::new(module));
    assert_eq!(names(&locator.get_set::<dyn Handler>().unwrap()), ["kept"]);
}

#[test]
fn an_empty_many_is_an_empty_set() {
    struct Consumer(usize);
    let module = Module::build(|m| {
        m.many::<dyn Handler>();
        m.make::<Consumer>()
            .from_fn(|s: Set<dyn Handler>| Consumer(s.len()));
    });
    let locator = produce(PlannerInput::new(module).roots::<Consumer>());
    assert_eq!(locator.get::<Consumer>().unwrap().0, 0);
    let set = locator.get_set::<dyn Handler>().unwrap();
    assert!(set.is_empty());
    assert_eq!(set.len(), 0);
}

#[test]
fn a_set_without_a_many_is_missing() {
    struct Consumer;
    let module = Module::build(|m| {
        m.make::<Consumer>().from_fn(|_: Set<dyn Handler>| Consumer);
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(module))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("missing binding: `Set<dyn Handler>` is required by `Consumer`"),
        "{text}"
    );
}

#[test]
fn named_sets_are_separate_sets() {
    let module = Module::build(|m| {
        m.many::<u32>().add_value(1);
        m.many::<u32>().named("admin").add_value(100).add_value(200);
        m.make::<u64>().from_fn(
            distage::Functoid::of(|admin: Set<u32>, plain: Set<u32>| {
                admin.iter().map(|v| u64::from(**v)).sum::<u64>() * 10
                    + plain.iter().map(|v| u64::from(**v)).sum::<u64>()
            })
            .named(0, "admin"),
        );
    });
    let locator = produce(PlannerInput::new(module));
    let admin: Vec<u32> = locator
        .get_named_set::<u32>("admin")
        .unwrap()
        .iter()
        .map(|v| **v)
        .collect();
    assert_eq!(admin, [100, 200]);
    let plain: Vec<u32> = locator
        .get_set::<u32>()
        .unwrap()
        .iter()
        .map(|v| **v)
        .collect();
    assert_eq!(plain, [1]);
    assert_eq!(*locator.get::<u64>().unwrap(), 3001);
}

#[test]
fn set_elements_are_singletons_shared_with_the_injected_set() {
    struct Consumer(Set<dyn Handler>);
    let module = Module::build(|m| {
        m.make::<Log>().from_fn(Log::new);
        m.many::<dyn Handler>().add_impl::<Audit>(|a| a);
        m.make::<Consumer>()
            .from_fn(|s: Set<dyn Handler>| Consumer(s));
    });
    let locator = produce(PlannerInput::new(module));
    let consumer = locator.get::<Consumer>().unwrap();
    let set = locator.get_set::<dyn Handler>().unwrap();
    assert!(Arc::ptr_eq(&consumer.0.as_slice()[0], &set.as_slice()[0]));
    // Audit was constructed once.
    assert_eq!(
        locator.get::<Log>().unwrap().entries(),
        ["Audit constructed"]
    );
}

/// distage's sets are in dependency order: declared E3, E2, E1 where E3 needs E2 and E2 needs
/// E1, the plan makes E1, E2, E3 and the set reads the same.
#[test]
fn set_elements_come_in_the_order_their_instances_were_produced() {
    struct E1;
    struct E2(#[allow(dead_code)] Arc<E1>);
    struct E3(#[allow(dead_code)] Arc<E2>);
    impl Handler for E1 {
        fn name(&self) -> String {
            "E1".into()
        }
    }
    impl Handler for E2 {
        fn name(&self) -> String {
            "E2".into()
        }
    }
    impl Handler for E3 {
        fn name(&self) -> String {
            "E3".into()
        }
    }
    let made = Arc::new(Log::new());
    let (m1, m2, m3) = (made.clone(), made.clone(), made.clone());
    let module = Module::build(move |m| {
        m.make::<E1>().from_fn(move || {
            m1.push("E1");
            E1
        });
        m.make::<E2>().from_fn(move |e: Arc<E1>| {
            m2.push("E2");
            E2(e)
        });
        m.make::<E3>().from_fn(move |e: Arc<E2>| {
            m3.push("E3");
            E3(e)
        });
        m.many::<dyn Handler>()
            .ref_impl::<E3>(None, |e| e)
            .ref_impl::<E2>(None, |e| e)
            .ref_impl::<E1>(None, |e| e)
            .add_arc(Arc::new(Named("value")));
    });
    let locator = produce(PlannerInput::new(module).root_set::<dyn Handler>());
    assert_eq!(made.entries(), ["E1", "E2", "E3"]);
    let set = locator.get_set::<dyn Handler>().unwrap();
    assert_eq!(names(&set), ["E1", "E2", "E3", "value"]);
}

/// A sized component is stored as its own `Arc` when it is made (a constructor, a function
/// returning the value) and boxed when it is given as an `Arc` (`add_arc`, a function returning
/// `Arc<T>`): one set, one parameter type and `get` read both forms alike.
#[test]
fn elements_made_and_elements_given_as_arcs_read_alike() {
    #[derive(Clone, Debug, PartialEq)]
    struct Port(u16);
    struct Uses {
        first: Arc<Port>,
        all: Set<Port>,
    }
    let given = Arc::new(Port(2));
    let module = Module::build(|m| {
        m.make::<Port>().from_fn(|| Port(1));
        m.many::<Port>()
            .add_fn(|| Port(1))
            .add_arc(given.clone())
            .add_fn(|| Arc::new(Port(3)))
            .add_value(Port(4));
        m.make::<Uses>()
            .from_fn(|first: Arc<Port>, all: Set<Port>| Uses { first, all });
    });
    let locator = produce(PlannerInput::new(module));
    let uses = locator.get::<Uses>().unwrap();
    assert_eq!(*uses.first, Port(1));
    let ports: Vec<u16> = uses.all.iter().map(|p| p.0).collect();
    assert_eq!(ports, [1, 2, 3, 4]);
    assert!(uses.all.iter().any(|p| Arc::ptr_eq(p, &given)));
    assert!(Arc::ptr_eq(&locator.get::<Port>().unwrap(), &uses.first));
    // A child reads its parent's instance through the same parameter type.
    let child = Injector::inherit(&locator);
    let plan = child
        .plan(&PlannerInput::new(Module::build(|m| {
            m.make::<u32>()
                .from_fn(|port: Arc<Port>, again: Option<Arc<Port>>| {
                    u32::from(port.0) + u32::from(again.map_or(0, |p| p.0))
                });
        })))
        .unwrap();
    assert_eq!(*child.produce(&plan).unwrap().get::<u32>().unwrap(), 2);
    drop((plan, child, uses, locator));
    assert_eq!(Arc::strong_count(&given), 1);
}
