//! `RequestScope`: a subcontext entered per request, alive until the response body is finished.
//!
//! Each request produces the subcontext (`SubcontextRun::produce_async`, immediate when it has
//! no async bindings) and keeps its locator in a [`Scope`] that travels with the request, then
//! with the response body. The scope is left — its locator closed, its resources released in
//! reverse order — when the body ends or is dropped (response sent, client gone), or when the
//! handler's future unwinds (a panic) or is dropped. The scope can therefore not be released
//! before the handler ran, whatever the extractors do: its lifetime is the request's, not an
//! extractor's; the extractors hold only a weak handle to it.

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
use distage_core::{AsyncLocator, LocatorRef, Subcontext, SubcontextRun};
use http_body::{Frame, SizeHint};
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

/// An entered scope: the subcontext's locator, and the span it was entered in.
///
/// Leaving it closes the locator right there: sync releases run at once, with no task and no
/// thread hand-off; what an async release has left to do goes on in a task.
struct Scope {
    locator: Option<AsyncLocator>,
    span: tracing::Span,
}

impl Scope {
    /// Produces the subcontext with `locals`: at once when it has no async bindings.
    async fn enter<A: ?Sized + Send + Sync + 'static, L: Locals>(
        subcontext: Subcontext<A>,
        locals: L,
    ) -> Result<(Scope, LocatorRef), ServerError> {
        let locator = locals.start(&subcontext).produce_async().await?;
        let handle = locator.locator_ref();
        let scope = Scope {
            locator: Some(locator),
            span: tracing::Span::current(),
        };
        Ok((scope, handle))
    }

    /// Leaves the scope: its releases run now, in the span the scope was entered in; what an
    /// async release has left to do goes on in a task (or, with no runtime, on a thread of its
    /// own: distage runs a dropped close to its end).
    fn leave(&mut self) {
        let Some(locator) = self.locator.take() else {
            return;
        };
        let _entered = self.span.enter();
        let mut close = Box::pin(locator.close());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match close.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(())) => {}
            // Nobody waits for the release: log its failure.
            Poll::Ready(Err(error)) => {
                tracing::error!(error = %error, "request scope: release failed");
            }
            Poll::Pending => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let span = self.span.clone();
                    runtime.spawn(
                        async move {
                            if let Err(error) = close.await {
                                tracing::error!(error = %error, "request scope: release failed");
                            }
                        }
                        .instrument(span),
                    );
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
