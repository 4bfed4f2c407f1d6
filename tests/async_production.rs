//! `produce_async`: async constructors and resources, concurrent start-up, release order,
//! failures, cancellation.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use distage::prelude::*;
use distage::{DIKey, Error, Failure};
use tokio::time::sleep;

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// An async resource named `name` whose acquire takes `acquire_ms`.
fn resource(log: &Log, name: &'static str, acquire_ms: u64) -> Lifecycle<String> {
    let (start, stop) = (log.clone(), log.clone());
    Lifecycle::make_async(
        async move {
            sleep(Duration::from_millis(acquire_ms)).await;
            start.push(format!("{name} start"));
            name.to_string()
        },
        move |_| async move {
            sleep(Duration::from_millis(1)).await;
            stop.push(format!("{name} stop"));
        },
    )
}

fn plan(module: Module) -> distage::Plan {
    Injector::new().plan(&PlannerInput::new(module)).unwrap()
}

#[tokio::test]
async fn twenty_independent_resources_start_concurrently() {
    let log = Log::default();
    let module = Module::build(|m| {
        for i in 0..20 {
            let log = log.clone();
            m.make::<String>()
                .named(format!("r{i}"))
                .from_resource_async(move || resource(&log, "r", 50));
        }
    });
    let plan = plan(module);
    let started = Instant::now();
    let locator = Injector::new().produce_async(&plan).await.unwrap();
    let took = started.elapsed();
    eprintln!("20 independent 50 ms resources produced in {took:?}");
    assert!(took < Duration::from_millis(500), "took {took:?}");
    assert_eq!(log.take().len(), 20);
    locator.close().await.unwrap();
    assert_eq!(log.take().len(), 20);
}

