//! `RequestScope`: a subcontext entered per request, alive until the response body is finished.
//!
//! Each request runs the subcontext (`run_async`) around a function that hands the scope's
//! locator back to the request and then waits for a "done" signal. The run and the sender of
//! that signal travel with the request, then with the response body: the signal is given when
//! the body ends or is dropped (response sent, client gone), or when the handler's future
//! unwinds (a panic) or is dropped — and then the run closes the scope, releasing its
//! resources in reverse order. The scope can therefore not be released before the handler ran,
//! whatever the extractors do: its lifetime is the request's, not an extractor's.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use distage_core::{LocatorRef, Subcontext, SubcontextRun};
use http_body::{Frame, SizeHint};
use tokio::sync::oneshot;
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument;

use crate::error::{ErrorHook, ServerError, apply_hook};
use crate::inject::ScopeLocator;

/// The local values a request gives its scope: a tuple of one to six values, each a local
/// declared on the subcontext (`.local<RequestId>()`).
pub trait Locals: Send + 'static {
    /// Starts a run of `subcontext` with these values.
    fn start<A: ?Sized + Send + Sync + 'static>(
        self,
        subcontext: &Subcontext<A>,
    ) -> SubcontextRun<'_, A>;
}

macro_rules! locals_tuple {
    ($first:ident $($rest:ident)*) => {
        impl<$first: Send + Sync + 'static, $($rest: Send + Sync + 'static),*> Locals
            for ($first, $($rest,)*)
        {
            #[allow(non_snake_case)]
            fn start<A: ?Sized + Send + Sync + 'static>(
                self,
                subcontext: &Subcontext<A>,
            ) -> SubcontextRun<'_, A> {
                let ($first, $($rest,)*) = self;
                subcontext.provide($first)$(.provide($rest))*
            }
        }
    };
}
locals_tuple!(L1);
locals_tuple!(L1 L2);
locals_tuple!(L1 L2 L3);
locals_tuple!(L1 L2 L3 L4);
locals_tuple!(L1 L2 L3 L4 L5);
locals_tuple!(L1 L2 L3 L4 L5 L6);

/// A tower layer entering the subcontext `Subcontext<A>` for each request, with the locals
/// `locals(&mut request)` returns (a tuple). Handlers then take the scope's components, and the
/// application's, as [`Injected<T>`](crate::Injected).
///
/// The scope lives until the response body is finished or dropped; its resources are then
/// released in reverse order — also when the handler panics or the client disconnects. A
/// scope that cannot be produced (a missing local, a failing resource) answers 500 (see
/// [`ServerError`]). Entering and releasing happen in the request's current `tracing` span;
/// sync releases run when the body ends, an async release that has to wait goes on in a task.
pub struct RequestScope<A: ?Sized, F> {
    subcontext: Subcontext<A>,
    locals: Arc<F>,
    on_error: Option<ErrorHook>,
}

impl<A: ?Sized, F> Clone for RequestScope<A, F> {
    fn clone(&self) -> Self {
        RequestScope {
            subcontext: self.subcontext.clone(),
            locals: self.locals.clone(),
            on_error: self.on_error.clone(),
        }
    }
}

impl<A: ?Sized, F> fmt::Debug for RequestScope<A, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestScope")
            .field("subcontext", &self.subcontext)
            .field("on_error", &self.on_error.is_some())
            .finish()
    }
}

impl<A, F, L> RequestScope<A, F>
where
    A: ?Sized + Send + Sync + 'static,
    F: Fn(&mut Request) -> L + Send + Sync + 'static,
    L: Locals,
{
    /// A scope entering `subcontext` per request with the locals `locals` takes from it; the
    /// closure may also read and change the request (its headers, its extensions).
    pub fn new(subcontext: Subcontext<A>, locals: F) -> Self {
        RequestScope {
            subcontext,
            locals: Arc::new(locals),
            on_error: None,
        }
    }
}

impl<A: ?Sized, F> RequestScope<A, F> {
    /// Replaces the default 500 of a [`ServerError`] by what `hook` makes of the error (the
    /// error is still logged).
    pub fn on_error(
        mut self,
        hook: impl Fn(&distage_core::Error) -> Response + Send + Sync + 'static,
    ) -> Self {
        self.on_error = Some(Arc::new(hook));
        self
    }
}

impl<S, A: ?Sized, F> Layer<S> for RequestScope<A, F> {
    type Service = RequestScopeService<S, A, F>;
    fn layer(&self, inner: S) -> Self::Service {
        RequestScopeService {
            inner,
            scope: self.clone(),
            _root: PhantomData,
        }
    }
}

/// The service of a [`RequestScope`].
pub struct RequestScopeService<S, A: ?Sized, F> {
    inner: S,
    scope: RequestScope<A, F>,
    _root: PhantomData<fn() -> Arc<A>>,
}

