use distage::prelude::*;

struct Config {
    url: String,
}

#[derive(Injectable)]
struct Service {
    config: Config,
}

fn main() {}
