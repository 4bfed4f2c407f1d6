use distage::prelude::*;

#[derive(Axis)]
enum Region {
    Eu,
    Us(u8),
}

#[derive(Axis)]
struct NotAnEnum;

// Both mistakes are reported at once.
#[derive(Axis)]
enum Tier<T> {
    Free,
    Paid(T),
}

fn main() {}
