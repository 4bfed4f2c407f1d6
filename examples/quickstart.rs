//! The main example: a small application graph declared with `module!`, its plan, and a run.
use std::sync::Arc;

use distage::prelude::*;

trait Database: Send + Sync {
    fn query(&self, sql: &str) -> String;
}

#[derive(Injectable)]
struct Postgres {
    #[di(id = "db-url")]
    url: String,
}

impl Database for Postgres {
    fn query(&self, sql: &str) -> String {
        format!("[{}] {sql}", self.url)
    }
}

struct HostPort {
    host: String,
    port: u16,
}

#[derive(Injectable)]
struct UserService {
    db: Arc<dyn Database>,
    server: Arc<HttpServer>,
    log: Logger,
}

struct HttpServer {
    address: String,
}

impl UserService {
    fn create(&self, name: &str) -> String {
        self.log
            .info(format_args!("creating {name} via {}", self.server.address));
        self.db
            .query(&format!("INSERT INTO users VALUES ('{name}')"))
    }
}

module! {
    /// The application's wiring.
    pub AppModule {
        make<String>.named("db-url").from_value("postgres://localhost/app".to_string());
        make<dyn Database>.from<Postgres>();
        make<HostPort>.from_value(HostPort { host: "0.0.0.0".into(), port: 80 });
        make<HttpServer>.from(|hp: Arc<HostPort>| HttpServer { address: format!("{}:{}", hp.host, hp.port + 8000) });
        make<UserService>;
    }
}

fn main() -> Result<(), distage::Error> {
    let input = PlannerInput::new(AppModule::module()).roots::<UserService>();
    let injector = Injector::new();
    let plan = injector.plan(&input)?;
    println!("{plan}\n");

    let locator = injector.produce(&plan)?;
    let out = locator.run(|users: Arc<UserService>| users.create("alice"))?;
    println!("{out}");
    locator.close()
}
