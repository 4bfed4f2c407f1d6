use distage::prelude::*;

module! {
    AppModule {
        config<String>;
        role<u8> extra;
    }
}

fn main() {}
