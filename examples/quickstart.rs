//! The main example: a small application graph, its plan, and a run.
use std::sync::Arc;

use distage::prelude::*;
use distage::{BoxError, DIKey};

trait Database: Send + Sync {
    fn query(&self, sql: &str) -> String;
}

struct Postgres {
    url: String,
}

impl Database for Postgres {
    fn query(&self, sql: &str) -> String {
        format!("[{}] {sql}", self.url)
    }
}

struct UserService {
    db: Arc<dyn Database>,
    log: Logger,
}

impl UserService {
    fn create(&self, name: &str) -> String {
        self.log.info(format_args!("creating {name}"));
        self.db
            .query(&format!("INSERT INTO users VALUES ('{name}')"))
    }
}

fn main() -> Result<(), BoxError> {
    let module = Module::build(|m| {
        m.make::<String>()
            .named("db-url")
            .from_value("postgres://localhost/app".to_string());
        m.make::<dyn Database>().from_fn(
            Functoid::of(|url: String| Arc::new(Postgres { url }) as Arc<dyn Database>)
                .named(0, "db-url"),
        );
        m.make::<UserService>()
            .from_fn(|db: Arc<dyn Database>, log: Logger| UserService { db, log });
    });

    let input = PlannerInput::new(module).roots::<UserService>();
    let injector = Injector::new();
    let plan = injector.plan(&input)?;
    println!("{plan}\n");
    println!(
        "{}\n",
        plan.dependencies(&DIKey::of::<UserService>())
            .expect("a root is planned")
    );

    let locator = injector.produce(&plan)?;
    let out = locator.run(|users: Arc<UserService>| users.create("alice"))?;
    println!("{out}");
    locator.close()?;
    Ok(())
}
