//! What `#[derive(Injectable)]` and `#[injectable]` know about a component.

use proc_macro2::Span;
use syn::{Generics, LitStr, Member, Type};

use crate::params::Kind;

/// A component: its type, and the parameters its constructor takes.
pub(crate) struct Component {
    /// The type being made injectable (`UserService`, `Repo<T>`).
    pub(crate) self_ty: Type,
    pub(crate) generics: Generics,
    pub(crate) params: Vec<Param>,
    pub(crate) ctor: Ctor,
}

/// A field or constructor parameter.
pub(crate) struct Param {
    pub(crate) ty: Type,
    pub(crate) role: Role,
    pub(crate) id: Option<LitStr>,
    /// The field it fills, for struct constructors.
    pub(crate) member: Option<Member>,
}

#[derive(Clone, Copy)]
pub(crate) enum Role {
    /// Resolved by the injector.
    Injected(Kind),
    /// `#[di(default)]`: `Default::default()`.
    Default,
    /// `#[di(assisted)]`: given to `Factory::create`.
    Assisted(Span),
}

/// How the value is built.
pub(crate) enum Ctor {
    /// A struct literal: `Name { a, b }`, `Name(a, b)` or `Name`.
    Struct { path: syn::Path, shape: Shape },
    /// A call to `Self::new(…)`, which returns `Self` or `Result<Self, E>`; an `async fn new`
    /// makes a `Factory` product built by `create_async`.
    New { fallible: bool, is_async: bool },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Named,
    Tuple,
    Unit,
}

impl Component {
    pub(crate) fn injected(&self) -> impl Iterator<Item = (usize, &Param, Kind)> {
        self.params
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p.role {
                Role::Injected(kind) => Some((i, p, kind)),
                _ => None,
            })
    }

    pub(crate) fn assisted(&self) -> impl Iterator<Item = (usize, &Param)> {
        self.params
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p.role, Role::Assisted(_)))
    }

    pub(crate) fn is_assisted(&self) -> bool {
        self.assisted().next().is_some()
    }

    /// An `async fn new`: only a `Factory` can build it (`create_async`).
    pub(crate) fn is_async(&self) -> bool {
        matches!(self.ctor, Ctor::New { is_async: true, .. })
    }
}
