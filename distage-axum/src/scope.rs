//! `RequestScope`: a subcontext entered per request, alive until the response body is finished.
//!
//! Each request produces the subcontext — in `Service::call` when it has no async bindings
//! (`SubcontextRun::produce`), awaited in the request's future when it has
//! (`SubcontextRun::produce_async`) — and keeps its locator in a [`Scope`] that travels with the
//! request's future, then with the response body. The scope is left — its locator closed, its resources released in
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
use distage_core::{AsyncLocator, Locator, Subcontext, SubcontextRun};
use http_body::{Frame, SizeHint};
use tower_layer::Layer;
use tower_service::Service;

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
    type Future = RequestScopeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let locals = (self.scope.locals)(&mut request);
        let hook = self.scope.on_error.clone();
        let subcontext = &self.scope.subcontext;
        if subcontext.is_async() {
            // The service that was polled ready is the one to call (tower's contract): it goes
            // with the future, a clone stays.
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
            let subcontext = subcontext.clone();
            return RequestScopeFuture::boxed(async move {
                let entered = locals.start(&subcontext).produce_async().await;
                let (scope, handle) = match entered {
                    Ok(locator) => Scope::enter(Held::Async(locator)),
                    Err(error) => {
                        let response = ServerError(error).into_response();
                        return Ok(apply_hook(response, hook.as_ref()));
                    }
                };
                request.extensions_mut().insert(handle);
                // `scope` is held across the handler: a panic or a drop here releases it.
                let response = inner.call(request).await?;
                Ok(scope.hold_until_sent(apply_hook(response, hook.as_ref())))
            });
        }
        // No async binding: the scope is entered right here, with no future of its own.
        let (scope, handle) = match locals.start(subcontext).produce() {
            Ok(locator) => Scope::enter(Held::Sync(locator)),
            Err(error) => {
                let response = ServerError(error).into_response();
                return RequestScopeFuture::ready(apply_hook(response, hook.as_ref()));
            }
        };
        request.extensions_mut().insert(handle);
        RequestScopeFuture {
            state: State::Handling {
                response: self.inner.call(request),
                scope: Some(scope),
                hook,
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`RequestScopeService`] call: the handler's response, its body holding
    /// the request's scope. Dropping it before it is ready leaves the scope.
    pub struct RequestScopeFuture<Fut> {
        #[pin]
        state: State<Fut>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<Fut> {
        /// The handler runs in the entered scope.
        Handling {
            #[pin]
            response: Fut,
            scope: Option<Scope>,
            hook: Option<ErrorHook>,
        },
        /// A subcontext with async bindings: entering it is awaited, in this future.
        Entering { future: BoxFuture<Result<Response, Infallible>> },
        /// The scope could not be entered: the error response.
        Ready { response: Option<Response> },
    }
}

impl<Fut> RequestScopeFuture<Fut> {
    fn boxed(future: impl Future<Output = Result<Response, Infallible>> + Send + 'static) -> Self {
        RequestScopeFuture {
            state: State::Entering {
                future: Box::pin(future),
            },
        }
    }

    fn ready(response: Response) -> Self {
        RequestScopeFuture {
            state: State::Ready {
                response: Some(response),
            },
        }
    }
}

impl<Fut> fmt::Debug for RequestScopeFuture<Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Handling { .. } => "handling",
            State::Entering { .. } => "entering",
            State::Ready { .. } => "ready",
        };
        f.debug_struct("RequestScopeFuture")
            .field("state", &state)
            .finish()
    }
}

impl<Fut> Future for RequestScopeFuture<Fut>
where
    Fut: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Handling {
                response,
                scope,
                hook,
            } => {
                let response = ready!(response.poll(cx))?;
                let response = apply_hook(response, hook.as_ref());
                Poll::Ready(Ok(match scope.take() {
                    Some(scope) => scope.hold_until_sent(response),
                    None => response,
                }))
            }
            StateProj::Entering { future } => future.as_mut().poll(cx),
            StateProj::Ready { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Ready(Ok(ServerError(distage_core::Error::Internal(
                    "a request scope's future polled after it was ready".into(),
                ))
                .into_response())),
            },
        }
    }
}

/// The scope's locator: produced on the sync path, or awaited (a subcontext with async bindings).
enum Held {
    Sync(Locator),
    Async(AsyncLocator),
}

/// An entered scope: the subcontext's locator, and the span it was entered in.
///
/// Leaving it closes the locator right there: sync releases run at once, with no task and no
/// thread hand-off; what an async release has left to do goes on in a task.
struct Scope {
    locator: Option<Held>,
    span: tracing::Span,
}

impl Scope {
    /// The scope of `locator`, entered in the current span, and the handle extractors find in
    /// the request's extensions: weak, so that the scope's lifetime stays the request's.
    fn enter(locator: Held) -> (Scope, ScopeLocator) {
        let handle = match &locator {
            Held::Sync(locator) => locator.locator_ref(),
            Held::Async(locator) => locator.locator_ref(),
        };
        let scope = Scope {
            locator: Some(locator),
            span: tracing::Span::current(),
        };
        (scope, ScopeLocator(handle))
    }

    /// `response` with its body holding this scope until the body ends or is dropped.
    fn hold_until_sent(self, response: Response) -> Response {
        response.map(|body| {
            Body::new(ScopedBody {
                inner: body,
                scope: Some(self),
            })
        })
    }

    /// Leaves the scope: its releases run now, in the span the scope was entered in; what an
    /// async release has left to do goes on in a task (or, with no runtime, on a thread of its
    /// own: distage runs a dropped close to its end, and logs its failures there).
    fn leave(&mut self) {
        let Some(locator) = self.locator.take() else {
            return;
        };
        let _entered = self.span.enter();
        let closed = match locator {
            Held::Sync(locator) => locator.close(),
            Held::Async(locator) => {
                // Polled once in place: a scope without async releases is closed by this poll.
                let close = std::pin::pin!(locator.close());
                let mut cx = Context::from_waker(std::task::Waker::noop());
                match close.poll(&mut cx) {
                    Poll::Ready(closed) => closed,
                    Poll::Pending => Ok(()),
                }
            }
        };
        if let Err(error) = closed {
            // Nobody waits for the release: log its failure.
            tracing::error!(error = %error, "request scope: release failed");
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
