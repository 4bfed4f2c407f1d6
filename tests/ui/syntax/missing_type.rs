use distage::prelude::*;

module! {
    AppModule {
        make.from_value(1u8);
    }
}

fn main() {}
