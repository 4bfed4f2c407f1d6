use distage::prelude::*;

#[derive(Clone)]
struct HttpConfig {
    port: u16,
}

module! {
    AppModule {
        config<HttpConfig>("http");
    }
}

fn main() {
    let _ = HttpConfig { port: 1 }.port;
}
