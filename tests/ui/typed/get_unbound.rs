// `get` reads the typed graph's fields: a type the module does not bind is a compile error.
use distage::prelude::*;

#[derive(Injectable)]
struct Db;
struct Cache;

module! {
    #[typed]
    App {
        make<Db>;
    }
}

fn main() {
    let graph = App::Typed::build().unwrap();
    let _db = graph.get::<Db>();
    let _cache = graph.get::<Cache>();
}
