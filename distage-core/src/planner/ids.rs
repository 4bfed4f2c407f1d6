//! The planner's numbers as types: a key's number in the module's [`Index`](super::Index), a
//! binding's position in the module, a node's number in the planner's graph. Each is a `u32`
//! (a 10,000-binding plan keeps tens of thousands of them), made from a `usize` only by
//! [`new`](KeyId::new), which checks its range; the packed forms that hold one with a kind
//! (`Resolved`, `Node`, `PackedDep`) take its bits with `as_u32` and give them back with
//! `from_u32`.

/// Every number is below this, so that each packed form holds any of them beside its kind:
/// half a billion (a module that large would not fit in memory).
pub(super) const LIMIT: usize = 1 << 29;

/// Kept out of line: every number is checked, and none is ever out of range.
#[cold]
#[inline(never)]
pub(super) fn out_of_range(what: &str, n: usize) -> ! {
    panic!("{what} {n} out of range: the planner numbers fewer than {LIMIT}")
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub(crate) struct $name(u32);

        impl $name {
            /// Number `index`, which must be below [`LIMIT`].
            #[inline]
            pub(crate) fn new(index: usize) -> Self {
                if index >= LIMIT {
                    out_of_range(stringify!($name), index);
                }
                $name(index as u32)
            }

            /// The number, to index the arrays kept by it.
            #[inline]
            pub(crate) fn index(self) -> usize {
                self.0 as usize
            }

            /// The numbers below `len`, in order.
            pub(crate) fn all(len: usize) -> impl Iterator<Item = Self> {
                // Checked once: every number below a valid one is valid.
                let end = if len == 0 { 0 } else { Self::new(len - 1).0 + 1 };
                (0..end).map($name)
            }

            /// Its bits, for a packed form.
            #[inline]
            pub(super) fn as_u32(self) -> u32 {
                self.0
            }

            /// The number a packed form kept ([`as_u32`](Self::as_u32)).
            #[inline]
            pub(super) fn from_u32(bits: u32) -> Self {
                debug_assert!((bits as usize) < LIMIT);
                $name(bits)
            }
        }
    };
}

id! {
    /// A bound key's number in the module's index: keys are numbered in module order.
    KeyId
}

id! {
    /// A binding's position in the module.
    BindingIdx
}

id! {
    /// A node of the planner's graph (a binding chosen, a set, a local), by creation order.
    NodeId
}
