//! The planner's compact types keep their size and round-trip what they pack.

/// A 10,000-binding plan has 10,000 nodes, index entries and resolutions, and about 30,000
/// dependencies: they must not grow back (a node was 160 bytes, an entry 56).
#[test]
fn nodes_dependencies_and_index_entries_stay_small() {
    assert!(std::mem::size_of::<super::Node>() <= 8);
    assert!(std::mem::size_of::<super::index::PackedDep>() <= 4);
    assert!(std::mem::size_of::<super::Resolved>() <= 4);
    assert!(std::mem::size_of::<super::Entry>() <= 8);
}

#[test]
fn packed_dependencies_unpack_to_what_was_packed() {
    use super::index::{Dep, PackedDep, UNBOUND};
    use crate::inject::DepMode;
    let deps = [
        Dep::Key {
            id: 0,
            mode: DepMode::Strict,
        },
        Dep::Key {
            id: UNBOUND,
            mode: DepMode::Optional,
        },
        Dep::Key {
            id: 12_345,
            mode: DepMode::Lazy,
        },
        Dep::Locator,
        Dep::Logger,
    ];
    for dep in deps {
        assert_eq!(PackedDep::new(dep).get(), dep);
    }
}

#[test]
fn packed_resolutions_unpack_to_what_was_packed() {
    use super::{Resolution, Resolved};
    let max = (1 << Resolved::SHIFT) - 1;
    assert_eq!(Resolved::NONE.get(), None);
    for r in [
        Resolution::Node(0),
        Resolution::Node(max),
        Resolution::Parent(max),
        Resolution::Provided,
        Resolution::Missing,
        Resolution::Failed,
    ] {
        assert_eq!(Resolved::new(r).get(), Some(r));
    }
}

#[test]
fn packed_node_sources_unpack_to_what_was_packed() {
    use super::{NONE, Node, Source};
    let max = (1 << Node::SHIFT) - 1;
    for source in [
        Source::Binding(0),
        Source::Binding(max),
        Source::Input(max),
        Source::Set(0),
        Source::Set(max),
    ] {
        let node = Node::new(source, NONE);
        assert_eq!(node.source(), source);
        assert_eq!(node.reached_from, NONE);
    }
}
