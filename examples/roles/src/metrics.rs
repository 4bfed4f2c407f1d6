//! A plugin: a module registered where it is defined and collected by `.plugins()`. Its
//! compile-time checks stop at its own bindings: it `requires` the store, which the
//! application binds; the planner and `--check` check the two together.

use std::sync::Arc;

use distage::framework::{BoxError, NoArgs, RoleTask};
use distage::prelude::*;

use crate::Store;

#[derive(Injectable)]
struct Stats {
    store: Arc<dyn Store>,
}

impl RoleTask for Stats {
    const ID: &'static str = "stats";
    const ABOUT: &'static str = "print statistics (from the metrics plugin)";
    type Args = NoArgs;

    async fn run(&self, _: NoArgs) -> Result<(), BoxError> {
        println!("stats: 0 requests, {}", self.store.describe());
        Ok(())
    }
}

module! {
    pub MetricsPlugin {
        role<Stats>;
        requires dyn Store;
    }
}

distage::framework::plugin!(MetricsPlugin);
