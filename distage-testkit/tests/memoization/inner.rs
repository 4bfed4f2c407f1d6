//! The tests the testkit runs when this binary is started as a harness (`TESTKIT_DEMO_LOG` set):
//! twelve tests in two configurations sharing a memoized `Db` (one of which panics, one
//! ignored), tests whose resources have integration checks (two failing), an environment that
//! panics, a hygiene check, and plan checks of a good, a broken and a roles module. Every
//! acquisition, release and test end is appended to the file `TESTKIT_DEMO_LOG` names;
//! `outer.rs` reads it.

use std::io::Write as _;
use std::sync::Arc;

use distage::prelude::*;
use distage::testkit::TestEnv;

/// Appends one line to the log (one `write` per line: `O_APPEND` keeps lines whole).
pub fn log(line: &str) {
    let Some(path) = std::env::var_os(crate::LOG_VAR) else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("the demo log opens");
    file.write_all(format!("{line}\n").as_bytes())
        .expect("the demo log is written");
}

/// The expensive resource: memoized, so acquired once per configuration.
pub struct Db {
    pub label: &'static str,
}

fn db(label: &'static str) -> Lifecycle<Db> {
    Lifecycle::make(
        move || {
            log(&format!("acquire db {label}"));
            Db { label }
        },
        move |_| log(&format!("release db {label}")),
    )
}

fn dummy_db() -> Lifecycle<Db> {
    db("dummy")
}

fn prod_db() -> Lifecycle<Db> {
    db("prod")
}

/// A per-test resource on top of the shared one: every test gets its own, released at its end.
pub struct Conn {
    pub db: Arc<Db>,
}

fn conn(db: Arc<Db>) -> Lifecycle<Conn> {
    Lifecycle::make(
        move || {
            log("acquire conn");
            Conn { db }
        },
        |_| log("release conn"),
    )
}

pub trait Clock: Send + Sync {
    fn now(&self) -> u64;
}

pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> u64 {
        1
    }
}

pub struct FakeClock;
impl Clock for FakeClock {
    fn now(&self) -> u64 {
        42
    }
}

pub trait Plugin: Send + Sync {
    fn name(&self) -> &'static str;
}

pub struct Metrics;
impl Plugin for Metrics {
    fn name(&self) -> &'static str {
        "metrics"
    }
}

#[derive(Clone)]
pub struct Settings {
    pub retries: u8,
}

fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

fn metrics() -> Arc<dyn Plugin> {
    Arc::new(Metrics)
}

module! {
    pub DemoModule {
        make<Db>.from_resource(dummy_db).tagged(Repo::Dummy);
        make<Db>.from_resource(prod_db).tagged(Repo::Prod);
        make<Conn>.from_resource(conn);
        make<dyn Clock>.from(system_clock);
        make<String>.named("greeting").from_value("hello".to_string());
        make<Settings>.from_value(Settings { retries: 3 });
        many<dyn Plugin>.add_fn(metrics);
    }
}

fn fake_clock() -> Arc<dyn Clock> {
    Arc::new(FakeClock)
}

module! {
    pub FakeClockModule {
        make<dyn Clock>.from(fake_clock);
    }
}

/// Configuration 1: the dummy repository.
pub fn dummy() -> TestEnv {
    TestEnv::new(DemoModule::module())
        .activation(Activation::new().with(Repo::Dummy))
        .memoize::<Db>()
}

/// Configuration 2: the "production" repository, with a fake clock.
pub fn prod() -> TestEnv {
    TestEnv::new(DemoModule::module())
        .activation(Activation::new().with(Repo::Prod))
        .overridden_by(&FakeClockModule::module())
        .memoize::<Db>()
}

fn end(test: &str, db: &Db) {
    log(&format!("end {} {test}", db.label));
}

pub mod dummy {
    use super::*;

    #[distage::test(env = super::dummy)]
    fn reads_the_shared_db(db: Arc<Db>) {
        assert_eq!(db.label, "dummy");
        end("reads_the_shared_db", &db);
    }

    #[distage::test(env = super::dummy)]
    fn gets_its_own_conn(conn: Arc<Conn>, db: Arc<Db>) {
        assert!(Arc::ptr_eq(&conn.db, &db), "the conn uses the shared db");
        end("gets_its_own_conn", &db);
    }

    #[distage::test(env = super::dummy)]
    fn named_and_value_parameters(
        #[id("greeting")] greeting: String,
        settings: Settings,
        db: Arc<Db>,
    ) {
        assert_eq!(greeting, "hello");
        assert_eq!(settings.retries, 3);
        end("named_and_value_parameters", &db);
    }

    #[distage::test(env = super::dummy)]
    fn sets(plugins: Set<dyn Plugin>, db: Arc<Db>) {
        let names: Vec<&str> = plugins.iter().map(|p| p.name()).collect();
        assert_eq!(names, ["metrics"]);
        end("sets", &db);
    }

    #[distage::test(env = super::dummy)]
    async fn runs_async(db: Arc<Db>, clock: Arc<dyn Clock>) {
        tokio::task::yield_now().await;
        assert_eq!(clock.now(), 1, "no override in this configuration");
        end("runs_async", &db);
    }

    #[distage::test(env = super::dummy)]
    fn returns_ok(db: Arc<Db>) -> Result<(), String> {
        end("returns_ok", &db);
        Ok(())
    }

    #[distage::test(env = super::dummy)]
    #[ignore]
    fn ignored_unless_asked(db: Arc<Db>) {
        end("ignored_unless_asked", &db);
    }
}

