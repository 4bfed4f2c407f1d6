use distage::prelude::*;

struct RequestId;

module! {
    AppModule {
        make<u8>.from_value(1).local<RequestId>();
    }
}

fn main() {}
