//! The typed graph of the benchmarks' generated 100-component module (a fixed-seed layered DAG,
//! a root needing every component nothing else needs): it builds the same graph as the runtime
//! plan and as the code written by hand — N distinct instances, each shared where the graph
//! shares it — and reads the same instances with `get` as the locator.

#[path = "../benches/typed/harness.rs"]
mod harness;
#[path = "../benches/typed/n100.rs"]
mod n100;

use std::sync::Arc;

use distage::Injector;
use harness::TypedGraph;

#[test]
fn the_typed_graph_the_runtime_plan_and_the_hand_wired_code_build_the_same_graph() {
    harness::check::<n100::Graph>();
}

#[test]
fn a_typed_graph_shares_what_the_graph_shares() {
    let graph = n100::Graph::typed();
    let probe = n100::Graph::typed_probe(&graph);
    assert!(Arc::ptr_eq(&probe, &n100::Graph::typed_probe(&graph)));
    // The runtime plan's instances are its own, but of the same shape.
    let injector = Injector::new();
    let locator = injector
        .produce(&injector.plan(&harness::input::<n100::Graph>()).unwrap())
        .unwrap();
    let root = locator.get::<<n100::Graph as TypedGraph>::Root>().unwrap();
    assert_eq!(
        harness::distinct_instances(&root),
        harness::distinct_instances(&n100::Graph::typed_root(&graph))
    );
}
