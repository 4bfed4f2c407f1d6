//! A `distage::Error` in a handler: a 500, logged, not leaked.

use std::fmt;
use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A handler's `distage::Error` (a lookup that failed, a request scope that could not be
/// produced) as a response: `500 Internal Server Error` with the body
/// `{"error":"internal server error"}`, the error itself logged with `tracing` at error level.
///
/// Handlers return `Result<_, ServerError>` and use `?` on distage calls. The layers
/// ([`DistageLayer::on_error`](crate::DistageLayer::on_error),
/// [`RequestScope::on_error`](crate::RequestScope::on_error)) can replace the response.
#[derive(Debug)]
pub struct ServerError(pub distage_core::Error);

impl From<distage_core::Error> for ServerError {
    fn from(error: distage_core::Error) -> Self {
        ServerError(error)
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Carried in the 500's extensions so that a layer's `on_error` can see the error.
#[derive(Clone)]
pub(crate) struct ErrorInResponse(pub(crate) Arc<distage_core::Error>);

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self.0, "request failed on a distage error");
        let mut response = (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":"internal server error"}"#,
        )
            .into_response();
        response
            .extensions_mut()
            .insert(ErrorInResponse(Arc::new(self.0)));
        response
    }
}

/// What replaces the default 500 (`on_error` on a layer).
pub(crate) type ErrorHook = Arc<dyn Fn(&distage_core::Error) -> Response + Send + Sync>;

/// Replaces a [`ServerError`] response with the hook's, when there is a hook.
pub(crate) fn apply_hook(response: Response, hook: Option<&ErrorHook>) -> Response {
    let Some(hook) = hook else {
        return response;
    };
    match response.extensions().get::<ErrorInResponse>() {
        Some(ErrorInResponse(error)) => hook(error),
        None => response,
    }
}
