use distage::prelude::*;

#[derive(Injectable)]
struct Plain;

module! {
    AppModule {
        role<Plain>;
    }
}

fn main() {}
