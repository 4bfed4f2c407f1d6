use distage::prelude::*;

trait Database: Send + Sync {}

#[derive(Injectable)]
struct Redis;

module! {
    AppModule {
        make<dyn Database>.from<Redis>();
    }
}

fn main() {}
