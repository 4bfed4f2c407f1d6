//! Resources: values with an acquire and a release step.

use std::fmt;

use crate::error::BoxError;

type Acquire<T> = Box<dyn FnOnce() -> Result<T, BoxError> + Send>;
pub(crate) type ReleaseFn<T> = Box<dyn FnOnce(&T) -> Result<(), BoxError> + Send>;

/// A resource: how to acquire a `T` and how to release it.
///
/// Bind it with `.from_resource(f)`, where `f`'s parameters are injected and it returns a
/// `Lifecycle<T>`. Resources are acquired in plan order and released in exact reverse order,
/// exactly once: when the locator is closed or dropped, or when producing fails half-way.
///
/// ```
/// use distage_core::Lifecycle;
/// struct Pool;
/// let pool = Lifecycle::make(|| Pool, |_pool: &Pool| println!("pool closed"));
/// # drop(pool);
/// ```
pub struct Lifecycle<T> {
    pub(crate) acquire: Acquire<T>,
    pub(crate) release: Option<ReleaseFn<T>>,
}

impl<T: Send + Sync + 'static> Lifecycle<T> {
    /// A resource with an infallible acquire and release.
    pub fn make(
        acquire: impl FnOnce() -> T + Send + 'static,
        release: impl FnOnce(&T) + Send + 'static,
    ) -> Self {
        Lifecycle {
            acquire: Box::new(move || Ok(acquire())),
            release: Some(Box::new(move |t| {
                release(t);
                Ok(())
            })),
        }
    }

    /// A resource whose acquire and release may fail.
    pub fn try_make<E1, E2>(
        acquire: impl FnOnce() -> Result<T, E1> + Send + 'static,
        release: impl FnOnce(&T) -> Result<(), E2> + Send + 'static,
    ) -> Self
    where
        E1: Into<BoxError>,
        E2: Into<BoxError>,
    {
        Lifecycle {
            acquire: Box::new(move || acquire().map_err(Into::into)),
            release: Some(Box::new(move |t| release(t).map_err(Into::into))),
        }
    }

    /// A value with nothing to release.
    pub fn pure(value: T) -> Self {
        Lifecycle {
            acquire: Box::new(move || Ok(value)),
            release: None,
        }
    }

    /// A value whose `Drop` is its release: the locator drops its instances in reverse
    /// acquisition order, so `Drop` runs in that order as long as nothing else keeps a clone of
    /// the `Arc` alive past the locator.
    pub fn from_drop(acquire: impl FnOnce() -> T + Send + 'static) -> Self {
        Lifecycle {
            acquire: Box::new(move || Ok(acquire())),
            release: None,
        }
    }

    /// Adds a step run at release, before the existing release step.
    pub fn on_release(mut self, first: impl FnOnce(&T) + Send + 'static) -> Self {
        let then = self.release.take();
        self.release = Some(Box::new(move |t| {
            first(t);
            match then {
                Some(then) => then(t),
                None => Ok(()),
            }
        }));
        self
    }
}

impl<T> fmt::Debug for Lifecycle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lifecycle")
            .field("type", &std::any::type_name::<T>())
            .field("has_release", &self.release.is_some())
            .finish()
    }
}
