//! Subcontexts: a submodule planned once with its parent, produced per run with local values.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use distage::prelude::*;
use distage::{AxisInfo, DIKey, Error, Problem};

struct Db {
    name: &'static str,
}

#[derive(Debug, PartialEq)]
struct RequestId(u32);

#[derive(Injectable)]
struct Handler {
    db: Arc<Db>,
    request: Arc<RequestId>,
    #[di(id = "limit")]
    limit: u32,
}

#[derive(Injectable)]
struct App {
    handlers: Subcontext<Handler>,
}

module! {
    RequestModule {
        make<Handler>;
        make<u32>.named("limit").from_value(10);
        requires Db;        // from the parent
        requires RequestId; // a local, given to each run
    }
}

module! {
    AppModule {
        make<Db>.from_value(Db { name: "main" });
        make<u32>.named("limit").from_value(1);
        make<Subcontext<Handler>>.from_subcontext(RequestModule::module()).local<RequestId>();
        make<App>;
    }
}

fn produce(module: Module) -> Locator {
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(module).roots::<App>())
        .unwrap();
    injector.produce(&plan).unwrap()
}

#[test]
fn each_run_gets_its_locals_and_shares_the_parents_instances() {
    let locator = produce(AppModule::module());
    let app = locator.get::<App>().unwrap();
    let db = locator.get::<Db>().unwrap();
    for id in [7, 8] {
        let (request, same_db, limit) = app
            .handlers
            .provide(RequestId(id))
            .run(|h: Arc<Handler>| (h.request.0, Arc::ptr_eq(&h.db, &db), h.limit))
            .unwrap();
        assert_eq!((request, same_db), (id, true));
        assert_eq!(
            limit, 10,
            "the subcontext's own binding shadows the parent's"
        );
    }
    assert_eq!(db.name, "main");
    // The plan is made once; each run only produces the submodule's part.
    let steps: Vec<String> = app
        .handlers
        .plan()
        .steps()
        .iter()
        .map(|s| s.target().to_string())
        .collect();
    assert_eq!(steps, vec!["RequestId", "u32 @ \"limit\"", "Handler"]);
    assert_eq!(app.handlers.locals(), &[DIKey::of::<RequestId>()]);
}

#[test]
fn a_missing_or_unknown_local_is_an_error_naming_it() {
    let locator = produce(AppModule::module());
    let app = locator.get::<App>().unwrap();
    let err = app.handlers.run(|_: Arc<Handler>| ()).unwrap_err();
    assert!(
        matches!(&err, Error::MissingLocal { key } if *key == DIKey::of::<RequestId>()),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "missing local value: `RequestId` is a local of the subcontext, give it with `.provide(…)` before running"
    );
    let err = app
        .handlers
        .provide(RequestId(1))
        .provide(5u8)
        .run(|_: Arc<Handler>| ())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`u8` is not a local of this subcontext; its locals are `RequestId`"
    );
}

#[test]
fn the_submodule_is_checked_when_the_parent_is_planned() {
    let parent = Module::build(|m| {
        m.make_subcontext::<Handler>(RequestModule::module())
            .local::<RequestId>();
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(parent).roots::<Subcontext<Handler>>())
        .unwrap_err();
    let Error::Plan(plan) = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(plan.problems(), [Problem::Missing { key, path, .. }]
        if *key == DIKey::of::<Db>() && path[0] == "Subcontext<Handler>"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("missing binding: `Db` is required by `Handler`"),
        "{err}"
    );
}

#[test]
fn what_only_the_subcontext_needs_is_kept_and_produced_in_the_parent() {
    let built = Arc::new(AtomicUsize::new(0));
    let counter = built.clone();
    let parent = Module::build(|m| {
        m.make::<Db>().from_fn(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Db { name: "lazy" }
        });
        m.make::<u32>().named("limit").from_value(3);
        m.make_subcontext::<Handler>(Module::build(|s| {
            s.make::<Handler>().from::<Handler>();
        }))
        .local::<RequestId>();
    });
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(parent).roots::<Subcontext<Handler>>())
        .unwrap();
    assert!(plan.contains(&DIKey::of::<Db>()), "{plan}");
    let locator = injector.produce(&plan).unwrap();
    let handlers = locator.get::<Subcontext<Handler>>().unwrap();
    for i in 0..3 {
        let limit = handlers
            .provide(RequestId(i))
            .run(|h: Arc<Handler>| h.limit)
            .unwrap();
        assert_eq!(limit, 3, "no local binding: the parent's");
    }
    assert_eq!(
        built.load(Ordering::SeqCst),
        1,
        "the parent's instance is shared by every run"
    );
}

