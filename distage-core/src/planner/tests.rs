//! The planner's compact types keep their size and round-trip what they pack.

use super::ids::{BindingIdx, KeyId, LIMIT, NodeId};

/// A 10,000-binding plan has 10,000 nodes, index entries and resolutions, and about 30,000
/// dependencies: they must not grow back (a node was 160 bytes, an entry 56).
#[test]
fn nodes_dependencies_and_index_entries_stay_small() {
    assert!(std::mem::size_of::<super::Node>() <= 8);
    assert!(std::mem::size_of::<super::index::PackedDep>() <= 4);
    assert!(std::mem::size_of::<super::Resolved>() <= 4);
    assert!(std::mem::size_of::<super::index::Entry>() <= 8);
    assert_eq!(std::mem::size_of::<NodeId>(), 4);
}

#[test]
fn packed_dependencies_unpack_to_what_was_packed() {
    use super::index::{Dep, PackedDep};
    use crate::inject::DepMode;
    let deps = [
        Dep::Key {
            id: KeyId::new(0),
            mode: DepMode::Strict,
        },
        Dep::Unbound {
            mode: DepMode::Optional,
        },
        Dep::Key {
            id: KeyId::new(LIMIT - 1),
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
    let max = (LIMIT - 1) as u32;
    assert_eq!(Resolved::NONE.get(), None);
    for r in [
        Resolution::Node(NodeId::new(0)),
        Resolution::Node(NodeId::new(LIMIT - 1)),
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
    use super::{Node, Source};
    let max = LIMIT - 1;
    for (source, from) in [
        (Source::Binding(BindingIdx::new(0)), None),
        (
            Source::Binding(BindingIdx::new(max)),
            Some(NodeId::new(max)),
        ),
        (Source::Input(max as u32), Some(NodeId::new(0))),
        (Source::Set(0), None),
        (Source::Set(max as u32), None),
    ] {
        let node = Node::new(source, from);
        assert_eq!(node.source(), source);
        assert_eq!(node.reached_from(), from);
    }
}

#[test]
#[should_panic(expected = "out of range")]
fn numbers_past_the_limit_are_refused() {
    NodeId::new(LIMIT);
}

#[test]
fn numbers_count_up_to_a_length() {
    let all: Vec<usize> = KeyId::all(3).map(KeyId::index).collect();
    assert_eq!(all, [0, 1, 2]);
    assert_eq!(KeyId::all(0).count(), 0);
}
