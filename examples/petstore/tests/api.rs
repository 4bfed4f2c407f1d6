//! The HTTP API through `tower::ServiceExt::oneshot` (no socket, no process), on the testkit:
//! the tests take what they need as parameters, injected from the application's own module.
//!
//! Three configurations (`cargo test -p petstore --test api -- --distage-groups` prints them):
//! - `dummy`: `repo:dummy`, pets in memory, a fresh store for each test;
//! - `shared`: `repo:prod` on one SQLite file, produced once and shared by all its tests (they
//!   run concurrently, so each reads back only what it wrote), closed and deleted after the
//!   last of them — and a `-wal` left behind fails that last test;
//! - `own_db`: `repo:prod` on a database of the test's own, for a test that breaks its schema.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::Request;
use distage::prelude::*;
use distage::testkit::TestEnv;
use petstore::PetstoreModule;
use petstore::db::{Db, DbConfig};
use petstore::http::{Pets, router};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A database file of its own in the temporary directory, deleted when released.
struct TempDb {
    path: PathBuf,
}

impl TempDb {
    fn create() -> Lifecycle<TempDb> {
        Lifecycle::try_make(
            || -> Result<TempDb, String> {
                static NEXT: AtomicU64 = AtomicU64::new(0);
                let name = format!(
                    "petstore-api-{}-{}.db",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                );
                Ok(TempDb {
                    path: std::env::temp_dir().join(name),
                })
            },
            |db: &TempDb| -> Result<(), String> {
                // `Db` depends on this, so it is closed by now, and a clean close leaves no WAL.
                let wal = db.path.with_extension("db-wal");
                let clean = !wal.exists();
                for file in [&db.path, &wal, &db.path.with_extension("db-shm")] {
                    let _ = std::fs::remove_file(file);
                }
                if clean {
                    Ok(())
                } else {
                    Err(format!("{} was not closed cleanly", db.path.display()))
                }
            },
        )
    }
}

module! {
    /// What the tests change in `PetstoreModule`: the database is a temporary file, and it
    /// is migrated when it is opened.
    OnTempDb {
        make<TempDb>.from_resource(TempDb::create);
        make<DbConfig>.from(|db: Arc<TempDb>| DbConfig {
            path: db.path.clone(),
            migrate: true,
        });
    }
}

fn dummy() -> TestEnv {
    TestEnv::new(PetstoreModule::module()).activation(Activation::new().with(Repo::Dummy))
}

fn own_db() -> TestEnv {
    TestEnv::new(PetstoreModule::module())
        .activation(Activation::new().with(Repo::Prod))
        .overridden_by(&OnTempDb::module())
}

fn shared() -> TestEnv {
    own_db().memoize::<Db>()
}

