//! Bindings: a key, how to make its instance, the tags that select it, and where it was written.

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;

use crate::axis::Tags;
use crate::boxed::{BoxError, BoxFuture};
use crate::inject::{Args, Dependency};
// A binding may hold a submodule (`SubcontextSpec`) and a module holds bindings: `binding` and
// `module` name each other's types, the one import loop of the model.
use crate::key::DIKey;
pub use crate::origin::{ImplKind, Origin, StepTarget};

pub use crate::boxed::Produced;
pub(crate) use crate::boxed::{Instance, Release};

pub(crate) type SyncCall = Arc<dyn Fn(&mut Args<'_>) -> Result<Produced, BoxError> + Send + Sync>;

/// A plain function making the instance: what `module!` registers for a derived component.
pub(crate) type Construct = fn(&mut Args<'_>) -> Result<Produced, BoxError>;

/// Takes the arguments synchronously and returns the future that makes the instance.
pub(crate) type AsyncCall = Arc<
    dyn Fn(&mut Args<'_>) -> Result<BoxFuture<Result<Produced, BoxError>>, BoxError> + Send + Sync,
>;

/// Builds a `Set<T>` from an optional inherited set and the element instances (`Arc<T>`s).
pub(crate) type Assemble = fn(Option<&Instance>, &[&Instance]) -> Result<Instance, BoxError>;

#[derive(Clone)]
pub(crate) enum Op {
    Call(SyncCall),
    /// A plain function: called directly, with no closure (and no allocation) around it.
    Fn(Construct),
    /// An async constructor or resource: only `produce_async` runs it.
    Async(AsyncCall),
    /// The declaration of a set (`many::<T>()`): how to assemble its elements.
    Set(Assemble),
    /// `make::<T>()` without any `.from…`: reported by the planner.
    Incomplete,
}

/// How a binding makes its instance: its dependencies and the call that uses them.
#[derive(Clone)]
pub struct Provider {
    pub(crate) deps: Arc<[Dependency]>,
    pub(crate) op: Op,
    pub(crate) kind: ImplKind,
    /// For a subcontext binding: its submodule, verified when the parent is planned.
    pub(crate) subcontext: Option<Arc<crate::module::SubcontextSpec>>,
    /// Set when what the call does is fixed by types alone (a constructor, or a function or
    /// closure that captures nothing): two such bindings with equal keys, tags, dependencies and
    /// identities are the same binding, and `+` keeps one.
    pub(crate) identity: Option<TypeId>,
}

impl Provider {
    pub(crate) fn call(
        deps: Vec<Dependency>,
        kind: ImplKind,
        call: impl Fn(&mut Args<'_>) -> Result<Produced, BoxError> + Send + Sync + 'static,
    ) -> Self {
        Provider {
            deps: deps.into(),
            op: Op::Call(Arc::new(call)),
            kind,
            subcontext: None,
            identity: None,
        }
    }

    /// A plain function's provider.
    pub(crate) fn function(deps: Vec<Dependency>, kind: ImplKind, call: Construct) -> Self {
        Provider {
            deps: deps.into(),
            op: Op::Fn(call),
            kind,
            subcontext: None,
            identity: None,
        }
    }

    pub(crate) fn call_async(
        deps: Vec<Dependency>,
        kind: ImplKind,
        call: impl Fn(&mut Args<'_>) -> Result<BoxFuture<Result<Produced, BoxError>>, BoxError>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Provider {
            deps: deps.into(),
            op: Op::Async(Arc::new(call)),
            kind,
            subcontext: None,
            identity: None,
        }
    }

    /// Marks the call as fixed by types alone (see [`Provider::identity`]): `identity` is the
    /// `TypeId` of what fixes it.
    pub(crate) fn with_identity(mut self, identity: Option<TypeId>) -> Self {
        self.identity = identity;
        self
    }

    /// True when `self` and `other` are provably the same implementation.
    pub(crate) fn same_as(&self, other: &Provider) -> bool {
        self.identity.is_some()
            && self.identity == other.identity
            && self.kind == other.kind
            && self.deps == other.deps
    }

    /// True for async constructors and resources.
    pub fn is_async(&self) -> bool {
        matches!(self.op, Op::Async(_))
    }

    pub(crate) fn incomplete() -> Self {
        Provider {
            deps: Arc::new([]),
            op: Op::Incomplete,
            kind: ImplKind::Missing,
            subcontext: None,
            identity: None,
        }
    }

    /// The dependencies of this implementation, in parameter order.
    pub fn dependencies(&self) -> &[Dependency] {
        &self.deps
    }

    /// What kind of implementation this is.
    pub fn kind(&self) -> &ImplKind {
        &self.kind
    }
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("kind", &self.kind)
            .field("deps", &self.deps)
            .finish()
    }
}

/// What a binding contributes: the instance of its key, or one element of a set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BindingRole {
    /// The one instance of its key (`make`).
    Single,
    /// An element of the set named by its key (`many(...).add…`). A weak element is kept only
    /// if what it refers to is needed by something other than the set.
    SetElement {
        /// Whether the element is weak.
        weak: bool,
    },
    /// The declaration of a set (`many`), so that an empty set is a set and not a missing key.
    SetDeclaration,
}

/// Identifies one binding across clones of the modules holding it: `+` keeps one of two
/// bindings with the same id. Every binding the builder creates gets a fresh id, so two bindings
/// written at one line (in a loop, or by a helper called twice) are two bindings.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct BindingId(u64);

impl BindingId {
    pub(crate) fn fresh() -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        BindingId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// One binding of a module. Cheap to clone: modules, plans and reports share one copy.
#[derive(Clone)]
pub struct Binding(Arc<BindingData>);

#[derive(Clone)]
pub(crate) struct BindingData {
    pub(crate) id: BindingId,
    pub(crate) key: DIKey,
    pub(crate) role: BindingRole,
    pub(crate) provider: Provider,
    pub(crate) tags: Tags,
    pub(crate) origin: Origin,
}

impl Binding {
    /// A new binding, with a fresh id.
    pub(crate) fn new(
        key: DIKey,
        role: BindingRole,
        provider: Provider,
        tags: Tags,
        origin: Origin,
    ) -> Self {
        Binding(Arc::new(BindingData {
            id: BindingId::fresh(),
            key,
            role,
            provider,
            tags,
            origin,
        }))
    }

    /// The binding's parts, to change while the module is being built. A binding shared with
    /// another module (which it is not then) is copied first, as a new binding with a fresh
    /// id: the two differ from now on, and `+` must keep both.
    pub(crate) fn data_mut(&mut self) -> &mut BindingData {
        if Arc::get_mut(&mut self.0).is_none() {
            let mut copy = BindingData::clone(&self.0);
            copy.id = BindingId::fresh();
            self.0 = Arc::new(copy);
        }
        Arc::make_mut(&mut self.0)
    }

    pub(crate) fn id(&self) -> BindingId {
        self.0.id
    }

    /// The key this binding provides (the set key for set elements).
    pub fn key(&self) -> &DIKey {
        &self.0.key
    }

    /// Single instance, set element, or set declaration.
    pub fn role(&self) -> BindingRole {
        self.0.role
    }

    /// How the instance is made.
    pub fn provider(&self) -> &Provider {
        &self.0.provider
    }

    /// The axis choices that select this binding.
    pub fn tags(&self) -> &Tags {
        &self.0.tags
    }

    /// Where the binding was written.
    pub fn origin(&self) -> Origin {
        self.0.origin
    }
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.role() {
            BindingRole::Single => write!(f, "make {} := {}", self.key(), self.provider().kind)?,
            BindingRole::SetElement { weak: false } => {
                write!(f, "many {} += {}", self.key(), self.provider().kind)?
            }
            BindingRole::SetElement { weak: true } => {
                write!(f, "many {} += weak {}", self.key(), self.provider().kind)?
            }
            BindingRole::SetDeclaration => write!(f, "many {}", self.key())?,
        }
        if !self.tags().is_empty() {
            write!(f, " {}", self.tags())?;
        }
        write!(f, " at {}", self.origin())
    }
}
