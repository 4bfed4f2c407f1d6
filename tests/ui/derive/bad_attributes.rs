use distage::prelude::*;

const NAME: &str = "db";

#[derive(Injectable)]
struct Service {
    #[di(id = NAME)]
    url: String,
    #[di(assisted, default)]
    count: u32,
    #[di(default)]
    #[di(id = "x")]
    other: u32,
    #[di(name = "y")]
    unknown: u32,
}

fn main() {}
