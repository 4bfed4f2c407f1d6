//! axum integration for distage: handlers take their dependencies as extractors, and a tower
//! layer enters a [`Subcontext`](distage_core::Subcontext) per request that lives until the
//! response body is finished.
//!
//! - [`DistageLayer`] installs the application's locator on a router;
//! - [`RequestScope`] enters a subcontext per request with locals taken from the request (a
//!   request id, a header, the authenticated user), and releases its resources, in reverse
//!   order, once the response is sent — also when the handler panics or the client goes away;
//! - [`Injected<T>`] hands a handler `Arc<T>` (or `Arc<dyn Trait>`): from the request scope when
//!   there is one (which falls back to the application), else from the application;
//! - [`ServerError`] turns a `distage::Error` into a logged 500 whose body says nothing about
//!   it; `on_error` on either layer replaces that response.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use distage_axum::{Injected, RequestScope};
//! use distage_core::{Injector, Module, PlannerInput, Subcontext};
//!
//! struct Greeting(&'static str);
//! struct RequestId(u64);
//! struct Reply {
//!     text: String,
//! }
//!
//! let per_request = Module::build(|m| {
//!     m.make::<Reply>()
//!         .from_fn(|g: Arc<Greeting>, id: Arc<RequestId>| Reply { text: format!("{} #{}", g.0, id.0) });
//! });
//! let app = Module::build(|m| {
//!     m.make::<Greeting>().from_value(Greeting("hello"));
//!     m.make_subcontext::<Reply>(per_request).local::<RequestId>();
//! });
//! let injector = Injector::new();
//! let locator = injector.produce(&injector.plan(&PlannerInput::new(app))?)?;
//!
//! async fn hello(reply: Injected<Reply>) -> String {
//!     reply.text.clone()
//! }
//! let requests: Subcontext<Reply> = (*locator.get::<Subcontext<Reply>>()?).clone();
//! let scope = RequestScope::new(requests, |_req: &mut axum::extract::Request| (RequestId(7),));
//! let router: Router = Router::new().route("/", get(hello)).layer(scope);
//! # drop(router);
//! # Ok::<(), distage_core::Error>(())
//! ```

#![forbid(unsafe_code)]

mod error;
mod inject;
mod layer;
mod scope;

pub use error::ServerError;
pub use inject::Injected;
pub use layer::{DistageLayer, DistageService};
pub use scope::{Locals, RequestScope, RequestScopeFuture, RequestScopeService};
