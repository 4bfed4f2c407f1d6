use distage::prelude::*;

const NAME: &str = "port";

module! {
    AppModule {
        make<u16>.named(NAME).from_value(8080);
    }
}

fn main() {}
