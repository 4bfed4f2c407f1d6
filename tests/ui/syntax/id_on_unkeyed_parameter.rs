use distage::prelude::*;

struct Server;

module! {
    AppModule {
        make<Server>.from(|#[id("main")] log: Logger| {
            log.info("starting");
            Server
        });
    }
}

#[derive(Injectable)]
struct Worker {
    #[di(id = "jobs")]
    locator: LocatorRef,
}

fn main() {}
