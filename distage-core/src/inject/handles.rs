//! Parameters that hand a component a way back into its locator: [`LocatorRef`], [`Lazy`],
//! the [`Logger`] argument, and [`RunContext`], what `locator.run(…)` resolves parameters with.
//!
//! They hold the locator type-erased (`Weak<dyn Any>`, `&dyn RunScope`): what a parameter can
//! be does not depend on how a locator is built, and `locator.rs` gives them their behaviour
//! (`LocatorRef::get`, `Lazy::get`, the `RunScope` of a locator).

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::{Arc, Weak};

use super::{Arg, DepMode, DepShape, Dependency, Inject, arc};
use crate::boxed::{BoxError, Instance};
use crate::error::Error;
use crate::key::{DIKey, KeyKind, TypeInfo};
use crate::logger::Logger;

/// A weak handle to the locator a component was produced into. It does not keep the locator
/// alive: once the locator is dropped or closed, lookups return [`Error::Closed`].
#[derive(Clone)]
pub struct LocatorRef {
    /// The locator's shared state (`locator::LocatorInner`).
    pub(crate) inner: Weak<dyn Any + Send + Sync>,
}

impl fmt::Debug for LocatorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocatorRef(alive: {})", self.inner.strong_count() > 0)
    }
}

impl Inject for LocatorRef {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Locator;
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        match arg {
            Arg::Locator(l) => Ok(l.clone()),
            other => Err(format!("distage: expected a locator, got {other:?}").into()),
        }
    }
}

/// Where a lazy dependency's instance lives.
#[doc(hidden)]
#[derive(Clone)]
pub struct SlotRef {
    /// The locator holding the slot (`locator::LocatorInner`).
    pub(crate) locator: Weak<dyn Any + Send + Sync>,
    pub(crate) slot: usize,
    pub(crate) key: DIKey,
}

impl fmt::Debug for SlotRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SlotRef({} at {})", self.key, self.slot)
    }
}

/// A dependency resolved on first use. It does not order production, so it may close a cycle
/// (`A` holds `Lazy<B>`, `B` holds `Arc<A>`); it holds the locator weakly, so such a cycle does
/// not leak: both are dropped with the locator.
///
/// ```
/// use std::sync::Arc;
/// use distage_core::{Injector, Lazy, Module, PlannerInput};
///
/// struct Parent { child: Lazy<Child> }
/// struct Child { _parent: Arc<Parent> }
///
/// let module = Module::build(|m| {
///     m.make::<Parent>().from_fn(|child: Lazy<Child>| Parent { child });
///     m.make::<Child>().from_fn(|parent: Arc<Parent>| Child { _parent: parent });
/// });
/// let injector = Injector::new();
/// let locator = injector.produce(&injector.plan(&PlannerInput::new(module))?)?;
/// let parent = locator.get::<Parent>()?;
/// assert!(parent.child.get().is_ok()); // resolved on first use
/// # Ok::<(), distage_core::Error>(())
/// ```
pub struct Lazy<T: ?Sized> {
    pub(crate) slot: SlotRef,
    _type: std::marker::PhantomData<fn() -> Arc<T>>,
}

impl<T: ?Sized> Lazy<T> {
    /// The key it resolves.
    pub fn key(&self) -> &DIKey {
        &self.slot.key
    }
}

impl<T: ?Sized> Clone for Lazy<T> {
    fn clone(&self) -> Self {
        Lazy {
            slot: self.slot.clone(),
            _type: std::marker::PhantomData,
        }
    }
}

impl<T: ?Sized> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lazy({})", self.slot.key)
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Lazy<T> {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Key {
        ty: TypeInfo::of::<T>(),
        kind: KeyKind::Single,
        mode: DepMode::Lazy,
    };
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        match arg {
            Arg::Lazy(slot) => Ok(Lazy {
                slot: SlotRef::clone(slot),
                _type: std::marker::PhantomData,
            }),
            other => Err(format!("distage: expected a lazy slot, got {other:?}").into()),
        }
    }
}

impl Inject for Logger {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Logger;
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        match arg {
            Arg::Logger(l) => Ok(Logger::clone(l)),
            // A module's own `Logger` binding.
            Arg::Instance(_) | Arg::Typed(_) => arc::<Logger>(arg).map(|l| Logger::clone(&l)),
            other => Err(format!("distage: expected a logger, got {other:?}").into()),
        }
    }
}

/// What a function given to `run` takes its parameters from: a locator (see `locator.rs`).
pub(crate) trait RunScope<'a> {
    /// The instance of `T`'s unnamed key, whose type id is `ty`; `key` names it in an error.
    fn instance(&self, ty: TypeId, key: fn() -> DIKey) -> Result<&'a Instance, Error>;
    /// The argument for any dependency.
    fn resolve(&self, dependency: &Dependency) -> Result<Arg<'a>, Error>;
}

/// What `run` looks parameters up in.
#[doc(hidden)]
pub struct RunContext<'a> {
    scope: &'a dyn RunScope<'a>,
}

impl<'a> RunContext<'a> {
    pub(crate) fn new(scope: &'a dyn RunScope<'a>) -> Self {
        RunContext { scope }
    }

    /// The instance of `T`.
    #[inline]
    pub fn get<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<T>, Error> {
        let instance = self.scope.instance(TypeId::of::<T>(), DIKey::of::<T>)?;
        instance.arc::<T>().ok_or_else(|| Error::NotFound {
            key: DIKey::of::<T>(),
            needed_by: Some("a lookup whose stored type differs (a bug in distage)".into()),
        })
    }

    /// The argument for any dependency.
    pub fn resolve(&self, dependency: &Dependency) -> Result<Arg<'a>, Error> {
        self.scope.resolve(dependency)
    }
}

impl fmt::Debug for RunContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RunContext")
    }
}
