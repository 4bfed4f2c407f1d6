use distage::prelude::*;

struct A;

module! {
    AppModule {
        make<A>.frm_value(A);
    }
}

fn main() {}
