//! Typed graphs (`#[typed]` modules): built by straight calls, the same instances and
//! guarantees as the runtime plan.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use distage::prelude::*;

static BUILT: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone)]
struct Config {
    url: String,
}

trait Db: Send + Sync {
    fn url(&self) -> String;
}

#[derive(Injectable)]
struct Postgres {
    config: Config,
    #[di(id = "pool-size")]
    size: u32,
}

impl Db for Postgres {
    fn url(&self) -> String {
        format!("{} ({})", self.config.url, self.size)
    }
}

struct Repo {
    db: Arc<dyn Db>,
}

#[injectable]
impl Repo {
    fn new(db: Arc<dyn Db>, log: Logger) -> Self {
        log.info(format_args!("repo made"));
        Repo { db }
    }
}

#[derive(Injectable)]
struct Service {
    repo: Arc<Repo>,
    db: Arc<dyn Db>,
}

/// A fallible constructor: built through `construct` and its arguments, not `from_parts`.
struct Checked {
    url: String,
}

#[injectable]
impl Checked {
    fn new(db: Arc<dyn Db>, #[id("pool-size")] size: u32) -> Result<Self, std::io::Error> {
        if size == 0 {
            return Err(std::io::Error::other("empty pool"));
        }
        Ok(Checked { url: db.url() })
    }
}

struct Cache(usize);

fn make_cache(repo: Arc<Repo>) -> Cache {
    Cache(repo.db.url().len())
}

module! {
    #[typed]
    pub App {
        make<Config>.from_value(Config { url: "pg://app".into() });
        make<u32>.named("pool-size").from_value(8u32);
        make<dyn Db>.from<Postgres>();
        make<Repo>;
        make<Service>;
        make<Cache>.from(make_cache);
        make<Checked>;
        make<String>.named("banner").from(|#[id("pool-size")] size: u32, db: Arc<dyn Db>| {
            format!("{} x{size}", db.url())
        });
    }
}

/// Counts its constructions: only `a_typed_graph_builds_every_binding_once_and_shares_it`
/// builds it.
struct Counted;

#[injectable]
impl Counted {
    fn new() -> Self {
        BUILT.fetch_add(1, Ordering::SeqCst);
        Counted
    }
}

struct First(Arc<Counted>);
struct Second(Arc<Counted>);

module! {
    #[typed]
    CountedApp {
        make<First>.from(|c: Arc<Counted>| First(c));
        make<Second>.from(|c: Arc<Counted>| Second(c));
        make<Counted>;
    }
}

#[test]
fn a_typed_graph_builds_every_binding_once_and_shares_it() {
    let counted = CountedApp::Typed::build().unwrap();
    assert_eq!(
        BUILT.load(Ordering::SeqCst),
        1,
        "built once, though needed twice"
    );
    assert!(Arc::ptr_eq(
        &counted.get::<First>().0,
        &counted.get::<Second>().0
    ));
    drop(counted);
    let graph = App::Typed::build().unwrap();
    let service = graph.get::<Service>();
    assert!(Arc::ptr_eq(&service.repo, &graph.get::<Repo>()));
    assert!(Arc::ptr_eq(&service.db, &service.repo.db));
    assert_eq!(graph.get::<dyn Db>().url(), "pg://app (8)");
    assert_eq!(graph.get::<Cache>().0, "pg://app (8)".len());
    assert_eq!(graph.get::<Checked>().url, "pg://app (8)");
    assert!(
        Arc::ptr_eq(&graph.get::<Service>(), &service),
        "get reads the field"
    );
    graph.close().unwrap();
}

#[test]
fn the_typed_graph_and_the_runtime_plan_build_the_same_instances() {
    let graph = App::Typed::build().unwrap();
    let injector = Injector::new();
    let locator = injector
        .produce(&injector.plan(&PlannerInput::new(App::module())).unwrap())
        .unwrap();
    assert_eq!(
        locator.get::<dyn Db>().unwrap().url(),
        graph.get::<dyn Db>().url()
    );
    assert_eq!(
        *locator.get_named::<String>("banner").unwrap(),
        "pg://app (8) x8"
    );
}

// ---- resources: acquired in dependency order, released in reverse, exactly once ----

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> &'static Log {
    static LOG: std::sync::OnceLock<Log> = std::sync::OnceLock::new();
    LOG.get_or_init(Log::default)
}

fn entry(s: impl Into<String>) {
    log().lock().unwrap().push(s.into());
}

struct Pool;
struct Conn;
struct Handler;

