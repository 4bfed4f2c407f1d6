//! Planning and producing a graph of one component type under N names (how planning grows
//! with N), and `get` and `run` against typed fields and a call, in the same process.
//! `cargo bench --bench runtime`. Producing distinct components against typed hand-wired code is
//! `benches/typed.rs`.

mod common;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use distage::{Injector, Module, PlannerInput};

use common::{Node, deps, module};

struct A(u64);
struct B(u64);
struct C(u64);

/// What a hand-wired application holds: its components in fields.
struct HandWired {
    a: Arc<A>,
    b: Arc<B>,
    c: Arc<C>,
}

fn plan(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan");
    for n in [100, 1_000, 10_000] {
        let module = module(n);
        let input = PlannerInput::new(module);
        group.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, input| {
            b.iter(|| Injector::new().plan(black_box(input)).unwrap())
        });
    }
    group.finish();
}

fn produce(c: &mut Criterion) {
    let mut group = c.benchmark_group("produce");
    for n in [100, 1_000, 10_000] {
        let plan = Injector::new().plan(&PlannerInput::new(module(n))).unwrap();
        group.bench_with_input(BenchmarkId::new("distage", n), &plan, |b, plan| {
            b.iter(|| Injector::new().produce(black_box(plan)).unwrap())
        });
    }
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let module = Module::build(|m| {
        m.make::<A>().from_value(A(1));
        m.make::<B>().from_value(B(2));
        m.make::<C>().from_value(C(3));
    });
    let injector = Injector::new();
    let locator = injector
        .produce(&injector.plan(&PlannerInput::new(module)).unwrap())
        .unwrap();
    let wired = HandWired {
        a: Arc::new(A(1)),
        b: Arc::new(B(2)),
        c: Arc::new(C(3)),
    };

    let mut group = c.benchmark_group("get");
    group.bench_function("distage", |b| {
        b.iter(|| black_box(&locator).get::<B>().unwrap())
    });
    group.bench_function("hand-wired field", |b| {
        b.iter(|| black_box(&wired).b.clone())
    });
    group.finish();

    let mut group = c.benchmark_group("run 3 parameters");
    group.bench_function("distage", |b| {
        b.iter(|| {
            black_box(&locator)
                .run(|a: Arc<A>, b: Arc<B>, c: Arc<C>| a.0 + b.0 + c.0)
                .unwrap()
        })
    });
    group.bench_function("hand-wired call", |b| {
        b.iter(|| {
            let w = black_box(&wired);
            let f = |a: Arc<A>, b: Arc<B>, c: Arc<C>| a.0 + b.0 + c.0;
            f(w.a.clone(), w.b.clone(), w.c.clone())
        })
    });
    group.finish();

    // The produced graph is the generated one: each value is one more than its dependencies'.
    let plan = Injector::new()
        .plan(&PlannerInput::new(common::module(50)))
        .unwrap();
    let locator = Injector::new().produce(&plan).unwrap();
    let mut values: Vec<u64> = Vec::with_capacity(50);
    for i in 0..50 {
        values.push(deps(i).iter().map(|&j| values[j]).sum::<u64>() + 1);
    }
    assert_eq!(locator.get_named::<Node>("n49").unwrap().value, values[49]);
}

criterion_group!(benches, plan, produce, lookups);
criterion_main!(benches);
