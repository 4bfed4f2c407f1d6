use distage::prelude::*;

module! {
    AppModule {
        bind<u16>.from_value(1);
        make<u8>.from_value(1);
    }
}

fn main() {}
