use std::sync::Arc;

use distage::prelude::*;

#[derive(Injectable)]
struct Service {
    cache: Arc<Cache>,
}

#[derive(Injectable)]
struct Cache {
    service: Arc<Service>,
}

module! {
    AppModule {
        make<Service>;
        make<Cache>;
    }
}

fn main() {}
