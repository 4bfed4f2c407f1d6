//! The petstore: pets CRUD over JSON on axum and SQLite, with two roles. The binary
//! (`src/main.rs`) launches [`PetstoreModule`]; the tests (`tests/api.rs`) inject from it.
//!
//! ```text
//! cd examples/petstore                      # where `petstore.toml` is read from
//! cargo run -- :migrate :http               # create the schema, then serve until Ctrl-C
//! cargo run -- -u repo:dummy :http          # pets in memory, no database
//! ```

#![forbid(unsafe_code)]

use distage::framework::{BoxError, NoArgs, RoleTask};
use distage::prelude::*;

pub mod db;
pub mod http;
pub mod repo;

use db::{Db, DbConfig};
use http::{HttpConfig, HttpServer, Pets, RequestId};
use repo::{MemoryRepo, PetRepo, SqlRepo};

/// `:migrate`: creates or upgrades the schema.
#[derive(Debug, Injectable)]
pub struct Migrate {
    db: std::sync::Arc<Db>,
}

impl RoleTask for Migrate {
    const ID: &'static str = "migrate";
    const ABOUT: &'static str = "create or upgrade the database schema";
    type Args = NoArgs;

    async fn run(&self, _: NoArgs) -> Result<(), BoxError> {
        let (from, to) = self.db.migrate()?;
        println!("migrate: schema at version {to} (was {from})");
        self.db.announce(to);
        Ok(())
    }
}

module! {
    pub RequestModule {
        make<Pets>;
        requires dyn PetRepo;
        requires RequestId;
    }
}

module! {
    pub PetstoreModule {
        config<HttpConfig>("http");
        config<DbConfig>("db");
        make<Db>.from_resource(|config: DbConfig| db::open(config));
        make<dyn PetRepo>.from<SqlRepo>().tagged(Repo::Prod);
        make<dyn PetRepo>.from<MemoryRepo>().tagged(Repo::Dummy);
        make<Subcontext<Pets>>.from_subcontext(RequestModule::module()).local<RequestId>();
        role<Migrate>;
        role<HttpServer>;
        integration_check<Db>;
    }
}
