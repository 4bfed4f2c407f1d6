//! The two boxed types user code and distage exchange: errors from constructors and resources,
//! and futures of async bindings. A leaf: it imports nothing from the crate.

/// A boxed error from user code (constructors, resources).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A boxed, sendable future.
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;
