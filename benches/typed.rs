//! distage against the same components wired by hand into typed fields, in the same process:
//! building the whole graph, producing a made plan, planning, and `get`, on generated graphs of
//! 100 and 1,000 distinct components (`benches/typed/generate.py`; N = 10,000 is a standalone
//! project, see benches/README.md). `cargo bench --bench typed`.

#[path = "typed/harness.rs"]
mod harness;
#[path = "typed/n100.rs"]
mod n100;
#[path = "typed/n1000.rs"]
mod n1000;

use criterion::{criterion_group, criterion_main};

criterion_group!(
    benches,
    harness::bench::<n100::Graph>,
    harness::bench::<n1000::Graph>
);
criterion_main!(benches);
