use distage::prelude::*;

#[derive(Injectable)]
struct Service<'a> {
    name: &'a str,
}

fn main() {}
