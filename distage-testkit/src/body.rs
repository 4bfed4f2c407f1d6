//! A test function as the harness runs it: its parameters' dependencies and a call that takes
//! them from a locator. `#[distage::test]` generates one per test.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use distage_core::__private::RunContext;
use distage_core::{Dependency, Error, Locator, RunFn};

/// What a test returns: `()` or a `Result` whose error fails the test.
#[diagnostic::on_unimplemented(
    message = "a `#[distage::test]` function cannot return `{Self}`",
    note = "return `()` or `Result<(), E>` with `E: Debug`"
)]
pub trait TestOutcome {
    /// `Err` with the message when the test failed.
    fn into_outcome(self) -> Result<(), String>;
}

impl TestOutcome for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: fmt::Debug> TestOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map_err(|e| format!("the test returned an error: {e:?}"))
    }
}

/// A test's future, boxed.
pub type TestFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// The call of a test function against a locator holding its parameters.
#[derive(Clone, Copy)]
pub enum TestCall {
    /// A plain function.
    Sync(fn(&RunContext<'_>) -> Result<Result<(), String>, Error>),
    /// An `async fn`, run on the testkit's tokio runtime.
    Async(fn(&RunContext<'_>) -> Result<TestFuture, Error>),
}

impl fmt::Debug for TestCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TestCall::Sync(_) => "TestCall::Sync",
            TestCall::Async(_) => "TestCall::Async",
        })
    }
}

/// Runs `call` with the locator's [`RunContext`], through distage's function injection.
pub(crate) fn with_context<R>(
    locator: &Locator,
    call: impl FnOnce(&RunContext<'_>) -> Result<R, Error>,
) -> Result<R, Error> {
    locator.run(ContextFn(call))
}

/// A closure over the run context: the dependencies were planned by the harness already.
struct ContextFn<F>(F);

/// Marker keeping [`ContextFn`]'s `RunFn` impl apart from the impls over function arities.
#[doc(hidden)]
pub struct ContextMarker;

impl<R, F: FnOnce(&RunContext<'_>) -> Result<R, Error>> RunFn<ContextMarker, R> for ContextFn<F> {
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn call_in(self, context: &RunContext<'_>) -> Result<R, Error> {
        (self.0)(context)
    }
}

/// Takes parameter `dependency` of type `T` from the run context (what generated code calls).
pub fn extract<T: distage_core::Inject>(
    context: &RunContext<'_>,
    dependency: &Dependency,
) -> Result<T, Error> {
    let arg = context.resolve(dependency)?;
    T::extract(&arg).map_err(|e| Error::Internal(e.to_string()))
}

/// The message of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    match payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
    {
        Some(m) => format!("test panicked: {m}"),
        None => "test panicked".to_string(),
    }
}

/// A future whose panics become `Err(message)`: the test's locator is closed after a panic too.
pub(crate) struct CatchPanic(pub(crate) TestFuture);

impl Future for CatchPanic {
    type Output = Result<(), String>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(panic_message(&*payload))),
        }
    }
}