/// Sends one request through the router; returns the status and the JSON body (`null` if
/// empty).
async fn call(requests: &Subcontext<Pets>, method: &str, path: &str, body: &str) -> (u16, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = router(requests.clone()).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

/// Creates a pet named `name`; returns its id.
async fn create(requests: &Subcontext<Pets>, name: &str) -> i64 {
    let (status, pet) = call(
        requests,
        "POST",
        "/pets",
        &json!({"name": name}).to_string(),
    )
    .await;
    assert_eq!((status, &pet["name"]), (201, &json!(name)), "{pet}");
    pet["id"].as_i64().unwrap()
}

// The cases, each run under `repo:dummy` and under `repo:prod` on the shared database (below).

async fn creates_reads_updates_and_deletes(requests: Arc<Subcontext<Pets>>) {
    let id = create(&requests, "Rex").await;
    let path = format!("/pets/{id}");
    assert_eq!(
        call(&requests, "GET", &path, "").await,
        (200, json!({"id": id, "name": "Rex", "tag": null}))
    );
    let renamed = call(&requests, "PUT", &path, r#"{"name":"Rex II","tag":"dog"}"#).await;
    assert_eq!(
        renamed,
        (200, json!({"id": id, "name": "Rex II", "tag": "dog"}))
    );
    assert_eq!(
        call(&requests, "DELETE", &path, "").await,
        (204, Value::Null)
    );
    assert_eq!(call(&requests, "DELETE", &path, "").await.0, 404);
    assert_eq!(
        call(&requests, "GET", &path, "").await,
        (404, json!({"error": format!("no pet with id {id}")}))
    );
}

async fn lists_what_was_created(requests: Arc<Subcontext<Pets>>) {
    let ids = [
        create(&requests, "Tom").await,
        create(&requests, "Jerry").await,
    ];
    let (status, pets) = call(&requests, "GET", "/pets", "").await;
    assert_eq!(status, 200);
    let listed: Vec<i64> = pets
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.iter().all(|id| listed.contains(id)),
        "{ids:?} not all in {listed:?}"
    );
}

async fn refuses_a_duplicate_id(requests: Arc<Subcontext<Pets>>) {
    let id = create(&requests, "Felix").await;
    let dup = call(
        &requests,
        "POST",
        "/pets",
        &json!({"id": id, "name": "Felix"}).to_string(),
    )
    .await;
    assert_eq!(
        dup,
        (
            409,
            json!({"error": format!("a pet with id {id} exists already")})
        )
    );
}

async fn refuses_bad_input_with_a_json_error(requests: Arc<Subcontext<Pets>>) {
    let (status, error) = call(&requests, "POST", "/pets", "{").await;
    assert_eq!(status, 400);
    assert!(error["error"].is_string(), "{error}");
    assert_eq!(
        call(&requests, "POST", "/pets", r#"{"name":" "}"#).await,
        (422, json!({"error": "a pet needs a name"}))
    );
    let (status, error) = call(&requests, "POST", "/pets", r#"{"name":"x","owner":"me"}"#).await;
    assert_eq!(status, 422, "{error}");
    let id = create(&requests, "Garfield").await;
    let mismatch = call(
        &requests,
        "PUT",
        &format!("/pets/{id}"),
        &json!({"id": id + 1, "name": "G"}).to_string(),
    )
    .await;
    assert_eq!(mismatch.0, 422, "{}", mismatch.1);
    assert_eq!(call(&requests, "GET", "/pets/nope", "").await.0, 400);
    assert_eq!(call(&requests, "GET", "/nowhere", "").await.0, 404);
}

async fn serves_concurrent_creates(requests: Arc<Subcontext<Pets>>) {
    let creates = (0..50).map(|i| {
        let requests = Arc::clone(&requests);
        tokio::spawn(async move { create(&requests, &format!("pet {i}")).await })
    });
    let mut ids = Vec::new();
    for create in creates {
        ids.push(create.await.unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50);
}

/// A deleted pet's id is not given again: its URL never serves another pet (on the shared
/// database, another test's create cannot take it either).
async fn does_not_give_a_deleted_id_again(requests: Arc<Subcontext<Pets>>) {
    let newest = create(&requests, "Nemo").await;
    let path = format!("/pets/{newest}");
    assert_eq!(call(&requests, "DELETE", &path, "").await.0, 204);
    let next = create(&requests, "Dory").await;
    assert!(next > newest, "{next} after {newest}");
    assert_eq!(call(&requests, "GET", &path, "").await.0, 404);
}

macro_rules! under_both_repos {
    ($($case:ident),* $(,)?) => {
        mod dummy {
            use super::*;
            $(
                #[distage::test(env = dummy)]
                async fn $case(requests: Arc<Subcontext<Pets>>) {
                    super::$case(requests).await;
                }
            )*
        }
        mod sqlite {
            use super::*;
            $(
                #[distage::test(env = shared)]
                async fn $case(requests: Arc<Subcontext<Pets>>) {
                    super::$case(requests).await;
                }
            )*
        }
    };
}

under_both_repos!(
    creates_reads_updates_and_deletes,
    lists_what_was_created,
    refuses_a_duplicate_id,
    refuses_bad_input_with_a_json_error,
    serves_concurrent_creates,
    does_not_give_a_deleted_id_again,
);

/// The tests of the shared database see one database, and it was migrated once, when opened.
#[distage::test(env = shared)]
fn the_shared_database_is_migrated(db: Arc<Db>) {
    assert!(db.schema_is_current());
}

fn events(db: &Db) -> i64 {
    db.with(|c| Ok(c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?))
        .unwrap()
}

/// Breaks its database's schema, so it runs on a database of its own.
#[distage::test(env = own_db)]
async fn a_write_that_fails_half_way_leaves_nothing_behind(
    requests: Arc<Subcontext<Pets>>,
    db: Arc<Db>,
) {
    let id = create(&requests, "A").await;
    let path = format!("/pets/{id}");
    assert_eq!(
        call(&requests, "PUT", &path, r#"{"name":"B"}"#).await.0,
        200
    );
    assert_eq!(events(&db), 2);
    // Refused requests record nothing.
    let dup = json!({"id": id, "name": "C"}).to_string();
    assert_eq!(call(&requests, "POST", "/pets", &dup).await.0, 409);
    assert_eq!(
        call(&requests, "PUT", "/pets/999", r#"{"name":"C"}"#)
            .await
            .0,
        404
    );
    assert_eq!(events(&db), 2);
    // The second write of a create fails (no `events` table): the first is rolled back.
    db.with(|c| Ok(c.execute_batch("DROP TABLE events")?))
        .unwrap();
    let (status, error) = call(&requests, "POST", "/pets", r#"{"id":600,"name":"D"}"#).await;
    assert_eq!((status, error), (500, json!({"error": "internal error"})));
    assert_eq!(call(&requests, "GET", "/pets/600", "").await.0, 404);
    assert_eq!(call(&requests, "DELETE", &path, "").await.0, 500);
    assert_eq!(call(&requests, "GET", &path, "").await.0, 200);
}

// Every role's plan under every activation, as `petstore :migrate` / `:http` would make it.
distage::testkit::plan_check_tests!(PetstoreModule);
distage::testkit::main!();
