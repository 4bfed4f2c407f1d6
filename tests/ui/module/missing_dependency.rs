use std::sync::Arc;

use distage::prelude::*;

trait Database: Send + Sync {}

#[derive(Injectable)]
struct UserService {
    db: Arc<dyn Database>,
}

module! {
    AppModule {
        make<UserService>;
    }
}

fn main() {}
