use std::sync::Arc;

use distage::framework::{BoxError, NoArgs, RoleTask};
use distage::prelude::*;

struct Db;

#[derive(Injectable)]
struct Migrate {
    db: Arc<Db>,
}

impl RoleTask for Migrate {
    const ID: &'static str = "migrate";
    const ABOUT: &'static str = "create the schema";
    type Args = NoArgs;
    async fn run(&self, _: NoArgs) -> Result<(), BoxError> {
        let _ = &self.db;
        Ok(())
    }
}

module! {
    AppModule {
        role<Migrate>;
    }
}

fn main() {}
