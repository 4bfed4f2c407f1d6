//! Allocations and retained bytes per component: distage against the same graph wired by hand
//! into typed fields (`benches/typed/n1000.rs`). `cargo bench --bench typed_allocs`.
//!
//! A separate binary from `benches/typed.rs` because counting needs a global allocator that
//! counts every allocation, which would slow the timed code, distage's (which allocates more)
//! more than the hand-wired. The counting allocator is `stats_alloc`'s: implementing
//! `GlobalAlloc` is `unsafe`, which the workspace forbids in every target, benches included.

#[path = "typed/harness.rs"]
mod harness;
#[path = "typed/n1000.rs"]
mod n1000;

use std::alloc::System;
use std::sync::Arc;

use distage::Injector;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, Stats, StatsAlloc};

use harness::TypedGraph;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// What the code between a region's start and `stats` allocated, and how many bytes it still holds.
struct Counted {
    allocations: usize,
    allocated: usize,
    retained: isize,
}

impl Counted {
    fn of(stats: Stats) -> Self {
        let allocated = stats.bytes_allocated as isize + stats.bytes_reallocated.max(0);
        Counted {
            allocations: stats.allocations + stats.reallocations,
            allocated: allocated as usize,
            retained: stats.bytes_allocated as isize + stats.bytes_reallocated
                - stats.bytes_deallocated as isize,
        }
    }

    fn row(&self, what: &str, n: usize) {
        let n_f = n as f64;
        println!(
            "| {what} | {} | {:.1} | {:.0} | {:.0} |",
            self.allocations,
            self.allocations as f64 / n_f,
            self.allocated as f64 / n_f,
            self.retained as f64 / n_f,
        );
    }
}

fn measure<G: TypedGraph>() {
    harness::check::<G>();
    let n = G::N;
    let injector = Injector::new();
    println!("N = {n}\n");
    println!(
        "| what | allocations | per component | bytes allocated per component | bytes retained per component |"
    );
    println!("|---|---:|---:|---:|---:|");

    // Start-up as an application does it: plan its module for its root, produce, keep the
    // locator and the root; the input and the `Plan` handle are dropped (the locator keeps what
    // it needs of the plan).
    let region = Region::new(GLOBAL);
    let input = harness::input::<G>();
    let plan = injector.plan(&input).unwrap();
    drop(input);
    let locator = injector.produce(&plan).unwrap();
    drop(plan);
    let root = locator.get::<G::Root>().unwrap();
    let whole = Counted::of(region.change());
    drop((root, locator));
    whole.row("distage: module, plan, produce, get root", n);

    let input = harness::input::<G>();
    let plan = injector.plan(&input).unwrap();
    let region = Region::new(GLOBAL);
    let locator = injector.produce(&plan).unwrap();
    let root = locator.get::<G::Root>().unwrap();
    let produced = Counted::of(region.change());
    drop((root, locator));
    produced.row("distage: produce a made plan, get root", n);

    let region = Region::new(GLOBAL);
    let app = G::hand_wired();
    let root = Arc::clone(G::root(&app));
    let by_hand = Counted::of(region.change());
    drop((root, app));
    by_hand.row("hand-wired: typed fields", n);
    println!();
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    measure::<n1000::Graph>();
}
