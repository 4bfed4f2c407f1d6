use distage::prelude::*;

#[derive(Injectable)]
enum Backend {
    Postgres,
    Sqlite,
}

fn main() {}
