//! The two boxed types user code and distage exchange: errors from constructors and resources,
//! and futures of async bindings. A leaf: it imports nothing from the crate.

/// A boxed error from user code (constructors, resources).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A boxed, sendable future.
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

/// A produced instance as a locator stores it: an `Arc<T>` (or a `Set<T>`) behind `dyn Any`.
pub(crate) type Instance = Box<dyn std::any::Any + Send + Sync>;
