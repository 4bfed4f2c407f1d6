use distage::prelude::*;

struct Session;

module! {
    AppModule {
        make<Session>.from_factory();
    }
}

fn main() {}
