//! Assisted injection: `Factory<T>` makes a new `T` per call from injected and given parts.

use std::fmt;
use std::sync::Arc;

use crate::boxed::BoxError;
use crate::boxed::BoxFuture;
use crate::inject::{
    Arg, Args, DepMode, DepShape, Dependency, DependencyList, Inject, InjectAll, Injectable, arc,
};
use crate::key::{KeyKind, TypeInfo};

/// A type built by a [`Factory`]: some parameters are injected once (`Captured`), the others
/// (`#[di(assisted)]` fields, `#[assisted]` constructor parameters) are given to every
/// [`Factory::create`] or [`Factory::create_async`] call. `#[derive(Injectable)]` and
/// `#[injectable]` implement it; how a product is built is [`AssistedCreate`] (a plain
/// constructor) or [`AssistedCreateAsync`] (an `async fn new`, or any product, awaited).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be made by a `Factory`",
    label = "`{Self}` has no assisted-injection constructor",
    note = "add `#[derive(Injectable)]` to `{Self}` and mark the fields given at `create` time with `#[di(assisted)]`"
)]
pub trait AssistedInjectable: Sized + 'static {
    /// What `create` takes: `()`, the one assisted parameter's type, or a tuple of them.
    type Assisted;
    /// The injected parts, resolved when the factory is produced.
    type Captured: Send + Sync + 'static;
    /// The injected parts' dependencies.
    fn dependencies() -> Vec<Dependency>;
    /// Takes the injected parts from the resolved arguments.
    fn capture(args: &mut Args<'_>) -> Result<Self::Captured, BoxError>;
}

/// A [`Factory`] product built by a plain call: [`Factory::create`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is built asynchronously: call `create_async(…).await`",
    label = "its constructor is an `async fn`",
    note = "`Factory::create` is for products whose constructor does not await"
)]
pub trait AssistedCreate: AssistedInjectable {
    /// Builds a `T` from the injected parts and the assisted arguments.
    fn create(captured: &Self::Captured, assisted: Self::Assisted) -> Self;
}

/// A [`Factory`] product that can be awaited: [`Factory::create_async`]. Every `Send`
/// [`AssistedCreate`] product is one (built at once); `#[injectable]` on an
/// `impl` whose `new` is an `async fn` implements it alone.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be built by `create_async`",
    label = "not a `Send` factory product",
    note = "`create_async` builds `Send` products: an `async fn new` under `#[injectable]`, or a `Send` type with `#[di(assisted)]` fields"
)]
pub trait AssistedCreateAsync: AssistedInjectable {
    /// Builds a `T` from the injected parts and the assisted arguments, awaiting its
    /// construction (connecting a session, say).
    fn create_async(captured: &Self::Captured, assisted: Self::Assisted) -> BoxFuture<Self>;
}

impl<T: AssistedCreate + Send> AssistedCreateAsync for T {
    fn create_async(captured: &Self::Captured, assisted: Self::Assisted) -> BoxFuture<Self> {
        let value = Self::create(captured, assisted);
        Box::pin(std::future::ready(value))
    }
}

/// A derived component built from the tuple of its injected parameters (what
/// `#[derive(Injectable)]` and `#[injectable]` implement for components without assisted
/// parameters), so that it can also be made by a `Factory` with `create(())`.
///
/// Such a component gets its [`Injectable`] from the blanket impl below: every function that
/// handles the component whole (its `construct`, the tuple of its parameters) is here, generic,
/// type- and borrow-checked once. The derive writes only `NEW`, a function of the parameters
/// one by one. Written out in each component, the borrow checker's look at what dropping each
/// such local involves (`dropck_outlives`, which walks every type the component reaches through
/// its `Arc` fields and shares no work between types) ran three times per component: the
/// better part of checking a crate of 10,000 components.
#[doc(hidden)]
pub trait FromParts: Sized {
    /// The injected parameters, in order.
    type Parts: PartsFn<Self>;
    /// Their ids, in order: `()` unnamed, `Named<…>` named (what a typed graph looks up).
    type Ids;
    /// The constructor's dependencies (what [`Injectable::DEPENDENCY_LIST`] is).
    const DEPENDENCIES: DependencyList;
    /// The constructor, taking the parameters one by one.
    const NEW: <Self::Parts as PartsFn<Self>>::Fn;
    /// The component from its parameters.
    #[inline]
    fn from_parts(parts: Self::Parts) -> Self {
        <Self::Parts as PartsFn<Self>>::call(Self::NEW, parts)
    }
}

