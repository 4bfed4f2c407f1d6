use distage::prelude::*;

const NAME: &str = "db";

#[derive(Injectable)]
struct Service {
    #[id(NAME)]
    url: String,
    #[assisted]
    #[default]
    count: u32,
    #[default]
    #[id("x")]
    other: u32,
}

fn main() {}