pub mod prod {
    use super::*;

    #[distage::test(env = super::prod)]
    fn reads_the_shared_db(db: Arc<Db>) {
        assert_eq!(db.label, "prod");
        end("reads_the_shared_db", &db);
    }

    #[distage::test(env = super::prod)]
    fn the_override_wins(clock: Arc<dyn Clock>, db: Arc<Db>) {
        assert_eq!(clock.now(), 42);
        end("the_override_wins", &db);
    }

    #[distage::test(env = super::prod)]
    async fn async_with_conn(conn: Arc<Conn>) {
        tokio::task::yield_now().await;
        end("async_with_conn", &conn.db);
    }

    #[distage::test(env = super::prod)]
    fn panics(conn: Arc<Conn>) {
        end("panics", &conn.db);
        panic!("deliberately");
    }

    #[distage::test(env = super::prod)]
    fn without_the_db(#[id("greeting")] greeting: String) {
        assert_eq!(greeting, "hello");
        log("end none without_the_db");
    }
}

/// A resource whose integration check fails: the tests that need it are skipped.
pub struct Unreachable;

impl distage::framework::IntegrationCheck for Unreachable {
    async fn check(&self) -> Result<(), String> {
        Err("the service does not answer".into())
    }
}

/// A resource whose integration check passes.
pub struct Reachable;

impl distage::framework::IntegrationCheck for Reachable {
    async fn check(&self) -> Result<(), String> {
        log("check reachable");
        Ok(())
    }
}

fn unreachable() -> Lifecycle<Unreachable> {
    Lifecycle::make(
        || {
            log("acquire unreachable");
            Unreachable
        },
        |_| log("release unreachable"),
    )
}

fn reachable() -> Reachable {
    Reachable
}

module! {
    pub CheckedModule {
        make<Unreachable>.from_resource(unreachable);
        make<Reachable>.from(reachable);
        integration_check<Unreachable>;
        integration_check<Reachable>;
    }
}

/// Configuration 3: a memoized resource whose check fails.
pub fn checked_memoized() -> TestEnv {
    TestEnv::new(CheckedModule::module()).memoize::<Unreachable>()
}

/// Configuration 4: the same, produced per test.
pub fn checked() -> TestEnv {
    TestEnv::new(CheckedModule::module())
}

pub mod checked {
    use super::*;

    #[distage::test(env = super::checked_memoized)]
    fn skipped_by_a_memoized_check(_u: Arc<Unreachable>) {
        log("end none skipped_by_a_memoized_check");
    }

    #[distage::test(env = super::checked)]
    fn skipped_by_its_own_check(_u: Arc<Unreachable>) {
        log("end none skipped_by_its_own_check");
    }

    #[distage::test(env = super::checked)]
    fn runs_when_its_check_passes(_r: Arc<Reachable>) {
        log("end none runs_when_its_check_passes");
    }

    /// A sync test sees the testkit's runtime, and may still start a runtime of its own.
    #[distage::test(env = super::checked)]
    fn sync_tests_reach_tokio(_r: Arc<Reachable>) {
        let spawned = tokio::runtime::Handle::current().spawn(async { 7 });
        let own = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(own.block_on(spawned).unwrap(), 7);
        log("end none sync_tests_reach_tokio");
    }
}

fn panicking_env() -> TestEnv {
    panic!("no environment today")
}

/// An environment that panics fails its test, and no other.
#[distage::test(env = panicking_env)]
fn env_panics() {
    log("end none env_panics");
}

/// The generated code names everything by absolute paths: shadowing the prelude changes nothing.
#[deny(warnings)]
#[allow(dead_code)]
mod hygiene {
    struct Result;
    struct Ok;
    struct Err;
    struct Option;
    struct Some;
    struct None;
    struct Box;
    struct Vec;
    struct String;

    #[distage::test(env = super::checked)]
    fn hygienic(_r: std::sync::Arc<super::Reachable>) {
        super::log("end none hygienic");
    }
}

distage::testkit::plan_check_tests!(DemoModule);

/// A task role: plan-checked per activation under its own name.
#[derive(Injectable)]
pub struct Migrate {
    pub db: Arc<Db>,
}

impl distage::framework::RoleTask for Migrate {
    const ID: &'static str = "migrate";
    const ABOUT: &'static str = "upgrade the schema";
    type Args = distage::framework::NoArgs;
    async fn run(&self, _: Self::Args) -> Result<(), distage::framework::BoxError> {
        log(&format!("migrate {}", self.db.label));
        Ok(())
    }
}

/// A second role, which needs no database.
#[derive(Injectable)]
pub struct Report {
    pub clock: Arc<dyn Clock>,
}

impl distage::framework::RoleTask for Report {
    const ID: &'static str = "report";
    const ABOUT: &'static str = "print the time";
    type Args = distage::framework::NoArgs;
    async fn run(&self, _: Self::Args) -> Result<(), distage::framework::BoxError> {
        log(&format!("report {}", self.clock.now()));
        Ok(())
    }
}

module! {
    pub RolesModule {
        include DemoModule;
        role<Migrate>;
        role<Report>;
    }
}

distage::testkit::plan_check_tests!(RolesModule);

fn broken() -> Module {
    Module::build(|m| {
        m.make::<Db>().from_resource(dummy_db).tagged(Repo::Dummy);
        m.make::<Conn>().from_resource(conn);
    })
}

distage::testkit::plan_check_tests!(Broken, super::inner::broken());