struct Connection;

#[test]
fn a_runs_resources_are_released_when_it_ends() {
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = log.clone();
    let sub = Module::build(move |s| {
        s.make::<Connection>()
            .from_resource(move |id: Arc<RequestId>| {
                let (start, stop) = (l.clone(), l.clone());
                let n = id.0;
                Lifecycle::make(
                    move || {
                        start.lock().unwrap().push(format!("open {n}"));
                        Connection
                    },
                    move |_| stop.lock().unwrap().push(format!("close {n}")),
                )
            });
    });
    let parent = Module::build(|m| {
        m.make_subcontext::<Connection>(sub).local::<RequestId>();
    });
    let locator = produce_root::<Subcontext<Connection>>(parent);
    let connections = locator.get::<Subcontext<Connection>>().unwrap();
    connections
        .provide(RequestId(1))
        .run(|_: Arc<Connection>| log.lock().unwrap().push("use 1".into()))
        .unwrap();
    connections
        .provide(RequestId(2))
        .run(|_: Arc<Connection>| ())
        .unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        vec!["open 1", "use 1", "close 1", "open 2", "close 2"]
    );
}

fn produce_root<T: ?Sized + 'static>(module: Module) -> Locator {
    let injector = Injector::new();
    injector
        .produce(
            &injector
                .plan(&PlannerInput::new(module).roots::<T>())
                .unwrap(),
        )
        .unwrap()
}

