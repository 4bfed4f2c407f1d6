//! What `benches/typed.rs` measures on each generated graph (`benches/typed/n*.rs`): distage
//! against the same components wired by hand into typed fields, in the same process.

// `typed_allocs` uses the graphs and the check, not the timed groups.
#![allow(dead_code)]

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion};
use distage::{Injector, Module, PlannerInput};

/// A generated component: visits itself and what it holds, once per instance.
pub trait Reach {
    fn reach(&self, seen: &mut HashSet<usize>);
}

/// A generated graph: its module, and the same components wired by hand.
pub trait TypedGraph {
    /// Components, root included.
    const N: usize;
    /// The component that needs every component nothing else needs.
    type Root: Reach + Send + Sync + 'static;
    /// A component in the middle of the graph, for `get`.
    type Probe: Send + Sync + 'static;
    /// The hand-wired application: every component in a typed field.
    type App;
    /// The module's typed graph (`#[typed]`).
    type Typed;

    fn module() -> Module;
    fn hand_wired() -> Self::App;
    fn root(app: &Self::App) -> &Arc<Self::Root>;
    fn probe(app: &Self::App) -> &Arc<Self::Probe>;
    fn typed() -> Self::Typed;
    fn typed_root(graph: &Self::Typed) -> Arc<Self::Root>;
    fn typed_probe(graph: &Self::Typed) -> Arc<Self::Probe>;
}

/// Distinct instances reachable from `root`: N when every component was built once and shared.
pub fn distinct_instances<T: Reach>(root: &Arc<T>) -> usize {
    let mut seen = HashSet::new();
    root.reach(&mut seen);
    seen.len()
}

/// What an application plans: its module, for its root.
pub fn input<G: TypedGraph>() -> PlannerInput {
    PlannerInput::new(G::module()).roots::<G::Root>()
}

/// Everything from nothing to the root: what an application does once at start-up.
fn whole<G: TypedGraph>(injector: &Injector) -> Arc<G::Root> {
    let plan = injector.plan(&input::<G>()).unwrap();
    injector.produce(&plan).unwrap().get::<G::Root>().unwrap()
}

/// Both wirings build the same graph: N distinct instances, shared where the graph shares them.
pub fn check<G: TypedGraph>() {
    let by_hand = G::hand_wired();
    assert_eq!(distinct_instances(G::root(&by_hand)), G::N, "hand-wired");
    let injector = Injector::new();
    let plan = injector.plan(&input::<G>()).unwrap();
    assert_eq!(plan.steps().len(), G::N);
    assert_eq!(distinct_instances(&whole::<G>(&injector)), G::N, "distage");
    assert_eq!(
        distinct_instances(&G::typed_root(&G::typed())),
        G::N,
        "typed graph"
    );
}

/// The groups of one graph; each group's parameter is N, so graphs of several sizes line up.
pub fn bench<G: TypedGraph>(c: &mut Criterion) {
    check::<G>();
    let n = G::N;
    let injector = Injector::new();

    let mut group = c.benchmark_group("typed/build whole graph");
    group.bench_function(BenchmarkId::new("distage", n), |b| {
        b.iter(|| whole::<G>(&injector))
    });
    group.bench_function(BenchmarkId::new("typed graph", n), |b| {
        b.iter(|| G::typed_root(&G::typed()))
    });
    group.bench_function(BenchmarkId::new("hand-wired", n), |b| {
        b.iter(|| Arc::clone(G::root(&G::hand_wired())))
    });
    group.finish();

    let input = input::<G>();
    let plan = injector.plan(&input).unwrap();
    let mut group = c.benchmark_group("typed/produce + get root");
    group.bench_function(BenchmarkId::new("distage", n), |b| {
        b.iter(|| {
            let locator = injector.produce(black_box(&plan)).unwrap();
            locator.get::<G::Root>().unwrap()
        })
    });
    group.bench_function(BenchmarkId::new("hand-wired", n), |b| {
        b.iter(|| Arc::clone(G::root(&G::hand_wired())))
    });
    group.finish();

    let mut group = c.benchmark_group("typed/plan");
    group.bench_function(BenchmarkId::new("distage", n), |b| {
        b.iter(|| injector.plan(black_box(&input)).unwrap())
    });
    group.bench_function(BenchmarkId::new("module()", n), |b| b.iter(G::module));
    group.finish();

    let locator = injector.produce(&plan).unwrap();
    let app = G::hand_wired();
    let mut group = c.benchmark_group("typed/get");
    group.bench_function(BenchmarkId::new("distage", n), |b| {
        b.iter(|| black_box(&locator).get::<G::Probe>().unwrap())
    });
    let typed = G::typed();
    group.bench_function(BenchmarkId::new("typed graph", n), |b| {
        b.iter(|| G::typed_probe(black_box(&typed)))
    });
    group.bench_function(BenchmarkId::new("hand-wired field", n), |b| {
        b.iter(|| Arc::clone(G::probe(black_box(&app))))
    });
    group.finish();
}
