use std::sync::Arc;

use distage::prelude::*;

struct HostPort;
struct HttpServer;

module! {
    AppModule {
        make<HttpServer>.from(|_hp: Arc<HostPort>| HttpServer);
    }
}

fn main() {}
