use std::sync::Arc;

use distage::prelude::*;

#[derive(Injectable)]
pub struct Repo {
    pub service: Arc<Service>,
}

#[derive(Injectable)]
pub struct Service {
    pub repo: Arc<Repo>,
}

mod storage {
    use super::*;

    module! {
        pub StorageModule {
            make<Repo>;
            requires Service;
        }
    }
}

module! {
    AppModule {
        include storage::StorageModule;
        make<Service>;
    }
}

fn main() {}
