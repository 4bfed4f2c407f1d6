//! Every `module!` and derive feature in one program that must compile and run.
#![deny(warnings)]

use std::sync::{Arc, Mutex};

use distage::prelude::*;

trait Database: Send + Sync {
    fn name(&self) -> String;
}

trait Handler: Send + Sync {
    fn handle(&self) -> String;
}

#[derive(Injectable)]
struct Postgres {
    #[di(id = "db-url")]
    url: String,
}

impl Database for Postgres {
    fn name(&self) -> String {
        format!("pg:{}", self.url)
    }
}

#[derive(Injectable)]
struct InMemory;

impl Database for InMemory {
    fn name(&self) -> String {
        "memory".into()
    }
}

#[derive(Injectable)]
struct UserHandler(Arc<dyn Database>);

impl Handler for UserHandler {
    fn handle(&self) -> String {
        format!("user via {}", self.0.name())
    }
}

#[derive(Injectable)]
struct AdminHandler;

impl Handler for AdminHandler {
    fn handle(&self) -> String {
        "admin".into()
    }
}

#[derive(Injectable)]
struct Session {
    db: Arc<dyn Database>,
    #[di(assisted)]
    user: String,
    #[di(default)]
    visits: u32,
}

#[derive(Injectable)]
struct Parent {
    child: Lazy<Child>,
    locator: LocatorRef,
    log: Logger,
}

#[derive(Injectable)]
struct Child {
    parent: Arc<Parent>,
}

struct Pool {
    log: Arc<Mutex<Vec<&'static str>>>,
}

fn pool(log: Arc<Mutex<Vec<&'static str>>>) -> Lifecycle<Pool> {
    Lifecycle::make(
        move || {
            log.lock().unwrap().push("acquire");
            Pool { log }
        },
        |pool: &Pool| pool.log.lock().unwrap().push("release"),
    )
}

struct Config {
    port: u16,
}

#[derive(Clone)]
struct Limits {
    max: usize,
}

struct Server {
    port: u16,
    max: usize,
}

#[derive(Injectable)]
struct Generic<T: Send + Sync + 'static> {
    inner: Arc<T>,
}

struct Repo {
    db: Arc<dyn Database>,
    missing: Option<Arc<u128>>,
}

#[injectable]
impl Repo {
    fn new(db: Arc<dyn Database>, missing: Option<Arc<u128>>) -> Self {
        Repo { db, missing }
    }
}

struct Checked {
    port: u16,
}

#[injectable]
impl Checked {
    fn new(#[id("port")] port: u16) -> Result<Self, std::io::Error> {
        Ok(Checked { port })
    }
}

mod core {
    use super::*;

    module! {
        pub CoreModule {
            make<String>.named("db-url").from_value("localhost".to_string());
            make<dyn Database>.from<Postgres>().tagged(Mode::Prod);
            make<dyn Database>.from<InMemory>().tagged(Mode::Test);
        }
    }
}

mod web {
    use super::core::CoreModule;
    use super::*;

    module! {
        pub WebModule {
            include CoreModule;
            many<dyn Handler>.add<UserHandler>().add<AdminHandler>().tagged(Mode::Prod);
        }
    }
}

use self::core::CoreModule;
use web::WebModule;

module! {
    /// Everything.
    pub AppModule {
        include CoreModule;
        include WebModule;
        make<Factory<Session>>.from_factory();
        make<Parent>;
        make<Child>;
        make<Mutex<Vec<&'static str>>>.from_value(Mutex::new(Vec::new()));
        make<Arc<u8>>.from_value(Arc::new(3));
        make<Pool>.from_resource(pool);
        make<Config>.from_value(Config { port: 80 });
        make<u16>.named("port").from(|c: Arc<Config>| c.port + 8000);
        make<Limits>.from_value(Limits { max: 10 });
        make<Server>.from_try(|#[id("port")] port: u16, limits: Limits| -> Result<Server, std::io::Error> {
            Ok(Server { port, max: limits.max })
        });
        make<u8>.from_value(7);
        make<Generic<u8>>;
        make<Repo>;
        make<Checked>;
        make<dyn Handler>.using<AdminHandler>();
        make<AdminHandler>;
        many<u32>.add_value(1).add_fn(|c: Arc<Config>| u32::from(c.port)).named("numbers");
        many<dyn Database>.ref_<dyn Database>().weak<InMemory>();
        requires u64;
    }
}

fn main() -> Result<(), distage::Error> {
    let parent = Injector::new().produce(
        &Injector::new().plan(&PlannerInput::new(Module::build(|m| {
            m.make::<u64>().from_value(64);
        })))?,
    )?;
    let injector = Injector::inherit(&parent);
    let plan = injector.plan(&PlannerInput::new(AppModule::module()).activation(Activation::new().with(Mode::Prod)))?;
    let locator = injector.produce(&plan)?;

    assert_eq!(locator.get::<dyn Database>()?.name(), "pg:localhost");
    let handlers: Vec<String> = locator.get_set::<dyn Handler>()?.iter().map(|h| h.handle()).collect();
    assert_eq!(handlers, vec!["user via pg:localhost", "admin"]);
    let session = locator.get::<Factory<Session>>()?.create("alice".to_string());
    assert_eq!((session.user.as_str(), session.visits, session.db.name()), ("alice", 0, "pg:localhost".to_string()));
    let parent = locator.get::<Parent>()?;
    assert!(Arc::ptr_eq(&parent.child.get()?.parent, &parent));
    assert!(parent.locator.get::<Child>().is_ok());
    assert_eq!(parent.log.component(), "Parent");
    let server = locator.get::<Server>()?;
    assert_eq!((server.port, server.max), (8080, 10));
    assert_eq!(*locator.get::<Generic<u8>>()?.inner, 7);
    let repo = locator.get::<Repo>()?;
    assert!(repo.missing.is_none());
    assert_eq!(repo.db.name(), "pg:localhost");
    assert_eq!(locator.get::<Checked>()?.port, 8080);
    assert_eq!(locator.get::<dyn Handler>()?.handle(), "admin");
    let numbers: Vec<u32> = locator.get_named_set::<u32>("numbers")?.iter().map(|n| **n).collect();
    assert_eq!(numbers, vec![1, 80]);
    assert_eq!(locator.get_set::<dyn Database>()?.len(), 1, "the weak InMemory element is not kept");
    assert_eq!(**locator.get::<Arc<u8>>()?, 3, "a key that is itself an `Arc` keeps its value");
    let log = locator.get::<Mutex<Vec<&'static str>>>()?;
    locator.close()?;
    assert_eq!(*log.lock().unwrap(), vec!["acquire", "release"]);
    Ok(())
}
