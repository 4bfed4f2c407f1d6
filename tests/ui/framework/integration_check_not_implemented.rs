use distage::prelude::*;

#[derive(Injectable)]
struct Db;

module! {
    AppModule {
        make<Db>;
        integration_check<Db>;
    }
}

fn main() {}
