//! `DistageLayer`: the application's locator, installed on a router once.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use distage_core::LocatorRef;
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{ErrorHook, apply_hook};
use crate::inject::AppLocator;

/// Installs the application's locator on a router (`router.layer(DistageLayer::new(locator))`)
/// so that handlers can take [`Injected<T>`](crate::Injected).
///
/// The locator is held weakly (a [`LocatorRef`]: a component can ask for one): the application
/// owns its instances, and a request after the locator is closed gets a 500.
#[derive(Clone)]
pub struct DistageLayer {
    locator: LocatorRef,
    on_error: Option<ErrorHook>,
}

impl fmt::Debug for DistageLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DistageLayer")
            .field("locator", &self.locator)
            .field("on_error", &self.on_error.is_some())
            .finish()
    }
}

impl DistageLayer {
    /// A layer handing out the instances of `locator` (`locator.locator_ref()`, or a
    /// `LocatorRef` injected into the component that builds the router).
    pub fn new(locator: LocatorRef) -> Self {
        DistageLayer {
            locator,
            on_error: None,
        }
    }

    /// Replaces the default 500 of a [`ServerError`](crate::ServerError) by what `hook`
    /// makes of the error (the error is still logged).
    pub fn on_error(
        mut self,
        hook: impl Fn(&distage_core::Error) -> Response + Send + Sync + 'static,
    ) -> Self {
        self.on_error = Some(Arc::new(hook));
        self
    }
}

impl<S> Layer<S> for DistageLayer {
    type Service = DistageService<S>;
    fn layer(&self, inner: S) -> DistageService<S> {
        DistageService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of a [`DistageLayer`].
#[derive(Clone, Debug)]
pub struct DistageService<S> {
    inner: S,
    layer: DistageLayer,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<Request> for DistageService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        request
            .extensions_mut()
            .insert(AppLocator(self.layer.locator.clone()));
        let future = self.inner.call(request);
        let hook = self.layer.on_error.clone();
        Box::pin(async move {
            let response = future.await?;
            Ok(apply_hook(response, hook.as_ref()))
        })
    }
}
