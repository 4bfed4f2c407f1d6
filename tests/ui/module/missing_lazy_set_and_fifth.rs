//! Every kind of dependency is checked one by one: a `Lazy` key, a set, a named set, and a
//! dependency past the fourth (which takes the longer `DepIndices` path, same check).
use std::sync::Arc;

use distage::prelude::*;

struct Cache;
struct Plugin;
struct A;
struct B;
struct C;
struct Late;

#[derive(Injectable)]
struct Service {
    cache: Lazy<Cache>,
    plugins: Set<Plugin>,
    #[di(id = "extra")]
    extra: Set<Plugin>,
}

#[derive(Injectable)]
struct Wide {
    a: Arc<A>,
    b: Arc<B>,
    c: Arc<C>,
    service: Arc<Service>,
    late: Arc<Late>,
}

module! {
    AppModule {
        make<A>.from_value(A);
        make<B>.from_value(B);
        make<C>.from_value(C);
        make<Service>;
        make<Wide>;
    }
}

fn main() {}
