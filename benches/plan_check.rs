//! PlanCheck over many configurations: 6 axes × 3 choices (729 configurations) on a module of
//! 500 bindings. `cargo bench --bench plan_check`.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use distage::{Axis, DIKey, Dependency, Functoid, Module, PlanCheck, TypeInfo};

macro_rules! axes {
    ($($name:ident),*) => {$(
        #[derive(Clone, Copy, Debug)]
        enum $name { A, B, C }
        impl Axis for $name {
            const NAME: &'static str = stringify!($name);
            const CHOICES: &'static [&'static str] = &["A", "B", "C"];
            fn index(&self) -> usize { *self as usize }
        }
    )*};
}

axes!(X0, X1, X2, X3, X4, X5);

fn key(i: usize) -> DIKey {
    DIKey::named::<u64>(format!("c{i}"))
}

/// Component `i` depends on up to three earlier ones (fixed pseudo-random choice).
fn deps(i: usize) -> Vec<usize> {
    let mut state = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut out = Vec::new();
    for _ in 0..3 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if i > 0 && !state.is_multiple_of(4) {
            let d = (state as usize) % i;
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

struct Node;

fn node(deps: &[usize]) -> Functoid<u64> {
    let n = deps.len();
    Functoid::new(
        deps.iter().map(|&d| Dependency::strict(key(d))).collect(),
        TypeInfo::of::<Node>(),
        move |args| {
            let mut sum = 0u64;
            for _ in 0..n {
                sum = sum.wrapping_add(*args.take::<Arc<u64>>()?);
            }
            Ok(sum + 1)
        },
    )
}

/// 150 keys with three alternatives, one per choice of one of the six axes (450 bindings), and
/// 50 untagged keys: 500 bindings.
fn module() -> Module {
    Module::build(|m| {
        for i in 0..200 {
            let f = node(&deps(i));
            if i % 4 == 3 {
                m.make::<u64>().named(format!("c{i}")).from_fn(f);
                continue;
            }
            macro_rules! tagged {
                ($($axis:ident),*) => {{
                    let mut axis_no = 0;
                    $(
                        if i % 6 == axis_no {
                            m.make::<u64>().named(format!("c{i}")).from_fn(f.clone()).tagged($axis::A);
                            m.make::<u64>().named(format!("c{i}")).from_fn(f.clone()).tagged($axis::B);
                            m.make::<u64>().named(format!("c{i}")).from_fn(f.clone()).tagged($axis::C);
                        }
                        axis_no += 1;
                    )*
                    let _ = axis_no;
                }};
            }
            tagged!(X0, X1, X2, X3, X4, X5);
        }
    })
}

fn bench(c: &mut Criterion) {
    let module = module();
    assert_eq!(module.len(), 500);
    let check = PlanCheck::new(module.clone());
    let report = check.run();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.configurations(), 729);
    eprintln!(
        "plan_check: {} configurations, {} planned",
        report.configurations(),
        report.planned()
    );
    let mut group = c.benchmark_group("plan_check");
    group.sample_size(10);
    group.bench_function("729 configurations x 500 bindings", |b| {
        b.iter(|| check.run())
    });
    let rooted = PlanCheck::new(module).root_key(key(17));
    let report = rooted.run();
    eprintln!(
        "plan_check rooted at c17: {} configurations, {} planned",
        report.configurations(),
        report.planned()
    );
    group.bench_function("729 configurations, one root", |b| b.iter(|| rooted.run()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
