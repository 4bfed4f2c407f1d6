use distage::prelude::*;

module! {
    pub CoreModule {
        make<u16>.from_value(8080);
    }
}

module! {
    AppModule {
        include CoreModule;
        make<u16>.from_value(9090);
    }
}

fn main() {}
