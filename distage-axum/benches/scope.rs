//! Requests per second through `RequestScope` (a subcontext entered per request, an `Injected`
//! extractor) against the same handler on plain axum `State`: two servers in this process on
//! 127.0.0.1, the same keep-alive client; and the same two routers called through
//! `tower::ServiceExt::oneshot`, no socket, for the cost per request alone.
//! `cargo bench -p distage-axum --bench scope`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::routing::get;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use distage_axum::{Injected, RequestScope};
use distage_core::{Injector, Locator, Module, PlannerInput, Subcontext};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// Connections at once, and requests on each, per iteration.
const CONNECTIONS: usize = 8;
const PER_CONNECTION: usize = 250;

/// What the handler reads: an application singleton.
struct Store {
    greeting: String,
}

struct RequestId(u64);

/// The per-request component: made for each request from the store and the request's id.
struct Handler {
    store: Arc<Store>,
    id: Arc<RequestId>,
}

async fn plain(State(store): State<Arc<Store>>) -> String {
    store.greeting.clone()
}

async fn scoped(handler: Injected<Handler>) -> String {
    std::hint::black_box(handler.id.0);
    handler.store.greeting.clone()
}

fn application() -> Locator {
    let per_request = Module::build(|m| {
        m.make::<Handler>()
            .from_fn(|store: Arc<Store>, id: Arc<RequestId>| Handler { store, id });
    });
    let module = Module::build(|m| {
        m.make::<Store>().from_fn(|| Store {
            greeting: "hello".into(),
        });
        m.make_subcontext::<Handler>(per_request)
            .local::<RequestId>();
    });
    let injector = Injector::new();
    injector
        .produce(&injector.plan(&PlannerInput::new(module)).unwrap())
        .unwrap()
}

async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

/// `PER_CONNECTION` requests one after the other on one keep-alive connection.
async fn client(address: String) {
    let stream = TcpStream::connect(&address).await.unwrap();
    let mut stream = BufReader::new(stream);
    let request = format!("GET / HTTP/1.1\r\nhost: {address}\r\n\r\n");
    let mut line = String::new();
    let mut body = Vec::new();
    for _ in 0..PER_CONNECTION {
        stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .unwrap();
        let mut length = 0;
        loop {
            line.clear();
            stream.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
        }
        body.resize(length, 0);
        stream.read_exact(&mut body).await.unwrap();
        assert_eq!(body, b"hello");
    }
}

async fn batch(address: &str) {
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(client(address.to_string())))
        .collect();
    for c in clients {
        c.await.unwrap();
    }
}

fn requests(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let locator = application();
    let store = locator.get::<Store>().unwrap();
    let requests: Subcontext<Handler> = (*locator.get::<Subcontext<Handler>>().unwrap()).clone();
    let plain_router = Router::new().route("/", get(plain)).with_state(store);
    let next = std::sync::atomic::AtomicU64::new(0);
    let scope = RequestScope::new(requests, move |_: &mut Request| {
        (RequestId(
            next.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        ),)
    });
    let scoped_router = Router::new().route("/", get(scoped)).layer(scope);
    let (plain_at, scoped_at) = runtime.block_on(async {
        let plain_at = serve(plain_router.clone()).await;
        (plain_at, serve(scoped_router.clone()).await)
    });

    let mut group = c.benchmark_group("requests");
    group
        .throughput(Throughput::Elements((CONNECTIONS * PER_CONNECTION) as u64))
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("plain_state", |b| {
        b.to_async(&runtime).iter(|| batch(&plain_at))
    });
    group.bench_function("request_scope", |b| {
        b.to_async(&runtime).iter(|| batch(&scoped_at))
    });
    group.finish();

    let mut group = c.benchmark_group("oneshot");
    for (name, router) in [
        ("plain_state", plain_router),
        ("request_scope", scoped_router),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let request = Request::builder().uri("/").body(Body::empty()).unwrap();
                let response = router.clone().oneshot(request).await.unwrap();
                let body = axum::body::to_bytes(response.into_body(), 64)
                    .await
                    .unwrap();
                assert_eq!(&body[..], b"hello");
            })
        });
    }
    group.finish();
    drop(locator);
}

criterion_group!(benches, requests);
criterion_main!(benches);
