use distage::prelude::*;

module! {
    AppModule {
        make<u16>.from_value(8080);
        make<u16>.from_value(9090);
    }
}

fn main() {}