struct Job(&'static str);

#[test]
fn subcontexts_of_different_types_or_names_never_collide() {
    let parent = Module::build(|m| {
        m.make::<Db>().from_value(Db { name: "shared" });
        m.make_subcontext::<Handler>(RequestModule::module())
            .local::<RequestId>();
        m.make_subcontext::<Job>(Module::build(|s| {
            s.make::<Job>()
                .from_fn(|name: Value<&'static str>| Job(name.0));
        }))
        .local::<&'static str>();
        m.make_subcontext::<Job>(Module::build(|s| {
            s.make::<Job>().from_value(Job("nightly"));
        }))
        .named("nightly");
    });
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(parent)).unwrap();
    let locator = injector.produce(&plan).unwrap();
    let jobs = locator.get::<Subcontext<Job>>().unwrap();
    let nightly = locator.get_named::<Subcontext<Job>>("nightly").unwrap();
    assert_eq!(
        jobs.provide("adhoc").run(|j: Arc<Job>| j.0).unwrap(),
        "adhoc"
    );
    assert_eq!(nightly.run(|j: Arc<Job>| j.0).unwrap(), "nightly");
    let handlers = locator.get::<Subcontext<Handler>>().unwrap();
    assert_eq!(
        handlers
            .provide(RequestId(3))
            .run(|h: Arc<Handler>| h.db.name)
            .unwrap(),
        "shared"
    );
}

struct Cache(&'static str);
struct UsesDb(&'static str);
struct UsesCache(&'static str);

/// Each subcontext keeps what it takes from the parent as its own step's needs (the plan keeps
/// all of them in one array): one subcontext's needs never show up as the other's.
#[test]
fn two_subcontexts_each_keep_only_their_own_needs_from_the_parent() {
    let parent = Module::build(|m| {
        m.make::<Db>().from_value(Db { name: "db" });
        m.make::<Cache>().from_value(Cache("cache"));
        m.make_subcontext::<UsesDb>(Module::build(|s| {
            s.make::<UsesDb>().from_fn(|db: Arc<Db>| UsesDb(db.name));
        }));
        m.make_subcontext::<UsesCache>(Module::build(|s| {
            s.make::<UsesCache>()
                .from_fn(|cache: Arc<Cache>| UsesCache(cache.0));
        }));
    });
    let injector = Injector::new();
    let input = PlannerInput::new(parent)
        .roots::<Subcontext<UsesDb>>()
        .roots::<Subcontext<UsesCache>>();
    let plan = injector.plan(&input).unwrap();
    let needs = |key: DIKey| -> Vec<String> {
        let tree = plan.dependencies(&key).unwrap();
        tree.targets().iter().map(|t| t.to_string()).collect()
    };
    assert_eq!(needs(DIKey::of::<Subcontext<UsesDb>>()), ["Db"], "{plan}");
    assert_eq!(
        needs(DIKey::of::<Subcontext<UsesCache>>()),
        ["Cache"],
        "{plan}"
    );
    let locator = injector.produce(&plan).unwrap();
    let db = locator.get::<Subcontext<UsesDb>>().unwrap();
    let cache = locator.get::<Subcontext<UsesCache>>().unwrap();
    assert_eq!(db.run(|u: Arc<UsesDb>| u.0).unwrap(), "db");
    assert_eq!(cache.run(|u: Arc<UsesCache>| u.0).unwrap(), "cache");
}

#[tokio::test]
async fn an_async_subcontext_runs_with_run_async() {
    let sub = Module::build(|s| {
        s.make::<String>()
            .from_async(|id: Arc<RequestId>| async move { format!("request {}", id.0) });
    });
    let parent = Module::build(|m| {
        m.make_subcontext::<String>(sub).local::<RequestId>();
    });
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(parent)).unwrap();
    let locator = injector.produce_async(&plan).await.unwrap();
    let sub = locator.get::<Subcontext<String>>().unwrap();
    let out = sub
        .provide(RequestId(9))
        .run_async(|s: Arc<String>| async move { s.len() })
        .await
        .unwrap();
    assert_eq!(out, "request 9".len());
    let err = sub
        .provide(RequestId(9))
        .run(|s: Arc<String>| s.len())
        .unwrap_err();
    assert!(matches!(err, Error::AsyncInSyncProduce { .. }), "{err}");
}

struct Greeting(Option<Arc<Db>>);

#[test]
fn an_optional_dependency_on_the_parent_keeps_the_parents_binding() {
    let parent = Module::build(|m| {
        m.make::<Db>().from_value(Db { name: "optional" });
        m.make_subcontext::<Greeting>(Module::build(|s| {
            s.make::<Greeting>()
                .from_fn(|db: Option<Arc<Db>>| Greeting(db));
        }));
    });
    let locator = produce_root::<Subcontext<Greeting>>(parent);
    let greetings = locator.get::<Subcontext<Greeting>>().unwrap();
    let name = greetings
        .run(|g: Arc<Greeting>| g.0.as_ref().map(|db| db.name))
        .unwrap();
    assert_eq!(name, Some("optional"), "not pruned from the parent's plan");

    // Unbound in the parent too: absent, and not an error.
    let parent = Module::build(|m| {
        m.make_subcontext::<Greeting>(Module::build(|s| {
            s.make::<Greeting>()
                .from_fn(|db: Option<Arc<Db>>| Greeting(db));
        }));
    });
    let locator = produce_root::<Subcontext<Greeting>>(parent);
    let greetings = locator.get::<Subcontext<Greeting>>().unwrap();
    assert!(greetings.run(|g: Arc<Greeting>| g.0.is_none()).unwrap());
}

struct Server {
    handlers: Subcontext<Callback>,
}
struct Callback(Lazy<Server>);

#[test]
fn a_subcontext_needing_its_owner_lazily_is_not_a_cycle() {
    let parent = Module::build(|m| {
        m.make::<Server>()
            .from_fn(|handlers: Arc<Subcontext<Callback>>| Server {
                handlers: (*handlers).clone(),
            });
        m.make_subcontext::<Callback>(Module::build(|s| {
            s.make::<Callback>()
                .from_fn(|server: Lazy<Server>| Callback(server));
        }));
    });
    let locator = produce_root::<Server>(parent);
    let server = locator.get::<Server>().unwrap();
    let same = server
        .handlers
        .run(|c: Arc<Callback>| Arc::ptr_eq(&c.0.get().unwrap(), &server))
        .unwrap();
    assert!(same);

    // Needed strictly, the owner would have to exist before itself: a cycle, reported.
    let parent = Module::build(|m| {
        m.make::<Server>()
            .from_fn(|handlers: Arc<Subcontext<Callback>>| Server {
                handlers: (*handlers).clone(),
            });
        m.make_subcontext::<Callback>(Module::build(|s| {
            s.make::<Callback>()
                .from_fn(|_: Arc<Server>| Callback(unreachable_lazy()));
        }));
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(parent).roots::<Server>())
        .unwrap_err();
    assert!(err.to_string().contains("dependency cycle"), "{err}");
}

/// The subcontext's module needs the very subcontext it belongs to: strictly, a cycle (and not
/// an endless planning of the subcontext inside itself); lazily, the run gets its own handle.
#[test]
fn a_subcontext_needing_itself_is_a_cycle_unless_lazily() {
    struct Again(#[allow(dead_code)] Arc<Subcontext<Again>>);
    let parent = Module::build(|m| {
        m.make_subcontext::<Again>(Module::build(|s| {
            s.make::<Again>()
                .from_fn(|itself: Arc<Subcontext<Again>>| Again(itself));
        }));
    });
    let err = Injector::new()
        .plan(&PlannerInput::new(parent).roots::<Subcontext<Again>>())
        .unwrap_err();
    assert!(err.to_string().contains("dependency cycle"), "{err}");

    struct Later(Lazy<Subcontext<Later>>);
    let parent = Module::build(|m| {
        m.make_subcontext::<Later>(Module::build(|s| {
            s.make::<Later>()
                .from_fn(|itself: Lazy<Subcontext<Later>>| Later(itself));
        }));
    });
    let locator = produce_root::<Subcontext<Later>>(parent);
    let subcontext = locator.get::<Subcontext<Later>>().unwrap();
    let again = subcontext
        .run(|later: Arc<Later>| later.0.get().unwrap())
        .unwrap();
    assert!(Arc::ptr_eq(&again, &subcontext));
}

fn unreachable_lazy() -> Lazy<Server> {
    unreachable!("never produced: the plan fails")
}

struct Inner(Arc<Db>);
struct Outer(Subcontext<Inner>);

#[test]
fn a_nested_subcontext_finds_what_it_needs_two_levels_up() {
    let parent = Module::build(|m| {
        m.make::<Db>().from_value(Db { name: "top" });
        m.make_subcontext::<Outer>(Module::build(|s| {
            s.make::<Outer>()
                .from_fn(|inner: Arc<Subcontext<Inner>>| Outer((*inner).clone()));
            s.make_subcontext::<Inner>(Module::build(|i| {
                i.make::<Inner>().from_fn(|db: Arc<Db>| Inner(db));
            }));
        }));
    });
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(parent).roots::<Subcontext<Outer>>())
        .unwrap();
    assert!(plan.contains(&DIKey::of::<Db>()), "{plan}");
    let locator = injector.produce(&plan).unwrap();
    let outer = locator.get::<Subcontext<Outer>>().unwrap();
    let name = outer
        .run(|o: Arc<Outer>| o.0.run(|i: Arc<Inner>| i.0.name).unwrap())
        .unwrap();
    assert_eq!(name, "top");
}

#[test]
fn plan_check_varies_the_axes_only_a_subcontext_uses() {
    let parent = Module::build(|m| {
        m.make_subcontext::<Handler>(Module::build(|s| {
            s.make::<Handler>().from::<Handler>();
            s.make::<Db>()
                .tagged(Mode::Prod)
                .from_value(Db { name: "prod" });
            s.make::<u32>().named("limit").from_value(1);
        }))
        .local::<RequestId>();
    });
    let report = PlanCheck::new(parent).run();
    assert_eq!(report.axes(), &[AxisInfo::of::<Mode>()], "{report}");
    let broken: Vec<String> = report
        .broken()
        .iter()
        .map(|b| b.activation.to_string())
        .collect();
    assert_eq!(broken, vec!["{Mode::Test}"], "{report}");
}

/// Drops its name into the log: the order instances go in (`N` makes three distinct keys).
struct Dropped<const N: u8>(&'static str, Arc<Mutex<Vec<String>>>);
impl<const N: u8> Drop for Dropped<N> {
    fn drop(&mut self) {
        self.1.lock().unwrap().push(format!("drop {}", self.0));
    }
}

type First = Dropped<0>;
type Pool = Dropped<1>;
type Last = Dropped<2>;
struct Wide(u32);

/// A run with more locals and arguments than its buffers keep inline (four), and a resource
/// after a plain instance and before another: every value reaches its place, and closing
/// drops and releases in reverse order of production.
#[test]
fn a_wide_run_gets_every_local_and_ends_in_reverse_order() {
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let sub = Module::build(move |s| {
        s.make::<First>()
            .from_fn(move |_: Arc<u8>| Dropped("first", l1.clone()));
        s.make::<Pool>().from_resource(move |_: Arc<First>| {
            let (open, close) = (l2.clone(), l2.clone());
            Lifecycle::make(
                move || Dropped("pool", open.clone()),
                move |_| close.lock().unwrap().push("release pool".into()),
            )
        });
        s.make::<Last>()
            .from_fn(move |_: Arc<Pool>| Dropped("last", l3.clone()));
        s.make::<Wide>().from_fn(
            |a: Arc<u8>,
             b: Arc<u16>,
             c: Arc<u32>,
             d: Arc<u64>,
             e: Arc<i8>,
             f: Arc<i16>,
             _: Arc<Last>| {
                Wide(u32::from(*a) + u32::from(*b) + *c + *d as u32 + *e as u32 + *f as u32)
            },
        );
    });
    let parent = Module::build(|m| {
        m.make_subcontext::<Wide>(sub)
            .local::<u8>()
            .local::<u16>()
            .local::<u32>()
            .local::<u64>()
            .local::<i8>()
            .local::<i16>();
    });
    let locator = produce_root::<Subcontext<Wide>>(parent);
    let wide = locator.get::<Subcontext<Wide>>().unwrap();
    let sum = wide
        .provide(1u8)
        .provide(2u16)
        .provide(3u32)
        .provide(4u64)
        .provide(5i8)
        .provide(99i16)
        .provide(6i16) // the last value given wins
        .run(|w: Arc<Wide>| w.0)
        .unwrap();
    assert_eq!(sum, 21);
    assert_eq!(
        *log.lock().unwrap(),
        ["drop last", "release pool", "drop pool", "drop first"]
    );
}

/// The same order for a run with an async release, closed by `run_async`.
#[tokio::test]
async fn an_async_run_ends_in_reverse_order() {
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let sub = Module::build(move |s| {
        s.make::<First>()
            .from_fn(move |_: Arc<u8>| Dropped("first", l1.clone()));
        s.make::<Pool>().from_resource_async(move |_: Arc<First>| {
            let (open, close) = (l2.clone(), l2.clone());
            Lifecycle::make_async(async move { Dropped("pool", open) }, move |_| async move {
                close.lock().unwrap().push("release pool".into())
            })
        });
        s.make::<Last>()
            .from_fn(move |_: Arc<Pool>| Dropped("last", l3.clone()));
    });
    let parent = Module::build(|m| {
        m.make_subcontext::<Last>(sub).local::<u8>();
    });
    let injector = Injector::new();
    let plan = injector.plan(&PlannerInput::new(parent)).unwrap();
    let locator = injector.produce_async(&plan).await.unwrap();
    let runs = locator.get::<Subcontext<Last>>().unwrap();
    runs.provide(1u8)
        .run_async(|_: Arc<Last>| async {})
        .await
        .unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["drop last", "release pool", "drop pool", "drop first"]
    );
    locator.close().await.unwrap();
}
