//! A binary with three roles — two tasks and a service — typed config, an axis and a plugin.
//!
//! ```text
//! cd examples/roles                          # where `roles.toml` is read from
//! cargo run -- --help
//! cargo run -- :migrate :report              # two tasks, in order
//! cargo run -- -u repo:dummy :http --port 8081   # serve until Ctrl-C
//! cargo run -- --check                       # every role x configuration
//! ```
//!
//! Each component prints what happens to it, so the end-to-end tests (`tests/e2e.rs`) can see
//! what was built, in which order, and what was released.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;

use distage::framework::{
    BoxError, IntegrationCheck, RoleAppMain, RoleService, RoleTask, Shutdown,
};
use distage::prelude::*;

mod metrics;

#[derive(Clone, Debug, serde::Deserialize)]
struct HttpConfig {
    host: String,
    port: u16,
}

#[derive(Clone, Debug, serde::Deserialize)]
struct DbConfig {
    url: String,
}

/// A connection pool: opened as a resource, closed when the application stops.
#[derive(Debug)]
pub struct Db {
    url: String,
}

fn db(config: DbConfig) -> Lifecycle<Db> {
    Lifecycle::make(
        move || {
            println!("db: open {}", config.url);
            Db { url: config.url }
        },
        |db: &Db| println!("db: closed {}", db.url),
    )
}

impl IntegrationCheck for Db {
    async fn check(&self) -> Result<(), String> {
        if self.url.contains("unreachable") {
            Err(format!("cannot reach the database at {}", self.url))
        } else {
            Ok(())
        }
    }
}

/// Where the application keeps its records: a database, or memory (`-u repo:dummy`).
pub trait Store: Send + Sync {
    fn describe(&self) -> String;
}

#[derive(Injectable)]
struct DbStore {
    db: Arc<Db>,
}
impl Store for DbStore {
    fn describe(&self) -> String {
        format!("records in {}", self.db.url)
    }
}

#[derive(Injectable)]
struct MemoryStore;
impl Store for MemoryStore {
    fn describe(&self) -> String {
        "records in memory".to_string()
    }
}

/// Only the HTTP service needs it: the tasks never build it.
struct Cache;

fn cache(_store: Arc<dyn Store>) -> Lifecycle<Cache> {
    Lifecycle::make(
        || {
            println!("cache: warm");
            Cache
        },
        |_: &Cache| println!("cache: dropped"),
    )
}

#[derive(Injectable)]
struct Migrate {
    db: Arc<Db>,
}

#[derive(clap::Args)]
struct MigrateArgs {
    /// Print what would change, change nothing.
    #[arg(long)]
    dry_run: bool,
}

impl RoleTask for Migrate {
    const ID: &'static str = "migrate";
    const ABOUT: &'static str = "create or upgrade the schema";
    type Args = MigrateArgs;

    async fn run(&self, args: MigrateArgs) -> Result<(), BoxError> {
        let mode = if args.dry_run { " (dry run)" } else { "" };
        println!("migrate: schema of {} up to date{mode}", self.db.url);
        Ok(())
    }
}

#[derive(Injectable)]
struct Report {
    store: Arc<dyn Store>,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// Fail on purpose, to see the release that follows.
    #[arg(long)]
    fail: bool,
}

impl RoleTask for Report {
    const ID: &'static str = "report";
    const ABOUT: &'static str = "print a summary of the records";
    type Args = ReportArgs;

    async fn run(&self, args: ReportArgs) -> Result<(), BoxError> {
        if args.fail {
            return Err("the report failed on purpose".into());
        }
        println!("report: {}", self.store.describe());
        Ok(())
    }
}

#[derive(Injectable)]
struct HttpServer {
    config: HttpConfig,
    store: Arc<dyn Store>,
    _cache: Arc<Cache>,
}

#[derive(clap::Args)]
struct HttpArgs {
    /// Listen on this port instead of the configured one.
    #[arg(long)]
    port: Option<u16>,
    /// Seconds to let open connections finish after a stop is asked for.
    #[arg(long, default_value_t = 0)]
    drain_secs: u64,
}

impl RoleService for HttpServer {
    const ID: &'static str = "http";
    const ABOUT: &'static str = "serve the records over HTTP until stopped";
    type Args = HttpArgs;

    async fn serve(&self, args: HttpArgs, shutdown: Shutdown) -> Result<(), BoxError> {
        let port = args.port.unwrap_or(self.config.port);
        println!(
            "http: serving {} on {}:{port}",
            self.store.describe(),
            self.config.host
        );
        shutdown.wait().await;
        if args.drain_secs > 0 {
            println!("http: draining for {}s", args.drain_secs);
            tokio::time::sleep(std::time::Duration::from_secs(args.drain_secs)).await;
        }
        println!("http: stopped");
        Ok(())
    }
}

module! {
    pub AppModule {
        config<HttpConfig>("http");
        config<DbConfig>("db");
        make<Db>.from_resource(|config: DbConfig| db(config));
        make<dyn Store>.from<DbStore>().tagged(Repo::Prod);
        make<dyn Store>.from<MemoryStore>().tagged(Repo::Dummy);
        make<Cache>.from_resource(|store: Arc<dyn Store>| cache(store));
        role<Migrate>;
        role<Report>;
        role<HttpServer>;
        integration_check<Db>;
    }
}

fn main() -> ExitCode {
    RoleAppMain::new("roles")
        .about("distage-rs roles example: two tasks and a service")
        .module(AppModule::module())
        .default_activation(Activation::new().with(Repo::Prod))
        .plugins()
        .run()
}
