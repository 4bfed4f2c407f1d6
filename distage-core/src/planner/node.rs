//! The planner's graph: nodes (a binding, a set, a local), how a key resolves, and the edges
//! between nodes. Nodes and resolutions are 8 and 4 bytes: their packing stays in this file.

use super::ids::LIMIT;
use super::*;

/// How a key was resolved. A bound key's is kept by key number as a [`Resolved`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Resolution {
    Node(NodeId),
    /// An ancestor's slot: `Planner::parents[i]`.
    Parent(u32),
    /// Declared as provided from elsewhere (`PlanCheck`).
    Provided,
    /// Not bound here nor in a parent (or ruled out by the activation).
    Missing,
    /// Bound, but its binding has a problem already reported (conflict, incomplete).
    Failed,
}

/// A key's resolution, if it has one yet, in 4 bytes (a 10,000-key module has 10,000): its kind
/// in the top three bits (0: none yet), its number below.
#[derive(Clone, Copy)]
pub(super) struct Resolved(u32);

impl Resolved {
    pub(super) const NONE: Resolved = Resolved(0);
    const SHIFT: u32 = 29;

    pub(super) fn new(resolution: Resolution) -> Self {
        let (kind, number) = match resolution {
            Resolution::Node(n) => (1, n.as_u32()),
            Resolution::Parent(p) => (2, p),
            Resolution::Provided => (3, 0),
            Resolution::Missing => (4, 0),
            Resolution::Failed => (5, 0),
        };
        Resolved(pack(kind, number, Self::SHIFT))
    }

    #[inline]
    pub(super) fn get(self) -> Option<Resolution> {
        let (kind, number) = unpack(self.0, Self::SHIFT);
        Some(match kind {
            0 => return None,
            1 => Resolution::Node(NodeId::from_u32(number)),
            2 => Resolution::Parent(number),
            3 => Resolution::Provided,
            4 => Resolution::Missing,
            _ => Resolution::Failed,
        })
    }
}

/// What a node is made from: what does not fit a number is in side tables of the planner. Kept
/// packed in the [`Node`]. (Numbers as `u32`: a `Source` is passed in one register.)
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Source {
    Binding(BindingIdx),
    /// A value given to each production (a subcontext's local), by position.
    Input(u32),
    /// A set: `Planner::sets[i]`.
    Set(u32),
}

pub(super) struct SetNode<'a> {
    pub(super) key: &'a DIKey,
    pub(super) assemble: crate::binding::Assemble,
    pub(super) inherited: Option<ParentSlot>,
    pub(super) elements: Vec<NodeId>,
    /// Where the set was declared.
    pub(super) origin: Origin,
}

/// How a dependency of a node was resolved (not stored: read from its key's resolution).
#[derive(Clone, Copy)]
pub(super) enum Edge {
    Node(NodeId, DepMode),
    /// An ancestor's slot: `Planner::parents[i]`.
    Parent(u32, DepMode),
    Absent,
    Locator,
    Logger,
}

/// What a node produces, borrowed from the module: owned `StepTarget`s are made only for the
/// plan's steps and for messages.
#[derive(Clone, Copy)]
pub(super) enum NodeTarget<'a> {
    Key(&'a DIKey),
    Element(&'a Binding),
}

impl NodeTarget<'_> {
    pub(super) fn step_target(&self) -> StepTarget {
        match self {
            NodeTarget::Key(key) => StepTarget::Key((*key).clone()),
            NodeTarget::Element(b) => StepTarget::SetElement {
                set: b.key().clone(),
                implementation: Box::new(b.provider().kind.clone()),
            },
        }
    }

    pub(super) fn key(&self) -> &DIKey {
        match self {
            NodeTarget::Key(key) => key,
            NodeTarget::Element(b) => b.key(),
        }
    }
}

impl std::fmt::Display for NodeTarget<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.step_target(), f)
    }
}

/// A 10,000-binding plan has 10,000 of these: 8 bytes. What a node produces is not stored
/// but read from its source ([`Planner::target`]), nor its dependencies' resolutions, which
/// are those of their keys ([`Planner::edges`]); what a subcontext node keeps is in
/// `Planner::extras`.
pub(super) struct Node {
    /// Its [`Source`]: the kind in the top two bits, the number below.
    source: u32,
    /// The node that first needed this one, [`NONE`] for a root.
    reached_from: u32,
}

/// No node (see [`Node`]).
const NONE: u32 = u32::MAX;

impl Node {
    const SHIFT: u32 = 30;

    pub(super) fn new(source: Source, reached_from: Option<NodeId>) -> Self {
        let (kind, number) = match source {
            Source::Binding(b) => (0, b.as_u32()),
            Source::Input(k) => (1, k),
            Source::Set(s) => (2, s),
        };
        Node {
            source: pack(kind, number, Self::SHIFT),
            reached_from: reached_from.map_or(NONE, NodeId::as_u32),
        }
    }

    #[inline]
    pub(super) fn source(&self) -> Source {
        let (kind, number) = unpack(self.source, Self::SHIFT);
        match kind {
            0 => Source::Binding(BindingIdx::from_u32(number)),
            1 => Source::Input(number),
            _ => Source::Set(number),
        }
    }

    /// The node that first needed this one (`None` for a root).
    #[inline]
    pub(super) fn reached_from(&self) -> Option<NodeId> {
        (self.reached_from != NONE).then(|| NodeId::from_u32(self.reached_from))
    }
}

const _: () = assert!(LIMIT <= 1 << Resolved::SHIFT && LIMIT <= 1 << Node::SHIFT);