fn pool() -> Lifecycle<Pool> {
    Lifecycle::make(
        || {
            entry("pool+");
            Pool
        },
        |_: &Pool| entry("pool-"),
    )
}

module! {
    #[typed]
    Resources {
        make<Pool>.from_resource(pool);
        make<Conn>.from_resource(|_pool: Arc<Pool>| Lifecycle::make(|| { entry("conn+"); Conn }, |_: &Conn| entry("conn-")));
        make<Handler>.from(|_conn: Arc<Conn>| Handler);
    }
}

struct Broken;

module! {
    #[typed]
    Failing {
        make<Pool>.from_resource(pool);
        make<Conn>.from_resource(|_pool: Arc<Pool>| Lifecycle::make(|| { entry("conn+"); Conn }, |_: &Conn| entry("conn-")));
        make<Broken>.from_try(|_conn: Arc<Conn>| -> Result<Broken, std::io::Error> {
            Err(std::io::Error::other("no route to host"))
        });
    }
}

struct Panicking;

module! {
    #[typed]
    Panics {
        make<Pool>.from_resource(pool);
        make<Panicking>.from(|_pool: Arc<Pool>| -> Panicking { panic!("constructor panicked") });
    }
}

/// One test, so that the shared log is not interleaved with another's.
#[test]
fn resources_are_released_in_reverse_order_once_on_close_drop_failure_and_panic() {
    let take = || std::mem::take(&mut *log().lock().unwrap());

    let graph = Resources::Typed::build().unwrap();
    assert_eq!(take(), ["pool+", "conn+"]);
    graph.close().unwrap();
    assert_eq!(take(), ["conn-", "pool-"]);

    drop(Resources::Typed::build().unwrap());
    assert_eq!(take(), ["pool+", "conn+", "conn-", "pool-"]);

    let e = Failing::Typed::build().unwrap_err();
    assert_eq!(take(), ["pool+", "conn+", "conn-", "pool-"]);
    let message = e.to_string();
    assert!(
        message.contains("Broken") && message.contains("no route to host"),
        "{message}"
    );
    assert!(message.contains("typed.rs"), "names the binding: {message}");

    let e = Panics::Typed::build().unwrap_err();
    assert_eq!(take(), ["pool+", "pool-"]);
    assert!(e.to_string().contains("constructor panicked"), "{e}");
}

// ---- instances without resources: dropped as a locator drops them ----

static DROPS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

macro_rules! logs_drop {
    ($($t:ident)*) => {$(
        impl Drop for $t {
            fn drop(&mut self) {
                DROPS.lock().unwrap().push(stringify!($t));
            }
        }
    )*};
}

#[derive(Injectable)]
struct Clock;

#[derive(Injectable)]
struct Metrics;

#[derive(Injectable)]
struct Server {
    _clock: Arc<Clock>,
}

logs_drop!(Clock Metrics Server);

module! {
    #[typed]
    Dropping {
        make<Clock>;
        make<Metrics>;
        make<Server>;
    }
}

/// In reverse order of declaration: for a module declared dependencies first, as a locator
/// drops them (in reverse plan order).
#[test]
fn instances_are_dropped_in_reverse_order_of_declaration() {
    let take = || std::mem::take(&mut *DROPS.lock().unwrap());
    drop(Dropping::Typed::build().unwrap());
    let typed = take();
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(Dropping::module()))
        .unwrap();
    drop(injector.produce(&plan).unwrap());
    assert_eq!(typed, ["Server", "Metrics", "Clock"]);
    assert_eq!(take(), typed);
}

#[test]
fn a_typed_graph_is_shared_across_threads() {
    let graph = Arc::new(App::Typed::build().unwrap());
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let graph = graph.clone();
            std::thread::spawn(move || graph.get::<Service>().db.url())
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "pg://app (8)");
    }
}

// ---- activations: the planner chooses, the typed graph builds what it chose ----

#[derive(Injectable)]
struct InMemory;

impl Db for InMemory {
    fn url(&self) -> String {
        "memory".into()
    }
}

#[derive(Injectable)]
struct Reader {
    db: Arc<dyn Db>,
}

module! {
    #[typed]
    Tagged {
        make<Config>.from_value(Config { url: "pg://tagged".into() });
        make<u32>.named("pool-size").from_value(4u32);
        make<dyn Db>.from<Postgres>().tagged(distage::Repo::Prod);
        make<dyn Db>.from<InMemory>().tagged(distage::Repo::Dummy);
        make<Reader>;
    }
}

