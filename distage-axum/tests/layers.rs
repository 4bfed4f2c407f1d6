//! The extractor, the request scope's lifetime, a panicking handler and the 500, through
//! `tower::ServiceExt::oneshot` (no socket).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use distage_axum::{DistageLayer, Injected, RequestScope, ServerError};
use distage_core::{Injector, Lifecycle, Locator, Module, PlannerInput, Subcontext};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// What happened, in order, shared by the components and the handlers.
#[derive(Default)]
struct Log(Mutex<Vec<String>>);
impl Log {
    fn push(&self, line: impl Into<String>) {
        self.0.lock().unwrap().push(line.into());
    }
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

trait Greeter: Send + Sync {
    fn greet(&self) -> String;
}
struct English;
impl Greeter for English {
    fn greet(&self) -> String {
        "hello".into()
    }
}

struct RequestId(String);
/// Acquired first in the scope, released last.
struct Conn(String);
/// Uses the connection: acquired after it, released before it.
struct Tx(String);

/// The transaction resource of both scopes: logs its acquisition and release.
fn tx(log: Arc<Log>, conn: Arc<Conn>) -> Lifecycle<Tx> {
    let id = conn.0.clone();
    let release = log.clone();
    Lifecycle::make(
        move || {
            log.push(format!("acquire tx {id}"));
            Tx(id)
        },
        move |t: &Tx| release.push(format!("release tx {}", t.0)),
    )
}

fn app(log: &Arc<Log>) -> Locator {
    let per_request = Module::build(|m| {
        m.make::<Conn>()
            .from_resource(|log: Arc<Log>, id: Arc<RequestId>| {
                let id = id.0.clone();
                let release = log.clone();
                Lifecycle::make(
                    move || {
                        log.push(format!("acquire conn {id}"));
                        Conn(id)
                    },
                    move |c: &Conn| release.push(format!("release conn {}", c.0)),
                )
            });
        m.make::<Tx>().from_resource(tx);
    });
    let log = log.clone();
    let module = Module::build(move |m| {
        m.make::<Log>().from_arc(log.clone());
        m.make::<dyn Greeter>()
            .from_fn(|| Arc::new(English) as Arc<dyn Greeter>);
        m.make_subcontext::<Tx>(per_request).local::<RequestId>();
    });
    let injector = Injector::new();
    injector
        .produce(&injector.plan(&PlannerInput::new(module)).unwrap())
        .unwrap()
}

/// The per-request scope, its `RequestId` taken from the `x-request-id` header.
fn scoped(router: Router, locator: &Locator) -> Router {
    let requests = Subcontext::clone(&locator.get::<Subcontext<Tx>>().unwrap());
    router.layer(RequestScope::new(requests, |req: &mut Request| {
        let id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        (RequestId(id),)
    }))
}

fn request(path: &str, id: &str) -> Request {
    Request::builder()
        .uri(path)
        .header("x-request-id", id)
        .body(Body::empty())
        .unwrap()
}

/// Waits (bounded) until the log has `line`.
async fn wait_for(log: &Log, line: &str) {
    for _ in 0..200 {
        if log.lines().iter().any(|l| l == line) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("`{line}` never logged; log: {:?}", log.lines());
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn inject_hands_out_the_application_instances() {
    let log = Arc::new(Log::default());
    let locator = app(&log);
    async fn greet(greeter: Injected<dyn Greeter>) -> String {
        greeter.greet()
    }
    let router = Router::new()
        .route("/", get(greet))
        .layer(DistageLayer::new(locator.locator_ref()));
    let response = router.oneshot(request("/", "1")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, "hello");
    // The application's scope was never entered.
    assert!(log.lines().is_empty(), "{:?}", log.lines());
}

#[tokio::test]
async fn the_scope_lives_until_the_body_is_finished_and_is_released_in_reverse_order() {
    let log = Arc::new(Log::default());
    let locator = app(&log);
    async fn handler(
        tx: Injected<Tx>,
        greeter: Injected<dyn Greeter>,
        log: Injected<Log>,
    ) -> String {
        // The scope is open while the handler runs.
        log.push(format!("handler {}", tx.0.0));
        assert!(!log.lines().iter().any(|l| l.starts_with("release")));
        format!("{} {}", greeter.greet(), tx.0.0)
    }
    let router = scoped(Router::new().route("/", get(handler)), &locator);
    let response = router.oneshot(request("/", "r1")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // The response is made, its body not sent yet: nothing is released.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        log.lines(),
        ["acquire conn r1", "acquire tx r1", "handler r1"],
        "released before the body was sent"
    );
    assert_eq!(body_text(response).await, "hello r1");
    wait_for(&log, "release conn r1").await;
    assert_eq!(
        log.lines(),
        [
            "acquire conn r1",
            "acquire tx r1",
            "handler r1",
            "release tx r1",
            "release conn r1"
        ]
    );
}

#[tokio::test]
async fn a_dropped_response_releases_the_scope() {
    let log = Arc::new(Log::default());
    let locator = app(&log);
    async fn handler(tx: Injected<Tx>) -> String {
        tx.0.0.clone()
    }
    let router = scoped(Router::new().route("/", get(handler)), &locator);
    let response = router.oneshot(request("/", "gone")).await.unwrap();
    drop(response); // the client went away before reading the body
    wait_for(&log, "release conn gone").await;
    let lines = log.lines();
    assert_eq!(&lines[2..], ["release tx gone", "release conn gone"]);
}

#[tokio::test]
async fn a_panicking_handler_releases_the_scope() {
    let log = Arc::new(Log::default());
    let locator = app(&log);
    async fn handler(tx: Injected<Tx>) -> String {
        panic!("handler failed with {}", tx.0.0);
    }
    let router = scoped(Router::new().route("/", get(handler)), &locator);
    let outcome = tokio::spawn(router.oneshot(request("/", "p1"))).await;
    assert!(outcome.unwrap_err().is_panic());
    wait_for(&log, "release conn p1").await;
    assert_eq!(
        log.lines(),
        [
            "acquire conn p1",
            "acquire tx p1",
            "release tx p1",
            "release conn p1"
        ]
    );
}

struct Unbound;

#[tokio::test]
async fn a_distage_error_is_a_500_that_does_not_leak_it() {
    let log = Arc::new(Log::default());
    let locator = app(&log);
    async fn missing(_: Injected<Unbound>) -> &'static str {
        "unreachable"
    }
    async fn lookup(log: Injected<Log>) -> Result<String, ServerError> {
        let _ = log;
        Err(distage_core::Error::Closed { key: None })?
    }
    let routes = Router::new()
        .route("/missing", get(missing))
        .route("/lookup", get(lookup));
    let router = scoped(routes, &locator);
    for path in ["/missing", "/lookup"] {
        let response = router.clone().oneshot(request(path, "e")).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_text(response).await;
        assert_eq!(body, r#"{"error":"internal server error"}"#);
    }
    // The scope was entered and released for both.
    wait_for(&log, "release conn e").await;
}

#[tokio::test]
async fn on_error_replaces_the_500() {
    let log = Arc::new(Log::default());
    let locator = app(&log);
    async fn missing(_: Injected<Unbound>) -> &'static str {
        "unreachable"
    }
    let router = Router::new().route("/", get(missing)).layer(
        DistageLayer::new(locator.locator_ref()).on_error(|error| {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "custom: {}",
                    matches!(error, distage_core::Error::NotFound { .. })
                ),
            )
                .into_response()
        }),
    );
    let response = router.oneshot(request("/", "x")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body_text(response).await, "custom: true");
}

