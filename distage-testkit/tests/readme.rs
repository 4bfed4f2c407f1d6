// The README's "Testkit" example, verbatim: keep the two in step.
use std::sync::Arc;
use std::sync::Mutex;

use distage::prelude::*;
use distage::testkit::TestEnv;

struct Db {
    rows: Mutex<Vec<String>>, // a pool, a container…
}

impl distage::framework::IntegrationCheck for Db {
    async fn check(&self) -> Result<(), String> {
        Ok(()) // an Err(…) skips the tests that need `Db`, with its message
    }
}

trait PetRepo: Send + Sync {
    fn add(&self, name: &str) -> usize;
}

struct SqlPets(Arc<Db>);

impl PetRepo for SqlPets {
    fn add(&self, name: &str) -> usize {
        let mut rows = self.0.rows.lock().unwrap();
        rows.push(name.to_string());
        rows.len()
    }
}

struct Clock(u64);

fn open_db() -> Lifecycle<Db> {
    Lifecycle::make(
        || Db {
            rows: Mutex::new(Vec::new()),
        },
        |_db| { /* disconnect */ },
    )
}

fn pets(db: Arc<Db>) -> Arc<dyn PetRepo> {
    Arc::new(SqlPets(db))
}

module! {
    AppModule {
        make<Db>.from_resource(open_db);
        make<dyn PetRepo>.from(pets);
        make<Clock>.from_value(Clock(0));
        make<String>.named("owner").from_value("alice".to_string());
        integration_check<Db>;
    }
}

module! {
    FixedClock {
        make<Clock>.from_value(Clock(1_700_000_000));
    }
}

fn env() -> TestEnv {
    TestEnv::new(AppModule::module())
        .activation(Activation::new().with(Repo::Prod))
        .overridden_by(&FixedClock::module()) // a test asking for `Clock` gets the fake
        .memoize::<Db>() // produced once for every test of this configuration
}

#[distage::test(env = env)]
fn adds_a_pet(pets: Arc<dyn PetRepo>, #[id("owner")] owner: String) {
    assert!(pets.add(&owner) >= 1);
}

#[distage::test(env = env)]
async fn reads_the_clock(clock: Arc<Clock>, db: Arc<Db>) -> Result<(), String> {
    assert_eq!(clock.0, 1_700_000_000);
    tokio::task::yield_now().await;
    drop(db);
    Ok(())
}

distage::testkit::plan_check_tests!(AppModule); // one test per (role x) activation
distage::testkit::main!();
