// An `async fn new` makes a `Factory` product: it cannot fail, and `create` does not await.
use std::sync::Arc;

use distage::{Factory, injectable};

struct Pool;

struct Session {
    _pool: Arc<Pool>,
}

#[injectable]
impl Session {
    async fn new(pool: Arc<Pool>, #[assisted] _user: String) -> Self {
        Session { _pool: pool }
    }
}

struct Conn;

#[injectable]
impl Conn {
    async fn new(#[assisted] url: String) -> Result<Self, std::io::Error> {
        let _ = url;
        Ok(Conn)
    }
}

fn open(sessions: &Factory<Session>) -> Session {
    sessions.create("alice".to_string())
}

fn main() {}
