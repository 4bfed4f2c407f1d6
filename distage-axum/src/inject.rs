//! `Injected<T>`: an extractor that hands a handler an instance from the request's locator.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use distage_core::{DIKey, LocatorRef};

use crate::error::ServerError;

/// The application's locator, put in each request's extensions by [`DistageLayer`](crate::DistageLayer).
#[derive(Clone, Debug)]
pub(crate) struct AppLocator(pub(crate) LocatorRef);

/// The request scope's locator, put in the request's extensions by [`RequestScope`](crate::RequestScope).
#[derive(Clone, Debug)]
pub(crate) struct ScopeLocator(pub(crate) LocatorRef);

/// An instance of `T` (`T` may be `dyn Trait`) as a handler parameter: from the request scope
/// when a [`RequestScope`](crate::RequestScope) is installed (it falls back to the
/// application's instances), else from the locator of a [`DistageLayer`](crate::DistageLayer).
///
/// It derefs to the `Arc<T>`. (Not named `Inject`: `distage::Inject` is the trait of what a
/// component can ask for, and two items of one name make rustc spell out both paths in every
/// diagnostic that mentions either.) When `T` cannot be found the request gets a 500 and the error is
/// logged (see [`ServerError`]).
#[derive(Debug)]
pub struct Injected<T: ?Sized>(pub Arc<T>);

impl<T: ?Sized> Clone for Injected<T> {
    fn clone(&self) -> Self {
        Injected(self.0.clone())
    }
}

impl<T: ?Sized> Deref for Injected<T> {
    type Target = Arc<T>;
    fn deref(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T: ?Sized> Injected<T> {
    /// The instance.
    pub fn into_inner(self) -> Arc<T> {
        self.0
    }
}

impl<S, T> FromRequestParts<S> for Injected<T>
where
    S: Send + Sync,
    T: ?Sized + Send + Sync + 'static,
{
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ServerError> {
        let locator = parts
            .extensions
            .get::<ScopeLocator>()
            .map(|s| &s.0)
            .or_else(|| parts.extensions.get::<AppLocator>().map(|a| &a.0));
        match locator {
            Some(locator) => Ok(Injected(locator.get::<T>()?)),
            None => Err(ServerError(distage_core::Error::NotFound {
                key: DIKey::of::<T>(),
                needed_by: Some(
                    "an `Injected` extractor on a router without `DistageLayer` or `RequestScope`"
                        .into(),
                ),
            })),
        }
    }
}
