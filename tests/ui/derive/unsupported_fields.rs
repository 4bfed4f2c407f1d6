use std::rc::Rc;
use std::sync::Arc;

use distage::prelude::*;

trait Database {}

#[derive(Injectable)]
struct Service {
    shared: Rc<u8>,
    maybe: Option<String>,
    boxed: Box<dyn Database>,
    fine: Arc<u8>,
}

fn main() {}
