use std::sync::Arc;

use distage::prelude::*;

pub struct Config;

#[derive(Injectable)]
pub struct Service {
    pub config: Arc<Config>,
    pub port: u16,
}

module! {
    pub CoreModule {
        make<u16>.from_value(8080);
    }
}

module! {
    AppModule {
        include CoreModule;
        make<Service>;
    }
}

fn main() {}
