//! The HTTP API under both repositories (`repo:dummy`, and `repo:prod` on an in-memory SQLite
//! database), through `tower::ServiceExt::oneshot`: no socket, no process.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use distage::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::RequestModule;
use crate::db::Db;
use crate::http::{Pets, RequestId, router};
use crate::repo::{MemoryRepo, PetRepo, SqlRepo};

fn memory_db() -> Db {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let db = Db::new(":memory:".into(), conn).unwrap();
    db.migrate().unwrap();
    db
}

module! {
    TestModule {
        make<Db>.from(|| memory_db());
        make<dyn PetRepo>.from<SqlRepo>().tagged(Repo::Prod);
        make<dyn PetRepo>.from<MemoryRepo>().tagged(Repo::Dummy);
        make<Subcontext<Pets>>.from_subcontext(RequestModule::module()).local<RequestId>();
    }
}

fn app(repo: Repo) -> Locator {
    let input = PlannerInput::new(TestModule::module())
        .activation(Activation::new().with(repo))
        .roots::<Subcontext<Pets>>();
    let injector = Injector::new();
    injector.produce(&injector.plan(&input).unwrap()).unwrap()
}

async fn call(app: &Locator, method: &str, path: &str, body: &str) -> (u16, Value) {
    let requests = Subcontext::clone(&app.get::<Subcontext<Pets>>().unwrap());
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = router(requests).oneshot(request).await.unwrap();
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

async fn the_api_works(repo: Repo) {
    let app = app(repo);
    let (status, rex) = call(&app, "POST", "/pets", r#"{"name":"Rex"}"#).await;
    assert_eq!(
        (status, &rex),
        (201, &json!({"id": 1, "name": "Rex", "tag": null}))
    );
    let dup = call(&app, "POST", "/pets", r#"{"id":1,"name":"Rex"}"#).await;
    assert_eq!(
        dup,
        (409, json!({"error": "a pet with id 1 exists already"}))
    );
    let (status, error) = call(&app, "POST", "/pets", "{").await;
    assert_eq!(status, 400);
    assert!(error["error"].is_string(), "{error}");
    let (status, error) = call(&app, "POST", "/pets", r#"{"name":" "}"#).await;
    assert_eq!(
        (status, error),
        (422, json!({"error": "a pet needs a name"}))
    );
    let (status, error) = call(&app, "POST", "/pets", r#"{"name":"x","owner":"me"}"#).await;
    assert_eq!(status, 422, "{error}");
    let missing = call(&app, "GET", "/pets/2", "").await;
    assert_eq!(missing, (404, json!({"error": "no pet with id 2"})));
    let renamed = call(&app, "PUT", "/pets/1", r#"{"name":"Rex II","tag":"dog"}"#).await;
    assert_eq!(
        renamed,
        (200, json!({"id": 1, "name": "Rex II", "tag": "dog"}))
    );
    let mismatch = call(&app, "PUT", "/pets/1", r#"{"id":2,"name":"Rex"}"#).await;
    assert_eq!(mismatch.0, 422);
    assert_eq!(
        call(&app, "GET", "/pets", "").await,
        (200, json!([renamed.1]))
    );
    assert_eq!(
        call(&app, "DELETE", "/pets/1", "").await,
        (204, Value::Null)
    );
    assert_eq!(call(&app, "DELETE", "/pets/1", "").await.0, 404);
    assert_eq!(call(&app, "GET", "/nowhere", "").await.0, 404);
    assert_eq!(call(&app, "GET", "/pets", "").await, (200, json!([])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_in_memory() {
    the_api_works(Repo::Dummy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_on_sqlite() {
    the_api_works(Repo::Prod).await;
}

fn events(db: &Arc<Db>) -> i64 {
    db.with(|c| Ok(c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_is_recorded_and_a_write_that_fails_half_way_leaves_nothing_behind() {
    let app = app(Repo::Prod);
    let db = app.get::<Db>().unwrap();
    assert_eq!(
        call(&app, "POST", "/pets", r#"{"id":5,"name":"A"}"#)
            .await
            .0,
        201
    );
    assert_eq!(call(&app, "PUT", "/pets/5", r#"{"name":"B"}"#).await.0, 200);
    assert_eq!(events(&db), 2);
    // Refused requests record nothing.
    assert_eq!(
        call(&app, "POST", "/pets", r#"{"id":5,"name":"C"}"#)
            .await
            .0,
        409
    );
    assert_eq!(call(&app, "PUT", "/pets/9", r#"{"name":"C"}"#).await.0, 404);
    assert_eq!(events(&db), 2);
    // The second write of a create fails (no `events` table): the first is rolled back.
    db.with(|c| Ok(c.execute_batch("DROP TABLE events")?))
        .unwrap();
    let (status, error) = call(&app, "POST", "/pets", r#"{"id":6,"name":"D"}"#).await;
    assert_eq!((status, error), (500, json!({"error": "internal error"})));
    assert_eq!(call(&app, "GET", "/pets/6", "").await.0, 404);
    assert_eq!(call(&app, "DELETE", "/pets/5", "").await.0, 500);
    assert_eq!(call(&app, "GET", "/pets/5", "").await.0, 200);
}
