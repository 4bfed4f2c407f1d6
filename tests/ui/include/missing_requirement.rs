use std::sync::Arc;

use distage::prelude::*;

mod core {
    use super::*;

    pub struct Config;

    #[derive(Injectable)]
    pub struct Db {
        pub config: Arc<Config>,
    }

    module! {
        pub CoreModule {
            make<Db>;
            requires Config;
        }
    }
}

use core::CoreModule;

module! {
    AppModule {
        include CoreModule;
    }
}

fn main() {}
