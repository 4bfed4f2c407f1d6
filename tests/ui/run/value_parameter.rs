use distage::prelude::*;
use std::sync::Arc;

struct Hello;

#[derive(Clone)]
struct Name(String);

fn greet(locator: &Locator) -> Result<String, distage::Error> {
    locator.run(|_h: Arc<Hello>, n: Name| n.0)
}

fn main() {}
