use distage::prelude::*;

module! {
    AppModule {
        many<u16>.tagged(Mode::Prod).add_value(1);
    }
}

fn main() {}