#[tokio::test]
async fn a_scope_that_cannot_be_produced_is_a_500() {
    let log = Arc::new(Log::default());
    let locator = app(&log);
    async fn handler(tx: Injected<Tx>) -> String {
        tx.0.0.clone()
    }
    let router = scoped(Router::new().route("/", get(handler)), &locator);
    // The application is closed: the scope has no parent to be produced in.
    locator.close().unwrap();
    let response = router.oneshot(request("/", "c")).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(log.lines().is_empty(), "{:?}", log.lines());
}

/// The connection of the async scopes: acquired and released asynchronously, logged.
fn async_conn(log: Arc<Log>, id: Arc<RequestId>) -> Lifecycle<Conn> {
    let id = id.0.clone();
    let release = log.clone();
    Lifecycle::make_async(
        async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            log.push(format!("acquire conn {id}"));
            Conn(id)
        },
        move |c: Arc<Conn>| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            release.push(format!("release conn {}", c.0));
        },
    )
}

/// An application whose per-request scope (`per_request`, rooted at `Tx`) has async bindings.
fn async_app(log: &Arc<Log>, per_request: Module) -> Locator {
    let module = Module::build({
        let log = log.clone();
        move |m| {
            m.make::<Log>().from_arc(log.clone());
            m.make_subcontext::<Tx>(per_request.clone())
                .local::<RequestId>();
        }
    });
    let injector = Injector::new();
    let locator = injector
        .produce(&injector.plan(&PlannerInput::new(module)).unwrap())
        .unwrap();
    assert!(locator.get::<Subcontext<Tx>>().unwrap().is_async());
    locator
}

