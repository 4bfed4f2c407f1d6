use distage::prelude::*;

// `#[injectable]` marks an `impl` block's `fn new`; on anything else it is an error, not a panic.
#[injectable]
struct Service {
    port: u16,
}

#[injectable]
fn make_service() -> u16 {
    1
}

fn main() {}
