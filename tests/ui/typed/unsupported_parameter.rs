// A typed graph injects `Arc<T>`, values and `Logger`; a `Lazy` parameter needs the runtime plan.
use std::sync::Arc;

use distage::prelude::*;

#[derive(Injectable)]
struct Db;

#[derive(Injectable)]
struct Service {
    _db: Arc<Db>,
    _later: Lazy<Db>,
}

module! {
    #[typed]
    App {
        make<Db>;
        make<Service>;
    }
}

fn main() {
    let _ = App::Typed::build();
}