impl<S: Clone, A: ?Sized, F> Clone for RequestScopeService<S, A, F> {
    fn clone(&self) -> Self {
        RequestScopeService {
            inner: self.inner.clone(),
            scope: self.scope.clone(),
            _root: PhantomData,
        }
    }
}

impl<S: fmt::Debug, A: ?Sized, F> fmt::Debug for RequestScopeService<S, A, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestScopeService")
            .field("inner", &self.inner)
            .field("scope", &self.scope)
            .finish()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, A, F, L> Service<Request> for RequestScopeService<S, A, F>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    A: ?Sized + Send + Sync + 'static,
    F: Fn(&mut Request) -> L + Send + Sync + 'static,
    L: Locals,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // The service that was polled ready is the one to call (tower's contract).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let locals = (self.scope.locals)(&mut request);
        let subcontext = self.scope.subcontext.clone();
        let hook = self.scope.on_error.clone();
        Box::pin(async move {
            let (scope, locator) = match Scope::enter(subcontext, locals).await {
                Ok(entered) => entered,
                Err(error) => return Ok(apply_hook(error.into_response(), hook.as_ref())),
            };
            request.extensions_mut().insert(ScopeLocator(locator));
            // `scope` is held across the handler: a panic or a drop here releases it.
            let response = inner.call(request).await?;
            let response = apply_hook(response, hook.as_ref());
            Ok(response.map(|body| {
                Body::new(ScopedBody {
                    inner: body,
                    scope: Some(scope),
                })
            }))
        })
    }
}

/// How many times a scope's run is polled in a row while it makes progress without waiting.
const POLLS: usize = 8;

type Run = Pin<Box<dyn Future<Output = Result<(), distage_core::Error>> + Send>>;

/// An entered scope: the subcontext's run, suspended in the function that waits for `done`.
///
/// The run is polled by whoever holds the scope — no task of its own — so entering and leaving
/// costs no thread hand-off: sync releases run when the scope is left, right there.
struct Scope {
    done: Option<oneshot::Sender<()>>,
    run: Option<Run>,
}

impl Scope {
    /// Produces the subcontext and suspends its run once it has handed over its locator.
    async fn enter<A: ?Sized + Send + Sync + 'static, L: Locals>(
        subcontext: Subcontext<A>,
        locals: L,
    ) -> Result<(Scope, LocatorRef), ServerError> {
        let (scope_tx, mut scope_rx) = oneshot::channel::<LocatorRef>();
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let run = async move {
            let run = locals.start(&subcontext);
            run.run_async(|scope: LocatorRef| async move {
                if scope_tx.send(scope).is_ok() {
                    // Err when the sender is dropped: that is the signal to leave.
                    let _ = done_rx.await;
                }
            })
            .await
        };
        // Unconstrained by tokio's co-operative budget: a run whose task spent its budget would
        // otherwise stay pending in `leave`, which polls it outside the executor, and go to a
        // task of its own for every request. Its steps still wait when they have to.
        let mut run: Run = Box::pin(tokio::task::unconstrained(
            run.instrument(tracing::Span::current()),
        ));
        let entered = std::future::poll_fn(|cx| {
            // distage's concurrent producer takes a few polls to go through steps that are
            // ready at once; polling again here spares a trip through the scheduler for each.
            for _ in 0..POLLS {
                if let Poll::Ready(result) = run.as_mut().poll(cx) {
                    // The run ended before handing the scope over: it could not be produced.
                    let error = result
                        .err()
                        .unwrap_or(distage_core::Error::Closed { key: None });
                    return Poll::Ready(Err(ServerError(error)));
                }
                if let Ok(locator) = scope_rx.try_recv() {
                    return Poll::Ready(Ok(locator));
                }
            }
            // Still producing (async resources): `run` wakes us up when it progresses.
            Poll::Pending
        })
        .await?;
        let scope = Scope {
            done: Some(done_tx),
            run: Some(run),
        };
        Ok((scope, entered))
    }

    /// Leaves the scope: its releases run now; what an async release has left to do goes on in
    /// a task (or, with no runtime, when the run is dropped, which releases too).
    fn leave(&mut self) {
        self.done = None;
        let Some(mut run) = self.run.take() else {
            return;
        };
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut outcome = Poll::Pending;
        for _ in 0..POLLS {
            outcome = run.as_mut().poll(&mut cx);
            if outcome.is_ready() {
                break;
            }
        }
        match outcome {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(error)) => {
                // Nobody waits for the release: log its failure.
                tracing::error!(error = %error, "request scope: release failed");
            }
            Poll::Pending => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        if let Err(error) = run.await {
                            tracing::error!(error = %error, "request scope: release failed");
                        }
                    });
                }
            }
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        self.leave();
    }
}

/// A response body holding the scope open until it ends or is dropped.
struct ScopedBody {
    inner: Body,
    scope: Option<Scope>,
}

impl http_body::Body for ScopedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if frame.is_none() {
            self.scope = None;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
