//! Resources: values with an acquire and a release step, sync or async.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::boxed::BoxError;
use crate::boxed::BoxFuture;

pub(crate) enum Acquire<T> {
    Sync(Box<dyn FnOnce() -> Result<T, BoxError> + Send>),
    Async(BoxFuture<Result<T, BoxError>>),
}

type SyncRelease<T> = Box<dyn FnOnce(&T) -> Result<(), BoxError> + Send>;
type AsyncRelease<T> = Box<dyn FnOnce(Arc<T>) -> BoxFuture<Result<(), BoxError>> + Send>;

pub(crate) enum ReleaseFn<T> {
    Sync(SyncRelease<T>),
    Async(AsyncRelease<T>),
}

/// A resource: how to acquire a `T` and how to release it, synchronously or asynchronously.
///
/// Bind it with `.from_resource(f)` (sync) or `.from_resource_async(f)` (async parts, produced
/// with `produce_async`), where `f`'s parameters are injected and it returns a `Lifecycle<T>`.
/// Resources are acquired in plan order and released in exact reverse order, exactly once: when
/// the locator is closed or dropped, or when producing fails half-way.
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

/// A sync release step that owns a handle to its resource.
pub(crate) type BoundRelease = Box<dyn FnOnce() -> Result<(), BoxError> + Send>;

impl<T: Send + Sync + 'static> Lifecycle<T> {
    /// Acquires a resource bound with `from_resource`: the instance, and its release step if it
    /// has one. An async `Lifecycle` is an error saying what to do instead (`remedy`).
    pub(crate) fn acquire_sync(
        self,
        remedy: &str,
    ) -> Result<(Arc<T>, Option<BoundRelease>), BoxError> {
        let (acquire, release) = match (self.acquire, self.release) {
            (Acquire::Sync(acquire), None) => (acquire, None),
            (Acquire::Sync(acquire), Some(ReleaseFn::Sync(release))) => (acquire, Some(release)),
            _ => {
                return Err(format!(
                    "`{}` is bound with `from_resource`, but its Lifecycle is async: {remedy}",
                    crate::key::short_type_name(std::any::type_name::<T>())
                )
                .into());
            }
        };
        let resource = Arc::new(acquire()?);
        let release = release.map(|release| {
            let held = resource.clone();
            Box::new(move || release(&held)) as BoundRelease
        });
        Ok((resource, release))
    }

    /// A resource with an infallible acquire and release.
    pub fn make(
        acquire: impl FnOnce() -> T + Send + 'static,
        release: impl FnOnce(&T) + Send + 'static,
    ) -> Self {
        Lifecycle {
            acquire: Acquire::Sync(Box::new(move || Ok(acquire()))),
            release: Some(ReleaseFn::Sync(Box::new(move |t| {
                release(t);
                Ok(())
            }))),
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
            acquire: Acquire::Sync(Box::new(move || acquire().map_err(Into::into))),
            release: Some(ReleaseFn::Sync(Box::new(move |t| {
                release(t).map_err(Into::into)
            }))),
        }
    }

    /// A resource acquired and released asynchronously (bind it with `from_resource_async`).
    /// The release step gets the shared instance.
    pub fn make_async<R>(
        acquire: impl Future<Output = T> + Send + 'static,
        release: impl FnOnce(Arc<T>) -> R + Send + 'static,
    ) -> Self
    where
        R: Future<Output = ()> + Send + 'static,
    {
        Lifecycle {
            acquire: Acquire::Async(Box::pin(async move { Ok(acquire.await) })),
            release: Some(ReleaseFn::Async(Box::new(move |t| {
                let done = release(t);
                Box::pin(async move {
                    done.await;
                    Ok(())
                })
            }))),
        }
    }

    /// An async resource whose acquire and release may fail.
    pub fn try_make_async<E1, E2, R>(
        acquire: impl Future<Output = Result<T, E1>> + Send + 'static,
        release: impl FnOnce(Arc<T>) -> R + Send + 'static,
    ) -> Self
    where
        E1: Into<BoxError> + 'static,
        E2: Into<BoxError> + 'static,
        R: Future<Output = Result<(), E2>> + Send + 'static,
    {
        Lifecycle {
            acquire: Acquire::Async(Box::pin(async move { acquire.await.map_err(Into::into) })),
            release: Some(ReleaseFn::Async(Box::new(move |t| {
                let done = release(t);
                Box::pin(async move { done.await.map_err(Into::into) })
            }))),
        }
    }

    /// A value with nothing to release.
    pub fn pure(value: T) -> Self {
        Lifecycle {
            acquire: Acquire::Sync(Box::new(move || Ok(value))),
            release: None,
        }
    }

    /// A value whose `Drop` is its release: the locator drops its instances in reverse
    /// acquisition order, so `Drop` runs in that order as long as nothing else keeps a clone of
    /// the `Arc` alive past the locator.
    pub fn from_drop(acquire: impl FnOnce() -> T + Send + 'static) -> Self {
        Lifecycle {
            acquire: Acquire::Sync(Box::new(move || Ok(acquire()))),
            release: None,
        }
    }

    /// Adds a step run at release, before the existing release step.
    pub fn on_release(mut self, first: impl FnOnce(&T) + Send + 'static) -> Self {
        self.release = Some(match self.release.take() {
            None => ReleaseFn::Sync(Box::new(move |t| {
                first(t);
                Ok(())
            })),
            Some(ReleaseFn::Sync(then)) => ReleaseFn::Sync(Box::new(move |t| {
                first(t);
                then(t)
            })),
            Some(ReleaseFn::Async(then)) => ReleaseFn::Async(Box::new(move |t| {
                first(&t);
                then(t)
            })),
        });
        self
    }

    /// True when acquiring or releasing is asynchronous.
    pub fn is_async(&self) -> bool {
        matches!(self.acquire, Acquire::Async(_))
            || matches!(self.release, Some(ReleaseFn::Async(_)))
    }
}

impl<T> fmt::Debug for Lifecycle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lifecycle")
            .field(
                "type",
                &crate::key::short_type_name(std::any::type_name::<T>()),
            )
            .field("async_acquire", &matches!(self.acquire, Acquire::Async(_)))
            .field("has_release", &self.release.is_some())
            .finish()
    }
}
