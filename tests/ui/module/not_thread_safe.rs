// A component is shared between threads: one that is not `Send + Sync` (here through a field
// its constructor fills with `Default`) is reported where the module binds it, naming the
// field's type and pointing at the component.
use std::cell::Cell;

use distage::prelude::*;

#[derive(Injectable)]
struct Counter {
    #[di(default)]
    hits: Cell<u32>,
}

module! {
    AppModule {
        make<Counter>;
    }
}

fn main() {}
