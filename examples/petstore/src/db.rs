//! The SQLite database: one connection, opened and closed by the framework as a resource, used
//! from `spawn_blocking` so that SQLite's blocking calls never stall the async workers.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use distage::framework::IntegrationCheck;
use distage::prelude::*;
use rusqlite::Connection;

use crate::repo::RepoError;

#[derive(Clone, Debug, serde::Deserialize)]
pub struct DbConfig {
    pub path: PathBuf,
    /// Apply the missing migrations when the database is opened (`db.migrate = true`), as the
    /// tests do; otherwise `:migrate` applies them.
    #[serde(default)]
    pub migrate: bool,
}

/// The schema, one step per version (`PRAGMA user_version`); `:migrate` applies the missing ones.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, tag TEXT)",
    "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, pet INTEGER NOT NULL, \
     kind TEXT NOT NULL)",
    // Ids are never given again: without AUTOINCREMENT, a pet created after the newest one was
    // deleted took its id, and the deleted pet's URL served another pet.
    "CREATE TABLE pets_v3 (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, tag TEXT); \
     INSERT INTO pets_v3 (id, name, tag) SELECT id, name, tag FROM pets; \
     DROP TABLE pets; \
     ALTER TABLE pets_v3 RENAME TO pets;",
];

/// The open database. The connection is taken out (and closed) when the resource is released.
#[derive(Debug)]
pub struct Db {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
    /// The schema's version, so that `:http` can wait for `:migrate`, which runs concurrently.
    schema: tokio::sync::watch::Sender<usize>,
}

/// Opens the database (the resource bound for `Db`): WAL journal, so a clean close is visible
/// as a `-wal` file that is gone.
pub fn open(config: DbConfig) -> Lifecycle<Db> {
    Lifecycle::try_make(
        move || -> Result<Db, String> {
            let fail = |e: rusqlite::Error| format!("cannot open {}: {e}", config.path.display());
            let conn = Connection::open(&config.path).map_err(fail)?;
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(fail)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .map_err(fail)?;
            println!("db: open {}", config.path.display());
            let db = Db::new(config.path, conn).map_err(|e| e.to_string())?;
            if config.migrate {
                let (_, version) = db.migrate().map_err(|e| e.to_string())?;
                db.announce(version);
            }
            Ok(db)
        },
        |db: &Db| db.close(),
    )
}

impl Db {
    pub fn new(path: PathBuf, conn: Connection) -> Result<Db, RepoError> {
        let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(Db {
            path,
            conn: Mutex::new(Some(conn)),
            schema: tokio::sync::watch::Sender::new(version),
        })
    }

    /// Resolves once the schema is the one this program knows (at once if it is).
    pub async fn schema_ready(&self) {
        let mut version = self.schema.subscribe();
        // An error means the sender is gone, which cannot happen while `self` is borrowed.
        let _ = version.wait_for(|v| *v >= MIGRATIONS.len()).await;
    }

    /// True when the schema is the one this program knows.
    pub fn schema_is_current(&self) -> bool {
        *self.schema.borrow() >= MIGRATIONS.len()
    }

    /// Runs `f` on the connection, on the current thread: call it from `spawn_blocking`.
    pub fn with<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, RepoError>,
    ) -> Result<R, RepoError> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| RepoError::Internal("the connection lock is poisoned".into()))?;
        match guard.as_mut() {
            Some(conn) => f(conn),
            None => Err(RepoError::Internal("the database is closed".into())),
        }
    }

    /// Runs `f` on the connection in tokio's blocking pool.
    pub async fn blocking<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Connection) -> Result<R, RepoError> + Send + 'static,
    ) -> Result<R, RepoError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.with(f))
            .await
            .map_err(|e| RepoError::Internal(format!("a database task failed: {e}")))?
    }

    /// Applies the migrations the database lacks; returns the versions before and after. Those
    /// waiting for the schema ([`schema_ready`](Self::schema_ready)) go on once
    /// [`announce`](Self::announce) is called.
    pub fn migrate(&self) -> Result<(usize, usize), RepoError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let from: usize = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            for step in MIGRATIONS.iter().skip(from) {
                tx.execute_batch(step)?;
            }
            tx.pragma_update(None, "user_version", MIGRATIONS.len())?;
            tx.commit()?;
            Ok((from, MIGRATIONS.len().max(from)))
        })
    }

    /// Tells those waiting for the schema that it is at `version` now.
    pub fn announce(&self, version: usize) {
        self.schema.send_replace(version);
    }

    /// Closes the connection: SQLite checkpoints the WAL into the database and removes it.
    fn close(&self) -> Result<(), String> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| "the connection lock is poisoned".to_string())?
            .take();
        if let Some(conn) = conn {
            conn.close()
                .map_err(|(_, e)| format!("cannot close {}: {e}", self.path.display()))?;
        }
        println!("db: closed {}", self.path.display());
        Ok(())
    }
}

impl IntegrationCheck for Db {
    async fn check(&self) -> Result<(), String> {
        self.with(|conn| Ok(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .map(drop)
            .map_err(|e| format!("database {} does not answer: {e}", self.path.display()))
    }
}
