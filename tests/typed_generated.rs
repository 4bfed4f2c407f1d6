//! The typed graph of the benchmarks' generated 100-component module (a fixed-seed layered DAG,
//! a root needing every component nothing else needs): it builds the same graph as the runtime
//! plan and as the code written by hand — N distinct instances, each shared where the graph
//! shares it.

#[path = "../benches/typed/harness.rs"]
mod harness;
#[path = "../benches/typed/n100.rs"]
mod n100;

#[test]
fn the_typed_graph_the_runtime_plan_and_the_hand_wired_code_build_the_same_graph() {
    harness::check::<n100::Graph>();
}
