//! Assisted injection: `Factory<T>` makes a new `T` per call from injected and given parts.

use std::fmt;
use std::sync::Arc;

use crate::boxed::BoxError;
use crate::boxed::BoxFuture;
use crate::inject::{
    Arg, Args, DepMode, DepShape, Dependency, Inject, InjectAll, Injectable, instance,
};
use crate::key::{KeyKind, TypeInfo};

/// A type built by a [`Factory`]: some fields are injected once (`Captured`), the others
/// (`#[di(assisted)]` fields) are given to every [`Factory::create`] call.
/// `#[derive(Injectable)]` implements it for structs with `#[di(assisted)]` fields.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be made by a `Factory`",
    label = "`{Self}` has no assisted-injection constructor",
    note = "add `#[derive(Injectable)]` to `{Self}` and mark the fields given at `create` time with `#[di(assisted)]`"
)]
pub trait AssistedInjectable: Sized + 'static {
    /// What `create` takes: `()`, the one assisted field's type, or a tuple of them.
    type Assisted;
    /// The injected parts, resolved when the factory is produced.
    type Captured: Send + Sync + 'static;
    /// The injected parts' dependencies.
    fn dependencies() -> Vec<Dependency>;
    /// Takes the injected parts from the resolved arguments.
    fn capture(args: &mut Args<'_>) -> Result<Self::Captured, BoxError>;
    /// Builds a `T` from the injected parts and the assisted arguments.
    fn create(captured: &Self::Captured, assisted: Self::Assisted) -> Self;

    /// Builds a `T` asynchronously; by default, [`create`](Self::create). Implement it for
    /// products whose construction awaits (connecting a session, say).
    fn create_async(captured: &Self::Captured, assisted: Self::Assisted) -> BoxFuture<Self>
    where
        Self: Send,
    {
        let value = Self::create(captured, assisted);
        Box::pin(async move { value })
    }
}

/// A derived component built from the tuple of its injected parameters (what
/// `#[derive(Injectable)]` and `#[injectable]` implement for components without assisted
/// parameters), so that it can also be made by a `Factory` with `create(())`.
#[doc(hidden)]
pub trait FromParts: Injectable {
    /// The injected parameters, in order.
    type Parts;
    /// The component from its parameters.
    fn from_parts(parts: Self::Parts) -> Self;
}

/// A component without assisted parameters: its factory captures its dependencies once and
/// makes a new instance from clones of them on each `create(())`.
#[doc(hidden)]
impl<T: FromParts> AssistedInjectable for T
where
    T::Parts: InjectAll + Clone + Send + Sync + 'static,
{
    type Assisted = ();
    type Captured = T::Parts;
    fn dependencies() -> Vec<Dependency> {
        <T as Injectable>::dependencies()
    }
    fn capture(args: &mut Args<'_>) -> Result<Self::Captured, BoxError> {
        T::Parts::take_all(args)
    }
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
    pub fn create(&self, assisted: T::Assisted) -> T {
        T::create(&self.captured, assisted)
    }

    /// A new `T` from the assisted arguments, awaiting its construction.
    pub async fn create_async(&self, assisted: T::Assisted) -> T
    where
        T: Send,
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
        instance::<Arc<Factory<T>>>(arg).map(|f| Factory::clone(f))
    }
}
