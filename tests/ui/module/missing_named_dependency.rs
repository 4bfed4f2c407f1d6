use distage::prelude::*;

#[derive(Injectable)]
struct Postgres {
    #[di(id = "db-url")]
    url: String,
}

module! {
    AppModule {
        make<String>.from_value("unnamed".to_string());
        make<Postgres>;
    }
}

fn main() {}
