//! Async start-up concurrency, and the cost of one subcontext run.
//! `cargo bench --bench async`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use distage::{Injector, Lifecycle, Module, Plan, PlannerInput, Subcontext, Value};

const RESOURCES: usize = 20;
const ACQUIRE: Duration = Duration::from_millis(10);

fn slow_resource() -> Lifecycle<u64> {
    Lifecycle::make_async(
        async {
            tokio::time::sleep(ACQUIRE).await;
            1u64
        },
        |_| async {},
    )
}

/// 20 resources, each taking 10 ms to acquire: independent, or each depending on the previous.
fn startup_plan(chained: bool) -> Plan {
    let module = Module::build(|m| {
        for i in 0..RESOURCES {
            let make = m.make::<u64>().named(format!("r{i}"));
            if chained && i > 0 {
                make.from_resource_async(
                    distage::Functoid::of(|_prev: Arc<u64>| slow_resource())
                        .named(0, format!("r{}", i - 1)),
                );
            } else {
                make.from_resource_async(slow_resource);
            }
        }
    });
    Injector::new().plan(&PlannerInput::new(module)).unwrap()
}

#[derive(Clone)]
struct Local(u64);

struct Handler {
    sum: u64,
}

/// What a person writes instead of a subcontext, as the other benches wire by hand (typed
/// fields, one `Arc` per component): the request's values, and the handler built from them.
struct Request {
    a: Arc<Local>,
    b: Arc<Local>,
    c: Arc<Local>,
    d: Arc<Local>,
    e: Arc<Local>,
}

/// A subcontext whose root depends on 5 locals.
fn subcontext() -> (distage::Locator, Arc<Subcontext<Handler>>) {
    let sub = Module::build(|s| {
        s.make::<Handler>().from_fn(
            distage::Functoid::of(
                |a: Value<Local>,
                 b: Value<Local>,
                 c: Value<Local>,
                 d: Value<Local>,
                 e: Value<Local>| Handler {
                    sum: a.0.0 + b.0.0 + c.0.0 + d.0.0 + e.0.0,
                },
            )
            .named(0, "a")
            .named(1, "b")
            .named(2, "c")
            .named(3, "d")
            .named(4, "e"),
        );
    });
    let parent = Module::build(|m| {
        m.make_subcontext::<Handler>(sub)
            .local_named::<Local>("a")
            .local_named::<Local>("b")
            .local_named::<Local>("c")
            .local_named::<Local>("d")
            .local_named::<Local>("e");
    });
    let injector = Injector::new();
    let locator = injector
        .produce(&injector.plan(&PlannerInput::new(parent)).unwrap())
        .unwrap();
    let sub = locator.get::<Subcontext<Handler>>().unwrap();
    (locator, sub)
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("startup");
    group.sample_size(10);
    for (name, chained) in [
        ("20 independent 10 ms resources", false),
        ("20 chained 10 ms resources", true),
    ] {
        let plan = startup_plan(chained);
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let locator = Injector::new().produce_async(&plan).await.unwrap();
                locator.close().await.unwrap();
            })
        });
    }
    group.finish();

    let (_parent, sub) = subcontext();
    let mut group = c.benchmark_group("subcontext");
    group.bench_function("one run with 5 locals", |b| {
        b.iter(|| {
            sub.provide_named("a", Local(1))
                .provide_named("b", Local(2))
                .provide_named("c", Local(3))
                .provide_named("d", Local(4))
                .provide_named("e", Local(5))
                .run(|h: Arc<Handler>| h.sum)
                .unwrap()
        })
    });
    group.bench_function(
        "by hand: an Arc per value and for the handler built from them",
        |b| {
            b.iter(|| {
                let request = Request {
                    a: Arc::new(Local(black_box(1))),
                    b: Arc::new(Local(black_box(2))),
                    c: Arc::new(Local(black_box(3))),
                    d: Arc::new(Local(black_box(4))),
                    e: Arc::new(Local(black_box(5))),
                };
                let handler = Arc::new(Handler {
                    sum: request.a.0 + request.b.0 + request.c.0 + request.d.0 + request.e.0,
                });
                black_box(handler.sum)
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
