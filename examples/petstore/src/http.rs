//! The HTTP API: routes, handlers, the per-request scope, and the `:http` role.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use distage::axum::{Injected, RequestScope};
use distage::framework::{BoxError, NoArgs, RoleService, Shutdown};
use distage::prelude::*;
use tracing::Instrument;

use crate::repo::{Pet, PetInput, PetRepo, RepoError};

#[derive(Clone, Debug, serde::Deserialize)]
pub struct HttpConfig {
    pub host: String,
    pub port: u16,
}

/// The request's id: the `x-request-id` header, else a counter. A local of the request scope.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The per-request part of the API: made for each request with its id, released after the
/// response is sent.
#[derive(Debug, Injectable)]
pub struct Pets {
    repo: Arc<dyn PetRepo>,
    request: Arc<RequestId>,
}

impl Drop for Pets {
    fn drop(&mut self) {
        tracing::debug!(request = %self.request.0, "request scope released");
    }
}

/// What a handler answers when it cannot do what was asked: a status and `{"error": "…"}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound(_) => ApiError(StatusCode::NOT_FOUND, e.to_string()),
            RepoError::Duplicate(_) => ApiError(StatusCode::CONFLICT, e.to_string()),
            RepoError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError(e.status(), e.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        ApiError(StatusCode::BAD_REQUEST, e.body_text())
    }
}

fn valid(input: PetInput) -> Result<PetInput, ApiError> {
    if input.name.trim().is_empty() {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a pet needs a name".into(),
        ));
    }
    Ok(input)
}

type Body<T> = Result<Json<T>, JsonRejection>;
type Id = Result<Path<i64>, PathRejection>;

async fn create(pets: Injected<Pets>, body: Body<PetInput>) -> Result<impl IntoResponse, ApiError> {
    let pet = pets.repo.create(valid(body?.0)?).await?;
    tracing::info!(request = %pets.request.0, id = pet.id, "created");
    Ok((StatusCode::CREATED, Json(pet)))
}

async fn list(pets: Injected<Pets>) -> Result<Json<Vec<Pet>>, ApiError> {
    Ok(Json(pets.repo.list().await?))
}

async fn show(pets: Injected<Pets>, id: Id) -> Result<Json<Pet>, ApiError> {
    Ok(Json(pets.repo.get(id?.0).await?))
}

async fn update(pets: Injected<Pets>, id: Id, body: Body<PetInput>) -> Result<Json<Pet>, ApiError> {
    let (id, input) = (id?.0, valid(body?.0)?);
    if input.id.is_some_and(|given| given != id) {
        let message = format!("the body's id is not the path's ({id})");
        return Err(ApiError(StatusCode::UNPROCESSABLE_ENTITY, message));
    }
    Ok(Json(pets.repo.update(id, input).await?))
}

async fn delete(pets: Injected<Pets>, id: Id) -> Result<StatusCode, ApiError> {
    pets.repo.delete(id?.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn fallback() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "no such route".into())
}

/// Gives the request its id and a `tracing` span that everything it does (the scope's release
/// included) is logged in.
async fn request_span(mut request: Request, next: Next) -> Response {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = match request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
    {
        Some(given) => given.to_string(),
        None => NEXT.fetch_add(1, Ordering::Relaxed).to_string(),
    };
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
    request.extensions_mut().insert(RequestId(id));
    next.run(request).instrument(span).await
}

/// The API, with a scope per request made from `requests`.
pub fn router(requests: Subcontext<Pets>) -> Router {
    let scope = RequestScope::new(requests, |request: &mut Request| {
        let id = request.extensions().get::<RequestId>().cloned();
        (id.unwrap_or_else(|| RequestId("none".into())),)
    })
    .on_error(|_| {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into()).into_response()
    });
    Router::new()
        .route("/pets", get(list).post(create))
        .route("/pets/{id}", get(show).put(update).delete(delete))
        .fallback(fallback)
        .layer(scope)
        .layer(middleware::from_fn(request_span))
}

/// `:http`: serves the API on the configured address until SIGINT or SIGTERM.
#[derive(Debug, Injectable)]
pub struct HttpServer {
    config: HttpConfig,
    repo: Arc<dyn PetRepo>,
    requests: Subcontext<Pets>,
}

impl RoleService for HttpServer {
    const ID: &'static str = "http";
    const ABOUT: &'static str = "serve the pets API over HTTP until stopped";
    type Args = NoArgs;

    async fn serve(&self, _: NoArgs, shutdown: Shutdown) -> Result<(), BoxError> {
        // `:migrate :http` runs the two concurrently: listen once the schema is there.
        tokio::select! {
            ready = self.repo.ready() => ready?,
            () = shutdown.clone().wait() => return Ok(()),
        }
        let address = (self.config.host.as_str(), self.config.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", address.0, address.1))?;
        let bound = listener.local_addr()?;
        println!("http: listening on http://{bound}");
        tracing::info!(%bound, "listening");
        axum::serve(listener, router(self.requests.clone()))
            .with_graceful_shutdown(shutdown.wait())
            .await?;
        println!("http: stopped");
        Ok(())
    }
}