/// A tuple of parameters and the function that takes them one by one, returning `R`.
#[doc(hidden)]
pub trait PartsFn<R>: Sized {
    type Fn: Copy;
    fn call(f: Self::Fn, parts: Self) -> R;
}

macro_rules! parts_fn {
    ($($a:ident)*) => {
        impl<R, $($a),*> PartsFn<R> for ($($a,)*) {
            type Fn = fn($($a),*) -> R;
            #[inline(always)]
            #[allow(non_snake_case)]
            fn call(f: Self::Fn, ($($a,)*): Self) -> R {
                f($($a),*)
            }
        }
    };
}

crate::arity::for_arities!(functions, parts_fn);

/// A derived component's `Injectable`: its parameters taken in one `InjectAll` call, then
/// `from_parts`.
#[doc(hidden)]
#[diagnostic::do_not_recommend]
impl<T> Injectable for T
where
    T: FromParts + Send + Sync + 'static,
    T::Parts: InjectAll,
{
    const DEPENDENCY_LIST: DependencyList = T::DEPENDENCIES;
    fn dependencies() -> Vec<Dependency> {
        T::DEPENDENCIES.to_vec()
    }
    #[inline]
    fn construct(args: &mut Args<'_>) -> Result<T, BoxError> {
        match T::Parts::take_all(args) {
            Ok(parts) => Ok(T::from_parts(parts)),
            Err(e) => Err(e),
        }
    }
}

/// A component without assisted parameters: its factory captures its dependencies once and
/// makes a new instance from clones of them on each `create(())`.
#[doc(hidden)]
impl<T: FromParts + Send + Sync + 'static> AssistedInjectable for T
where
    T::Parts: InjectAll + Clone + Send + Sync + 'static,
{
    type Assisted = ();
    type Captured = T::Parts;
    fn dependencies() -> Vec<Dependency> {
        T::DEPENDENCIES.to_vec()
    }
    fn capture(args: &mut Args<'_>) -> Result<Self::Captured, BoxError> {
        T::Parts::take_all(args)
    }
}

#[doc(hidden)]
#[diagnostic::do_not_recommend]
impl<T: FromParts + Send + Sync + 'static> AssistedCreate for T
where
    T::Parts: InjectAll + Clone + Send + Sync + 'static,
{
    fn create(captured: &Self::Captured, (): ()) -> Self {
        T::from_parts(captured.clone())
    }
}

/// Makes a new `T` on every [`create`](Factory::create): its other dependencies come from the
/// locator (shared singletons), the assisted ones from the call. A `T` without assisted
/// parameters is made with `create(())`.
pub struct Factory<T: AssistedInjectable> {
    captured: Arc<T::Captured>,
}

impl<T: AssistedInjectable> Factory<T> {
    pub(crate) fn new(captured: T::Captured) -> Self {
        Factory {
            captured: Arc::new(captured),
        }
    }

    /// A new `T` from the assisted arguments.
    pub fn create(&self, assisted: T::Assisted) -> T
    where
        T: AssistedCreate,
    {
        T::create(&self.captured, assisted)
    }

    /// A new `T` from the assisted arguments, awaiting its construction: an `async fn new`'s
    /// future, or a plain product at once.
    ///
    /// With `#[injectable]`, an `async fn new` whose parameters marked `#[assisted]` are
    /// `create_async`'s arguments makes such a product (see the crate's "Factories" guide).
    pub async fn create_async(&self, assisted: T::Assisted) -> T
    where
        T: AssistedCreateAsync,
    {
        T::create_async(&self.captured, assisted).await
    }
}

impl<T: AssistedInjectable> Clone for Factory<T> {
    fn clone(&self) -> Self {
        Factory {
            captured: self.captured.clone(),
        }
    }
}

impl<T: AssistedInjectable> fmt::Debug for Factory<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Factory<{}>",
            crate::key::short_type_name(std::any::type_name::<T>())
        )
    }
}

impl<T: AssistedInjectable> Inject for Factory<T> {
    type Checked = Self;
    const SHAPE: DepShape = DepShape::Key {
        ty: TypeInfo::of::<Factory<T>>(),
        kind: KeyKind::Single,
        mode: DepMode::Strict,
    };
    fn extract(arg: &Arg<'_>) -> Result<Self, BoxError> {
        arc::<Factory<T>>(arg).map(|f| Factory::clone(&f))
    }
}
