use distage::prelude::*;

struct Server;

module! {
    AppModule {
        make<Server>.from(|port| Server);
    }
}

fn main() {}
