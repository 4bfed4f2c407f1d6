//! Requests per second through `RequestScope` (a subcontext entered per request, an `Injected`
//! extractor) against the same handler on plain axum `State`: two servers in this process on
//! 127.0.0.1, the same keep-alive client; and the same two routers called through
//! `tower::ServiceExt::oneshot`, no socket, for the cost per request alone.
//! `cargo bench -p distage-axum --bench scope`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use distage_axum::{Injected, RequestScope};
use distage_core::{Injector, Locator, Module, PlannerInput, Subcontext};
use std::convert::Infallible;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tower::{Layer, Service, ServiceExt};

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

/// The state of the hand-written version: the singleton, and the request ids' counter.
struct ByHand {
    store: Arc<Store>,
    next: AtomicU64,
}

/// What a person writes without distage: the request's id and its per-request component made
/// by hand in the handler, one `Arc` each, from the singleton in axum's `State`.
async fn plain(State(app): State<Arc<ByHand>>) -> String {
    let id = Arc::new(RequestId(app.next.fetch_add(1, Ordering::Relaxed)));
    let handler = Arc::new(Handler {
        store: app.store.clone(),
        id,
    });
    std::hint::black_box(handler.id.0);
    handler.store.greeting.clone()
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

async fn serve<S>(service: S) -> String
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let service = axum::ServiceExt::<Request>::into_make_service(service);
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
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

/// Rounds of the paired loopback measurement, after `WARM_UP` unrecorded ones.
const ROUNDS: usize = 21;
const WARM_UP: usize = 2;

/// The loopback comparison, paired: each round serves one batch through each server, in an
/// order that rotates from round to round, so that what the machine does meanwhile (another
/// build, the CPU's clock) weighs on all alike; each figure is the median of the rounds'
/// ratios to the first server (plain `State`).
async fn paired_loopback(servers: &[(&str, String)]) {
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); servers.len()];
    for round in 0..WARM_UP + ROUNDS {
        for k in 0..servers.len() {
            let which = (round + k) % servers.len();
            let started = std::time::Instant::now();
            batch(&servers[which].1).await;
            if round >= WARM_UP {
                times[which].push(started.elapsed());
            }
        }
    }
    let requests = (CONNECTIONS * PER_CONNECTION) as f64;
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        (
            values[ROUNDS / 2],
            values[ROUNDS / 4],
            values[3 * ROUNDS / 4],
        )
    };
    println!("loopback, {ROUNDS} rotated rounds of {requests} requests per server:");
    for (which, (name, _)) in servers.iter().enumerate() {
        let (per_request, _, _) = median(
            (times[which].iter())
                .map(|t| t.as_secs_f64() * 1e6 / requests)
                .collect(),
        );
        let (ratio, low, high) = median(
            (times[which].iter().zip(&times[0]))
                .map(|(t, base)| t.as_secs_f64() / base.as_secs_f64())
                .collect(),
        );
        println!(
            "  {name:<28} {per_request:6.2} µs/request   ratio {ratio:.3} (quartiles {low:.3}–{high:.3})"
        );
    }
}

/// The paired loopback runs unless a filter is given that does not name it (`loopback`).
fn loopback_selected() -> bool {
    let filters: Vec<String> = (std::env::args().skip(1))
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| "loopback".contains(f.as_str()))
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
    let by_hand = Arc::new(ByHand {
        store,
        next: AtomicU64::new(0),
    });
    let plain_router = Router::new().route("/", get(plain)).with_state(by_hand);
    let next = AtomicU64::new(0);
    let scope = RequestScope::new(requests, move |_: &mut Request| {
        (RequestId(next.fetch_add(1, Ordering::Relaxed)),)
    });
    // `with_state(())` makes the routes once, as `axum::serve` does; without it every
    // `oneshot` would rebuild the scoped route (and not the plain one, which has a state).
    let scoped_router = Router::new()
        .route("/", get(scoped))
        .layer(scope.clone())
        .with_state(());
    if loopback_selected() {
        // The scope as `Router::layer` (axum boxes each layered route's future, as for any
        // layer), and around the whole router (one layer, no boxing by axum).
        let around = scope.layer(Router::new().route("/", get(scoped)));
        let servers = runtime.block_on(async {
            [
                ("plain `State`", serve(plain_router.clone()).await),
                (
                    "`RequestScope`, Router::layer",
                    serve(scoped_router.clone()).await,
                ),
                ("`RequestScope` around router", serve(around).await),
            ]
        });
        runtime.block_on(paired_loopback(&servers));
    }

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
