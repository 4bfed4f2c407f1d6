//! What messages and plans say about a binding: where it was written ([`Origin`]), how its
//! instance is made ([`ImplKind`]), and what a plan step produces ([`StepTarget`]). Below
//! errors and bindings, so that both can name them.

use std::fmt;
use std::panic::Location;

use crate::key::{DIKey, TypeInfo};

/// Where a binding was written: the `file:line` every message points at.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    file: &'static str,
    line: u32,
    column: u32,
}

impl Origin {
    /// An origin at an explicit position (what the macros emit).
    pub const fn new(file: &'static str, line: u32, column: u32) -> Self {
        Origin { file, line, column }
    }

    /// The position of the caller of the `#[track_caller]` function this is called in.
    #[track_caller]
    pub fn caller() -> Self {
        Self::from(Location::caller())
    }

    /// The source file.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The 1-based line.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The 1-based column.
    pub fn column(&self) -> u32 {
        self.column
    }
}

impl From<&'static Location<'static>> for Origin {
    fn from(l: &'static Location<'static>) -> Self {
        Origin {
            file: l.file(),
            line: l.line(),
            column: l.column(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}
impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// How an instance is made, for plans and messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImplKind {
    /// An `Injectable` type's constructor.
    Constructor(TypeInfo),
    /// A value given when the module was built.
    Value(TypeInfo),
    /// A function or closure.
    Function,
    /// An async function or closure.
    AsyncFunction,
    /// A function returning a `Lifecycle` resource.
    Resource,
    /// A function returning a `Lifecycle` resource with async steps.
    AsyncResource,
    /// A `Factory<T>` for assisted injection.
    Factory(TypeInfo),
    /// The instance of another key (boxed: every step carries an `ImplKind`).
    Reference(Box<DIKey>),
    /// A set declaration (`many`).
    Set,
    /// A subcontext of the given root type.
    Subcontext(TypeInfo),
    /// A subcontext's local value, given at each run.
    Local,
    /// No implementation was given.
    Missing,
}

impl fmt::Display for ImplKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImplKind::Constructor(t) => write!(f, "{t}"),
            ImplKind::Value(t) => write!(f, "value {t}"),
            ImplKind::Function => f.write_str("fn"),
            ImplKind::AsyncFunction => f.write_str("async fn"),
            ImplKind::Resource => f.write_str("resource"),
            ImplKind::AsyncResource => f.write_str("async resource"),
            ImplKind::Factory(t) => write!(f, "factory of {t}"),
            ImplKind::Reference(k) => write!(f, "ref {k}"),
            ImplKind::Set => f.write_str("set"),
            ImplKind::Subcontext(t) => write!(f, "subcontext of {t}"),
            ImplKind::Local => f.write_str("local"),
            ImplKind::Missing => f.write_str("<no implementation>"),
        }
    }
}

/// What a plan step produces: the instance of a key, or one element of a set.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum StepTarget {
    /// The instance (or assembled set) of a key.
    Key(DIKey),
    /// One element of a set.
    SetElement {
        /// The set's key.
        set: DIKey,
        /// How the element is made (boxed: every message and plan tree node carries a
        /// `StepTarget`).
        implementation: Box<ImplKind>,
    },
}

impl StepTarget {
    /// The key, or the set's key for an element.
    pub fn key(&self) -> &DIKey {
        match self {
            StepTarget::Key(k) => k,
            StepTarget::SetElement { set, .. } => set,
        }
    }
}

impl fmt::Display for StepTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepTarget::Key(k) => write!(f, "{k}"),
            StepTarget::SetElement {
                set,
                implementation,
            } => write!(f, "{set} element {implementation}"),
        }
    }
}
impl fmt::Debug for StepTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
