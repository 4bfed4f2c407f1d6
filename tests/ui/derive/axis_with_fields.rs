use distage::prelude::*;

#[derive(Axis)]
enum Region {
    Eu,
    Us(u8),
}

#[derive(Axis)]
struct NotAnEnum;

fn main() {}
