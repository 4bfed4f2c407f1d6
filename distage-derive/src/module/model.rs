//! What `module!` knows about a module: its bindings, sets, includes and requirements.

use proc_macro2::Span;
use syn::{Attribute, Expr, ExprClosure, Ident, LitStr, Path, Type, Visibility};

use crate::params::Kind;

pub(crate) struct ModuleDef {
    pub(crate) attrs: Vec<Attribute>,
    /// `#[typed]`: also generate the typed graph (compile-time instantiation).
    pub(crate) typed: Option<Span>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) bindings: Vec<Binding>,
    pub(crate) sets: Vec<SetDef>,
    /// `include Path;`: checked at compile time (same crate).
    pub(crate) includes: Vec<Path>,
    /// `include(expr);`: a module value joined at run time; turns the compile-time checks off.
    pub(crate) runtime_includes: Vec<Expr>,
    pub(crate) requires: Vec<Require>,
}

/// `make<T>…;`
pub(crate) struct Binding {
    pub(crate) span: Span,
    pub(crate) key: Type,
    pub(crate) id: Option<LitStr>,
    pub(crate) tags: Vec<Expr>,
    pub(crate) implementation: Implementation,
    pub(crate) impl_span: Span,
}

pub(crate) enum Implementation {
    /// `make<T>;`: `T`'s own constructor.
    SelfType,
    /// `.from<I>()`
    Type(Type),
    /// `.from_value(expr)`
    Value(Expr),
    /// `.from(f)`
    Fn(FnImpl),
    /// `.from_try(f)`: `f` returns a `Result`.
    TryFn(FnImpl),
    /// `.from_resource(f)`: `f` returns a `Lifecycle`.
    Resource(FnImpl),
    /// `.from_async(f)`: `f` returns a future.
    Async(FnImpl),
    /// `.from_try_async(f)`: `f` returns a future of a `Result`.
    TryAsync(FnImpl),
    /// `.from_resource_async(f)`: `f` returns a `Lifecycle` with async steps.
    ResourceAsync(FnImpl),
    /// `.from_subcontext(module)` with its `.local<T>()`s: the key is `Subcontext<A>`.
    Subcontext(Expr, Vec<(Type, Option<LitStr>)>),
    /// `.from_factory()`: the key is `Factory<U>`.
    Factory,
    /// `.using<X>()` / `.using_named<X>("id")`
    Using(Type, Option<LitStr>),
}

/// A function given to a binding.
pub(crate) enum FnImpl {
    /// A closure: its parameters are visible, so its dependencies are checked and ordered.
    Closure(Closure),
    /// Any other expression (a function's path): checked for missing bindings only.
    Expr(Expr),
}

pub(crate) struct Closure {
    /// The closure with the `#[id]` attributes removed.
    pub(crate) closure: ExprClosure,
    pub(crate) params: Vec<ClosureParam>,
}

pub(crate) struct ClosureParam {
    pub(crate) ty: Type,
    pub(crate) kind: Kind,
    pub(crate) id: Option<LitStr>,
}

/// `many<T>…;`
pub(crate) struct SetDef {
    pub(crate) span: Span,
    pub(crate) element: Type,
    pub(crate) id: Option<LitStr>,
    pub(crate) elements: Vec<Element>,
}

pub(crate) struct Element {
    pub(crate) span: Span,
    pub(crate) kind: ElementKind,
    pub(crate) tags: Vec<Expr>,
}

pub(crate) enum ElementKind {
    /// `.add<I>()`
    Type(Type),
    /// `.add_value(expr)`
    Value(Expr),
    /// `.add_fn(f)`
    Fn(FnImpl),
    /// `.add_async(f)`
    Async(FnImpl),
    /// `.ref_<X>()` / `.ref_named<X>("id")`
    Ref(Type, Option<LitStr>),
    /// `.weak<X>()` / `.weak_named<X>("id")`
    Weak(Type, Option<LitStr>),
}

/// `requires T;` / `requires T.named("id");`
pub(crate) struct Require {
    pub(crate) span: Span,
    pub(crate) ty: Type,
    pub(crate) id: Option<LitStr>,
}