/// A scope with async resources: produced before the handler runs, released (its async
/// release awaited in a task) after the body, dependents first.
#[tokio::test]
async fn an_async_scope_is_released_after_the_body_in_reverse_order() {
    let log = Arc::new(Log::default());
    let per_request = Module::build(|m| {
        m.make::<Conn>().from_resource_async(async_conn);
        m.make::<Tx>().from_resource(tx);
    });
    let locator = async_app(&log, per_request);
    async fn handler(tx: Injected<Tx>, log: Injected<Log>) -> String {
        log.push(format!("handler {}", tx.0.0));
        tx.0.0.clone()
    }
    let router = scoped(Router::new().route("/", get(handler)), &locator);
    let response = router.oneshot(request("/", "a1")).await.unwrap();
    assert_eq!(body_text(response).await, "a1");
    wait_for(&log, "release conn a1").await;
    assert_eq!(
        log.lines(),
        [
            "acquire conn a1",
            "acquire tx a1",
            "handler a1",
            "release tx a1",
            "release conn a1"
        ]
    );
}

/// A client gone while the handler still waits: the request's future is dropped, and with it
/// the scope, released in reverse order.
#[tokio::test]
async fn a_handler_dropped_before_it_answers_releases_the_scope() {
    let log = Arc::new(Log::default());
    let locator = app(&log);
    async fn stuck(tx: Injected<Tx>, log: Injected<Log>) -> String {
        log.push(format!("handler {}", tx.0.0));
        std::future::pending::<()>().await;
        unreachable!()
    }
    let router = scoped(Router::new().route("/", get(stuck)), &locator);
    let outcome = tokio::time::timeout(
        Duration::from_millis(50),
        router.oneshot(request("/", "d1")),
    )
    .await;
    assert!(outcome.is_err(), "the handler never answers");
    assert_eq!(
        log.lines(),
        [
            "acquire conn d1",
            "acquire tx d1",
            "handler d1",
            "release tx d1",
            "release conn d1"
        ]
    );
}

/// An async scope whose production fails: a 500, and what it acquired released.
#[tokio::test]
async fn an_async_scope_that_fails_is_a_500_and_releases_what_it_acquired() {
    let log = Arc::new(Log::default());
    let per_request = Module::build(|m| {
        m.make::<Conn>().from_resource_async(async_conn);
        m.make::<Tx>()
            .from_fn(|c: Arc<Conn>| -> Tx { panic!("no transaction on {}", c.0) });
    });
    let locator = async_app(&log, per_request);
    async fn handler(_: Injected<Tx>) -> &'static str {
        "unreachable"
    }
    let router = scoped(Router::new().route("/", get(handler)), &locator);
    let response = router.oneshot(request("/", "f1")).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    wait_for(&log, "release conn f1").await;
    assert_eq!(log.lines(), ["acquire conn f1", "release conn f1"]);
}
