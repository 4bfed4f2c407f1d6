use distage::prelude::*;

struct Service;

#[injectable]
impl Service {
    fn make() -> Self {
        Service
    }
}

fn main() {}
