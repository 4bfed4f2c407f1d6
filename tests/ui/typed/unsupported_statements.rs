// A `#[typed]` module builds its own bindings by straight calls: what needs the runtime plan
// is an error at the statement.
use std::sync::Arc;

use distage::prelude::*;

#[derive(Injectable)]
struct Db;
#[derive(Injectable)]
struct Cache;
trait Plugin: Send + Sync {}
#[derive(Injectable)]
struct Audit;
impl Plugin for Audit {}

module! {
    Core {
        make<Cache>;
    }
}

module! {
    #[typed]
    App {
        make<Db>;
        make<String>.from_async(|_db: Arc<Db>| async move { String::new() });
        many<dyn Plugin>.add<Audit>();
        include Core;
        requires u64;
    }
}

fn main() {}
