use distage::prelude::*;

module! {
    AppModule {
        make<u16>.from_value(1).from_value(2);
    }
}

fn main() {}
