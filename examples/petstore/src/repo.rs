//! Where the pets are kept: SQLite (`repo:prod`) or memory (`repo:dummy`).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use distage::prelude::*;
use rusqlite::{OptionalExtension, params};

use crate::db::Db;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pet {
    pub id: i64,
    pub name: String,
    pub tag: Option<String>,
}

/// A pet to create (the id is chosen by the store when absent) or the new state of one.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PetInput {
    pub id: Option<i64>,
    pub name: String,
    pub tag: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("no pet with id {0}")]
    NotFound(i64),
    #[error("a pet with id {0} exists already")]
    Duplicate(i64),
    #[error("{0}")]
    Internal(String),
}

impl From<rusqlite::Error> for RepoError {
    fn from(e: rusqlite::Error) -> Self {
        RepoError::Internal(e.to_string())
    }
}

pub type RepoFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, RepoError>> + Send + 'a>>;

pub trait PetRepo: Send + Sync + std::fmt::Debug {
    /// Resolves once the store can serve (the schema is there); says why it waits, if it does.
    fn ready(&self) -> RepoFuture<'_, ()>;
    fn create(&self, pet: PetInput) -> RepoFuture<'_, Pet>;
    fn list(&self) -> RepoFuture<'_, Vec<Pet>>;
    fn get(&self, id: i64) -> RepoFuture<'_, Pet>;
    fn update(&self, id: i64, pet: PetInput) -> RepoFuture<'_, Pet>;
    fn delete(&self, id: i64) -> RepoFuture<'_, ()>;
}

/// The pets in SQLite. Each write also appends to `events`, in the same transaction: a
/// request never leaves one without the other.
#[derive(Debug, Injectable)]
pub struct SqlRepo {
    db: Arc<Db>,
}

fn record(tx: &rusqlite::Transaction<'_>, pet: i64, kind: &str) -> Result<(), RepoError> {
    tx.execute(
        "INSERT INTO events (pet, kind) VALUES (?1, ?2)",
        params![pet, kind],
    )?;
    Ok(())
}

fn is_duplicate(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ConstraintViolation)
    )
}

impl PetRepo for SqlRepo {
    fn ready(&self) -> RepoFuture<'_, ()> {
        Box::pin(async move {
            if !self.db.schema_is_current() {
                println!("http: waiting for the schema (run `:migrate`)");
            }
            self.db.schema_ready().await;
            Ok(())
        })
    }

    fn create(&self, pet: PetInput) -> RepoFuture<'_, Pet> {
        Box::pin(self.db.blocking(move |conn| {
            let tx = conn.transaction()?;
            let inserted = tx.execute(
                "INSERT INTO pets (id, name, tag) VALUES (?1, ?2, ?3)",
                params![pet.id, pet.name, pet.tag],
            );
            match inserted {
                Err(e) if is_duplicate(&e) => {
                    return Err(RepoError::Duplicate(pet.id.unwrap_or_default()));
                }
                other => other?,
            };
            let id = tx.last_insert_rowid();
            record(&tx, id, "created")?;
            tx.commit()?;
            Ok(Pet {
                id,
                name: pet.name,
                tag: pet.tag,
            })
        }))
    }

    fn list(&self) -> RepoFuture<'_, Vec<Pet>> {
        Box::pin(self.db.blocking(|conn| {
            let mut stmt = conn.prepare_cached("SELECT id, name, tag FROM pets ORDER BY id")?;
            let pets = stmt
                .query_map([], |r| {
                    Ok(Pet {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        tag: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(pets)
        }))
    }

    fn get(&self, id: i64) -> RepoFuture<'_, Pet> {
        Box::pin(self.db.blocking(move |conn| {
            conn.query_row("SELECT id, name, tag FROM pets WHERE id = ?1", [id], |r| {
                Ok(Pet {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    tag: r.get(2)?,
                })
            })
            .optional()?
            .ok_or(RepoError::NotFound(id))
        }))
    }

    fn update(&self, id: i64, pet: PetInput) -> RepoFuture<'_, Pet> {
        Box::pin(self.db.blocking(move |conn| {
            let tx = conn.transaction()?;
            let changed = tx.execute(
                "UPDATE pets SET name = ?2, tag = ?3 WHERE id = ?1",
                params![id, pet.name, pet.tag],
            )?;
            if changed == 0 {
                return Err(RepoError::NotFound(id));
            }
            record(&tx, id, "updated")?;
            tx.commit()?;
            Ok(Pet {
                id,
                name: pet.name,
                tag: pet.tag,
            })
        }))
    }

    fn delete(&self, id: i64) -> RepoFuture<'_, ()> {
        Box::pin(self.db.blocking(move |conn| {
            let tx = conn.transaction()?;
            if tx.execute("DELETE FROM pets WHERE id = ?1", [id])? == 0 {
                return Err(RepoError::NotFound(id));
            }
            record(&tx, id, "deleted")?;
            tx.commit()?;
            Ok(())
        }))
    }
}

/// The pets in memory (`-u repo:dummy`): nothing to open, gone when the process ends.
#[derive(Debug, Default, Injectable)]
pub struct MemoryRepo {
    #[di(default)]
    pets: Mutex<BTreeMap<i64, Pet>>,
    /// The largest id ever given: ids are not given again, as with the SQLite repo.
    #[di(default)]
    last_id: AtomicI64,
}

impl MemoryRepo {
    fn with<R>(
        &self,
        f: impl FnOnce(&mut BTreeMap<i64, Pet>) -> Result<R, RepoError>,
    ) -> Result<R, RepoError> {
        let mut pets = self
            .pets
            .lock()
            .map_err(|_| RepoError::Internal("the pets lock is poisoned".into()))?;
        f(&mut pets)
    }
}

impl PetRepo for MemoryRepo {
    fn ready(&self) -> RepoFuture<'_, ()> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn create(&self, pet: PetInput) -> RepoFuture<'_, Pet> {
        let result = self.with(|pets| {
            let id = match pet.id {
                Some(id) if pets.contains_key(&id) => return Err(RepoError::Duplicate(id)),
                Some(id) => id,
                None => {
                    let newest = pets.keys().next_back().copied().unwrap_or(0);
                    newest.max(self.last_id.load(Ordering::Relaxed)) + 1
                }
            };
            self.last_id.fetch_max(id, Ordering::Relaxed);
            let pet = Pet {
                id,
                name: pet.name,
                tag: pet.tag,
            };
            pets.insert(id, pet.clone());
            Ok(pet)
        });
        Box::pin(std::future::ready(result))
    }

    fn list(&self) -> RepoFuture<'_, Vec<Pet>> {
        Box::pin(std::future::ready(
            self.with(|pets| Ok(pets.values().cloned().collect())),
        ))
    }

    fn get(&self, id: i64) -> RepoFuture<'_, Pet> {
        Box::pin(std::future::ready(self.with(|pets| {
            pets.get(&id).cloned().ok_or(RepoError::NotFound(id))
        })))
    }

    fn update(&self, id: i64, pet: PetInput) -> RepoFuture<'_, Pet> {
        Box::pin(std::future::ready(self.with(|pets| {
            let slot = pets.get_mut(&id).ok_or(RepoError::NotFound(id))?;
            slot.name = pet.name;
            slot.tag = pet.tag;
            Ok(slot.clone())
        })))
    }

    fn delete(&self, id: i64) -> RepoFuture<'_, ()> {
        Box::pin(std::future::ready(self.with(|pets| {
            pets.remove(&id).map(drop).ok_or(RepoError::NotFound(id))
        })))
    }
}