struct A;
struct B(#[allow(dead_code)] Arc<A>);
struct C(#[allow(dead_code)] Arc<B>);
struct D(#[allow(dead_code)] Arc<C>);

/// A (sync resource) <- B (async resource) <- C (sync resource) <- D (async constructor).
fn mixed_chain(log: &Log) -> Module {
    let (l1, l2, l3, l4) = (log.clone(), log.clone(), log.clone(), log.clone());
    Module::build(|m| {
        m.make::<A>().from_resource(move || {
            let l = l1.clone();
            l.push("A start");
            Lifecycle::make(|| A, move |_| l.push("A stop"))
        });
        m.make::<B>().from_resource_async(move |a: Arc<A>| {
            let (start, stop) = (l2.clone(), l2.clone());
            Lifecycle::make_async(
                async move {
                    sleep(Duration::from_millis(5)).await;
                    start.push("B start");
                    B(a)
                },
                move |_| async move { stop.push("B stop") },
            )
        });
        m.make::<C>().from_resource(move |b: Arc<B>| {
            let l = l3.clone();
            l.push("C start");
            Lifecycle::make(move || C(b), move |_| l.push("C stop"))
        });
        m.make::<D>().from_async(move |c: Arc<C>| {
            let l = l4.clone();
            async move {
                l.push("D start");
                D(c)
            }
        });
    })
}

#[tokio::test]
async fn release_is_in_reverse_order_across_sync_and_async_resources() {
    let log = Log::default();
    let module = mixed_chain(&log);
    let locator = Injector::new().produce_async(&plan(module)).await.unwrap();
    assert_eq!(log.take(), vec!["A start", "B start", "C start", "D start"]);
    locator.close().await.unwrap();
    assert_eq!(log.take(), vec!["C stop", "B stop", "A stop"]);
}

#[tokio::test]
async fn a_failing_branch_stops_new_work_lets_in_flight_finish_and_releases_everything() {
    let log = Log::default();
    let (fast, slow, fails, after) = (log.clone(), log.clone(), log.clone(), log.clone());
    let module = Module::build(|m| {
        m.make::<String>()
            .named("fast")
            .from_resource_async(move || resource(&fast, "fast", 1));
        m.make::<String>()
            .named("slow")
            .from_resource_async(move || resource(&slow, "slow", 80));
        m.make::<u8>().from_try_async(move || {
            let l = fails.clone();
            async move {
                sleep(Duration::from_millis(20)).await;
                l.push("failing");
                Err::<u8, _>("connection refused")
            }
        });
        // Depends on the failing one: never started.
        m.make::<u16>().from_async(move |_: Arc<u8>| {
            let l = after.clone();
            async move {
                l.push("never");
                1u16
            }
        });
    });
    let started = Instant::now();
    let err = Injector::new()
        .produce_async(&plan(module))
        .await
        .unwrap_err();
    let Error::Produce(err) = err else {
        panic!("{err}")
    };
    assert_eq!(err.target.key(), &DIKey::of::<u8>());
    assert!(matches!(&err.cause, Failure::Error(e) if e.to_string() == "connection refused"));
    assert!(
        started.elapsed() >= Duration::from_millis(80),
        "the slow acquisition was awaited"
    );
    let events = log.take();
    assert_eq!(
        &events[..3],
        ["fast start", "failing", "slow start"],
        "{events:?}"
    );
    // Released: each once, the latest acquired first.
    assert_eq!(&events[3..], ["slow stop", "fast stop"], "{events:?}");
}

#[tokio::test]
async fn every_concurrent_failure_is_reported_and_panics_are_caught() {
    let module = Module::build(|m| {
        m.make::<u8>().from_try_async(|| async {
            sleep(Duration::from_millis(5)).await;
            Err::<u8, _>("first")
        });
        m.make::<u16>().from_async(|| async {
            sleep(Duration::from_millis(10)).await;
            if true {
                panic!("second");
            }
            1u16
        });
    });
    let Error::Produce(err) = Injector::new()
        .produce_async(&plan(module))
        .await
        .unwrap_err()
    else {
        panic!()
    };
    assert!(matches!(&err.cause, Failure::Error(e) if e.to_string() == "first"));
    assert_eq!(err.others.len(), 1);
    assert!(matches!(&err.others[0].cause, Failure::Panic(m) if m == "second"));
    let text = Error::Produce(err).to_string();
    assert!(
        text.contains("failed to produce `u8`") && text.contains("and `u16`"),
        "{text}"
    );
}

#[tokio::test]
async fn dropping_the_production_mid_way_releases_what_was_acquired() {
    let log = Log::default();
    let (first, second) = (log.clone(), log.clone());
    let module = Module::build(|m| {
        m.make::<String>()
            .from_resource_async(move || resource(&first, "first", 1));
        m.make::<u8>().from_resource_async(move |_: Arc<String>| {
            let (start, stop) = (second.clone(), second.clone());
            Lifecycle::make_async(
                async move {
                    sleep(Duration::from_secs(5)).await;
                    start.push("second start");
                    1u8
                },
                move |_| async move { stop.push("second stop") },
            )
        });
    });
    let plan = plan(module);
    let injector = Injector::new();
    let outcome =
        tokio::time::timeout(Duration::from_millis(50), injector.produce_async(&plan)).await;
    assert!(outcome.is_err(), "timed out");
    // The async release step runs on this runtime.
    sleep(Duration::from_millis(50)).await;
    assert_eq!(log.take(), vec!["first start", "first stop"]);
}

#[tokio::test]
async fn dropping_an_async_locator_without_close_still_releases() {
    let log = Log::default();
    let l = log.clone();
    let module = Module::build(|m| {
        m.make::<String>()
            .from_resource_async(move || resource(&l, "r", 1));
    });
    let locator = Injector::new().produce_async(&plan(module)).await.unwrap();
    drop(locator);
    sleep(Duration::from_millis(30)).await;
    assert_eq!(log.take(), vec!["r start", "r stop"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_without_close_on_a_multi_thread_runtime_releases_in_order_before_returning() {
    let log = Log::default();
    let locator = Injector::new()
        .produce_async(&plan(mixed_chain(&log)))
        .await
        .unwrap();
    log.take();
    drop(locator);
    // Sync and async release steps interleave in reverse order, finished when `drop` returns.
    assert_eq!(log.take(), vec!["C stop", "B stop", "A stop"]);
}

#[test]
fn dropping_without_close_outside_any_runtime_releases_in_order() {
    let log = Log::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let locator = runtime
        .block_on(Injector::new().produce_async(&plan(mixed_chain(&log))))
        .unwrap();
    drop(runtime);
    log.take();
    drop(locator);
    assert_eq!(log.take(), vec!["C stop", "B stop", "A stop"]);
}

#[tokio::test]
async fn dropping_without_close_on_a_current_thread_runtime_keeps_the_order() {
    let log = Log::default();
    let locator = Injector::new()
        .produce_async(&plan(mixed_chain(&log)))
        .await
        .unwrap();
    log.take();
    drop(locator);
    // Nothing can block here: the whole sequence is spawned, the sync steps included.
    sleep(Duration::from_millis(30)).await;
    assert_eq!(log.take(), vec!["C stop", "B stop", "A stop"]);
}

#[tokio::test]
async fn independent_releases_run_concurrently() {
    let log = Log::default();
    let module = Module::build(|m| {
        for i in 0..5 {
            let l = log.clone();
            m.make::<u8>()
                .named(format!("r{i}"))
                .from_resource_async(move || {
                    let l = l.clone();
                    Lifecycle::make_async(async { 0u8 }, move |_| async move {
                        sleep(Duration::from_millis(60)).await;
                        l.push("stop");
                    })
                });
        }
    });
    let locator = Injector::new().produce_async(&plan(module)).await.unwrap();
    let started = Instant::now();
    locator.close().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(log.take().len(), 5);
}

/// distage's order: the latest acquired is released first. Acquisition here completes in the
/// opposite of declaration (and plan) order, so plan order would get it wrong.
#[tokio::test]
async fn independent_async_releases_start_latest_acquired_first_after_their_dependents() {
    struct Pool;
    struct Cache;
    struct Svc;
    fn timed<T: Send + Sync + 'static>(
        log: &Log,
        name: &'static str,
        ms: u64,
        v: T,
    ) -> Lifecycle<T> {
        let (start, stop) = (log.clone(), log.clone());
        Lifecycle::make_async(
            async move {
                start.push(format!("{name} start"));
                sleep(Duration::from_millis(ms)).await;
                v
            },
            move |_| {
                // Logged when the release step starts; the steps then run concurrently.
                stop.push(format!("{name} stop"));
                async {}
            },
        )
    }
    let log = Log::default();
    let (p, c, s) = (log.clone(), log.clone(), log.clone());
    let module = Module::build(move |m| {
        let (p, c, s) = (p.clone(), c.clone(), s.clone());
        m.make::<Pool>()
            .from_resource_async(move || timed(&p, "Pool", 40, Pool));
        m.make::<Cache>()
            .from_resource_async(move || timed(&c, "Cache", 5, Cache));
        m.make::<Svc>()
            .from_resource_async(move |_: Arc<Pool>, _: Arc<Cache>| timed(&s, "Svc", 0, Svc));
    });
    let locator = Injector::new().produce_async(&plan(module)).await.unwrap();
    locator.close().await.unwrap();
    let events = log.take();
    assert_eq!(
        events[2..],
        ["Svc start", "Svc stop", "Pool stop", "Cache stop"],
        "{events:?}"
    );
}

#[tokio::test]
async fn get_after_close_is_an_error_and_run_awaits_the_function() {
    let module = Module::build(|m| {
        m.make::<u32>().from_async(|| async { 41u32 });
        m.make::<String>().from_fn(|n: u32| format!("n={n}"));
    });
    let locator = Injector::new().produce_async(&plan(module)).await.unwrap();
    let answer = locator
        .run(|n: Arc<u32>, s: String| async move { format!("{} {s}", *n + 1) })
        .await
        .unwrap();
    assert_eq!(answer, "42 n=41");
    let handle = locator.locator_ref();
    locator.close().await.unwrap();
    assert!(matches!(handle.get::<u32>(), Err(Error::Closed { .. })));
}

#[test]
fn the_sync_producer_rejects_async_plans_before_acquiring_anything() {
    let log = Log::default();
    let l = log.clone();
    let module = Module::build(|m| {
        m.make::<u8>().from_resource(move || {
            l.push("acquired");
            Lifecycle::pure(1u8)
        });
        m.make::<u16>().from_async(|| async { 1u16 });
    });
    let err = Injector::new().produce(&plan(module)).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::AsyncInSyncProduce { .. }), "{text}");
    assert!(text.contains("`u16` (bound at"), "{text}");
    assert!(log.take().is_empty());
}

#[tokio::test]
async fn produce_run_async_plans_only_what_the_function_needs() {
    let module = Module::build(|m| {
        m.make::<u32>().from_async(|| async { 7u32 });
        m.make::<u64>()
            .from_async(|| async { unreachable!("not needed, never produced") as u64 });
    });
    let injector = Injector::new();
    let out = injector
        .produce_run_async(
            &PlannerInput::new(module),
            |n: Arc<u32>| async move { *n * 6 },
        )
        .await
        .unwrap();
    assert_eq!(out, 42);
}

struct Session {
    user: String,
    db: Arc<A>,
}

/// An async constructor: `Factory<Session>::create_async` awaits it, no hand-written trait.
#[distage::injectable]
impl Session {
    async fn new(db: Arc<A>, #[assisted] user: String) -> Self {
        sleep(Duration::from_millis(1)).await; // connect
        Session {
            user: format!("{user} (connected)"),
            db,
        }
    }
}

/// Without assisted parameters: `create_async(())`.
struct Ticket(Arc<A>);

#[distage::injectable]
impl Ticket {
    async fn new(a: Arc<A>) -> Self {
        tokio::task::yield_now().await;
        Ticket(a)
    }
}

/// A plain product is awaitable too.
#[derive(Injectable)]
struct Note {
    #[di(assisted)]
    text: &'static str,
    a: Arc<A>,
}

#[tokio::test]
async fn a_factory_creates_asynchronously() {
    let module = Module::build(|m| {
        m.make::<A>().from_async(|| async { A });
        m.make::<Factory<Session>>().from_factory();
        m.make::<Factory<Ticket>>().from_factory();
        m.make::<Factory<Note>>().from_factory();
    });
    let locator = Injector::new().produce_async(&plan(module)).await.unwrap();
    let a = locator.get::<A>().unwrap();
    let factory = locator.get::<Factory<Session>>().unwrap();
    let (alice, bob) = tokio::join!(
        factory.create_async("alice".to_string()),
        factory.create_async("bob".to_string())
    );
    assert_eq!(alice.user, "alice (connected)");
    assert_eq!(bob.user, "bob (connected)");
    assert!(Arc::ptr_eq(&alice.db, &a) && Arc::ptr_eq(&bob.db, &a));

    let ticket = locator
        .get::<Factory<Ticket>>()
        .unwrap()
        .create_async(())
        .await;
    assert!(Arc::ptr_eq(&ticket.0, &a));
    let notes = locator.get::<Factory<Note>>().unwrap();
    let (sync, awaited) = (notes.create("now"), notes.create_async("later").await);
    assert_eq!((sync.text, awaited.text), ("now", "later"));
    assert!(Arc::ptr_eq(&sync.a, &awaited.a));
}

/// An async constructor that can fail is a component, not a factory product.
struct Conn(Arc<A>);

impl Conn {
    async fn new(a: Arc<A>) -> Result<Self, std::io::Error> {
        tokio::task::yield_now().await;
        Ok(Conn(a))
    }
}

module! {
    AsyncFactories {
        make<A>.from_value(A);
        make<Factory<Session>>.from_factory();
        make<Conn>.from_try_async(Conn::new);
    }
}

#[tokio::test]
async fn an_async_factory_is_checked_and_bound_by_module() {
    let locator = Injector::new()
        .produce_async(&plan(AsyncFactories::module()))
        .await
        .unwrap();
    assert!(Arc::ptr_eq(
        &locator.get::<Conn>().unwrap().0,
        &locator.get::<A>().unwrap()
    ));
    let session = locator
        .get::<Factory<Session>>()
        .unwrap()
        .create_async("carol".to_string())
        .await;
    assert_eq!(session.user, "carol (connected)");
}