#[test]
fn a_typed_graph_builds_the_bindings_the_activation_chooses() {
    let prod = Tagged::Typed::build_with(&Activation::new().with(distage::Repo::Prod)).unwrap();
    assert_eq!(prod.get::<Reader>().db.url(), "pg://tagged (4)");
    let dummy = Tagged::Typed::build_with(&Activation::new().with(distage::Repo::Dummy)).unwrap();
    assert_eq!(dummy.get::<Reader>().db.url(), "memory");
    assert!(Arc::ptr_eq(
        &dummy.get::<Reader>().db,
        &dummy.get::<dyn Db>()
    ));

    // The same choice as the runtime plan; and the same error when nothing is chosen.
    let injector = Injector::new();
    let plan = injector.plan(
        &PlannerInput::new(Tagged::module())
            .activation(Activation::new().with(distage::Repo::Dummy)),
    );
    assert_eq!(
        injector
            .produce(&plan.unwrap())
            .unwrap()
            .get::<dyn Db>()
            .unwrap()
            .url(),
        "memory"
    );
    let runtime = injector
        .plan(&PlannerInput::new(Tagged::module()))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    let typed = Tagged::Typed::build().unwrap_err().to_string();
    assert_eq!(typed, runtime, "no activation: the planner's error");
}

struct Remote;

fn remote() -> Lifecycle<Remote> {
    Lifecycle::make_async(async { Remote }, |_: Arc<Remote>| async {})
}

module! {
    #[typed]
    AsyncLifecycle {
        make<Remote>.from_resource(remote);
    }
}

/// An async `Lifecycle` given to `from_resource` is an error naming the type and the way out,
/// in the typed graph and in the runtime plan alike; nothing is acquired.
#[test]
fn an_async_lifecycle_bound_with_from_resource_says_what_to_do() {
    let typed = AsyncLifecycle::Typed::build().unwrap_err().to_string();
    assert!(
        typed.contains("`Remote` is bound with `from_resource`, but its Lifecycle is async"),
        "{typed}"
    );
    assert!(typed.contains("from_resource_async"), "{typed}");
    let injector = Injector::new();
    let plan = injector
        .plan(&PlannerInput::new(AsyncLifecycle::module()))
        .unwrap();
    let runtime = injector.produce(&plan).unwrap_err().to_string();
    assert!(
        runtime.contains("`Remote` is bound with `from_resource`, but its Lifecycle is async"),
        "{runtime}"
    );
    assert!(runtime.contains("produce_async"), "{runtime}");
}

struct Ping;
struct Pong;

fn ping(_: Arc<Pong>) -> Ping {
    Ping
}

fn pong(_: Arc<Ping>) -> Pong {
    Pong
}

module! {
    #[typed]
    Loop {
        make<Ping>.from(ping);
        make<Pong>.from(pong);
    }
}

/// A cycle through functions whose parameters the macro does not see is not in the
/// compile-time cycle check: the typed graph notices the re-entry and fails, naming the key.
#[test]
fn a_cycle_through_function_paths_fails_the_build() {
    let message = Loop::Typed::build().unwrap_err().to_string();
    assert!(message.contains("dependency cycle"), "{message}");
    assert!(
        message.contains("Ping") || message.contains("Pong"),
        "{message}"
    );
}

/// A module whose bindings are written in a `macro_rules!` body: `file!()` and `line!()` give
/// every binding the same origin (the macro's call site), so the typed graph must tell its
/// tagged bindings apart by identity, not by where they were written.
macro_rules! tagged_in_a_macro {
    ($name:ident) => {
        module! {
            #[typed]
            $name {
                make<Config>.from_value(Config { url: "pg://macro".into() });
                make<u32>.named("pool-size").from_value(2u32);
                make<dyn Db>.from<Postgres>().tagged(distage::Repo::Prod);
                make<dyn Db>.from<InMemory>().tagged(distage::Repo::Dummy);
                make<Reader>;
            }
        }
    };
}

tagged_in_a_macro!(FromAMacro);

#[test]
fn tagged_bindings_written_in_one_macro_body_are_chosen_apart() {
    let prod = FromAMacro::Typed::build_with(&Activation::new().with(distage::Repo::Prod));
    assert_eq!(prod.unwrap().get::<Reader>().db.url(), "pg://macro (2)");
    let dummy = FromAMacro::Typed::build_with(&Activation::new().with(distage::Repo::Dummy));
    assert_eq!(dummy.unwrap().get::<Reader>().db.url(), "memory");
}
